"""Reading UnixFS DAGs back out of the block store: path resolution and file bytes.

The gateway and the RPC ``cat`` need the inverse of the importer: given a root CID (and a path
inside a directory), stream the file's bytes in order, one block at a time, with every block
verified by :meth:`BlockStore.get` as it is read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from cidhub.content.cid import CID, cid_from_bytes, parse_cid
from cidhub.content.store import BlockStore
from cidhub.content.unixfs import (
    DATA_DIRECTORY,
    DATA_FILE,
    DATA_HAMT_SHARD,
    DATA_RAW,
    DATA_SYMLINK,
    decode_pbnode,
    decode_unixfs_data,
)
from cidhub.errors import CidhubError, UnixfsError

__all__ = ["Entry", "NotAFileError", "PathNotFoundError", "NodeCache", "stat", "resolve", "iter_file",
           "list_directory"]

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
    kind: str  # "file", "directory", "symlink", "hamt", "raw-block", "other"
    size: int  # content bytes for files, 0 otherwise


def _codec(cid: CID) -> int:
    return int(cid.codec.code)


def stat(store: BlockStore, cid: CID) -> Entry:
    data = store.get(cid)
    if _codec(cid) == _RAW:
        return Entry(cid, "file", len(data))
    if _codec(cid) != _DAG_PB:
        return Entry(cid, "other", 0)
    node = decode_pbnode(data)
    if node.data is None:
        return Entry(cid, "other", 0)
    fs = decode_unixfs_data(node.data)
    if fs.type in (DATA_FILE, DATA_RAW):
        if fs.filesize is not None:
            size = fs.filesize
        else:
            size = len(fs.data or b"") + sum(fs.blocksizes)
        return Entry(cid, "file", size)
    if fs.type == DATA_DIRECTORY:
        return Entry(cid, "directory", 0)
    if fs.type == DATA_HAMT_SHARD:
        return Entry(cid, "hamt", 0)
    if fs.type == DATA_SYMLINK:
        return Entry(cid, "symlink", 0)
    return Entry(cid, "other", 0)


def list_directory(store: BlockStore, cid: CID) -> list[tuple[str, CID, int]]:
    """(name, CID, Tsize) of a plain directory's entries, in stored (byte) order."""
    node = decode_pbnode(store.get(cid))
    return [(link.name or "", cid_from_bytes(link.hash), link.tsize or 0) for link in node.links]


def resolve(store: BlockStore, root: str | CID, path: str = "") -> Entry:
    """Walk ``path`` (``a/b/c``) from ``root`` through plain UnixFS directories."""
    current = stat(store, parse_cid(root))
    for name in [p for p in path.split("/") if p]:
        if current.kind == "hamt":
            raise UnixfsError(f"{current.cid} is a HAMT-sharded directory; cidhub cannot resolve paths in it yet")
        if current.kind != "directory":
            raise PathNotFoundError(f"cannot resolve {name!r}: {current.cid} is a {current.kind}, not a directory")
        for entry_name, child, _ in list_directory(store, current.cid):
            if entry_name == name:
                current = stat(store, child)
                break
        else:
            raise PathNotFoundError(f"no link named {name!r} under {current.cid}")
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
