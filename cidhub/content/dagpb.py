"""dag-pb nodes and the UnixFS ``Data`` message: canonical encoding and strict decoding.

The byte-level layer under :mod:`cidhub.content.unixfs` (which re-exports every name here) and
:mod:`cidhub.content.hamt`. dag-pb's canonical form writes Links (field 2) before Data (field 1),
which a generic protobuf serializer does not do, and a link's ``Name`` is always present (empty
for file chunks), matching Kubo (go-codec-dagpb) and js ``@ipld/dag-pb``.

Sources: the dag-pb spec (https://ipld.io/specs/codecs/dag-pb/spec/) and the UnixFS spec
(https://specs.ipfs.tech/unixfs/), ``unixfs.proto``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from cidhub.content.varint import decode_uvarint
from cidhub.content.varint import encode_uvarint as _uvarint
from cidhub.errors import UnixfsError

__all__ = [
    "PBLink",
    "PBNode",
    "UnixfsData",
    "encode_pbnode",
    "decode_pbnode",
    "split_pbnode",
    "decode_pblink",
    "encode_unixfs_data",
    "decode_unixfs_data",
    "iter_links",
    "DATA_RAW",
    "DATA_DIRECTORY",
    "DATA_FILE",
    "DATA_METADATA",
    "DATA_SYMLINK",
    "DATA_HAMT_SHARD",
    "CODEC_DAG_PB",
    "CODEC_RAW",
]

# UnixFS Data.Type values (unixfs.proto).
DATA_RAW: Final = 0
DATA_DIRECTORY: Final = 1
DATA_FILE: Final = 2
DATA_METADATA: Final = 3
DATA_SYMLINK: Final = 4
DATA_HAMT_SHARD: Final = 5

CODEC_DAG_PB: Final = 0x70
CODEC_RAW: Final = 0x55


# --------------------------------------------------------------------------------------------
# dag-pb and UnixFS encoding


@dataclass(frozen=True, slots=True)
class PBLink:
    """dag-pb PBLink: Hash (field 1), Name (field 2), Tsize (field 3)."""

    hash: bytes
    name: str | None = None
    tsize: int | None = None


@dataclass(frozen=True, slots=True)
class PBNode:
    """dag-pb PBNode: Links (field 2, written first) and Data (field 1)."""

    links: tuple[PBLink, ...] = ()
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class UnixfsData:
    """The UnixFS ``Data`` message carried in a dag-pb node's Data field."""

    type: int
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: tuple[int, ...] = ()
    hash_type: int | None = None
    fanout: int | None = None
    mode: int | None = None
    mtime: bytes | None = field(default=None, repr=False)  # raw UnixTime message


def _encode_link(link: PBLink) -> bytes:
    out = b"\x0a" + _uvarint(len(link.hash)) + link.hash
    if link.name is not None:
        name = link.name.encode("utf-8")
        out += b"\x12" + _uvarint(len(name)) + name
    if link.tsize is not None:
        out += b"\x18" + _uvarint(link.tsize)
    return out


def encode_pbnode(node: PBNode) -> bytes:
    """Canonical dag-pb bytes: every link (field 2), then Data (field 1) if present.

    Links are written in the given order; directory callers sort them by name bytes first.
    """
    parts = []
    for link in node.links:
        encoded = _encode_link(link)
        parts.append(b"\x12" + _uvarint(len(encoded)) + encoded)
    if node.data is not None:
        parts.append(b"\x0a" + _uvarint(len(node.data)) + node.data)
    return b"".join(parts)


def encode_unixfs_data(msg: UnixfsData) -> bytes:
    """Protobuf bytes of a UnixFS Data message, fields in number order like Kubo writes them."""
    out = [b"\x08" + _uvarint(msg.type)]
    if msg.data is not None:
        out.append(b"\x12" + _uvarint(len(msg.data)) + msg.data)
    if msg.filesize is not None:
        out.append(b"\x18" + _uvarint(msg.filesize))
    # proto2 `repeated uint64 blocksizes = 4` is not packed: one tag per value.
    out.extend(b"\x20" + _uvarint(size) for size in msg.blocksizes)
    if msg.hash_type is not None:
        out.append(b"\x28" + _uvarint(msg.hash_type))
    if msg.fanout is not None:
        out.append(b"\x30" + _uvarint(msg.fanout))
    if msg.mode is not None:
        out.append(b"\x38" + _uvarint(msg.mode))
    if msg.mtime is not None:
        out.append(b"\x42" + _uvarint(len(msg.mtime)) + msg.mtime)
    return b"".join(out)


def _read_uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    return decode_uvarint(buf, pos, UnixfsError, "protobuf varint")


def _iter_fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) of a protobuf message (varint and bytes only)."""
    pos = 0
    while pos < len(buf):
        key, pos = _read_uvarint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_uvarint(buf, pos)
            yield number, wire, value
        elif wire == 2:
            length, pos = _read_uvarint(buf, pos)
            if pos + length > len(buf):
                raise UnixfsError(f"protobuf field {number} overruns the message")
            yield number, wire, bytes(buf[pos : pos + length])
            pos += length
        else:
            raise UnixfsError(f"unsupported protobuf wire type {wire} (field {number})")


def decode_pbnode(block: bytes) -> PBNode:
    """Decode dag-pb bytes strictly (canonical field order, no unknown fields)."""
    raw_links, data = split_pbnode(block)
    return PBNode(tuple(_decode_link(raw) for raw in raw_links), data)


def split_pbnode(block: bytes) -> tuple[list[bytes], bytes | None]:
    """The encoded links (each a PBLink message, undecoded) and the Data of a dag-pb node.

    For readers that need one link of a wide node (a HAMT lookup) or only its Data (what kind
    of node it is): the node's structure is checked as :func:`decode_pbnode` checks it, and the
    links are decoded only when asked (:func:`decode_pblink`).
    """
    links: list[bytes] = []
    data: bytes | None = None
    for number, wire, value in _iter_fields(block):
        if number == 2 and wire == 2 and data is None:
            assert isinstance(value, bytes)
            links.append(value)
        elif number == 1 and wire == 2 and data is None:
            assert isinstance(value, bytes)
            data = value
        else:
            raise UnixfsError(f"invalid dag-pb node: unexpected field {number} (wire {wire})")
    return links, data


def decode_pblink(raw: bytes) -> PBLink:
    """Decode one PBLink message (as returned by :func:`split_pbnode`)."""
    return _decode_link(raw)


def _decode_link(buf: bytes) -> PBLink:
    hash_: bytes | None = None
    name: str | None = None
    tsize: int | None = None
    last = 0
    for number, wire, value in _iter_fields(buf):
        if number <= last:
            raise UnixfsError("invalid dag-pb link: fields out of order or repeated")
        last = number
        if number == 1 and wire == 2:
            assert isinstance(value, bytes)
            hash_ = value
        elif number == 2 and wire == 2:
            assert isinstance(value, bytes)
            try:
                name = value.decode("utf-8")
            except UnicodeDecodeError:
                raise UnixfsError("invalid dag-pb link: Name is not UTF-8") from None
        elif number == 3 and wire == 0:
            assert isinstance(value, int)
            tsize = value
        else:
            raise UnixfsError(f"invalid dag-pb link: unexpected field {number}")
    if hash_ is None:
        raise UnixfsError("invalid dag-pb link: Hash is missing")
    return PBLink(hash_, name, tsize)


def decode_unixfs_data(buf: bytes) -> UnixfsData:
    """Decode a UnixFS Data message (the Data field of a UnixFS dag-pb node)."""
    kind: int | None = None
    values: dict[str, object] = {}
    blocksizes: list[int] = []
    names = {2: "data", 3: "filesize", 5: "hash_type", 6: "fanout", 7: "mode", 8: "mtime"}
    for number, _wire, value in _iter_fields(buf):
        if number == 1:
            if not isinstance(value, int):
                raise UnixfsError("invalid UnixFS data: Type is not a varint")
            kind = value
        elif number == 4:
            if isinstance(value, bytes):  # tolerate a packed encoding from other writers
                pos = 0
                while pos < len(value):
                    size, pos = _read_uvarint(value, pos)
                    blocksizes.append(size)
            else:
                blocksizes.append(value)
        elif number in names:
            values[names[number]] = value
    if kind is None:
        raise UnixfsError("invalid UnixFS data: Type is missing")
    return UnixfsData(type=kind, blocksizes=tuple(blocksizes), **values)  # type: ignore[arg-type]


def iter_links(cid_bytes: bytes, block: bytes) -> Iterator[bytes]:
    """Binary CIDs a block links to: dag-pb links in order, none for raw blocks.

    ``cid_bytes`` selects the codec (a CIDv0 is always dag-pb). Other codecs raise
    :class:`UnixfsError`, since cidhub only writes UnixFS DAGs.
    """
    if cid_bytes[:1] == b"\x12":
        codec = CODEC_DAG_PB
    else:
        codec, _ = _read_uvarint(cid_bytes, 1)
    if codec == CODEC_RAW:
        return iter(())
    if codec == CODEC_DAG_PB:
        return (link.hash for link in decode_pbnode(block).links)
    raise UnixfsError(f"cannot walk links of codec 0x{codec:x}: only dag-pb and raw are supported")
