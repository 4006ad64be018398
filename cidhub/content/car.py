"""CARv1 files: writing them from UnixFS imports, reading them with per-block verification.

A CAR (Content-Addressable aRchive, https://ipld.io/specs/transport/car/carv1/) is
``varint(len(header)) || header`` followed by sections ``varint(len(cid)+len(data)) || cid ||
data``. The header is the dag-cbor map ``{"roots": [CID...], "version": 1}``.

Why hand-written dag-cbor: the pinned ``multiformats`` library has no dag-cbor codec, and a CAR
header needs only maps, arrays, unsigned integers, strings and CIDs (CBOR tag 42). The encoder
here writes dag-cbor's canonical form (map keys sorted by length, then bytes; shortest integer
forms), so the header is byte-identical to what ipfs-car / @ipld/car write; the tests compare
the bytes.

The reader is what later code uses to check data from untrusted sources (gateways, pinning
services): it streams, never holds more than one section, caps section sizes, and raises
:class:`~cidhub.errors.CarError` naming the CID whose bytes do not hash to it.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Final

from multiformats import multihash

from cidhub.content.cid import (
    CID,
    CidLike,
    binary_multihash,
    cid_from_bytes,
    cid_to_bytes,
    digest_of,
    parse_cid,
)
from cidhub.content.unixfs import (
    Block,
    ImportResult,
    Profile,
    get_profile,
    import_bytes,
    import_path,
    iter_links,
)
from cidhub.content.varint import decode_uvarint
from cidhub.content.varint import encode_uvarint as _uvarint
from cidhub.errors import CarError, CidError, UnixfsError

__all__ = [
    "CarWriter",
    "CarReader",
    "CarSummary",
    "encode_car_header",
    "write_car",
    "read_car",
    "verify_car",
    "verify_block",
    "pack_car",
    "DEFAULT_MAX_SECTION_SIZE",
]

#: Largest section the reader accepts. Real blocks are at most 2 MiB (Bitswap's limit, and
#: cidhub's chunks are at most 1 MiB plus a few bytes); 8 MiB leaves room without letting a
#: hostile length prefix make the reader allocate gigabytes.
DEFAULT_MAX_SECTION_SIZE: Final = 8 * 1024 * 1024
_MAX_HEADER_SIZE: Final = 1024 * 1024
_CID_TAG: Final = 42

# --------------------------------------------------------------------------------------------
# Minimal dag-cbor (the subset a CAR header uses)


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes(((major << 5) | value,))
    if value < 0x100:
        return bytes(((major << 5) | 24, value))
    if value < 0x10000:
        return bytes(((major << 5) | 25,)) + value.to_bytes(2, "big")
    if value < 0x1_0000_0000:
        return bytes(((major << 5) | 26,)) + value.to_bytes(4, "big")
    return bytes(((major << 5) | 27,)) + value.to_bytes(8, "big")


def _dag_cbor_encode(value: object) -> bytes:
    """Encode the dag-cbor subset: int, str, bytes, list, dict (str keys), CID, bool, None."""
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        if value >= 0:
            return _cbor_head(0, value)
        return _cbor_head(1, -1 - value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return _cbor_head(2, len(raw)) + raw
    if isinstance(value, CID):
        # dag-cbor links: tag 42 around a byte string of 0x00 (identity multibase) + binary CID.
        raw = b"\x00" + bytes(value)
        return _cbor_head(6, _CID_TAG) + _cbor_head(2, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _cbor_head(4, len(value)) + b"".join(_dag_cbor_encode(v) for v in value)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise CarError(f"dag-cbor map keys must be strings, got {type(key).__name__}")
            items.append((key.encode("utf-8"), item))
        # dag-cbor canonical order: shorter keys first, then bytewise.
        items.sort(key=lambda kv: (len(kv[0]), kv[0]))
        out = [_cbor_head(5, len(items))]
        for raw_key, item in items:
            out.append(_cbor_head(3, len(raw_key)) + raw_key)
            out.append(_dag_cbor_encode(item))
        return b"".join(out)
    raise CarError(f"cannot encode {type(value).__name__} as dag-cbor in a CAR header")


class _CborReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise CarError("CAR header is truncated (dag-cbor item runs past its end)")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def _head(self) -> tuple[int, int]:
        first = self._take(1)[0]
        major, info = first >> 5, first & 0x1F
        if info < 24:
            return major, info
        if info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            value = int.from_bytes(self._take(size), "big")
            if (size == 1 and value < 24) or (size > 1 and value < (1 << (4 * size))):
                raise CarError("CAR header is not canonical dag-cbor (integer not minimal)")
            return major, value
        if major == 7 and info in (20, 21, 22):
            return major, info
        raise CarError(f"CAR header uses a CBOR feature dag-cbor forbids (0x{first:02x})")

    def item(self, depth: int = 0) -> object:
        if depth > 16:
            raise CarError("CAR header nests too deeply")
        major, value = self._head()
        if major == 0:
            return value
        if major == 1:
            return -1 - value
        if major == 2:
            return self._take(value)
        if major == 3:
            try:
                return self._take(value).decode("utf-8")
            except UnicodeDecodeError:
                raise CarError("CAR header has a string that is not UTF-8") from None
        if major == 4:
            return [self.item(depth + 1) for _ in range(value)]
        if major == 5:
            out: dict[str, object] = {}
            for _ in range(value):
                key = self.item(depth + 1)
                if not isinstance(key, str):
                    raise CarError("CAR header map has a non-string key")
                out[key] = self.item(depth + 1)
            return out
        if major == 6:
            if value != _CID_TAG:
                raise CarError(f"CAR header uses CBOR tag {value}; dag-cbor allows only 42")
            raw = self.item(depth + 1)
            if not isinstance(raw, bytes) or raw[:1] != b"\x00":
                raise CarError("CAR header has a malformed CID (tag 42 without 0x00 prefix)")
            try:
                return cid_from_bytes(raw[1:])
            except CidError as exc:
                raise CarError(f"CAR header has an invalid root CID: {exc}") from None
        if major == 7:
            return {20: False, 21: True, 22: None}[value]
        raise CarError(f"CAR header has an unsupported CBOR major type {major}")


def _dag_cbor_decode(data: bytes) -> object:
    reader = _CborReader(data)
    value = reader.item()
    if reader.pos != len(data):
        raise CarError("CAR header has trailing bytes after the dag-cbor map")
    return value


# --------------------------------------------------------------------------------------------
# Writing


def encode_car_header(roots: Sequence[CidLike]) -> bytes:
    """The CARv1 header bytes, length prefix included."""
    header = _dag_cbor_encode({"roots": [parse_cid(r) for r in roots], "version": 1})
    return _uvarint(len(header)) + header


class CarWriter:
    """Writes a CARv1 stream; an instance is also a ``BlockSink`` for the UnixFS importer.

    Blocks are written in the order given; duplicates (the same chunk twice in a file) are
    written once, which is what ipfs-car does and what readers expect.
    """

    def __init__(self, out: BinaryIO, roots: Sequence[CidLike], *, dedupe: bool = True) -> None:
        self._out = out
        self._seen: set[bytes] | None = set() if dedupe else None
        self.blocks_written = 0
        self.bytes_written = 0
        self._write(encode_car_header(roots))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self.bytes_written += len(data)

    def write_block(self, cid: bytes | CID, data: bytes) -> None:
        cid_bytes = cid if isinstance(cid, bytes) else cid_to_bytes(cid)
        if self._seen is not None:
            if cid_bytes in self._seen:
                return
            self._seen.add(cid_bytes)
        self._write(_uvarint(len(cid_bytes) + len(data)) + cid_bytes)
        self._write(data)
        self.blocks_written += 1

    def __call__(self, block: Block) -> None:
        self.write_block(block.cid_bytes, block.data)


def write_car(out: BinaryIO, roots: Sequence[CidLike], blocks: Iterable[Block]) -> int:
    """Write a complete CAR; returns the number of blocks written."""
    writer = CarWriter(out, roots)
    for block in blocks:
        writer(block)
    return writer.blocks_written


def pack_car(
    path: str | os.PathLike[str],
    out: BinaryIO,
    profile: str | Profile | None = None,
    *,
    include_hidden: bool = False,
) -> ImportResult:
    """Import a file or directory and write its DAG as a CAR with the root in the header.

    One read of the input when ``out`` is seekable: the header is written with a placeholder
    root of the final root's length and patched at the end (ipfs-car does the same). For a
    pipe the input is read twice: once to learn the root, once to write the blocks.
    """
    prof = get_profile(profile)
    seekable = False
    try:
        seekable = out.seekable()
    except (AttributeError, ValueError):
        pass
    if not seekable:
        first = import_path(path, prof, include_hidden=include_hidden)
        writer = CarWriter(out, [first.cid])
        second = import_path(path, prof, writer, include_hidden=include_hidden)
        if second.cid != first.cid:
            raise CarError(f"{path} changed while it was being packed; CAR not usable")
        return second
    start = out.tell()
    placeholder = _placeholder_root(prof)
    writer = CarWriter(out, [placeholder])
    result = import_path(path, prof, writer, include_hidden=include_hidden)
    end = out.tell()
    header = encode_car_header([result.cid])
    if len(header) != len(encode_car_header([placeholder])):  # pragma: no cover - by design
        raise CarError("root CID length differs from the placeholder; cannot patch header")
    out.seek(start)
    out.write(header)
    out.seek(end)
    return result


def _placeholder_root(profile: Profile) -> CID:
    # Every root a profile can produce (a dag-pb node or, for one chunk, a raw leaf) has the
    # same binary length, so any CID of the profile, e.g. the empty file's, can stand in.
    return import_bytes(b"", profile).cid


# --------------------------------------------------------------------------------------------
# Reading and verification


def verify_block(cid: CidLike, data: bytes) -> None:
    """Raise :class:`CarError` unless ``data`` hashes to ``cid``'s digest."""
    if isinstance(cid, (bytes, bytearray, memoryview, CID)):
        # sha2-256 from the binary form, without building (or printing) a CID object
        try:
            multihash_bytes = binary_multihash(cid) if not isinstance(cid, CID) else bytes(cid.digest)
        except CidError:
            multihash_bytes = b""
        if (
            len(multihash_bytes) == 34
            and multihash_bytes[:2] == b"\x12\x20"
            and hashlib.sha256(data).digest() == multihash_bytes[2:]
        ):
            return
    parsed = parse_cid(cid)
    code = parsed.hashfun.code
    expected = digest_of(parsed)
    if code == 0x12:
        actual = hashlib.sha256(data).digest()
    elif code == 0x00:
        actual = bytes(data)
    else:
        try:
            fun = multihash.get(code=code)
            actual = bytes(fun.unwrap(fun.digest(data, size=len(expected))))
        except (KeyError, ValueError, TypeError) as exc:
            raise CarError(f"cannot verify block {parsed}: hash {parsed.hashfun.name}: {exc}") from None
    if actual != expected:
        raise CarError(
            f"block {parsed} is corrupt: its {len(data)} bytes hash to "
            f"{actual.hex()[:16]}..., not to the CID's digest {expected.hex()[:16]}..."
        )


@dataclass(frozen=True, slots=True)
class CarSummary:
    """What :func:`verify_car` found."""

    roots: tuple[CID, ...]
    blocks: int
    block_bytes: int
    complete: bool  # every block linked from a root is present (only if checked)


class CarReader:
    """Stream CARv1 sections from a binary stream, verifying each block against its CID.

    ``roots`` and ``version`` are read on construction. Iterating yields :class:`Block`
    objects; a block whose bytes do not match its CID raises :class:`CarError` naming it.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        verify: bool = True,
        max_section_size: int = DEFAULT_MAX_SECTION_SIZE,
    ) -> None:
        self._stream = stream
        self._verify = verify
        self._max = max_section_size
        self.offset = 0
        length = self._read_varint(allow_eof=False, what="header length")
        assert length is not None
        if length == 0 or length > _MAX_HEADER_SIZE:
            raise CarError(f"CAR header length {length} is implausible; not a CAR file?")
        header = _dag_cbor_decode(self._read_exact(length, "header"))
        if not isinstance(header, dict):
            raise CarError("CAR header is not a map")
        version = header.get("version")
        if version == 2:
            raise CarError("this is a CARv2 file; cidhub reads CARv1 (unwrap it with `car`)")
        if version != 1:
            raise CarError(f"unsupported CAR version {version!r}; expected 1")
        roots = header.get("roots")
        if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
            raise CarError("CAR header 'roots' must be a list of CIDs")
        self.version = 1
        self.roots: tuple[CID, ...] = tuple(roots)

    def _read_exact(self, n: int, what: str) -> bytes:
        chunks = []
        remaining = n
        while remaining:
            data = self._stream.read(remaining)
            if not data:
                raise CarError(f"CAR is truncated in the {what} at byte {self.offset}")
            chunks.append(data)
            remaining -= len(data)
            self.offset += len(data)
        return b"".join(chunks)

    def _read_varint(self, allow_eof: bool, what: str) -> int | None:
        result = shift = 0
        for i in range(10):
            byte = self._stream.read(1)
            if not byte:
                if i == 0 and allow_eof:
                    return None
                raise CarError(f"CAR is truncated in the {what} at byte {self.offset}")
            self.offset += 1
            b = byte[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                if i > 0 and b == 0:
                    raise CarError(f"CAR has a non-minimal varint in the {what}")
                return result
            shift += 7
        raise CarError(f"CAR has an overlong varint in the {what} at byte {self.offset}")

    def __iter__(self) -> Iterator[Block]:
        while True:
            start = self.offset
            length = self._read_varint(allow_eof=True, what="section length")
            if length is None:
                return
            if length == 0:
                raise CarError(f"CAR has an empty section at byte {start}")
            if length > self._max:
                raise CarError(
                    f"CAR section at byte {start} claims {length} bytes, more than the "
                    f"{self._max}-byte limit; refusing to read it"
                )
            section = self._read_exact(length, "section")
            cid_len = _cid_length(section, start)
            cid_bytes, data = section[:cid_len], section[cid_len:]
            if self._verify:
                verify_block(cid_bytes, data)
            yield Block(cid_bytes, data)


def _cid_length(section: bytes, offset: int) -> int:
    """Length of the binary CID at the start of a section (validated by parsing it)."""
    try:
        if section[:2] == b"\x12\x20":
            end = 34
        else:
            pos = 0
            for _ in range(3):  # version, codec, multihash code
                pos = _skip_varint(section, pos)
            length, pos = _varint_at(section, pos)
            end = pos + length
        if end > len(section):
            raise CarError(f"CAR section at byte {offset} is shorter than its CID")
        cid_from_bytes(section[:end])
    except CidError as exc:
        raise CarError(f"CAR section at byte {offset} starts with an invalid CID: {exc}") from None
    return end


def _varint_at(buf: bytes, pos: int) -> tuple[int, int]:
    return decode_uvarint(buf, pos, CidError, "CID varint")


def _skip_varint(buf: bytes, pos: int) -> int:
    return _varint_at(buf, pos)[1]


def read_car(stream: BinaryIO, *, verify: bool = True) -> tuple[tuple[CID, ...], Iterator[Block]]:
    """Roots and a verifying block iterator of a CAR stream."""
    reader = CarReader(stream, verify=verify)
    return reader.roots, iter(reader)


def verify_car(
    source: BinaryIO | bytes | str | os.PathLike[str],
    root: CidLike | None = None,
    *,
    require_complete: bool = True,
) -> CarSummary:
    """Check a whole CAR: every block matches its CID and, optionally, the DAG is complete.

    Args:
        source: a stream, the CAR bytes, or a path.
        root: if given, it must be one of the header roots (a gateway answering for a
            different CID is an error even when its blocks are internally consistent).
        require_complete: every block reachable from the roots must be in the CAR. Memory
            grows with the number of blocks (one CID per block), not their size.
    """
    if isinstance(source, (bytes, bytearray)):
        return verify_car(io.BytesIO(source), root, require_complete=require_complete)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            return verify_car(stream, root, require_complete=require_complete)
    reader = CarReader(source)
    if root is not None:
        wanted = parse_cid(root)
        if not any(bytes(r) == bytes(wanted) for r in reader.roots):
            raise CarError(
                f"CAR roots {[str(r) for r in reader.roots]} do not include {wanted}"
            )
    present: set[bytes] = set()
    linked: set[bytes] = {bytes(r) for r in reader.roots}
    count = total = 0
    for block in reader:
        count += 1
        total += len(block.data)
        present.add(block.cid_bytes)
        if require_complete:
            try:
                linked.update(iter_links(block.cid_bytes, block.data))
            except UnixfsError as exc:
                raise CarError(f"block {block.cid} cannot be decoded: {exc}") from None
    missing = linked - present if require_complete else set()
    if missing:
        sample = ", ".join(str(cid_from_bytes(m)) for m in sorted(missing)[:3])
        raise CarError(f"CAR is incomplete: {len(missing)} linked block(s) missing, e.g. {sample}")
    return CarSummary(reader.roots, count, total, complete=require_complete)
