# pragma version ~=0.4.3
"""
@title AssetRegistry
@notice The on-chain catalogue of cidhub: every dataset, model, code bundle
        or compute result is an ERC-721 token keyed on its IPFS content CID,
        with its kind, metadata card CID, licence terms id, secondary-sale
        royalty and provenance (up to MAX_PARENTS parent assets, each with an
        upstream royalty share in basis points). Later contracts of the suite
        (marketplace, attestations) pay royalties along that provenance.
@dev Identity and gas. The token id *is* the content: for a sha2-256
     multihash (what IPFS tools produce by default) the id is the 32-byte
     digest, so no CID -> id index is written and `asset_id_of(cid)` is a
     pure computation plus one existence read. Other multihashes are accepted;
     their id is keccak256(multihash) and the multihash is stored once.
     Because identity is the multihash, the CIDv0 and CIDv1 (dag-pb) forms of
     the same DAG name the same asset, and the same bytes cannot be
     registered twice under different codecs.
     Every small field of an asset lives in the 96 "aux" bits beside its
     owner (see erc721_packed), so a registration writes three slots: the
     owner+fields word, the metadata digest and the creator's balance.
     Aux layout (bit offsets inside the 96 bits):
       0-3 kind | 4 delisted | 5 content CIDv0 | 6 long multihash |
       7 metadata CIDv0 | 8-12 parent count | 13-26 royalty bps |
       27-47 content codec | 48-68 metadata codec | 69-84 licence id |
       85 reserved (an id with no owner yet, see `reserve`)
     Parents must exist when an asset is registered, so the provenance graph
     is acyclic by construction and every parent is older than its child.
     Provenance is a commitment, not a copy. A registration with parents
     writes one slot: the top 216 bits of
       keccak256(abi.encode(uint256[] parents, uint16[] shares_bps))
     and, in the low 40 bits, the block it was registered in. The lists
     themselves are in that block's ProvenanceRecorded event. Readers fetch
     the event (one eth_getLogs on one block) and check it against the
     commitment; contracts receive the lists in calldata and pass them to
     `verify_parents`, as the Marketplace does when it pays upstream
     royalties. Storing the lists would cost one fresh slot per
     parent plus one for the shares: 66k instead of 22k gas for two parents,
     on every derived asset and every compute result. The 216-bit hash keeps
     2^108 collision resistance.
@custom:security Privileged levers are roles (snekmate access_control):
                 CURATOR_ROLE delists/relists, REGISTRAR_ROLE registers on
                 someone's behalf, DEFAULT_ADMIN_ROLE manages roles and is
                 meant to be handed to the DAO's timelock. There is no owner
                 backdoor: nobody can move, burn or rewrite another's asset.
"""

from ethereum.ercs import IERC165
implements: IERC165

# Not `implements: IERC721`: Vyper's interface marks approve/transferFrom
# payable (as the EIP text does), and an ERC-721 that accepts ether it cannot
# return only traps it. Like OpenZeppelin's, ours are non-payable; the ABI is
# otherwise the standard one (checked by the tests against ERC-165 ids).
from ethereum.ercs import IERC721

from snekmate.auth.interfaces import IAccessControl
implements: IAccessControl

from snekmate.extensions.interfaces import IERC2981
implements: IERC2981

from snekmate.tokens.interfaces import IERC4906

from snekmate.auth import access_control
initializes: access_control

from .modules import erc721_packed as erc721
initializes: erc721

from .modules import cid
from .modules import royalty_receiver


# The one thing the registry asks of the Marketplace it links to.
interface IRoyaltyMarket:
    def registry() -> address: view

exports: (
    erc721.balanceOf,
    erc721.ownerOf,
    erc721.getApproved,
    erc721.isApprovedForAll,
    erc721.approve,
    erc721.setApprovalForAll,
    erc721.transferFrom,
    erc721.safeTransferFrom,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    # `access_control.supportsInterface` is left out on purpose: the
    # registry answers for all of its interfaces in its own function.
)


CURATOR_ROLE: public(constant(bytes32)) = keccak256("CURATOR_ROLE")
REGISTRAR_ROLE: public(constant(bytes32)) = keccak256("REGISTRAR_ROLE")

MAX_PARENTS: public(constant(uint256)) = 16
MAX_BATCH: public(constant(uint256)) = 32
MAX_BPS: public(constant(uint256)) = 10_000
# ERC-2981 royalty for secondary sales of the NFT itself.
MAX_ROYALTY_BPS: public(constant(uint256)) = 2_500
# The ABI admits one parent more than allowed, so that the common mistake
# (one too many) reverts with "registry: too many parents" instead of a bare
# ABI-decoding failure. A larger bound would give every registration more
# memory to expand (measured: +390 gas at 2 * MAX_PARENTS); longer lists
# still revert, without a reason, and cidhub checks them before sending.
_PARENTS_ARG_BOUND: constant(uint256) = MAX_PARENTS + 1

# Asset kinds, as stored in the low aux bits.
KIND_DATASET: public(constant(uint8)) = 0
KIND_MODEL: public(constant(uint8)) = 1
KIND_CODE: public(constant(uint8)) = 2
KIND_RESULT: public(constant(uint8)) = 3
KIND_OTHER: public(constant(uint8)) = 4

_SHA2_256: constant(uint256) = 18  # multicodec 0x12

_KIND_MASK: constant(uint256) = 15
_DELISTED: constant(uint256) = 1 << 4
_CONTENT_V0: constant(uint256) = 1 << 5
_LONG_MULTIHASH: constant(uint256) = 1 << 6
_METADATA_V0: constant(uint256) = 1 << 7
_PARENT_COUNT_SHIFT: constant(uint256) = 8
_ROYALTY_SHIFT: constant(uint256) = 13
_CONTENT_CODEC_SHIFT: constant(uint256) = 27
_METADATA_CODEC_SHIFT: constant(uint256) = 48
_LICENCE_SHIFT: constant(uint256) = 69
_CODEC_MASK: constant(uint256) = (1 << 21) - 1
_COUNT_MASK: constant(uint256) = 31
_ROYALTY_MASK: constant(uint256) = (1 << 14) - 1
_LICENCE_MASK: constant(uint256) = (1 << 16) - 1
# The low bits of the provenance word hold the block number: 2^40 blocks
# last 8,700 years at four blocks a second.
_BLOCK_BITS: constant(uint256) = 40
_BLOCK_MASK: constant(uint256) = (1 << _BLOCK_BITS) - 1
_METADATA_FIELDS: constant(uint256) = _METADATA_V0 | (_CODEC_MASK << _METADATA_CODEC_SHIFT)
# Set on an id that is reserved and not minted; a mint writes a fresh aux word, which clears it.
_RESERVED: constant(uint256) = 1 << 85
# The same bit and the owner's bits in erc721_packed's token word (owner | aux << 160).
_RESERVED_IN_WORD: constant(uint256) = _RESERVED << 160
_OWNER_BITS: constant(uint256) = (1 << 160) - 1

_SUPPORTED_INTERFACES: constant(bytes4[6]) = [
    0x01FFC9A7,  # ERC-165
    0x80AC58CD,  # ERC-721
    0x5B5E139F,  # ERC-721 metadata
    0x2A55205A,  # ERC-2981
    0x49064906,  # ERC-4906
    0x7965DB0B,  # IAccessControl
]


struct AssetInput:
    content_cid: Bytes[cid.MAX_CID_BYTES]
    kind: uint8
    metadata_cid: Bytes[cid.MAX_CID_BYTES]
    licence_id: uint16
    parents: DynArray[uint256, _PARENTS_ARG_BOUND]
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND]
    royalty_bps: uint16


struct Provenance:
    parent_count: uint8
    # keccak256(abi.encode(parents, shares_bps)) with its low 40 bits cleared
    commitment: bytes32
    # the block whose ProvenanceRecorded event lists the parents (0: none)
    block_number: uint256


struct Asset:
    owner: address
    kind: uint8
    content_cid: Bytes[cid.MAX_CID_BYTES]
    metadata_cid: Bytes[cid.MAX_CID_BYTES]
    licence_id: uint16
    royalty_bps: uint16
    parent_count: uint8
    delisted: bool
    previous_version: uint256
    latest_version: uint256


# Compact on purpose: every 32 bytes of log data cost 256 gas on each of the
# hub's most frequent transactions. The creator is in the ERC-721 Transfer of
# the same transaction; `record` is the packed aux word (layout in the module
# docstring, decoded by cidhub.registry.AssetRecord), from which with asset_id
# the content CID is rebuilt (sha2-256; other multihashes: `cid_of`). The
# metadata CID is `metadata_cid_of(asset_id)` / `tokenURI`.
event AssetRegistered:
    asset_id: indexed(uint256)
    record: uint256


# The only full copy of an asset's parents on chain (see the module
# docstring); `provenance_of(asset_id).block_number` says where it is.
event ProvenanceRecorded:
    asset_id: indexed(uint256)
    parents: DynArray[uint256, _PARENTS_ARG_BOUND]
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND]


event AssetReserved:
    asset_id: indexed(uint256)
    registrar: indexed(address)


event ReservationReleased:
    asset_id: indexed(uint256)
    registrar: indexed(address)


event VersionLinked:
    asset_id: indexed(uint256)
    previous_id: indexed(uint256)
    root_id: indexed(uint256)


event RoyaltyMarketSet:
    market: indexed(address)


event AssetMetadataChanged:
    asset_id: indexed(uint256)
    metadata_cid: Bytes[cid.MAX_CID_BYTES]


event AssetDelisted:
    asset_id: indexed(uint256)
    curator: indexed(address)
    reason_cid: Bytes[cid.MAX_CID_BYTES]


event AssetRelisted:
    asset_id: indexed(uint256)
    curator: indexed(address)
    reason_cid: Bytes[cid.MAX_CID_BYTES]


# metadata card digest (sha2-256), keyed by asset id
_metadata_digest: HashMap[uint256, bytes32]
# the content CID as registered, only for assets whose id is keccak256(multihash)
_long_cid: HashMap[uint256, Bytes[cid.MAX_CID_BYTES]]
# provenance commitment | registration block, for assets with parents
_provenance: HashMap[uint256, uint256]

# The Marketplace whose per-asset receivers `royaltyInfo` names; set once.
royalty_market: public(address)

# version chains: previous_version[v2] = v1; every version points at the
# chain's first asset (its root), and the root records the newest version.
previous_version: public(HashMap[uint256, uint256])
_version_root: HashMap[uint256, uint256]
_latest: HashMap[uint256, uint256]


@deploy
def __init__():
    """
    @notice The deployer receives DEFAULT_ADMIN_ROLE only; the deploy script
            grants the working roles and hands the admin role over.
    """
    access_control.__init__()


# ---------------------------------------------------------------- register


@external
def register(
    content_cid: Bytes[cid.MAX_CID_BYTES],
    kind: uint8,
    metadata_cid: Bytes[cid.MAX_CID_BYTES],
    licence_id: uint16,
    parents: DynArray[uint256, _PARENTS_ARG_BOUND],
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND],
    royalty_bps: uint16,
) -> uint256:
    """
    @notice Registers the asset stored under `content_cid` and mints it to
            the caller.
    @param content_cid Binary CID of the content (v0 or v1, any multihash).
    @param kind KIND_DATASET, KIND_MODEL, KIND_CODE, KIND_RESULT or KIND_OTHER.
    @param metadata_cid Binary CID (sha2-256) of the JSON model/data card.
    @param licence_id Licence terms id.
    @param parents Assets this one derives from (at most MAX_PARENTS).
    @param shares_bps Upstream royalty share of each parent, in basis points
           of this asset's revenue; the sum is at most MAX_BPS.
    @param royalty_bps ERC-2981 royalty on secondary sales, <= MAX_ROYALTY_BPS.
    @return uint256 The asset id.
    """
    # Same steps as `_register`, spelled out so the hot path does not copy
    # the parent arrays into another frame (about 200 gas a registration).
    asset_id: uint256 = 0
    aux: uint256 = 0
    metadata_digest: bytes32 = empty(bytes32)
    asset_id, aux, metadata_digest = self._describe(content_cid, kind, metadata_cid, licence_id, royalty_bps)
    if len(parents) != 0 or len(shares_bps) != 0:
        aux |= self._record_parents(asset_id, parents, shares_bps)
    self._mint_asset(msg.sender, asset_id, aux, metadata_digest, content_cid)
    return asset_id


@external
def register_for(
    creator: address,
    content_cid: Bytes[cid.MAX_CID_BYTES],
    kind: uint8,
    metadata_cid: Bytes[cid.MAX_CID_BYTES],
    licence_id: uint16,
    parents: DynArray[uint256, _PARENTS_ARG_BOUND],
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND],
    royalty_bps: uint16,
) -> uint256:
    """
    @notice Registers an asset on behalf of `creator`, who receives it.
    @dev For suite contracts (the attestation contract registers compute
         results for the job's submitter). REGISTRAR_ROLE only.
    @param creator The account that will own the asset.
    @return uint256 The asset id.
    """
    assert access_control.hasRole[REGISTRAR_ROLE][msg.sender], "registry: caller is not a registrar"
    assert creator != empty(address), "registry: zero creator"
    return self._register(creator, content_cid, kind, metadata_cid, licence_id, parents, shares_bps, royalty_bps)


@external
def register_batch(items: DynArray[AssetInput, MAX_BATCH]) -> DynArray[uint256, MAX_BATCH]:
    """
    @notice Registers several assets for the caller in one transaction.
    @dev Items are registered in order, so an item may name an earlier item
         of the same batch as a parent. Any failing item reverts the batch.
    @param items At most MAX_BATCH assets.
    @return DynArray The asset ids, in order.
    """
    ids: DynArray[uint256, MAX_BATCH] = []
    for item: AssetInput in items:
        ids.append(
            self._register(msg.sender, item.content_cid, item.kind, item.metadata_cid, item.licence_id,
                           item.parents, item.shares_bps, item.royalty_bps)
        )
    return ids


@external
def register_version(
    previous_id: uint256,
    content_cid: Bytes[cid.MAX_CID_BYTES],
    kind: uint8,
    metadata_cid: Bytes[cid.MAX_CID_BYTES],
    licence_id: uint16,
    parents: DynArray[uint256, _PARENTS_ARG_BOUND],
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND],
    royalty_bps: uint16,
) -> uint256:
    """
    @notice Registers a new version of `previous_id`, minted to the owner of
            `previous_id`.
    @dev Versions form one linear chain: only the latest version can be
         succeeded. A version is not automatically a parent of the next one;
         list it in `parents` if revenue should flow to it.
    @param previous_id The current latest version; the caller must own it or
           be approved for it.
    @return uint256 The new asset id.
    """
    assert erc721._exists(previous_id), "registry: unknown asset"
    assert erc721._is_approved_or_owner(msg.sender, previous_id), "registry: caller is not owner nor approved"
    root: uint256 = self._root_of(previous_id)
    assert self._latest_of(root) == previous_id, "registry: not the latest version"
    owner: address = erc721._owner_of(previous_id)
    new_id: uint256 = self._register(owner, content_cid, kind, metadata_cid, licence_id, parents, shares_bps, royalty_bps)
    self.previous_version[new_id] = previous_id
    self._version_root[new_id] = root
    self._latest[root] = new_id
    log VersionLinked(asset_id=new_id, previous_id=previous_id, root_id=root)
    return new_id


@internal
def _register(
    creator: address,
    content_cid: Bytes[cid.MAX_CID_BYTES],
    kind: uint8,
    metadata_cid: Bytes[cid.MAX_CID_BYTES],
    licence_id: uint16,
    parents: DynArray[uint256, _PARENTS_ARG_BOUND],
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND],
    royalty_bps: uint16,
) -> uint256:
    asset_id: uint256 = 0
    aux: uint256 = 0
    metadata_digest: bytes32 = empty(bytes32)
    asset_id, aux, metadata_digest = self._describe(content_cid, kind, metadata_cid, licence_id, royalty_bps)
    if len(parents) != 0 or len(shares_bps) != 0:
        aux |= self._record_parents(asset_id, parents, shares_bps)
    self._mint_asset(creator, asset_id, aux, metadata_digest, content_cid)
    return asset_id


@internal
@view
def _describe(
    content_cid: Bytes[cid.MAX_CID_BYTES],
    kind: uint8,
    metadata_cid: Bytes[cid.MAX_CID_BYTES],
    licence_id: uint16,
    royalty_bps: uint16,
) -> (uint256, uint256, bytes32):
    """
    @dev Every check of a registration except the parents', and the packed
         aux word. Writes nothing, so parents are checked before the asset
         exists (an asset can never be its own parent).
    @return (asset id, aux word, metadata digest)
    """
    assert kind <= KIND_OTHER, "registry: unknown kind"
    assert convert(royalty_bps, uint256) <= MAX_ROYALTY_BPS, "registry: royalty over cap"
    content: cid.ParsedCid = cid.parse(content_cid)
    aux: uint256 = convert(kind, uint256) | convert(royalty_bps, uint256) << _ROYALTY_SHIFT \
        | content.codec << _CONTENT_CODEC_SHIFT | convert(licence_id, uint256) << _LICENCE_SHIFT
    asset_id: uint256 = convert(content.digest32, uint256)
    if content.hash_code == _SHA2_256 and content.digest_len == 32:
        assert asset_id != 0, "registry: zero digest"
    else:
        # Inlined rather than `_asset_key`: the hot path pays for no call.
        assert not cid.has_zero_digest(content_cid, content), "registry: zero digest"
        asset_id = convert(cid.multihash_key(content_cid, content), uint256)
        aux |= _LONG_MULTIHASH
    if content.version == 0:
        aux |= _CONTENT_V0
    # One read of the token's slot answers both "registered?" and "reserved?".
    token_word: uint256 = erc721._token_data[asset_id]
    if token_word & _OWNER_BITS != 0:
        # Same id from the other namespace: see `_namespace_matches`.
        assert not self._namespace_matches(asset_id, aux), "registry: cid already registered"
        raise "registry: id taken by a cid of another hash function"
    if token_word & _RESERVED_IN_WORD != 0:
        assert access_control.hasRole[REGISTRAR_ROLE][msg.sender], "registry: cid reserved"

    metadata_digest: bytes32 = empty(bytes32)
    metadata_bits: uint256 = 0
    metadata_digest, metadata_bits = self._parse_metadata(metadata_cid)
    return asset_id, aux | metadata_bits, metadata_digest


@internal
def _mint_asset(creator: address, asset_id: uint256, aux: uint256, metadata_digest: bytes32,
                content_cid: Bytes[cid.MAX_CID_BYTES]):
    erc721._mint(creator, asset_id, aux)
    self._metadata_digest[asset_id] = metadata_digest
    if aux & _LONG_MULTIHASH != 0:
        self._long_cid[asset_id] = content_cid
    log AssetRegistered(asset_id=asset_id, record=aux)


@internal
@view
def _namespace_matches(asset_id: uint256, aux: uint256) -> bool:
    """
    @dev sha2-256 ids (the digest, which a registrant states without proof)
         and other ids (keccak256 of the multihash) share one uint256 space.
         Nobody can find two CIDs of one namespace with the same id, but
         anyone can register a sha2-256 "digest" equal to keccak256 of
         somebody else's blake3 multihash. Lookups therefore check that the
         asset found was registered in the asker's namespace, and such a
         squatted id refuses the real CID with its own reason. The squatter
         holds an asset with no content behind it; use sha2-256 CIDs (the IPFS
         default) where that griefing matters.
    """
    return (erc721._aux(asset_id) & _LONG_MULTIHASH) == (aux & _LONG_MULTIHASH)


@internal
@pure
def _asset_key(content_cid: Bytes[cid.MAX_CID_BYTES], parsed: cid.ParsedCid) -> uint256:
    """
    @dev The asset id: the digest itself for sha2-256 (no index slot needed),
         keccak256(multihash) for every other multihash.
    """
    if self._is_sha256(parsed):
        return convert(parsed.digest32, uint256)
    return convert(cid.multihash_key(content_cid, parsed), uint256)


@internal
@pure
def _is_sha256(parsed: cid.ParsedCid) -> bool:
    return parsed.hash_code == _SHA2_256 and parsed.digest_len == 32


@internal
@pure
def _parse_metadata(metadata_cid: Bytes[cid.MAX_CID_BYTES]) -> (bytes32, uint256):
    """
    @dev tokenURI is printed on-chain from the digest, so metadata must be a
         sha2-256 CID: the digest fits one slot and the CID is rebuilt from it.
    @return (digest, the aux bits that describe the metadata CID)
    """
    parsed: cid.ParsedCid = cid.parse(metadata_cid)
    assert parsed.hash_code == _SHA2_256 and parsed.digest_len == 32, "registry: metadata cid must be sha2-256"
    assert parsed.digest32 != empty(bytes32), "registry: zero digest"
    bits: uint256 = parsed.codec << _METADATA_CODEC_SHIFT
    if parsed.version == 0:
        bits |= _METADATA_V0
    return parsed.digest32, bits


@internal
def _record_parents(
    asset_id: uint256,
    parents: DynArray[uint256, _PARENTS_ARG_BOUND],
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND],
) -> uint256:
    """
    @dev Checks the provenance of a not-yet-minted asset and commits to it.
    @return uint256 The parent-count bits of the aux word.
    """
    count: uint256 = len(parents)
    assert count <= MAX_PARENTS, "registry: too many parents"
    assert len(shares_bps) == count, "registry: parents and shares differ in length"
    total: uint256 = 0
    for i: uint256 in range(count, bound=MAX_PARENTS):
        parent: uint256 = parents[i]
        assert erc721._exists(parent), "registry: unknown parent"
        for j: uint256 in range(i, bound=MAX_PARENTS):
            assert parents[j] != parent, "registry: duplicate parent"
        total += convert(shares_bps[i], uint256)
    assert total <= MAX_BPS, "registry: shares over 100%"
    # Inlined rather than `_commitment`: a call would copy both lists into another frame, and
    # every registration (with parents or not) pays for the deepest frame's memory.
    self._provenance[asset_id] = convert(keccak256(abi_encode(parents, shares_bps)), uint256) >> _BLOCK_BITS \
        << _BLOCK_BITS | (block.number & _BLOCK_MASK)
    log ProvenanceRecorded(asset_id=asset_id, parents=parents, shares_bps=shares_bps)
    return count << _PARENT_COUNT_SHIFT


@internal
@pure
def _commitment(
    parents: DynArray[uint256, _PARENTS_ARG_BOUND],
    shares_bps: DynArray[uint16, _PARENTS_ARG_BOUND],
) -> uint256:
    # abi_encode's output does not depend on the arrays' bounds, so this is
    # Solidity's keccak256(abi.encode(parents, shares_bps)).
    return convert(keccak256(abi_encode(parents, shares_bps)), uint256) >> _BLOCK_BITS << _BLOCK_BITS


# ---------------------------------------------------------------- reservations


@external
def reserve(asset_id: uint256):
    """
    @notice Holds an unregistered id for the registrars: from now on only a
            REGISTRAR_ROLE account can register the CID behind it.
    @dev For content whose CID is public before it may be registered: the
         attestation hub reserves a claimed job's output while its challenge
         window runs, so nobody can register the output first and block the
         job. The reservation lives in the token's own slot, so `register`
         checks it with no extra cold read, and the later mint overwrites a
         non-zero slot (about 17k gas cheaper than a fresh one).
    @param asset_id The id (sha2-256 digest or keccak256 of the multihash).
    """
    assert access_control.hasRole[REGISTRAR_ROLE][msg.sender], "registry: caller is not a registrar"
    assert not erc721._exists(asset_id), "registry: cid already registered"
    assert erc721._aux(asset_id) & _RESERVED == 0, "registry: already reserved"
    erc721._set_aux(asset_id, _RESERVED)
    log AssetReserved(asset_id=asset_id, registrar=msg.sender)


@external
def release(asset_id: uint256):
    """
    @notice Ends a reservation that was not used (a rejected claim).
    @param asset_id A reserved, unregistered id.
    """
    assert access_control.hasRole[REGISTRAR_ROLE][msg.sender], "registry: caller is not a registrar"
    assert not erc721._exists(asset_id) and erc721._aux(asset_id) & _RESERVED != 0, "registry: not reserved"
    erc721._set_aux(asset_id, 0)
    log ReservationReleased(asset_id=asset_id, registrar=msg.sender)


@external
@view
def is_reserved(asset_id: uint256) -> bool:
    """
    @notice Whether `asset_id` is reserved and not yet registered.
    @param asset_id The id.
    @return bool The flag.
    """
    return not erc721._exists(asset_id) and erc721._aux(asset_id) & _RESERVED != 0


# ---------------------------------------------------------------- owner and curator levers


@external
def set_metadata(asset_id: uint256, metadata_cid: Bytes[cid.MAX_CID_BYTES]):
    """
    @notice Points the asset at a new metadata card.
    @param asset_id The asset; the caller must own it or be approved for it.
    @param metadata_cid Binary CID (sha2-256) of the new card.
    """
    assert erc721._exists(asset_id), "registry: unknown asset"
    assert erc721._is_approved_or_owner(msg.sender, asset_id), "registry: caller is not owner nor approved"
    digest: bytes32 = empty(bytes32)
    bits: uint256 = 0
    digest, bits = self._parse_metadata(metadata_cid)
    erc721._set_aux(asset_id, (erc721._aux(asset_id) & ~_METADATA_FIELDS) | bits)
    self._metadata_digest[asset_id] = digest
    log IERC4906.MetadataUpdate(_tokenId=asset_id)
    log AssetMetadataChanged(asset_id=asset_id, metadata_cid=metadata_cid)


@external
def set_royalty_market(market: address):
    """
    @notice Links the registry to the Marketplace that collects ERC-2981
            royalties: from now on `royaltyInfo` names each asset's receiver
            address there, which only that Marketplace can sweep into the
            asset's pool. Until then `royaltyInfo` names no receiver.
    @dev Set once, by the admin (the deploy script, before it hands the
         admin role to the DAO): afterwards nobody, the DAO included, can
         redirect royalties. The Marketplace must name this registry.
    @param market The Marketplace.
    """
    assert access_control.hasRole[access_control.DEFAULT_ADMIN_ROLE][msg.sender], "registry: caller is not an admin"
    assert self.royalty_market == empty(address), "registry: royalty market already set"
    assert market.is_contract, "registry: market is not a contract"
    assert staticcall IRoyaltyMarket(market).registry() == self, "registry: market serves another registry"
    self.royalty_market = market
    log RoyaltyMarketSet(market=market)


@external
def delist(asset_id: uint256, reason_cid: Bytes[cid.MAX_CID_BYTES]):
    """
    @notice Flags an asset as delisted; readers (marketplace, gateways, UIs)
            must treat it as withdrawn. The token and its provenance stay.
    @param asset_id The asset.
    @param reason_cid Binary CID of the published reason.
    """
    assert access_control.hasRole[CURATOR_ROLE][msg.sender], "registry: caller is not a curator"
    self._set_delisted(asset_id, True, reason_cid)
    log AssetDelisted(asset_id=asset_id, curator=msg.sender, reason_cid=reason_cid)


@external
def relist(asset_id: uint256, reason_cid: Bytes[cid.MAX_CID_BYTES]):
    """
    @notice Clears the delisted flag.
    @param asset_id The asset.
    @param reason_cid Binary CID of the published reason.
    """
    assert access_control.hasRole[CURATOR_ROLE][msg.sender], "registry: caller is not a curator"
    self._set_delisted(asset_id, False, reason_cid)
    log AssetRelisted(asset_id=asset_id, curator=msg.sender, reason_cid=reason_cid)


@internal
def _set_delisted(asset_id: uint256, delisted: bool, reason_cid: Bytes[cid.MAX_CID_BYTES]):
    assert erc721._exists(asset_id), "registry: unknown asset"
    cid.parse(reason_cid)
    aux: uint256 = erc721._aux(asset_id)
    if delisted:
        assert aux & _DELISTED == 0, "registry: already delisted"
        erc721._set_aux(asset_id, aux | _DELISTED)
    else:
        assert aux & _DELISTED != 0, "registry: not delisted"
        erc721._set_aux(asset_id, aux & ~_DELISTED)
    log IERC4906.MetadataUpdate(_tokenId=asset_id)


# ---------------------------------------------------------------- views


@internal
@view
def _require_asset(asset_id: uint256) -> uint256:
    """
    @return uint256 The asset's aux bits.
    """
    assert erc721._exists(asset_id), "registry: unknown asset"
    return erc721._aux(asset_id)


@internal
@view
def _content_cid(asset_id: uint256, aux: uint256) -> Bytes[cid.MAX_CID_BYTES]:
    if aux & _LONG_MULTIHASH != 0:
        return self._long_cid[asset_id]
    version: uint256 = 1
    if aux & _CONTENT_V0 != 0:
        version = 0
    return cid.encode_sha256(version, (aux >> _CONTENT_CODEC_SHIFT) & _CODEC_MASK, convert(asset_id, bytes32))


@internal
@view
def _metadata_cid(asset_id: uint256, aux: uint256, force_v1: bool) -> Bytes[cid.MAX_CID_BYTES]:
    version: uint256 = 1
    if aux & _METADATA_V0 != 0 and not force_v1:
        version = 0
    return cid.encode_sha256(version, (aux >> _METADATA_CODEC_SHIFT) & _CODEC_MASK, self._metadata_digest[asset_id])


@internal
@view
def _root_of(asset_id: uint256) -> uint256:
    root: uint256 = self._version_root[asset_id]
    if root == 0:
        return asset_id
    return root


@internal
@view
def _latest_of(root: uint256) -> uint256:
    latest: uint256 = self._latest[root]
    if latest == 0:
        return root
    return latest


@external
@view
def asset_id_of(content_cid: Bytes[cid.MAX_CID_BYTES]) -> uint256:
    """
    @notice The asset registered under `content_cid`, or 0 if there is none.
    @dev Keyed on the multihash: the CIDv0 and CIDv1 forms of one DAG give
         the same answer; an asset of the other id namespace is not an answer
         (see `_namespace_matches`). Reverts only for bytes that are not a CID.
    @param content_cid Binary CID.
    @return uint256 The asset id or 0.
    """
    parsed: cid.ParsedCid = cid.parse(content_cid)
    asset_id: uint256 = self._asset_key(content_cid, parsed)
    namespace: uint256 = 0
    if not self._is_sha256(parsed):
        namespace = _LONG_MULTIHASH
    if erc721._exists(asset_id) and self._namespace_matches(asset_id, namespace):
        return asset_id
    return 0


@external
@view
def cid_of(asset_id: uint256) -> Bytes[cid.MAX_CID_BYTES]:
    """
    @notice The binary content CID, in the form (v0/v1, codec) it was registered.
    @param asset_id The asset.
    @return Bytes The binary CID.
    """
    return self._content_cid(asset_id, self._require_asset(asset_id))


@external
@view
def metadata_cid_of(asset_id: uint256) -> Bytes[cid.MAX_CID_BYTES]:
    """
    @notice The binary CID of the asset's metadata card, as registered.
    @param asset_id The asset.
    @return Bytes The binary CID.
    """
    return self._metadata_cid(asset_id, self._require_asset(asset_id), False)


@external
@view
def provenance_of(asset_id: uint256) -> Provenance:
    """
    @notice How many parents the asset has, the commitment to them and the
            block whose ProvenanceRecorded event lists them.
    @dev For an asset without parents the commitment is that of two empty
         lists and the block is 0. cidhub.provenance.parents_of fetches and
         checks the list.
    @param asset_id The asset.
    @return Provenance (parent count, commitment, block number).
    """
    aux: uint256 = self._require_asset(asset_id)
    word: uint256 = self._provenance[asset_id]
    if word == 0:
        return Provenance(parent_count=0, commitment=convert(self._commitment([], []), bytes32), block_number=0)
    return Provenance(
        parent_count=convert((aux >> _PARENT_COUNT_SHIFT) & _COUNT_MASK, uint8),
        commitment=convert(word & ~_BLOCK_MASK, bytes32),
        block_number=word & _BLOCK_MASK,
    )


@external
@view
def verify_parents(
    asset_id: uint256,
    parents: DynArray[uint256, MAX_PARENTS],
    shares_bps: DynArray[uint16, MAX_PARENTS],
) -> bool:
    """
    @notice Whether `parents` with `shares_bps` are exactly the asset's
            provenance, in registration order.
    @param asset_id The asset.
    @param parents Parent asset ids.
    @param shares_bps Their upstream shares.
    @return bool True if they match the registry's commitment.
    """
    self._require_asset(asset_id)
    word: uint256 = self._provenance[asset_id]
    if word == 0:
        return len(parents) == 0 and len(shares_bps) == 0
    return self._commitment(parents, shares_bps) == word & ~_BLOCK_MASK


@external
@view
def latest_version(asset_id: uint256) -> uint256:
    """
    @notice The newest version in the chain `asset_id` belongs to (itself
            when it has no successor).
    @param asset_id Any version of the asset.
    @return uint256 The latest version's id.
    """
    self._require_asset(asset_id)
    return self._latest_of(self._root_of(asset_id))


@external
@view
def is_delisted(asset_id: uint256) -> bool:
    """
    @notice Whether a curator has delisted the asset.
    @param asset_id The asset.
    @return bool The flag.
    """
    return self._require_asset(asset_id) & _DELISTED != 0


@external
@view
def kind_of(asset_id: uint256) -> uint8:
    """
    @notice The asset's kind (KIND_*).
    @param asset_id The asset.
    @return uint8 The kind.
    """
    return convert(self._require_asset(asset_id) & _KIND_MASK, uint8)


@external
@view
def asset(asset_id: uint256) -> Asset:
    """
    @notice Everything the registry knows about an asset, in one call.
    @param asset_id The asset.
    @return Asset The record.
    """
    aux: uint256 = self._require_asset(asset_id)
    return Asset(
        owner=erc721._owner_of(asset_id),
        kind=convert(aux & _KIND_MASK, uint8),
        content_cid=self._content_cid(asset_id, aux),
        metadata_cid=self._metadata_cid(asset_id, aux, False),
        licence_id=convert((aux >> _LICENCE_SHIFT) & _LICENCE_MASK, uint16),
        royalty_bps=convert((aux >> _ROYALTY_SHIFT) & _ROYALTY_MASK, uint16),
        parent_count=convert((aux >> _PARENT_COUNT_SHIFT) & _COUNT_MASK, uint8),
        delisted=aux & _DELISTED != 0,
        previous_version=self.previous_version[asset_id],
        latest_version=self._latest_of(self._root_of(asset_id)),
    )


@external
@view
def royaltyInfo(token_id: uint256, sale_price: uint256) -> (address, uint256):
    """
    @notice ERC-2981: a secondary sale's royalty goes to the asset's own
            receiver address, never to the seller. Anyone can sweep what
            arrives there into the asset's Marketplace pool
            (`Marketplace.sweep_royalties`), from where it is shared up the
            provenance graph like licence revenue.
    @dev The receiver is the CREATE2 address of the asset's forwarder at the
         linked Marketplace (modules/royalty_receiver.vy), computed, not
         stored: registration writes nothing for it. Like OpenZeppelin's
         ERC2981, an id that is not registered does not revert: it gets the
         default royalty, which is zero, and its receiver address. Before a
         Marketplace is linked there is no receiver: (zero address, 0).
    @param token_id The asset.
    @param sale_price The sale price, in any unit.
    @return (receiver, royalty amount in the same unit, rounded down)
    """
    market: address = self.royalty_market
    if market == empty(address):
        return empty(address), 0
    # Zero for an id with no token (a reservation sets only bit 85).
    bps: uint256 = (erc721._aux(token_id) >> _ROYALTY_SHIFT) & _ROYALTY_MASK
    # Split at MAX_BPS so that no price overflows: q * M + r gives q * bps + r * bps // M, exact.
    return royalty_receiver.receiver_of(market, token_id), \
        sale_price // MAX_BPS * bps + sale_price % MAX_BPS * bps // MAX_BPS


@external
@view
def name() -> String[25]:
    """
    @notice ERC-721 metadata: collection name.
    """
    return "cidhub assets"


@external
@view
def symbol() -> String[5]:
    """
    @notice ERC-721 metadata: collection symbol.
    """
    return "CIDHB"


@external
@view
def tokenURI(token_id: uint256) -> String[128]:
    """
    @notice `ipfs://` + the metadata card's CIDv1 in base32, printed on-chain.
    @param token_id The asset.
    @return String The URI.
    """
    aux: uint256 = self._require_asset(token_id)
    return concat("ipfs://", cid.to_base32(self._metadata_cid(token_id, aux, True)))


@external
@view
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165.
    @param interface_id The interface identifier.
    @return bool Whether the registry implements it.
    """
    return interface_id in _SUPPORTED_INTERFACES
