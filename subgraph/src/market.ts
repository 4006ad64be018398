import { Address, BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";
import {
  FeeChanged,
  LicencePurchased,
  OfferCancelled,
  OfferCreated,
  OfferUpdated,
  RevenueDistributed,
  RoyaltiesSwept,
  SplitLocked,
  SplitUpdated,
  TokenAllowed,
  Withdrawn,
} from "../generated/Marketplace/Marketplace";
import {
  Asset,
  AssetRevenue,
  Balance,
  Distribution,
  FeeChange,
  Licence,
  LicencePurchase,
  Market,
  Offer,
  PaymentToken,
  ProvenanceList,
  RoyaltySweep,
  Split,
  Withdrawal,
} from "../generated/schema";
import { MAX_BPS, assetKey, ensureAccount, eventId, pairKey } from "./helpers";

// The Marketplace's accounting, mirrored: `pending` per asset and token (AssetRevenue) and
// `balance_of` per account and token (Balance), with the contract's rounding (every
// division rounds down; a split's remainder goes to its first recipient).

function revenueOf(asset: Bytes, token: Bytes): AssetRevenue {
  let id = pairKey(asset, token);
  let revenue = AssetRevenue.load(id);
  if (revenue == null) {
    revenue = new AssetRevenue(id);
    revenue.asset = asset;
    revenue.token = token;
    revenue.sales = BigInt.zero();
    revenue.gross = BigInt.zero();
    revenue.fees = BigInt.zero();
    revenue.pending = BigInt.zero();
    revenue.royalties = BigInt.zero();
    revenue.receivedUpstream = BigInt.zero();
    revenue.distributed = BigInt.zero();
    revenue.paidUpstream = BigInt.zero();
  }
  return revenue;
}

function balanceOf(account: Bytes, token: Bytes): Balance {
  let id = pairKey(account, token);
  let balance = Balance.load(id);
  if (balance == null) {
    ensureAccount(Address.fromBytes(account));
    balance = new Balance(id);
    balance.account = account;
    balance.token = token;
    balance.amount = BigInt.zero();
    balance.credited = BigInt.zero();
    balance.withdrawn = BigInt.zero();
  }
  return balance;
}

function credit(account: Bytes, token: Bytes, amount: BigInt): void {
  if (amount.isZero()) return;
  let balance = balanceOf(account, token);
  balance.amount = balance.amount.plus(amount);
  balance.credited = balance.credited.plus(amount);
  balance.save();
}

function ensureMarket(address: Address): Market {
  let market = Market.load(address);
  if (market == null) {
    market = new Market(address);
    market.feeBps = 0;
    market.treasury = Address.zero();
    // ETH is always accepted.
    let eth = new PaymentToken(Address.zero());
    eth.allowed = true;
    eth.save();
  }
  return market;
}

// ---------------------------------------------------------------- offers

export function handleOfferCreated(event: OfferCreated): void {
  let offer = new Offer(event.params.offer_id.toString());
  offer.offerId = event.params.offer_id;
  offer.asset = assetKey(event.params.asset_id);
  offer.token = event.params.token;
  offer.price = event.params.price;
  offer.duration = event.params.duration;
  offer.maxLicences = event.params.max_licences;
  offer.sold = BigInt.zero();
  offer.startsAt = event.params.starts_at;
  offer.endsAt = event.params.ends_at;
  offer.active = true;
  offer.grossRevenue = BigInt.zero();
  offer.createdAtBlock = event.block.number;
  offer.createdAtTimestamp = event.block.timestamp;
  offer.updatedAtBlock = event.block.number;
  offer.save();
}

export function handleOfferUpdated(event: OfferUpdated): void {
  let offer = Offer.load(event.params.offer_id.toString());
  if (offer == null) {
    log.error("OfferUpdated for unknown offer {}", [event.params.offer_id.toString()]);
    return;
  }
  offer.price = event.params.price;
  offer.maxLicences = event.params.max_licences;
  offer.startsAt = event.params.starts_at;
  offer.endsAt = event.params.ends_at;
  offer.updatedAtBlock = event.block.number;
  offer.save();
}

export function handleOfferCancelled(event: OfferCancelled): void {
  let offer = Offer.load(event.params.offer_id.toString());
  if (offer == null) {
    log.error("OfferCancelled for unknown offer {}", [event.params.offer_id.toString()]);
    return;
  }
  offer.active = false;
  offer.cancelledAtBlock = event.block.number;
  offer.updatedAtBlock = event.block.number;
  offer.save();
}

// ---------------------------------------------------------------- sales

export function handleLicencePurchased(event: LicencePurchased): void {
  let p = event.params;
  let asset = assetKey(p.asset_id);
  let offerId = p.offer_id.toString();
  let offer = Offer.load(offerId);
  if (offer == null) {
    log.error("LicencePurchased under unknown offer {}", [offerId]);
  } else {
    offer.sold = offer.sold.plus(BigInt.fromI32(1));
    offer.grossRevenue = offer.grossRevenue.plus(p.price);
    offer.updatedAtBlock = event.block.number;
    offer.save();
  }

  let licensee = ensureAccount(p.licensee);
  let buyer = ensureAccount(p.buyer);
  let licenceId = pairKey(asset, licensee.id);
  let licence = Licence.load(licenceId);
  if (licence == null) {
    licence = new Licence(licenceId);
    licence.asset = asset;
    licence.licensee = licensee.id;
  }
  licence.expiresAt = p.expires_at;
  // Only a perpetual licence expires at 2**256 - 1 (the contract's PERPETUAL).
  licence.perpetual = p.expires_at.equals(
    BigInt.fromUnsignedBytes(Bytes.fromHexString("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
  );
  licence.save();

  let purchase = new LicencePurchase(eventId(event));
  purchase.offer = offerId;
  purchase.asset = asset;
  purchase.licence = licenceId;
  purchase.licensee = licensee.id;
  purchase.buyer = buyer.id;
  purchase.token = p.token;
  purchase.price = p.price;
  purchase.fee = p.fee;
  purchase.expiresAt = p.expires_at;
  purchase.blockNumber = event.block.number;
  purchase.timestamp = event.block.timestamp;
  purchase.transactionHash = event.transaction.hash;
  purchase.save();

  let revenue = revenueOf(asset, p.token);
  revenue.sales = revenue.sales.plus(BigInt.fromI32(1));
  revenue.gross = revenue.gross.plus(p.price);
  revenue.fees = revenue.fees.plus(p.fee);
  revenue.pending = revenue.pending.plus(p.price.minus(p.fee));
  revenue.save();

  if (!p.fee.isZero()) {
    let market = Market.load(event.address);
    if (market == null) {
      log.error("fee of {} taken but no FeeChanged indexed: is startBlock after the Marketplace's deployment?", [
        p.fee.toString(),
      ]);
    } else {
      credit(market.treasury, p.token, p.fee);
    }
  }
}

// ---------------------------------------------------------------- secondary-sale royalties

export function handleRoyaltiesSwept(event: RoyaltiesSwept): void {
  let p = event.params;
  let asset = assetKey(p.asset_id);

  let sweep = new RoyaltySweep(eventId(event));
  sweep.asset = asset;
  sweep.token = p.token;
  sweep.amount = p.amount;
  sweep.caller = p.caller;
  sweep.blockNumber = event.block.number;
  sweep.timestamp = event.block.timestamp;
  sweep.transactionHash = event.transaction.hash;
  sweep.save();

  let revenue = revenueOf(asset, p.token);
  revenue.royalties = revenue.royalties.plus(p.amount);
  revenue.pending = revenue.pending.plus(p.amount);
  revenue.save();
}

// ---------------------------------------------------------------- splits and distribution

export function handleSplitUpdated(event: SplitUpdated): void {
  let asset = assetKey(event.params.asset_id);
  let split = Split.load(asset);
  if (split == null) {
    split = new Split(asset);
    split.asset = asset;
    split.locked = false;
  }
  let recipients = new Array<Bytes>(event.params.recipients.length);
  for (let i = 0; i < recipients.length; i++) {
    recipients[i] = event.params.recipients[i];
  }
  split.recipients = recipients;
  split.weightsBps = event.params.weights_bps;
  split.updatedAtBlock = event.block.number;
  split.save();
}

export function handleSplitLocked(event: SplitLocked): void {
  let split = Split.load(assetKey(event.params.asset_id));
  if (split == null) {
    log.error("SplitLocked for asset {} without a split", [event.params.asset_id.toString()]);
    return;
  }
  split.locked = true;
  split.updatedAtBlock = event.block.number;
  split.save();
}

export function handleRevenueDistributed(event: RevenueDistributed): void {
  let p = event.params;
  let asset = assetKey(p.asset_id);
  let token = p.token;
  let amount = p.amount;

  let revenue = revenueOf(asset, token);
  if (!revenue.pending.equals(amount)) {
    log.warning("asset {}: distributed {} but {} was pending here", [
      asset.toHexString(),
      amount.toString(),
      revenue.pending.toString(),
    ]);
  }
  revenue.pending = BigInt.zero();
  revenue.distributed = revenue.distributed.plus(amount);
  revenue.paidUpstream = revenue.paidUpstream.plus(p.upstream);
  revenue.save();

  // Upstream: each parent's share into its own pool, as the contract computes it.
  let upstream = BigInt.zero();
  let provenance = ProvenanceList.load(asset);
  if (provenance != null) {
    let parents = provenance.parents;
    let shares = provenance.sharesBps;
    for (let i = 0; i < parents.length; i++) {
      let part = amount.times(BigInt.fromI32(shares[i])).div(MAX_BPS);
      if (part.isZero()) continue;
      let parentRevenue = revenueOf(parents[i], token);
      parentRevenue.pending = parentRevenue.pending.plus(part);
      parentRevenue.receivedUpstream = parentRevenue.receivedUpstream.plus(part);
      parentRevenue.save();
      upstream = upstream.plus(part);
    }
  }
  if (!upstream.equals(p.upstream)) {
    log.warning("asset {}: upstream {} computed, {} in the event", [
      asset.toHexString(),
      upstream.toString(),
      p.upstream.toString(),
    ]);
  }

  // The rest to the split, or to the current owner when there is none.
  let rest = amount.minus(p.upstream);
  if (!rest.isZero()) {
    let split = Split.load(asset);
    if (split == null || split.recipients.length == 0) {
      let owner = Asset.load(asset);
      if (owner == null) {
        log.error("RevenueDistributed for unindexed asset {}", [asset.toHexString()]);
      } else {
        credit(owner.owner, token, rest);
      }
    } else {
      let recipients = split.recipients;
      let weights = split.weightsBps;
      let credited = BigInt.zero();
      for (let i = 0; i < recipients.length; i++) {
        let share = rest.times(BigInt.fromI32(weights[i])).div(MAX_BPS);
        credit(recipients[i], token, share);
        credited = credited.plus(share);
      }
      credit(recipients[0], token, rest.minus(credited));
    }
  }

  let distribution = new Distribution(eventId(event));
  distribution.asset = asset;
  distribution.token = token;
  distribution.amount = amount;
  distribution.upstream = p.upstream;
  distribution.toSplit = rest;
  distribution.blockNumber = event.block.number;
  distribution.timestamp = event.block.timestamp;
  distribution.transactionHash = event.transaction.hash;
  distribution.save();
}

export function handleWithdrawn(event: Withdrawn): void {
  let p = event.params;
  let balance = balanceOf(p.account, p.token);
  if (!balance.amount.equals(p.amount)) {
    log.warning("account {}: withdrew {} but {} was credited here", [
      p.account.toHexString(),
      p.amount.toString(),
      balance.amount.toString(),
    ]);
  }
  balance.amount = BigInt.zero();
  balance.withdrawn = balance.withdrawn.plus(p.amount);
  balance.save();

  let withdrawal = new Withdrawal(eventId(event));
  withdrawal.account = p.account;
  withdrawal.token = p.token;
  withdrawal.amount = p.amount;
  withdrawal.caller = p.caller;
  withdrawal.blockNumber = event.block.number;
  withdrawal.timestamp = event.block.timestamp;
  withdrawal.transactionHash = event.transaction.hash;
  withdrawal.save();
}

// ---------------------------------------------------------------- DAO levers

export function handleFeeChanged(event: FeeChanged): void {
  let market = ensureMarket(event.address);
  market.feeBps = event.params.fee_bps.toI32();
  market.treasury = event.params.treasury;
  market.save();

  let change = new FeeChange(eventId(event));
  change.market = market.id;
  change.feeBps = market.feeBps;
  change.treasury = market.treasury;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();
}

export function handleTokenAllowed(event: TokenAllowed): void {
  let token = PaymentToken.load(event.params.token);
  if (token == null) {
    token = new PaymentToken(event.params.token);
  }
  token.allowed = event.params.allowed;
  token.save();
}
