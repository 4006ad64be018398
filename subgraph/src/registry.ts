import { Address, BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";
import {
  AssetDelisted,
  AssetMetadataChanged,
  AssetRegistered,
  AssetRegistry,
  AssetRelisted,
  AssetReserved,
  ProvenanceRecorded,
  ReservationReleased,
  Transfer as TransferEvent,
  VersionLinked,
} from "../generated/AssetRegistry/AssetRegistry";
import { Asset, Curation, MetadataChange, Provenance, ProvenanceList, Reservation, Transfer } from "../generated/schema";
import { assetKey, ensureAccount, eventId } from "./helpers";
import { AssetRecord, KIND_NAMES, cidCodec, isV0, sha256Cid, toBytes32, withDelisted, withMetadata } from "./record";

// Within one registration the registry logs ProvenanceRecorded (if the asset has parents),
// then the ERC-721 mint Transfer, then AssetRegistered. The asset entity is created by
// whichever of Transfer and AssetRegistered comes first, so neither depends on the order.
function loadOrCreateAsset(assetId: BigInt, event: ethereum.Event): Asset {
  let id = assetKey(assetId);
  let asset = Asset.load(id);
  if (asset != null) return asset;
  asset = new Asset(id);
  asset.tokenId = assetId;
  // Placeholders until the mint Transfer of the same transaction names the creator.
  asset.owner = Address.zero();
  asset.creator = Address.zero();
  applyRecord(asset, BigInt.zero());
  asset.versionRoot = id;
  asset.latestVersion = id;
  asset.registeredAtBlock = event.block.number;
  asset.registeredAtTimestamp = event.block.timestamp;
  asset.registeredTx = event.transaction.hash;
  asset.updatedAtBlock = event.block.number;
  return asset;
}

// Sets every field the packed record carries (cidhub.registry.AssetRecord.unpack).
function applyRecord(asset: Asset, record: BigInt): void {
  let r = AssetRecord.unpack(record);
  if (r.kind >= KIND_NAMES.length) {
    // The registry refuses any other kind, so this is a registry the subgraph does not know.
    log.critical("asset {}: unknown kind {} in record {}", [asset.id.toHexString(), r.kind.toString(), record.toString()]);
  }
  asset.record = record;
  asset.kind = KIND_NAMES[r.kind];
  asset.delisted = r.delisted;
  asset.contentCidV0 = r.contentV0;
  asset.longMultihash = r.longMultihash;
  asset.contentCodec = r.contentCodec;
  asset.metadataCidV0 = r.metadataV0;
  asset.metadataCodec = r.metadataCodec;
  asset.licenceId = r.licenceId;
  asset.royaltyBps = r.royaltyBps;
  asset.parentCount = r.parentCount;
  if (r.longMultihash) {
    asset.contentCid = null;
  } else {
    asset.contentCid = Bytes.fromUint8Array(sha256Cid(toBytes32(asset.tokenId), r.contentV0, <u64>r.contentCodec));
  }
}

function recordFrom(le: Uint8Array): BigInt {
  return BigInt.fromUnsignedBytes(Bytes.fromUint8Array(le));
}

export function handleTransfer(event: TransferEvent): void {
  let asset = loadOrCreateAsset(event.params.token_id, event);
  let to = ensureAccount(event.params.receiver);
  if (event.params.sender.equals(Address.zero())) {
    asset.creator = to.id;
    asset.registeredAtBlock = event.block.number;
    asset.registeredAtTimestamp = event.block.timestamp;
    asset.registeredTx = event.transaction.hash;
  } else {
    ensureAccount(event.params.sender);
  }
  asset.owner = to.id;
  asset.updatedAtBlock = event.block.number;
  asset.save();

  let transfer = new Transfer(eventId(event));
  transfer.asset = asset.id;
  transfer.from = event.params.sender;
  transfer.to = event.params.receiver;
  transfer.blockNumber = event.block.number;
  transfer.timestamp = event.block.timestamp;
  transfer.transactionHash = event.transaction.hash;
  transfer.save();
}

export function handleAssetRegistered(event: AssetRegistered): void {
  let asset = loadOrCreateAsset(event.params.asset_id, event);
  applyRecord(asset, event.params.record);
  // The event does not carry the metadata CID (it costs gas on every registration); read it
  // once. A compute result's JobAccepted carries it too and sets it again.
  let registry = AssetRegistry.bind(event.address);
  let metadata = registry.try_metadata_cid_of(event.params.asset_id);
  if (metadata.reverted) {
    log.warning("asset {}: metadata_cid_of reverted", [asset.id.toHexString()]);
  } else {
    asset.metadataCid = metadata.value;
  }
  asset.updatedAtBlock = event.block.number;
  asset.save();
  // Registering a reserved id (the hub accepting a claimed job) ends the hold.
  let reservation = Reservation.load(asset.id);
  if (reservation != null && reservation.active) {
    reservation.active = false;
    reservation.endedAtBlock = event.block.number;
    reservation.save();
  }
}

export function handleAssetReserved(event: AssetReserved): void {
  let id = assetKey(event.params.asset_id);
  let reservation = Reservation.load(id);
  if (reservation == null) reservation = new Reservation(id);
  reservation.registrar = event.params.registrar;
  reservation.active = true;
  reservation.reservedAtBlock = event.block.number;
  reservation.reservedTx = event.transaction.hash;
  reservation.endedAtBlock = null;
  reservation.save();
}

export function handleReservationReleased(event: ReservationReleased): void {
  let reservation = Reservation.load(assetKey(event.params.asset_id));
  if (reservation == null) {
    log.error("released reservation {} was never indexed", [event.params.asset_id.toHexString()]);
    return;
  }
  reservation.active = false;
  reservation.endedAtBlock = event.block.number;
  reservation.save();
}

export function handleProvenanceRecorded(event: ProvenanceRecorded): void {
  // Logged before the asset's mint: the edges name the child by id, and the asset entity
  // is created two logs later in the same transaction.
  let child = assetKey(event.params.asset_id);
  let parents = event.params.parents;
  let shares = event.params.shares_bps;
  let parentIds = new Array<Bytes>(parents.length);
  let shareList = new Array<i32>(shares.length);
  let total = 0;
  for (let i = 0; i < parents.length; i++) {
    let parent = assetKey(parents[i]);
    let share = shares[i];
    parentIds[i] = parent;
    shareList[i] = share;
    total += share;
    let edge = new Provenance(child.concat(parent));
    edge.child = child;
    edge.parent = parent;
    edge.shareBps = share;
    edge.position = i;
    edge.blockNumber = event.block.number;
    edge.transactionHash = event.transaction.hash;
    edge.save();
  }
  let list = new ProvenanceList(child);
  list.asset = child;
  list.parents = parentIds;
  list.sharesBps = shareList;
  list.totalShareBps = total;
  list.blockNumber = event.block.number;
  list.transactionHash = event.transaction.hash;
  list.save();
}

export function handleVersionLinked(event: VersionLinked): void {
  let asset = loadOrCreateAsset(event.params.asset_id, event);
  let root = assetKey(event.params.root_id);
  asset.previousVersion = assetKey(event.params.previous_id);
  asset.versionRoot = root;
  asset.updatedAtBlock = event.block.number;
  asset.save();
  let rootAsset = Asset.load(root);
  if (rootAsset == null) {
    log.error("version root {} of {} is not indexed", [root.toHexString(), asset.id.toHexString()]);
    return;
  }
  rootAsset.latestVersion = asset.id;
  rootAsset.updatedAtBlock = event.block.number;
  rootAsset.save();
}

export function handleAssetMetadataChanged(event: AssetMetadataChanged): void {
  let asset = loadOrCreateAsset(event.params.asset_id, event);
  let cid = event.params.metadata_cid;
  let codec = cidCodec(cid);
  if (codec < 0) {
    log.error("asset {}: metadata CID {} is not a CID", [asset.id.toHexString(), cid.toHexString()]);
  } else {
    applyRecord(asset, recordFrom(withMetadata(asset.record, isV0(cid), <u64>codec)));
  }
  asset.metadataCid = cid;
  asset.updatedAtBlock = event.block.number;
  asset.save();

  let change = new MetadataChange(eventId(event));
  change.asset = asset.id;
  change.metadataCid = cid;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();
}

function curate(assetId: BigInt, curator: Address, reasonCid: Bytes, delisted: bool, event: ethereum.Event): void {
  let asset = loadOrCreateAsset(assetId, event);
  applyRecord(asset, recordFrom(withDelisted(asset.record, delisted)));
  asset.updatedAtBlock = event.block.number;
  asset.save();

  let curation = new Curation(eventId(event));
  curation.asset = asset.id;
  curation.action = delisted ? "DELIST" : "RELIST";
  curation.curator = curator;
  curation.reasonCid = reasonCid;
  curation.blockNumber = event.block.number;
  curation.timestamp = event.block.timestamp;
  curation.transactionHash = event.transaction.hash;
  curation.save();
}

export function handleAssetDelisted(event: AssetDelisted): void {
  curate(event.params.asset_id, event.params.curator, event.params.reason_cid, true, event);
}

export function handleAssetRelisted(event: AssetRelisted): void {
  curate(event.params.asset_id, event.params.curator, event.params.reason_cid, false, event);
}
