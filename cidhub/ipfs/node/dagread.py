"""Reading UnixFS DAGs back out of the block store: path resolution, listings and file bytes.

The gateway and the RPC ``cat`` need the inverse of the importer: given a root CID (and a path
inside a directory), stream the file's bytes in order, one block at a time, with every block
verified by :meth:`BlockStore.get` as it is read.

Directories are plain ``Directory`` nodes or HAMT shards (:mod:`cidhub.content.hamt`); both
are ``kind == "directory"`` here. A path step through a HAMT hashes the name and reads one
block per level, so ``/ipfs/{cid}/a/b.jpg`` costs O(depth) block reads however large the
directories are, and listings stream (one node per level in memory).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from cidhub.content import hamt
from cidhub.content.cid import CID, cid_from_bytes, parse_cid
from cidhub.content.store import BlockStore
from cidhub.content.unixfs import (
    DATA_DIRECTORY,
    DATA_FILE,
    DATA_HAMT_SHARD,
    DATA_RAW,
    DATA_SYMLINK,
    PBLink,
    decode_pbnode,
    decode_unixfs_data,
    split_pbnode,
)
from cidhub.errors import CidhubError, UnixfsError

__all__ = [
    "Entry",
    "NotAFileError",
    "PathNotFoundError",
    "NodeCache",
    "stat",
    "stat_block",
    "resolve",
    "lookup",
    "iter_file",
    "iter_directory",
    "list_directory",
    "iter_directory_blocks",
]

_DAG_PB = 0x70
_RAW = 0x55


class NotAFileError(CidhubError):
    """The CID names a directory or symlink where file bytes were asked for."""


class PathNotFoundError(CidhubError):
    """A path component does not exist in the directory."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What a CID is, as UnixFS sees it."""

    cid: CID
    kind: str  # "file", "directory", "symlink", "other"
    size: int  # content bytes for files, 0 otherwise
    sharded: bool = False  # a directory stored as a HAMT


def _codec(cid: CID) -> int:
    return int(cid.codec.code)


def stat(store: BlockStore, cid: CID) -> Entry:
    """What ``cid`` is (reads its block)."""
    return stat_block(cid, store.get(cid))


def stat_block(cid: CID, data: bytes) -> Entry:
    """What the block ``data`` of ``cid`` is, without reading anything else."""
    if _codec(cid) == _RAW:
        return Entry(cid, "file", len(data))
    if _codec(cid) != _DAG_PB:
        return Entry(cid, "other", 0)
    _, node_data = split_pbnode(data)  # the links stay undecoded: a HAMT root has 256
    if node_data is None:
        return Entry(cid, "other", 0)
    fs = decode_unixfs_data(node_data)
    if fs.type in (DATA_FILE, DATA_RAW):
        if fs.filesize is not None:
            size = fs.filesize
        else:
            size = len(fs.data or b"") + sum(fs.blocksizes)
        return Entry(cid, "file", size)
    if fs.type == DATA_DIRECTORY:
        return Entry(cid, "directory", 0)
    if fs.type == DATA_HAMT_SHARD:
        return Entry(cid, "directory", 0, sharded=True)
    if fs.type == DATA_SYMLINK:
        return Entry(cid, "symlink", 0)
    return Entry(cid, "other", 0)


def _getter(store: BlockStore) -> hamt.BlockGetter:
    return store.get  # takes binary CIDs as they are


def iter_directory(store: BlockStore, cid: CID) -> Iterator[tuple[str, bytes, int]]:
    """(name, binary CID, Tsize) of a directory's entries, streamed: byte order for a plain
    directory, hash order for a HAMT (as Kubo lists them). CIDs stay binary: building a
    ``CID`` object per entry would cost more than reading the shards (use ``cid_text``)."""
    block = store.get(cid)
    if stat_block(cid, block).sharded:
        links: Iterator[PBLink] = hamt.iter_entries(_getter(store), block)
    else:
        links = iter(decode_pbnode(block).links)
    for link in links:
        yield link.name or "", link.hash, link.tsize or 0


def list_directory(store: BlockStore, cid: CID) -> list[tuple[str, CID, int]]:
    """(name, CID, Tsize) of every entry, as a list (small directories, tests)."""
    return [(name, cid_from_bytes(child), size) for name, child, size in iter_directory(store, cid)]


def iter_directory_blocks(store: BlockStore, cid: CID) -> Iterator[tuple[CID, bytes]]:
    """The blocks a client needs to list a directory: its node, and every shard of a HAMT."""
    block = store.get(cid)
    yield cid, block
    if stat_block(cid, block).sharded:
        for child, data in hamt.iter_shard_blocks(_getter(store), block):
            yield cid_from_bytes(child), data


def lookup(
    store: BlockStore, directory: Entry, name: str, visited: list[CID] | None = None, block: bytes | None = None
) -> CID | None:
    """The CID of entry ``name`` in ``directory``, or None. A HAMT is searched by hash (one
    block per level, each appended to ``visited``); a plain directory's one node is scanned.
    ``block`` is the directory's block if the caller already read it."""
    if block is None:
        block = store.get(directory.cid)
    if directory.sharded:
        shards: list[bytes] = []
        link = hamt.find(_getter(store), block, name, shards)
        if visited is not None:
            visited.extend(cid_from_bytes(c) for c in shards)
        return None if link is None else cid_from_bytes(link.hash)
    for entry in decode_pbnode(block).links:
        if entry.name == name:
            return cid_from_bytes(entry.hash)
    return None


def resolve(store: BlockStore, root: str | CID, path: str = "", visited: list[CID] | None = None) -> Entry:
    """Walk ``path`` (``a/b/c``) from ``root`` through UnixFS directories, plain or sharded.

    ``visited`` receives the CID of every block read on the way, in order (the root, each
    directory, the inner shards of a HAMT, the target): a trustless gateway sends exactly these
    ahead of the target's DAG so a client can verify the path.
    """
    cid = parse_cid(root)
    block = store.get(cid)
    current = stat_block(cid, block)
    if visited is not None:
        visited.append(current.cid)
    for name in [p for p in path.split("/") if p]:
        if current.kind != "directory":
            raise PathNotFoundError(f"cannot resolve {name!r}: {current.cid} is a {current.kind}, not a directory")
        child = lookup(store, current, name, visited, block)
        if child is None:
            raise PathNotFoundError(f"no link named {name!r} under {current.cid}")
        block = store.get(child)
        current = stat_block(child, block)
        if visited is not None:
            visited.append(current.cid)
    return current


@dataclass(frozen=True, slots=True)
class _FileNode:
    """A decoded UnixFS file node: its inline data and its children with their sizes."""

    data: bytes
    children: tuple[tuple[CID, int], ...]


class NodeCache:
    """Decoded interior nodes of UnixFS files, by CID, least recently used out first.

    For a server answering many range requests on the same large files (the access service):
    the interior node of a 1 GiB file has 1,024 links and costs more to decode than the 1 MiB
    leaf a small range reads. Blocks are content-addressed, so a cached node never goes stale;
    leaves are never cached (they are read, and verified, every time).
    """

    def __init__(self, max_nodes: int = 1_024) -> None:
        self.max_nodes = max_nodes
        self._nodes: OrderedDict[bytes, _FileNode] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> _FileNode | None:
        with self._lock:
            node = self._nodes.get(key)
            if node is not None:
                self._nodes.move_to_end(key)
            return node

    def put(self, key: bytes, node: _FileNode) -> None:
        with self._lock:
            self._nodes[key] = node
            while len(self._nodes) > self.max_nodes:
                self._nodes.popitem(last=False)


def _file_node(store: BlockStore, current: CID, data: bytes) -> _FileNode:
    node = decode_pbnode(data)
    if node.data is None:
        raise NotAFileError(f"{current} is a dag-pb node without UnixFS data")
    fs = decode_unixfs_data(node.data)
    if fs.type not in (DATA_FILE, DATA_RAW):
        kind = {DATA_DIRECTORY: "directory", DATA_SYMLINK: "symlink", DATA_HAMT_SHARD: "directory"}.get(fs.type, "node")
        raise NotAFileError(f"{current} is a {kind}, not a file")
    if len(fs.blocksizes) != len(node.links):
        raise UnixfsError(
            f"{current} has {len(node.links)} links but {len(fs.blocksizes)} blocksizes; not a valid UnixFS file node"
        )
    return _FileNode(fs.data or b"", tuple((cid_from_bytes(link.hash), size)
                                           for link, size in zip(node.links, fs.blocksizes, strict=True)))


def iter_file(store: BlockStore, cid: CID, offset: int = 0, length: int | None = None, *,
              nodes: NodeCache | None = None) -> Iterator[bytes]:
    """The bytes of the UnixFS file ``cid`` in order; ``offset``/``length`` select a range.

    Subtrees wholly before ``offset`` are skipped using the ``blocksizes`` in each node, so a
    range read costs only the blocks it touches. ``nodes`` keeps decoded interior nodes between
    calls (see :class:`NodeCache`).
    """
    if nodes is not None:
        yield from _iter_file_cached(store, cid, offset, length, nodes)
        return
    if offset < 0 or (length is not None and length < 0):
        raise ValueError("offset and length must be >= 0")
    end = None if length is None else offset + length
    # Stack of (cid, position of its first byte in the file).
    stack: list[tuple[CID, int]] = [(cid, 0)]
    while stack:
        current, start = stack.pop()
        if end is not None and start >= end:
            continue
        data = store.get(current)
        if _codec(current) == _RAW:
            yield from _slice(data, start, offset, end)
            continue
        if _codec(current) != _DAG_PB:
            raise NotAFileError(f"{current} is not a UnixFS file (codec {current.codec.name})")
        node = decode_pbnode(data)
        if node.data is None:
            raise NotAFileError(f"{current} is a dag-pb node without UnixFS data")
        fs = decode_unixfs_data(node.data)
        if fs.type not in (DATA_FILE, DATA_RAW):
            kinds = {DATA_DIRECTORY: "directory", DATA_SYMLINK: "symlink", DATA_HAMT_SHARD: "directory"}
            kind = kinds.get(fs.type, "node")
            raise NotAFileError(f"{current} is a {kind}, not a file")
        pos = start
        if fs.data:
            yield from _slice(fs.data, pos, offset, end)
            pos += len(fs.data)
        if len(fs.blocksizes) != len(node.links):
            raise UnixfsError(
                f"{current} has {len(node.links)} links but {len(fs.blocksizes)} blocksizes; "
                "not a valid UnixFS file node"
            )
        children: list[tuple[CID, int]] = []
        for link, size in zip(node.links, fs.blocksizes, strict=True):
            child_start = pos
            pos += size
            if pos <= offset:
                continue  # wholly before the range
            children.append((cid_from_bytes(link.hash), child_start))
        stack.extend(reversed(children))


def _iter_file_cached(store: BlockStore, cid: CID, offset: int, length: int | None, nodes: NodeCache
                      ) -> Iterator[bytes]:
    if offset < 0 or (length is not None and length < 0):
        raise ValueError("offset and length must be >= 0")
    end = None if length is None else offset + length
    stack: list[tuple[CID, int]] = [(cid, 0)]
    while stack:
        current, start = stack.pop()
        if end is not None and start >= end:
            continue
        if _codec(current) == _RAW:
            yield from _slice(store.get(current), start, offset, end)
            continue
        if _codec(current) != _DAG_PB:
            raise NotAFileError(f"{current} is not a UnixFS file (codec {current.codec.name})")
        key = bytes(current)
        file_node = nodes.get(key)
        if file_node is None:
            file_node = _file_node(store, current, store.get(current))
            nodes.put(key, file_node)
        pos = start
        if file_node.data:
            yield from _slice(file_node.data, pos, offset, end)
            pos += len(file_node.data)
        children: list[tuple[CID, int]] = []
        for child, size in file_node.children:
            child_start = pos
            pos += size
            if pos <= offset:
                continue
            if end is not None and child_start >= end:
                break
            children.append((child, child_start))
        stack.extend(reversed(children))


def _slice(data: bytes, start: int, offset: int, end: int | None) -> Iterator[bytes]:
    stop = start + len(data)
    lo = max(offset - start, 0)
    hi = len(data) if end is None else min(len(data), end - start)
    if stop <= offset or hi <= lo:
        return
    yield data if (lo == 0 and hi == len(data)) else data[lo:hi]
