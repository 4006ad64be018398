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
* dag-pb canonical form is written by hand: Links (field 2) precede Data (field 1), which a
  generic protobuf serializer would not do, and link ``Name`` is always present (empty for file
  chunks), matching Kubo (go-codec-dagpb) and js ``@ipld/dag-pb``.
* Blocks are handed to an optional ``block_sink`` as they are produced (children before
  parents, root last), so a block store or CAR writer consumes them without a second read.

Sources checked for the encoding: boxo ``ipld/unixfs/importer/balanced/builder.go`` (layout,
leaves of type File with filesize), the UnixFS spec, the dag-pb spec, IPIP-499 (profiles).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
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
    decode_pbnode,
    decode_unixfs_data,
    encode_pbnode,
    encode_unixfs_data,
    iter_links,
)
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
    "PBLink",
    "PBNode",
    "UnixfsData",
    "encode_pbnode",
    "decode_pbnode",
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

#: Kubo / boxo / helia switch a plain directory to a HAMT shard above this estimated size.
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
        hamt_estimate: how the directory size is estimated against ``hamt_threshold``:
            ``"links-bytes"`` (sum of name and CID lengths; Kubo/boxo) or ``"block-bytes"``
            (full encoded node size; IPIP-499 unixfs-v1-2025).
        hamt_threshold: a directory whose estimate exceeds this (strictly) would be a HAMT
            shard; cidhub does not write HAMT shards and refuses rather than produce a CID no
            other implementation would.
        description: one line for ``--help`` and reports.
    """

    name: str
    cid_version: Literal[0, 1]
    raw_leaves: bool
    chunk_size: int
    max_links: int
    hash_function: str = "sha2-256"
    hamt_estimate: Literal["links-bytes", "block-bytes"] = "links-bytes"
    hamt_threshold: int = HAMT_THRESHOLD_BYTES
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
    """

    cid: CID
    size: int
    dag_size: int
    blocks: int
    profile: str
    kind: Literal["file", "directory", "symlink"] = "file"

    @property
    def cid_bytes(self) -> bytes:
        return bytes(self.cid)


class _Link(NamedTuple):
    """A child while a file tree is being built."""

    cid: bytes
    tsize: int  # cumulative encoded DAG size of the child (dag-pb PBLink.Tsize)
    filesize: int  # content bytes under the child (UnixFS blocksizes entry)


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
        n = len(chunk)
        if n == 0:
            return
        cids = self._cids
        sink = self._sink
        if self.profile.raw_leaves:
            cid = cids.raw_prefix + cids.new_hash(chunk).digest()
            tsize = n
            if sink is not None:
                sink(Block(cid, bytes(chunk)))
        else:
            # dag-pb leaf: PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: n}}, hashed in
            # three pieces so the chunk is never copied just to be hashed.
            n_var = _uvarint(n)
            inner_len = 2 + 1 + len(n_var) + n + 1 + len(n_var)
            prefix = b"\x0a" + _uvarint(inner_len) + b"\x08\x02\x12" + n_var
            suffix = b"\x18" + n_var
            h = cids.new_hash(prefix)
            h.update(chunk)
            h.update(suffix)
            cid = cids.pb_prefix + h.digest()
            tsize = len(prefix) + n + len(suffix)
            if sink is not None:
                sink(Block(cid, b"".join((prefix, chunk, suffix))))
        self.blocks += 1
        self.size += n
        self._push(0, _Link(cid, tsize, n))

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
        # Kubo's balanced layout returns a leaf with no data: an empty raw block under raw
        # leaves, else a dag-pb node whose UnixFS data is {Type: File, filesize: 0}.
        if self.profile.raw_leaves:
            block = b""
            cid = self._cids.raw_prefix + self._cids.new_hash(block).digest()
        else:
            block = encode_pbnode(PBNode((), encode_unixfs_data(UnixfsData(DATA_FILE, None, 0))))
            cid = self._cids.dag_pb(block)
        self.blocks += 1
        if self._sink is not None:
            self._sink(Block(cid, block))
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


def import_directory(
    path: str | os.PathLike[str],
    profile: str | Profile | None = None,
    block_sink: BlockSink | None = None,
    *,
    include_hidden: bool = False,
) -> ImportResult:
    """CID of a directory tree as a plain UnixFS directory (Kubo ``ipfs add -r`` semantics).

    Entries are linked in byte order of their names; empty directories are kept; entries whose
    name starts with ``.`` are skipped unless ``include_hidden``; symlinks inside the tree are
    stored as UnixFS symlinks (not followed), as IPIP-499 profiles specify; the directory
    itself is not wrapped in another directory.

    Raises:
        UnixfsError: a directory would need HAMT sharding under ``profile``, a name is not
            valid UTF-8, or an entry is a socket / device / FIFO.
        OSError: a directory cannot be listed or a file cannot be read.
    """
    prof = get_profile(profile)
    builder = _TreeBuilder(prof, block_sink, include_hidden)
    link = builder.directory(os.fspath(path))
    return ImportResult(
        cid=cid_from_bytes(link.cid),
        size=link.filesize,
        dag_size=link.tsize,
        blocks=builder.blocks,
        profile=prof.name,
        kind="directory",
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


class _TreeBuilder:
    def __init__(self, profile: Profile, sink: BlockSink | None, include_hidden: bool) -> None:
        self.profile = profile
        self.sink = sink
        self.include_hidden = include_hidden
        self.cids = _CidMaker(profile)
        self.blocks = 0

    def _emit(self, block: bytes) -> bytes:
        cid = self.cids.dag_pb(block)
        self.blocks += 1
        if self.sink is not None:
            self.sink(Block(cid, block))
        return cid

    def directory(self, path: str) -> _Link:
        entries: list[tuple[bytes, _Link]] = []
        with os.scandir(path) as it:
            listing = sorted(it, key=lambda e: os.fsencode(e.name))
        for entry in listing:
            name = os.fsencode(entry.name)
            if name.startswith(b".") and not self.include_hidden:
                continue
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                raise UnixfsError(
                    f"file name {entry.path!r} is not valid UTF-8; UnixFS names are UTF-8 text"
                ) from None
            entries.append((name, self._entry(entry)))
        return self._directory_node(path, entries)

    def _entry(self, entry: os.DirEntry[str]) -> _Link:
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            return self._symlink(os.fsencode(os.readlink(entry.path)))
        if stat.S_ISDIR(mode):
            return self.directory(entry.path)
        if stat.S_ISREG(mode):
            importer = FileImporter(self.profile, self.sink)
            with open(entry.path, "rb", buffering=0) as stream:
                _advise_sequential(stream)
                _feed(importer, stream)
            link = importer._finish_link()
            self.blocks += importer.blocks
            return link
        raise UnixfsError(
            f"{entry.path} is not a regular file, directory or symlink; UnixFS cannot store it"
        )

    def _symlink(self, target: bytes) -> _Link:
        block = encode_pbnode(PBNode((), encode_unixfs_data(UnixfsData(DATA_SYMLINK, target))))
        return _Link(self._emit(block), len(block), 0)

    def _directory_node(self, path: str, entries: list[tuple[bytes, _Link]]) -> _Link:
        links = tuple(PBLink(link.cid, name.decode("utf-8"), link.tsize) for name, link in entries)
        block = encode_pbnode(PBNode(links, encode_unixfs_data(UnixfsData(DATA_DIRECTORY))))
        if self.profile.hamt_estimate == "links-bytes":
            estimate = sum(len(name) + len(link.cid) for name, link in entries)
        else:
            estimate = len(block)
        if estimate > self.profile.hamt_threshold:
            raise UnixfsError(
                f"directory {path} has {len(entries)} entries ({self.profile.hamt_estimate} "
                f"estimate {estimate} > {self.profile.hamt_threshold}); profile "
                f"{self.profile.name} stores such directories as HAMT shards, which cidhub does "
                "not write yet"
            )
        cid = self._emit(block)
        return _Link(
            cid,
            len(block) + sum(link.tsize for _, link in entries),
            sum(link.filesize for _, link in entries),
        )
