"""What the AssetRegistry stores, in Python: asset kinds, the packed record, and the checks
that run before a registration is sent.

Everything here mirrors contracts/AssetRegistry.vy; the constants are read from the same
numbers the contract uses, and tests compare the two on a real chain.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from multiformats import CID

from cidhub.content.cid import SHA2_256, ChainCid, cid_to_bytes, digest_of, make_cid, parse_cid
from cidhub.errors import CidError, CidhubError

MAX_PARENTS = 16
MAX_BATCH = 32
MAX_BPS = 10_000
MAX_ROYALTY_BPS = 2_500
MAX_CID_BYTES = 72
MAX_LICENCE_ID = (1 << 16) - 1
MAX_CODEC = (1 << 21) - 1

# Bit offsets inside the 96-bit record (the "aux" word beside the owner).
_KIND_MASK = 0xF
_DELISTED = 1 << 4
_CONTENT_V0 = 1 << 5
_LONG_MULTIHASH = 1 << 6
_METADATA_V0 = 1 << 7
_PARENT_COUNT_SHIFT = 8
_ROYALTY_SHIFT = 13
_CONTENT_CODEC_SHIFT = 27
_METADATA_CODEC_SHIFT = 48
_LICENCE_SHIFT = 69


class RegistrationError(CidhubError):
    """A registration that the contract would reject; the message says what to fix."""


class AssetRefError(CidhubError, ValueError):
    """A string that names no asset: neither an asset id nor a CID."""


class Kind(enum.IntEnum):
    DATASET = 0
    MODEL = 1
    CODE = 2
    RESULT = 3
    OTHER = 4

    @classmethod
    def parse(cls, value: str | int | Kind) -> Kind:
        if isinstance(value, Kind):
            return value
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                raise RegistrationError(f"unknown asset kind {value}; use one of {cls.names()}") from None
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise RegistrationError(f"unknown asset kind {value!r}; use one of {cls.names()}") from None

    @classmethod
    def names(cls) -> str:
        return ", ".join(k.name.lower() for k in cls)


@dataclass(frozen=True)
class AssetRecord:
    """The packed record an `AssetRegistered` event carries (and `asset()` returns unpacked)."""

    kind: Kind
    delisted: bool
    content_v0: bool
    long_multihash: bool
    metadata_v0: bool
    parent_count: int
    royalty_bps: int
    content_codec: int
    metadata_codec: int
    licence_id: int

    @classmethod
    def unpack(cls, word: int) -> AssetRecord:
        return cls(
            kind=Kind(word & _KIND_MASK),
            delisted=bool(word & _DELISTED),
            content_v0=bool(word & _CONTENT_V0),
            long_multihash=bool(word & _LONG_MULTIHASH),
            metadata_v0=bool(word & _METADATA_V0),
            parent_count=(word >> _PARENT_COUNT_SHIFT) & 0x1F,
            royalty_bps=(word >> _ROYALTY_SHIFT) & 0x3FFF,
            content_codec=(word >> _CONTENT_CODEC_SHIFT) & MAX_CODEC,
            metadata_codec=(word >> _METADATA_CODEC_SHIFT) & MAX_CODEC,
            licence_id=(word >> _LICENCE_SHIFT) & 0xFFFF,
        )

    def content_cid(self, asset_id: int) -> CID | None:
        """The content CID rebuilt from the asset id; None when the contract stores it (non sha2-256)."""
        if self.long_multihash:
            return None
        digest = asset_id.to_bytes(32, "big")
        if self.content_v0:
            return make_cid(0, "dag-pb", digest)
        return make_cid(1, self.content_codec, digest)


def asset_id_for(cid: CID | ChainCid | str | bytes) -> int:
    """The asset id the registry gives a CID: the sha2-256 digest, else keccak256(multihash).

    A :class:`~cidhub.content.cid.ChainCid` (codes outside the multicodec table, as the contracts allow)
    gets its id the same way, from its bytes."""
    if isinstance(cid, ChainCid):
        code, digest, multihash_bytes = cid.hash_code, cid.digest, cid.multihash
    else:
        parsed = parse_cid(cid)
        code, digest, multihash_bytes = parsed.hashfun.code, digest_of(parsed), bytes(parsed.digest)
    if code == SHA2_256 and len(digest) == 32:
        return int.from_bytes(digest, "big")
    from eth_utils import keccak

    return int.from_bytes(keccak(multihash_bytes), "big")


def format_asset_id(asset_id: int) -> str:
    """Asset ids are 256-bit digests: show them as 0x-prefixed hex, like a hash."""
    return f"0x{asset_id:064x}"


def parse_asset_ref(value: str | int) -> int:
    """An asset given as 0x-hex id, decimal id or any CID of its content."""
    if isinstance(value, int):
        return value
    text = value.strip()
    try:
        if text.startswith(("0x", "0X")):
            return int(text, 16)
        if text.isdigit():
            return int(text)
        return asset_id_for(parse_cid(text))
    except (ValueError, CidError) as exc:
        raise AssetRefError(f"{value!r} is neither an asset id (0x-hex or decimal) nor a CID: {exc}") from None


@dataclass
class Registration:
    """One asset to register, checked the way the contract checks it."""

    content_cid: CID
    kind: Kind
    metadata_cid: CID
    licence_id: int = 0
    parents: Sequence[int] = field(default_factory=tuple)
    shares_bps: Sequence[int] = field(default_factory=tuple)
    royalty_bps: int = 0

    @classmethod
    def build(
        cls,
        content_cid: CID | str | bytes,
        kind: str | int | Kind,
        metadata_cid: CID | str | bytes,
        licence_id: int = 0,
        parents: Iterable[int] = (),
        shares_bps: Iterable[int] = (),
        royalty_bps: int = 0,
    ) -> Registration:
        try:
            content = parse_cid(content_cid)
        except CidError as exc:
            raise RegistrationError(f"content CID: {exc}") from None
        try:
            metadata = parse_cid(metadata_cid)
        except CidError as exc:
            raise RegistrationError(f"metadata CID: {exc}") from None
        reg = cls(content, Kind.parse(kind), metadata, licence_id, tuple(parents), tuple(shares_bps), royalty_bps)
        reg.validate()
        return reg

    def validate(self) -> None:
        """Raise RegistrationError for anything the contract would revert on (except on-chain state)."""
        content = cid_to_bytes(self.content_cid)
        if len(content) > MAX_CID_BYTES:
            raise RegistrationError(f"content CID is {len(content)} bytes; the registry takes at most {MAX_CID_BYTES}")
        if not any(digest_of(self.content_cid)):
            raise RegistrationError("content CID has an all-zero digest")
        if self.content_cid.codec.code > MAX_CODEC:
            raise RegistrationError(f"content codec 0x{self.content_cid.codec.code:x} is outside the registry's range")
        md = self.metadata_cid
        if md.hashfun.code != SHA2_256 or len(digest_of(md)) != 32:
            raise RegistrationError(
                f"metadata CID {md} uses {md.hashfun.name}; the registry prints tokenURI from a sha2-256 digest, "
                "so add the metadata card with a sha2-256 profile"
            )
        if not any(digest_of(md)):
            raise RegistrationError("metadata CID has an all-zero digest")
        if not 0 <= self.licence_id <= MAX_LICENCE_ID:
            raise RegistrationError(f"licence id {self.licence_id} must be between 0 and {MAX_LICENCE_ID}")
        if not 0 <= self.royalty_bps <= MAX_ROYALTY_BPS:
            raise RegistrationError(
                f"royalty {self.royalty_bps} bps is over the cap of {MAX_ROYALTY_BPS} bps ({MAX_ROYALTY_BPS / 100:g} %)"
            )
        if len(self.parents) > MAX_PARENTS:
            raise RegistrationError(f"{len(self.parents)} parents given; an asset may have at most {MAX_PARENTS}")
        if len(self.parents) != len(self.shares_bps):
            raise RegistrationError(
                f"{len(self.parents)} parents but {len(self.shares_bps)} shares: give one --share per --parent"
            )
        if len(set(self.parents)) != len(self.parents):
            raise RegistrationError("the same parent is listed twice")
        if any(not 0 <= s <= 0xFFFF for s in self.shares_bps):
            raise RegistrationError("each parent share must be between 0 and 10,000 bps")
        total = sum(self.shares_bps)
        if total > MAX_BPS:
            raise RegistrationError(f"parent shares add up to {total} bps, over 100 % ({MAX_BPS} bps)")

    @property
    def asset_id(self) -> int:
        return asset_id_for(self.content_cid)

    def as_args(self) -> tuple:
        """Arguments of `register` in ABI order."""
        return (
            cid_to_bytes(self.content_cid),
            int(self.kind),
            cid_to_bytes(self.metadata_cid),
            self.licence_id,
            list(self.parents),
            list(self.shares_bps),
            self.royalty_bps,
        )
