"""HAMT-sharded UnixFS directories, written and read the way Kubo (boxo) does.

A directory too large for one dag-pb node is stored as a hash array mapped trie of dag-pb
nodes whose UnixFS data has ``Type=HAMTShard`` (5), ``fanout`` (256) and ``hashType`` 0x22
(murmur3-x64-64). Every name is hashed; the hash, read most significant bit first, is cut into
``log2(fanout)`` -bit indexes, one per level. A node's slot holds either one entry (a link named
``"%02X" % index + name`` to the entry itself) or, when two or more names share the slot, a
link named ``"%02X" % index`` to a child shard one level down. The result depends only on the
set of names, never on the order they were added, which is what makes the CID reproducible.

Byte-level details, each checked against boxo and its fixtures (see the tests):

* Hash: the first 64 bits of MurmurHash3 x64 128 with seed 0 (``h1``), as big-endian bytes;
  boxo calls ``spaolacci/murmur3.New64().Sum(nil)``. ``mmh3.hash_bytes`` returns ``h1`` and
  ``h2`` little-endian, so the first eight bytes reversed are boxo's hash.
* Index bits: consumed from the most significant bit (boxo ``hashBits.Next``); 64 bits give
  at most ``64 // log2(fanout)`` levels, so two names whose 64-bit hashes are equal cannot be
  stored (boxo fails with "sharded directory too deep"; so does this module).
* Bitfield (``Data`` field): bit ``i`` set for each occupied slot, written big-endian with
  leading zero bytes dropped (``go-bitfield`` ``Bytes()``, formerly ``big.Int.Bytes()``).
* Links in slot order; a value link's ``Tsize`` is the entry's, a shard link's is the child's
  cumulative DAG size (its block plus its links' sizes), as ``ipld.MakeLink`` computes it.
* UnixFS fields in number order: Type, Data, hashType, fanout (``HAMTShardData`` in boxo).

Sources: boxo ``ipld/unixfs/hamt/hamt.go`` and ``util.go`` (ipfs/boxo@8df89a7), the UnixFS
spec's HAMTDirectory section, and ``@ipld/unixfs``'s ``sharded-directory.js`` (ipfs-car 3.1.0).

Reading is the same walk: :func:`find` hashes one name and follows at most one link per level
(O(depth) blocks, never the whole directory); :func:`iter_entries` streams every entry with
O(depth) nodes in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import mmh3

from cidhub.content.dagpb import (
    DATA_HAMT_SHARD,
    PBLink,
    PBNode,
    UnixfsData,
    decode_pblink,
    decode_unixfs_data,
    encode_pbnode,
    encode_unixfs_data,
    split_pbnode,
)
from cidhub.content.varint import decode_uvarint
from cidhub.content.varint import encode_uvarint as _uvarint
from cidhub.errors import UnixfsError

__all__ = [
    "HASH_MURMUR3_X64_64",
    "DEFAULT_FANOUT",
    "MAX_FANOUT",
    "ShardLayout",
    "Shard",
    "ShardWriter",
    "hamt_hash",
    "shard_layout",
    "parse_shard",
    "find",
    "iter_entries",
    "iter_shard_blocks",
]

#: Multicodec of murmur3-x64-64, the only hash boxo reads or writes in a shard.
HASH_MURMUR3_X64_64: Final = 0x22
#: Kubo's and IPIP-499's fanout.
DEFAULT_FANOUT: Final = 256
#: boxo refuses wider shards (``maximumHamtWidth``).
MAX_FANOUT: Final = 1024

#: Fetches a block's bytes by binary CID (a :class:`BlockStore`'s ``get`` fits).
BlockGetter = Callable[[bytes], bytes]
#: Encodes-and-stores a shard block, returning its binary CID (the importer's CID maker + sink).
BlockEmitter = Callable[[bytes], bytes]


def hamt_hash(name: bytes) -> bytes:
    """The 8-byte hash boxo indexes ``name`` by (murmur3-x64-128 ``h1``, big-endian)."""
    return mmh3.hash_bytes(name)[7::-1]


@dataclass(frozen=True, slots=True)
class ShardLayout:
    """What a fanout implies: index width, link-name prefix width and maximum depth."""

    fanout: int
    bits: int  # log2(fanout): hash bits consumed per level
    pad: int  # characters of the hexadecimal slot prefix in link names ("FF" -> 2)
    max_depth: int  # levels the 64-bit hash can index

    def prefix(self, index: int) -> str:
        return format(index, f"0{self.pad}X")

    def index(self, hash8: bytes, depth: int) -> int:
        if depth >= self.max_depth:
            raise UnixfsError(
                "HAMT too deep: two names agree in every hash bit a HAMT of fanout "
                f"{self.fanout} can index (boxo: 'sharded directory too deep')"
            )
        if self.bits == 8:
            return hash8[depth]
        shift = 64 - self.bits * (depth + 1)
        return (int.from_bytes(hash8[:8], "big") >> shift) & (self.fanout - 1)


def shard_layout(fanout: int = DEFAULT_FANOUT) -> ShardLayout:
    """Validate ``fanout`` as boxo does (a power of two, a multiple of 8, at most 1024)."""
    if fanout < 8 or fanout > MAX_FANOUT or fanout & (fanout - 1) or fanout % 8:
        raise UnixfsError(
            f"HAMT fanout {fanout} is invalid: it must be a power of two, a multiple of 8 and at most {MAX_FANOUT}"
        )
    bits = fanout.bit_length() - 1
    return ShardLayout(fanout, bits, len(format(fanout - 1, "X")), 64 // bits)


def _bitfield_bytes(bits: int) -> bytes | None:
    # go-bitfield's Bytes() drops leading zero bytes and returns nil for an empty bitfield, which
    # leaves the Data field out of the node altogether.
    return bits.to_bytes((bits.bit_length() + 7) // 8, "big") if bits else None


# --------------------------------------------------------------------------------------------
# Writing


class ShardWriter:
    """Builds a HAMT directory from entries given in any order.

    Entries are kept as one packed ``bytes`` record each (hash, name, CID, Tsize: about 70
    bytes plus the name for a CIDv1), not as objects, so a million entries take about 100 MB;
    file contents are never held. :meth:`finish` sorts the records by hash, which groups every
    slot of every level into contiguous runs, and writes the shards bottom-up (children before
    parents, the root last) through ``emit``.
    """

    def __init__(self, emit: BlockEmitter, fanout: int = DEFAULT_FANOUT) -> None:
        self._emit = emit
        self.layout = shard_layout(fanout)
        self._records: list[bytes] = []
        self.blocks = 0

    def __len__(self) -> int:
        return len(self._records)

    def add(self, name: bytes, cid: bytes, tsize: int) -> None:
        """Add one entry; ``name`` is the UTF-8 entry name (unique within the directory)."""
        if b"\0" in name or not name:
            raise UnixfsError(f"invalid directory entry name {name!r}")
        self._records.append(hamt_hash(name) + name + b"\0" + bytes((len(cid),)) + cid + _uvarint(tsize))

    def finish(self) -> tuple[bytes, int]:
        """Write every shard; returns the root shard's binary CID and cumulative DAG size."""
        records = self._records
        self._records = []
        records.sort()
        for previous, record in pairwise(records):
            if record[:8] == previous[:8]:
                if _unpack(record)[0] == _unpack(previous)[0]:
                    raise UnixfsError(f"directory has two entries named {_unpack(record)[0]!r}")
                raise UnixfsError(
                    f"the names {_unpack(previous)[0]!r} and {_unpack(record)[0]!r} have the same 64-bit "
                    "murmur3 hash; a UnixFS HAMT cannot hold both (boxo: 'sharded directory too deep')"
                )
        return self._shard(records, 0, len(records), 0)

    def _shard(self, records: list[bytes], lo: int, hi: int, depth: int) -> tuple[bytes, int]:
        layout = self.layout
        links: list[PBLink] = []
        bits = 0
        total = 0
        i = lo
        while i < hi:
            index = layout.index(records[i], depth)
            j = i + 1
            while j < hi and layout.index(records[j], depth) == index:
                j += 1
            bits |= 1 << index
            prefix = layout.prefix(index)
            if j - i == 1:
                name, cid, tsize = _unpack(records[i])
                links.append(PBLink(cid, prefix + name, tsize))
            else:
                cid, tsize = self._shard(records, i, j, depth + 1)
                links.append(PBLink(cid, prefix, tsize))
            total += tsize
            i = j
        data = encode_unixfs_data(
            UnixfsData(DATA_HAMT_SHARD, _bitfield_bytes(bits), hash_type=HASH_MURMUR3_X64_64, fanout=layout.fanout)
        )
        block = encode_pbnode(PBNode(tuple(links), data))
        self.blocks += 1
        return self._emit(block), len(block) + total


def _unpack(record: bytes) -> tuple[str, bytes, int]:
    nul = record.index(0, 8)
    cid_len = record[nul + 1]
    start = nul + 2
    tsize, _ = decode_uvarint(record, start + cid_len, UnixfsError, "HAMT record")
    return record[8:nul].decode("utf-8"), record[start : start + cid_len], tsize


# --------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True, slots=True)
class Shard:
    """One HAMT node: its links in slot order (decoded on demand) and its occupied slots."""

    raw_links: tuple[bytes, ...]
    bitfield: int
    layout: ShardLayout

    @property
    def links(self) -> Iterator[PBLink]:
        """Every link, decoded as it is reached."""
        return (decode_pblink(raw) for raw in self.raw_links)

    def slot(self, index: int) -> PBLink | None:
        """The link in slot ``index``, or None if the slot is empty (decodes only that link)."""
        if not self.bitfield >> index & 1:
            return None
        link = decode_pblink(self.raw_links[(self.bitfield & ((1 << index) - 1)).bit_count()])
        if not (link.name or "").startswith(self.layout.prefix(index)):
            raise UnixfsError(
                f"malformed HAMT shard: slot {index:X} holds a link named {link.name!r}, "
                f"expected the prefix {self.layout.prefix(index)!r}"
            )
        return link

    def is_shard_link(self, link: PBLink) -> bool:
        """A link to a child shard carries only the slot prefix; a value link adds the name."""
        return len(link.name or "") == self.layout.pad


def parse_shard(block: bytes) -> Shard:
    """Decode a HAMT shard node, refusing what boxo would refuse (other hashes, bad fanouts).

    Links stay encoded until used, so a lookup decodes one link per level, not ``fanout``.
    """
    raw_links, data = split_pbnode(block)
    if data is None:
        raise UnixfsError("not a HAMT shard: the dag-pb node has no UnixFS data")
    fs = decode_unixfs_data(data)
    if fs.type != DATA_HAMT_SHARD:
        raise UnixfsError(f"not a HAMT shard: UnixFS type {fs.type}")
    if fs.hash_type != HASH_MURMUR3_X64_64:
        raise UnixfsError(f"HAMT shard uses hash 0x{fs.hash_type or 0:x}; only murmur3-x64-64 (0x22) is defined")
    layout = shard_layout(fs.fanout or 0)
    bitfield = int.from_bytes(fs.data or b"", "big")
    if bitfield >> layout.fanout:
        raise UnixfsError(f"malformed HAMT shard: bitfield wider than the fanout {layout.fanout}")
    if bitfield.bit_count() != len(raw_links):
        raise UnixfsError(
            f"malformed HAMT shard: {bitfield.bit_count()} occupied slots but {len(raw_links)} links"
        )
    return Shard(tuple(raw_links), bitfield, layout)


def find(get: BlockGetter, root_block: bytes, name: str, visited: list[bytes] | None = None) -> PBLink | None:
    """Look ``name`` up in the HAMT whose root node is ``root_block``.

    Reads one block per level below the root. Returns the entry's link (its ``name`` is the
    entry name, without the slot prefix) or None. The CIDs of the child shards read on the way
    are appended to ``visited`` (a trustless gateway sends them with a path's CAR).
    """
    name_bytes = name.encode("utf-8")
    hash8 = hamt_hash(name_bytes)
    shard = parse_shard(root_block)
    depth = 0
    while True:
        link = shard.slot(shard.layout.index(hash8, depth))
        if link is None:
            return None
        if not shard.is_shard_link(link):
            key = (link.name or "")[shard.layout.pad :]
            return PBLink(link.hash, key, link.tsize) if key == name else None
        if visited is not None:
            visited.append(link.hash)
        shard = parse_shard(get(link.hash))
        depth += 1


def iter_entries(get: BlockGetter, root_block: bytes) -> Iterator[PBLink]:
    """Every entry of the HAMT, as links named by the entry names, in shard (hash) order.

    Streams: holds one node per level (at most ``fanout`` links each), never the listing.
    """
    for shard, link, _ in _walk(get, root_block):
        if not shard.is_shard_link(link):
            yield PBLink(link.hash, (link.name or "")[shard.layout.pad :], link.tsize)


def iter_shard_blocks(get: BlockGetter, root_block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(CID, bytes) of every shard node below the root, depth first: the blocks a client needs
    to enumerate the directory (trustless gateway ``dag-scope=entity``), root excluded."""
    for _, link, block in _walk(get, root_block):
        if block is not None:
            yield link.hash, block


def _walk(get: BlockGetter, root_block: bytes) -> Iterator[tuple[Shard, PBLink, bytes | None]]:
    """Depth-first over every link, parents before children; a shard link comes with the child's
    block (read once), a value link with None."""
    shards = [parse_shard(root_block)]
    stack: list[Iterator[PBLink]] = [shards[0].links]
    while stack:
        link = next(stack[-1], None)
        if link is None:
            stack.pop()
            shards.pop()
            continue
        shard = shards[-1]
        if not shard.is_shard_link(link):
            yield shard, link, None
            continue
        block = get(link.hash)
        child = parse_shard(block)
        if len(shards) >= child.layout.max_depth:
            raise UnixfsError(f"malformed HAMT: nested more than {child.layout.max_depth} levels deep")
        yield shard, link, block
        shards.append(child)
        stack.append(child.links)
