"""UnixFS importer: the CID of a file or directory exactly as IPFS implementations compute it.

A UnixFS CID is not a hash of the file: the content is cut into fixed-size chunks, every chunk
becomes a leaf block (a ``raw`` block or a dag-pb node wrapping UnixFS ``File`` data), the
leaves are linked by dag-pb ``File`` nodes of at most ``max_links`` children in Kubo's
*balanced* layout, and the CID of the top node is the file's CID. The same bytes therefore get
different CIDs under different settings; :class:`Profile` names the settings (IPIP-499 names
where they exist) so a CID can always be reproduced.

Design points:

* Streaming, constant memory. The file is read with ``readinto`` into one preallocated buffer
  of one chunk; every row of the tree holds at most ``max_links`` pending links. Each leaf's
  hash is computed by feeding its protobuf prefix, the chunk (a memoryview, no copy) and its
  suffix to one ``hashlib`` object, never by concatenating them.
* dag-pb canonical form is written by hand (:mod:`cidhub.content.dagpb`, re-exported here):
  Links (field 2) precede Data (field 1), which a generic protobuf serializer would not do, and
  link ``Name`` is always present (empty for file chunks), matching Kubo (go-codec-dagpb) and
  js ``@ipld/dag-pb``.
* Directories of any size: :class:`DirectoryBuilder` applies the profile's sharding rule and
  writes a HAMT (:mod:`cidhub.content.hamt`) where Kubo would; it keeps one packed record per
  entry, not objects, so a million-entry directory costs about 100 MB, never file contents.
* Blocks are handed to an optional ``block_sink`` as they are produced (children before
  parents, root last), so a block store or CAR writer consumes them without a second read.

Sources checked for the encoding: boxo ``ipld/unixfs/importer/balanced/builder.go`` (layout,
leaves of type File with filesize), the UnixFS spec, the dag-pb spec, IPIP-499 (profiles).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import BinaryIO, Final, Literal, NamedTuple, Protocol, Union

from cidhub.content.cid import CID, cid_from_bytes
from cidhub.content.dagpb import (
    CODEC_DAG_PB,
    CODEC_RAW,
    DATA_DIRECTORY,
    DATA_FILE,
    DATA_HAMT_SHARD,
    DATA_METADATA,
    DATA_RAW,
    DATA_SYMLINK,
    PBLink,
    PBNode,
    UnixfsData,
    decode_pblink,
    decode_pbnode,
    decode_unixfs_data,
    encode_pbnode,
    encode_unixfs_data,
    iter_links,
    split_pbnode,
)
from cidhub.content.hamt import DEFAULT_FANOUT, ShardWriter, shard_layout
from cidhub.content.varint import decode_uvarint
from cidhub.content.varint import encode_uvarint as _uvarint
from cidhub.errors import UnixfsError

__all__ = [
    "Profile",
    "PROFILES",
    "DEFAULT_PROFILE",
    "UNIXFS_V0_2015",
    "UNIXFS_V1_2025",
    "KUBO_CIDV1_LEGACY",
    "get_profile",
    "Block",
    "BlockSink",
    "ImportResult",
    "FileImporter",
    "import_file",
    "import_bytes",
    "import_directory",
    "import_path",
    "DirectoryBuilder",
    "EntryLink",
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
]

_CODEC_DAG_PB: Final = CODEC_DAG_PB
_CODEC_RAW: Final = CODEC_RAW

#: Kubo / boxo / helia switch a plain directory to a HAMT shard above this estimated size
#: (IPIP-499: 256 KiB in both profiles).
HAMT_THRESHOLD_BYTES: Final = 262_144

# --------------------------------------------------------------------------------------------
# Hashing and CID bytes. CIDs are handled as bytes inside the importer; multiformats CID
# objects are built only for results, because building one per block would cost more than
# hashing a small block.

_Bytes = Union[bytes, bytearray, memoryview]


class _Hasher(Protocol):
    def update(self, data: _Bytes, /) -> None: ...
    def digest(self) -> bytes: ...


#: Called with the first piece of data, like ``hashlib.sha256(data)``.
_HashFactory = Callable[[_Bytes], _Hasher]


def _blake2b_256(data: _Bytes = b"") -> _Hasher:
    return hashlib.blake2b(data, digest_size=32)


# multihash name -> (multihash code, digest size, hashlib factory)
_HASHERS: Final[dict[str, tuple[int, int, _HashFactory]]] = {
    "sha2-256": (0x12, 32, hashlib.sha256),
    "sha2-512": (0x13, 64, hashlib.sha512),
    "blake2b-256": (0xB220, 32, _blake2b_256),
}


# --------------------------------------------------------------------------------------------
# Profiles


@dataclass(frozen=True, slots=True)
class Profile:
    """The import settings that determine a UnixFS CID.

    Attributes:
        name: registry key (IPIP-499 name where one exists).
        cid_version: 0 or 1. CIDv0 implies dag-pb everywhere, so it requires dag-pb leaves.
        raw_leaves: chunks are ``raw`` blocks (True) or dag-pb nodes with UnixFS File data.
        chunk_size: fixed chunk size in bytes.
        max_links: maximum children of a file node (the DAG "width").
        hash_function: multihash name of every block's hash.
        hamt_estimate: how a directory's size is measured against ``hamt_threshold``
            (IPIP-499 names): ``"links-bytes"`` (sum of name and binary CID lengths over the
            links; Kubo/boxo), ``"block-bytes"`` (the encoded dag-pb node's exact length;
            IPIP-499 unixfs-v1-2025) or ``"links-count"`` (number of entries; ipfs-car and
            storacha shard above 1000).
        hamt_threshold: a directory whose estimate passes this becomes a HAMT shard; 0 turns
            sharding off (boxo's ``HAMTShardingSize = 0``).
        hamt_switch: how "passes" is compared: ``">"`` (IPIP-499, boxo since Kubo 0.40,
            helia) or ``">="`` (boxo/go-unixfs until Kubo 0.39). Only a directory whose
            estimate equals the threshold exactly is affected.
        hamt_fanout: slots per HAMT node (256 in every profile; boxo allows powers of two that
            are multiples of 8, up to 1024).
        description: one line for ``--help`` and reports.
    """

    name: str
    cid_version: Literal[0, 1]
    raw_leaves: bool
    chunk_size: int
    max_links: int
    hash_function: str = "sha2-256"
    hamt_estimate: Literal["links-bytes", "block-bytes", "links-count"] = "links-bytes"
    hamt_threshold: int = HAMT_THRESHOLD_BYTES
    hamt_switch: Literal[">", ">="] = ">"
    hamt_fanout: int = DEFAULT_FANOUT
    description: str = ""

    def __post_init__(self) -> None:
        if self.cid_version not in (0, 1):
            raise UnixfsError(f"profile {self.name}: cid_version must be 0 or 1")
        if self.cid_version == 0 and self.raw_leaves:
            raise UnixfsError(f"profile {self.name}: CIDv0 cannot address raw leaves")
        if self.cid_version == 0 and self.hash_function != "sha2-256":
            raise UnixfsError(f"profile {self.name}: CIDv0 requires sha2-256")
        if self.hash_function not in _HASHERS:
            raise UnixfsError(
                f"profile {self.name}: unsupported hash function {self.hash_function!r} "
                f"(supported: {', '.join(sorted(_HASHERS))})"
            )
        if self.chunk_size < 1 or self.chunk_size > 4 * 1024 * 1024:
            # Bitswap refuses blocks over 2 MiB (4 MiB in some stacks); a larger chunk makes a
            # CID whose blocks nobody can fetch.
            raise UnixfsError(f"profile {self.name}: chunk_size must be in 1..4194304 bytes")
        if self.max_links < 2:
            raise UnixfsError(f"profile {self.name}: max_links must be at least 2")
        if self.hamt_estimate not in ("links-bytes", "block-bytes", "links-count"):
            raise UnixfsError(f"profile {self.name}: unknown hamt_estimate {self.hamt_estimate!r}")
        if self.hamt_switch not in (">", ">="):
            raise UnixfsError(f"profile {self.name}: hamt_switch must be '>' or '>='")
        if self.hamt_threshold < 0:
            raise UnixfsError(f"profile {self.name}: hamt_threshold must not be negative")
        shard_layout(self.hamt_fanout)  # raises UnixfsError for a fanout boxo would refuse

    def with_overrides(self, **changes: object) -> Profile:
        """A copy with some settings changed (tests use tiny chunks to build deep trees fast)."""
        return replace(self, **changes)  # type: ignore[arg-type]


UNIXFS_V0_2015: Final = Profile(
    name="unixfs-v0-2015",
    cid_version=0,
    raw_leaves=False,
    chunk_size=262_144,
    max_links=174,
    hamt_estimate="links-bytes",
    description="Kubo legacy defaults: CIDv0, dag-pb leaves, 256 KiB chunks, 174 links",
)
UNIXFS_V1_2025: Final = Profile(
    name="unixfs-v1-2025",
    cid_version=1,
    raw_leaves=True,
    chunk_size=1_048_576,
    max_links=1024,
    hamt_estimate="block-bytes",
    description="IPIP-499 modern profile: CIDv1, raw leaves, 1 MiB chunks, 1024 links",
)
KUBO_CIDV1_LEGACY: Final = Profile(
    name="kubo-cidv1-legacy",
    cid_version=1,
    raw_leaves=True,
    chunk_size=262_144,
    max_links=174,
    hamt_estimate="links-bytes",
    description="Kubo `add --cid-version=1`: CIDv1, raw leaves, 256 KiB chunks, 174 links",
)

#: Registry of named profiles (read-only).
PROFILES: Final[Mapping[str, Profile]] = MappingProxyType(
    {p.name: p for p in (UNIXFS_V1_2025, UNIXFS_V0_2015, KUBO_CIDV1_LEGACY)}
)
DEFAULT_PROFILE: Final = UNIXFS_V1_2025


def get_profile(profile: str | Profile | None = None) -> Profile:
    """Resolve a profile name (or pass a :class:`Profile` through); ``None`` is the default."""
    if profile is None:
        return DEFAULT_PROFILE
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise UnixfsError(
            f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}"
        ) from None


class _CidMaker:
    """Prefix bytes for the CIDs of one profile, so a CID is ``prefix + digest``."""

    __slots__ = ("new_hash", "raw_prefix", "pb_prefix")

    def __init__(self, profile: Profile) -> None:
        code, size, factory = _HASHERS[profile.hash_function]
        multihash_prefix = _uvarint(code) + _uvarint(size)
        self.new_hash: _HashFactory = factory
        if profile.cid_version == 0:
            self.pb_prefix = multihash_prefix
            self.raw_prefix = b""  # unused: validated that v0 has no raw leaves
        else:
            self.pb_prefix = b"\x01" + _uvarint(_CODEC_DAG_PB) + multihash_prefix
            self.raw_prefix = b"\x01" + _uvarint(_CODEC_RAW) + multihash_prefix

    def dag_pb(self, block: bytes) -> bytes:
        return self.pb_prefix + self.new_hash(block).digest()


# --------------------------------------------------------------------------------------------
# Blocks and results


@dataclass(frozen=True, slots=True)
class Block:
    """One IPLD block: its binary CID and its bytes."""

    cid_bytes: bytes
    data: bytes

    @property
    def cid(self) -> CID:
        return cid_from_bytes(self.cid_bytes)


#: Receives every block the importer produces, children before parents, the root last.
#: Its return value is ignored (so ``BlockStore.put_block`` can be passed directly).
BlockSink = Callable[[Block], object]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Outcome of importing a file, directory or symlink.

    Attributes:
        cid: root CID.
        size: content bytes (file length; for a directory the sum of its files' lengths).
        dag_size: cumulative encoded size of every block in the DAG, i.e. the ``Tsize`` a
            parent link to this root carries (duplicate blocks counted each time, like Kubo).
        blocks: number of blocks produced (duplicates included).
        profile: name of the profile used.
        kind: ``"file"``, ``"directory"`` or ``"symlink"``.
        sharded: the directory is a HAMT shard (its size passed the profile's threshold).
    """

    cid: CID
    size: int
    dag_size: int
    blocks: int
    profile: str
    kind: Literal["file", "directory", "symlink"] = "file"
    sharded: bool = False

    @property
    def cid_bytes(self) -> bytes:
        return bytes(self.cid)


class EntryLink(NamedTuple):
    """What a parent links to: a file's, directory's or symlink's root as binary fields.

    :class:`ImportResult` holds the same as a ``CID`` object; building one costs about half a
    millisecond in ``multiformats``, so code handling thousands of entries uses this.
    """

    cid: bytes
    tsize: int  # cumulative encoded DAG size of the child (dag-pb PBLink.Tsize)
    filesize: int  # content bytes under the child (UnixFS blocksizes entry)


_Link = EntryLink


# --------------------------------------------------------------------------------------------
# File import


class FileImporter:
    """Incremental UnixFS file builder: feed chunks with :meth:`write`, then :meth:`finish`.

    Use :func:`import_file` for files and streams; use this directly when the bytes arrive in
    pieces from elsewhere (an HTTP upload, a decompressor). Memory stays bounded by one chunk
    plus ``max_links`` pending links per tree level.
    """

    def __init__(self, profile: str | Profile | None = None, block_sink: BlockSink | None = None):
        self.profile = get_profile(profile)
        self._sink = block_sink
        self._cids = _CidMaker(self.profile)
        self._width = self.profile.max_links
        self._levels: list[list[_Link]] = [[]]
        self._pending = bytearray()  # partial chunk from write(); empty when fed whole chunks
        self.size = 0
        self.blocks = 0
        self._finished = False

    # ---- input

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append content; full chunks are hashed immediately, a remainder waits."""
        chunk = self.profile.chunk_size
        view = memoryview(data).cast("B")
        if self._pending:
            need = chunk - len(self._pending)
            self._pending += view[:need]
            view = view[need:]
            if len(self._pending) < chunk:
                return
            self.add_chunk(memoryview(self._pending))
            self._pending = bytearray()
        while len(view) >= chunk:
            self.add_chunk(view[:chunk])
            view = view[chunk:]
        if len(view):
            self._pending += view

    def add_chunk(self, chunk: memoryview) -> None:
        """Add one complete chunk (exactly ``chunk_size`` bytes, except the file's last)."""
        if len(chunk) == 0:
            return
        link = _leaf(self.profile, self._cids, chunk, self._sink)
        self.blocks += 1
        self.size += link.filesize
        self._push(0, link)

    # ---- tree

    def _push(self, level: int, link: _Link) -> None:
        # A full row is packed into a parent only when a further sibling arrives, so a row that
        # ends exactly full becomes the root instead of gaining a one-child parent. This is the
        # order Kubo's balanced builder and @ipld/unixfs produce nodes in.
        levels = self._levels
        if len(levels[level]) == self._width:
            parent = self._pack(levels[level])
            levels[level] = []
            if level + 1 == len(levels):
                levels.append([])
            self._push(level + 1, parent)
        levels[level].append(link)

    def _pack(self, children: Sequence[_Link]) -> _Link:
        filesize = sum(child.filesize for child in children)
        data = encode_unixfs_data(
            UnixfsData(
                type=DATA_FILE,
                filesize=filesize,
                blocksizes=tuple(child.filesize for child in children),
            )
        )
        block = encode_pbnode(
            PBNode(tuple(PBLink(c.cid, "", c.tsize) for c in children), data)
        )
        cid = self._cids.dag_pb(block)
        self.blocks += 1
        if self._sink is not None:
            self._sink(Block(cid, block))
        return _Link(cid, len(block) + sum(child.tsize for child in children), filesize)

    def finish_link(self) -> EntryLink:
        """:meth:`finish` without building a ``CID`` object (for callers linking many files)."""
        return self._finish_link()

    def finish(self) -> ImportResult:
        """Flush the last chunk and the tree; return the root. The importer is then spent."""
        root = self._finish_link()
        return ImportResult(
            cid=cid_from_bytes(root.cid),
            size=self.size,
            dag_size=root.tsize,
            blocks=self.blocks,
            profile=self.profile.name,
            kind="file",
        )

    def _finish_link(self) -> _Link:
        if self._finished:
            raise UnixfsError("FileImporter.finish() called twice")
        self._finished = True
        if self._pending:
            self.add_chunk(memoryview(self._pending))
            self._pending = bytearray()
        levels = self._levels
        if len(levels) == 1 and not levels[0]:
            return self._empty_file()
        level = 0
        while True:
            row = levels[level]
            top = level == len(levels) - 1
            if top and len(row) == 1:
                return row[0]
            if top:
                return self._pack(row)
            if row:
                parent = self._pack(row)
                levels[level] = []
                self._push(level + 1, parent)
            level += 1

    def _empty_file(self) -> _Link:
        self.blocks += 1
        return _empty_leaf(self.profile, self._cids, self._sink)


def _leaf(profile: Profile, cids: _CidMaker, chunk: memoryview, sink: BlockSink | None) -> _Link:
    """The leaf block of one chunk: a raw block, or a dag-pb node wrapping UnixFS File data."""
    n = len(chunk)
    if profile.raw_leaves:
        cid = cids.raw_prefix + cids.new_hash(chunk).digest()
        if sink is not None:
            sink(Block(cid, bytes(chunk)))
        return _Link(cid, n, n)
    # dag-pb leaf: PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: n}}, hashed in three
    # pieces so the chunk is never copied just to be hashed.
    n_var = _uvarint(n)
    inner_len = 2 + 1 + len(n_var) + n + 1 + len(n_var)
    prefix = b"\x0a" + _uvarint(inner_len) + b"\x08\x02\x12" + n_var
    suffix = b"\x18" + n_var
    h = cids.new_hash(prefix)
    h.update(chunk)
    h.update(suffix)
    cid = cids.pb_prefix + h.digest()
    if sink is not None:
        sink(Block(cid, b"".join((prefix, chunk, suffix))))
    return _Link(cid, len(prefix) + n + len(suffix), n)


def _empty_leaf(profile: Profile, cids: _CidMaker, sink: BlockSink | None) -> _Link:
    # Kubo's balanced layout returns a leaf with no data: an empty raw block under raw leaves,
    # else a dag-pb node whose UnixFS data is {Type: File, filesize: 0}.
    if profile.raw_leaves:
        block = b""
        cid = cids.raw_prefix + cids.new_hash(block).digest()
    else:
        block = encode_pbnode(PBNode((), encode_unixfs_data(UnixfsData(DATA_FILE, None, 0))))
        cid = cids.dag_pb(block)
    if sink is not None:
        sink(Block(cid, block))
    return _Link(cid, len(block), 0)


Source = Union[str, "os.PathLike[str]", BinaryIO, io.RawIOBase, io.BufferedIOBase]


def import_file(
    source: Source,
    profile: str | Profile | None = None,
    block_sink: BlockSink | None = None,
) -> ImportResult:
    """CID of a file (path) or binary stream, read once, chunk by chunk, in constant memory.

    Args:
        source: a path, or a binary stream (anything with ``readinto`` or ``read``); a stream
            is read to its end and not closed.
        profile: profile name or :class:`Profile`; default ``unixfs-v1-2025``.
        block_sink: called with every block, children before parents, root last.

    Raises:
        OSError: the path cannot be opened or read (the CLI reports these as user errors).
    """
    importer = FileImporter(profile, block_sink)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb", buffering=0) as stream:
            _advise_sequential(stream)
            _feed(importer, stream)
    else:
        _feed(importer, source)
    return importer.finish()


def import_bytes(
    data: bytes | bytearray | memoryview,
    profile: str | Profile | None = None,
    block_sink: BlockSink | None = None,
) -> ImportResult:
    """CID of in-memory content (tests, small payloads)."""
    importer = FileImporter(profile, block_sink)
    importer.write(data)
    return importer.finish()


def _advise_sequential(stream: object) -> None:
    fileno = getattr(stream, "fileno", None)
    if fileno is None or not hasattr(os, "posix_fadvise"):
        return
    try:
        os.posix_fadvise(fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # a pipe or a non-file stream: the hint does not apply


def _feed(importer: FileImporter, stream: object) -> None:
    """Read ``stream`` in whole chunks into one reused buffer and feed the importer."""
    chunk_size = importer.profile.chunk_size
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    readinto = getattr(stream, "readinto", None)
    if readinto is None:
        read = getattr(stream, "read", None)
        if read is None:
            raise TypeError(f"cannot read from {type(stream).__name__}: no readinto() or read()")
        while True:
            data = read(chunk_size)
            if not data:
                return
            importer.write(data)
    while True:
        # A read may return fewer bytes than asked (pipes, sockets); fill the whole chunk so
        # the chunk boundaries depend only on the content, never on how it was delivered.
        filled = 0
        while filled < chunk_size:
            n = readinto(view[filled:])
            if n is None:
                raise UnixfsError("cannot import from a non-blocking stream with no data ready")
            if n == 0:
                break
            filled += n
        if filled:
            importer.add_chunk(view[:filled])
        if filled < chunk_size:
            return


# --------------------------------------------------------------------------------------------
# Directories and symlinks

#: UnixFS data of a plain directory ({Type: Directory}), and the bytes it adds to the dag-pb
#: node (field tag, length, message): the part of ``block-bytes`` that is not links.
_DIRECTORY_DATA: Final = encode_unixfs_data(UnixfsData(DATA_DIRECTORY))
_DIRECTORY_DATA_FIELD: Final = 2 + len(_DIRECTORY_DATA)


def _link_field_size(name_len: int, cid_len: int, tsize: int) -> int:
    """Bytes one PBLink adds to a dag-pb node (boxo ``linkSerializedSize``)."""
    inner = (
        1 + len(_uvarint(cid_len)) + cid_len
        + 1 + len(_uvarint(name_len)) + name_len
        + 1 + len(_uvarint(tsize))
    )  # fmt: skip
    return 1 + len(_uvarint(inner)) + inner


class DirectoryBuilder:
    """One UnixFS directory: collect its entries, then write it as Kubo would.

    The profile's sharding rule decides, once every entry is known, between a plain
    ``Directory`` node (links sorted by name bytes) and a HAMT (:mod:`cidhub.content.hamt`):

    * ``links-bytes`` (unixfs-v0-2015, kubo-cidv1-legacy; boxo's default): the sum over the
      links of ``len(name) + len(binary CID)``;
    * ``block-bytes`` (IPIP-499 unixfs-v1-2025): the exact size of the plain directory node;
    * ``links-count`` (ipfs-car, storacha): the number of entries.

    It shards when the estimate passes ``hamt_threshold`` (``>`` as IPIP-499 and boxo since
    Kubo 0.40 compare; ``>=`` as Kubo up to 0.39 did, with ``hamt_switch=">="``). An
    importer that only adds entries (``ipfs add``, this class) ends in the state its final
    estimate implies, so deciding at the end gives Kubo's result, and a directory that shrinks
    below the threshold is a plain directory again.

    Entries are held as packed ``bytes`` records (name, CID, sizes), not file contents or
    objects, so memory stays near 100 bytes per entry.
    """

    def __init__(self, profile: str | Profile | None = None, block_sink: BlockSink | None = None) -> None:
        self.profile = get_profile(profile)
        self._sink = block_sink
        self._cids = _CidMaker(self.profile)
        self._records: list[bytes] = []  # name \0 len(cid) cid uvarint(tsize) uvarint(size)
        self.links_bytes = 0
        self.block_bytes = _DIRECTORY_DATA_FIELD
        self.size = 0
        self.blocks = 0
        self._finished = False

    def __len__(self) -> int:
        return len(self._records)

    def add(self, name: str | bytes, cid: bytes, tsize: int, size: int = 0) -> None:
        """Add an entry: its name, binary CID, cumulative DAG size and content bytes."""
        raw = name.encode("utf-8") if isinstance(name, str) else bytes(name)
        if not raw or b"/" in raw or b"\0" in raw or raw in (b".", b".."):
            raise UnixfsError(f"invalid directory entry name {name!r}")
        if not isinstance(name, str):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise UnixfsError(f"directory entry name {name!r} is not UTF-8") from None
        self._records.append(raw + b"\0" + bytes((len(cid),)) + cid + _uvarint(tsize) + _uvarint(size))
        self.links_bytes += len(raw) + len(cid)
        self.block_bytes += _link_field_size(len(raw), len(cid), tsize)
        self.size += size

    @property
    def estimate(self) -> int:
        """The size the profile's ``hamt_estimate`` measures (bytes, or entries)."""
        kind = self.profile.hamt_estimate
        if kind == "links-bytes":
            return self.links_bytes
        if kind == "block-bytes":
            return self.block_bytes
        return len(self._records)

    @property
    def sharded(self) -> bool:
        """Whether :meth:`finish` will write a HAMT rather than one directory node."""
        threshold = self.profile.hamt_threshold
        if threshold == 0:
            return False
        if self.profile.hamt_switch == ">=":
            return self.estimate >= threshold
        return self.estimate > threshold

    def finish_link(self) -> EntryLink:
        """:meth:`finish` without building a ``CID`` object."""
        return self._finish_link()[0]

    def finish(self) -> ImportResult:
        """Write the directory (children's blocks must already be in the sink); returns its root."""
        link, sharded = self._finish_link()
        return ImportResult(
            cid=cid_from_bytes(link.cid),
            size=link.filesize,
            dag_size=link.tsize,
            blocks=self.blocks,
            profile=self.profile.name,
            kind="directory",
            sharded=sharded,
        )

    def _finish_link(self) -> tuple[_Link, bool]:
        if self._finished:
            raise UnixfsError("DirectoryBuilder.finish() called twice")
        self._finished = True
        sharded = self.sharded
        records = self._records
        self._records = []
        if sharded:
            writer = ShardWriter(self._emit, self.profile.hamt_fanout)
            while records:  # pop from the end so the two copies never coexist in full
                name, cid, tsize, _ = _unpack_entry(records.pop())
                writer.add(name, cid, tsize)
            cid, tsize = writer.finish()
            return _Link(cid, tsize, self.size), True
        records.sort()
        links = []
        total = 0
        previous = None
        for record in records:
            name, cid, tsize, _ = _unpack_entry(record)
            if name == previous:
                raise UnixfsError(f"directory has two entries named {name.decode('utf-8')!r}")
            previous = name
            links.append(PBLink(cid, name.decode("utf-8"), tsize))
            total += tsize
        block = encode_pbnode(PBNode(tuple(links), _DIRECTORY_DATA))
        return _Link(self._emit(block), len(block) + total, self.size), False

    def _emit(self, block: bytes) -> bytes:
        cid = self._cids.dag_pb(block)
        self.blocks += 1
        if self._sink is not None:
            self._sink(Block(cid, block))
        return cid


def _unpack_entry(record: bytes) -> tuple[bytes, bytes, int, int]:
    nul = record.index(0)
    cid_len = record[nul + 1]
    start = nul + 2
    tsize, pos = decode_uvarint(record, start + cid_len, UnixfsError, "directory record")
    size, _ = decode_uvarint(record, pos, UnixfsError, "directory record")
    return record[:nul], record[start : start + cid_len], tsize, size


def import_directory(
    path: str | os.PathLike[str],
    profile: str | Profile | None = None,
    block_sink: BlockSink | None = None,
    *,
    include_hidden: bool = False,
) -> ImportResult:
    """CID of a directory tree (Kubo ``ipfs add -r`` semantics), HAMT-sharded where needed.

    Entries are linked in byte order of their names; a directory whose size passes the
    profile's threshold becomes a HAMT (see :class:`DirectoryBuilder`); empty directories are
    kept; entries whose name starts with ``.`` are skipped unless ``include_hidden``; symlinks
    inside the tree are stored as UnixFS symlinks (not followed), as IPIP-499 profiles
    specify; the directory itself is not wrapped in another directory. Memory holds one
    packed record per entry of the directories being built, never file contents, and one
    file is open at a time.

    Raises:
        UnixfsError: a name is not valid UTF-8, an entry is a socket / device / FIFO, or two
            names of one directory have the same 64-bit HAMT hash.
        OSError: a directory cannot be listed or a file cannot be read.
    """
    prof = get_profile(profile)
    builder = _TreeBuilder(prof, block_sink, include_hidden)
    link, sharded = builder.directory(os.fspath(path))
    return ImportResult(
        cid=cid_from_bytes(link.cid),
        size=link.filesize,
        dag_size=link.tsize,
        blocks=builder.blocks,
        profile=prof.name,
        kind="directory",
        sharded=sharded,
    )


def import_path(
    path: str | os.PathLike[str],
    profile: str | Profile | None = None,
    block_sink: BlockSink | None = None,
    *,
    include_hidden: bool = False,
) -> ImportResult:
    """Import a file or a directory, whichever ``path`` is (a symlink given here is followed)."""
    if os.path.isdir(path):
        return import_directory(path, profile, block_sink, include_hidden=include_hidden)
    return import_file(path, profile, block_sink)


# Entry kinds in a directory listing, stored after the name so a sort orders by name.
_KIND_FILE: Final = b"f"
_KIND_DIR: Final = b"d"
_KIND_LINK: Final = b"l"


class _TreeBuilder:
    def __init__(self, profile: Profile, sink: BlockSink | None, include_hidden: bool) -> None:
        self.profile = profile
        self.sink = sink
        self.include_hidden = include_hidden
        self.cids = _CidMaker(profile)
        self.blocks = 0
        self._chunk = bytearray(profile.chunk_size)  # reused for every file's first chunk

    def directory(self, path: str) -> tuple[_Link, bool]:
        builder = DirectoryBuilder(self.profile, self.sink)
        for item in self._listing(path):
            name, kind = item[:-2], item[-1:]
            child = os.path.join(path, os.fsdecode(name))
            if kind == _KIND_FILE:
                link = self._file(child)
            elif kind == _KIND_DIR:
                link, _ = self.directory(child)
            else:
                link = self._symlink(os.fsencode(os.readlink(child)))
            builder.add(name, link.cid, link.tsize, link.filesize)
        result, sharded = builder._finish_link()
        self.blocks += builder.blocks
        return result, sharded

    def _listing(self, path: str) -> list[bytes]:
        """Names and kinds of the entries to import, sorted by name bytes (one small ``bytes``
        per entry; ``DirEntry`` objects are not kept, and kinds come from ``d_type``)."""
        items: list[bytes] = []
        with os.scandir(path) as it:
            for entry in it:
                name = os.fsencode(entry.name)
                if name.startswith(b".") and not self.include_hidden:
                    continue
                try:
                    name.decode("utf-8")
                except UnicodeDecodeError:
                    raise UnixfsError(
                        f"file name {entry.path!r} is not valid UTF-8; UnixFS names are UTF-8 text"
                    ) from None
                if entry.is_symlink():
                    kind = _KIND_LINK
                elif entry.is_dir(follow_symlinks=False):
                    kind = _KIND_DIR
                elif entry.is_file(follow_symlinks=False):
                    kind = _KIND_FILE
                else:
                    raise UnixfsError(
                        f"{entry.path} is not a regular file, directory or symlink; UnixFS cannot store it"
                    )
                items.append(name + b"\0" + kind)
        items.sort()
        return items

    def _file(self, path: str) -> _Link:
        # Most files of a large dataset fit in one chunk: read that chunk into one reused
        # buffer and make the leaf directly. Larger files continue in a FileImporter.
        chunk_size = self.profile.chunk_size
        view = memoryview(self._chunk)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            filled = 0
            while filled < chunk_size:
                n = os.readv(fd, [view[filled:]])
                if n == 0:
                    break
                filled += n
            if filled < chunk_size:
                self.blocks += 1
                if filled == 0:
                    return _empty_leaf(self.profile, self.cids, self.sink)
                return _leaf(self.profile, self.cids, view[:filled], self.sink)
            importer = FileImporter(self.profile, self.sink)
            importer.add_chunk(view)
            with open(fd, "rb", buffering=0, closefd=False) as stream:
                _advise_sequential(stream)
                _feed(importer, stream)
            link = importer._finish_link()
            self.blocks += importer.blocks
            return link
        finally:
            os.close(fd)

    def _symlink(self, target: bytes) -> _Link:
        block = encode_pbnode(PBNode((), encode_unixfs_data(UnixfsData(DATA_SYMLINK, target))))
        cid = self.cids.dag_pb(block)
        self.blocks += 1
        if self.sink is not None:
            self.sink(Block(cid, block))
        return _Link(cid, len(block), 0)
