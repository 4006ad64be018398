"""The subset of Kubo's RPC API (``POST /api/v0/...``) that cidhub and its tools use.

Request and response shapes follow Kubo's (https://docs.ipfs.tech/reference/kubo/rpc/), so
clients written for Kubo, such as the unmodified ``ipfshttpclient``, work against the node:

=================  ==========================================================================
``version``        ``{"Version", "Commit", "Repo", "System", "Golang"}``
``add``            multipart files/directories; options ``cid-version``, ``raw-leaves``,
                   ``chunker=size-N``, ``hash``, ``pin``, ``only-hash``,
                   ``wrap-with-directory``, ``max-file-links``; one NDJSON line
                   ``{"Name","Hash","Size"}`` per file and directory (Size: DAG size, a string);
                   directories HAMT-sharded by Kubo's rule (``links-bytes > 256 KiB``), and
                   held as one packed record per entry, so a directory of a million files
                   fits in memory (the output lines are spooled to a temporary file)
``cat``            file bytes; ``offset``, ``length``; ``arg`` may be ``/ipfs/CID/path``
``block/get``      the raw block
``block/stat``     ``{"Key", "Size"}``
``pin/add``        recursive pins only; ``{"Pins": [...]}``
``pin/ls``         ``{"Keys": {cid: {"Type": "recursive"}}}``, or NDJSON with ``stream=true``
``pin/rm``         ``{"Pins": [...]}``
``dag/import``     multipart CAR file(s); every block verified; ``pin-roots``, ``stats``,
                   ``allow-big-block``; ``{"Root": {"Cid": {"/": cid}, "PinErrorMsg": ""}}``
=================  ==========================================================================

Errors are Kubo's ``{"Message", "Code", "Type": "error"}`` with status 500 (400 for a bad
argument). The node is offline: a block that is not in the local store is an error at once,
never a network lookup.
"""

from __future__ import annotations

import json
import platform
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from cidhub import __version__
from cidhub.content.car import CarReader
from cidhub.content.cid import CID, cid_from_bytes, cid_text, parse_cid
from cidhub.content.store import BlockStore, LocalPinTarget, PinState
from cidhub.content.unixfs import (
    UNIXFS_V0_2015,
    Block,
    DirectoryBuilder,
    FileImporter,
    Profile,
)
from cidhub.errors import BlockNotFoundError, CarError, CidError, CidhubError, StoreError, UnixfsError
from cidhub.ipfs.node import dagread
from cidhub.ipfs.node.httpio import BodyReader, HttpBodyError, MultipartReader, parse_content_type

__all__ = ["KUBO_RPC_VERSION", "RpcError", "RpcResponse", "RpcApi"]

#: The Kubo release whose RPC shapes the node follows; reported as ``<this>-cidhub``.
KUBO_RPC_VERSION: Final = "0.34.0"
#: Bitswap's block size limit; ``dag/import`` refuses larger blocks unless ``allow-big-block``.
MAX_BLOCK_SIZE: Final = 2 * 1024 * 1024
_TRUE: Final = frozenset({"true", "1", "yes", "on", "t"})
_FALSE: Final = frozenset({"false", "0", "no", "off", "f", ""})


class RpcError(CidhubError):
    """A command failed; rendered as Kubo's error object."""

    def __init__(self, message: str, status: int = 500, code: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class RpcResponse:
    """``json``: one object; ``ndjson``: objects, one a line (``items``, or already-encoded lines
    in ``stream``); ``bytes``: a byte stream."""

    kind: str
    value: Any = None
    stream: Iterator[bytes] | None = None
    length: int | None = None
    items: list[Any] = field(default_factory=list)


Query = dict[str, list[str]]


def _opt(q: Query, name: str, default: str | None = None) -> str | None:
    values = q.get(name)
    return values[-1] if values else default


def _flag(q: Query, name: str, default: bool) -> bool:
    value = _opt(q, name)
    if value is None:
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise RpcError(f'invalid value {value!r} for option "{name}": expected true or false', 400, 1)


def _int(q: Query, name: str, default: int | None) -> int | None:
    value = _opt(q, name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise RpcError(f'invalid value {value!r} for option "{name}": expected an integer', 400, 1) from None


def _args(q: Query, command: str, *, required: bool = True) -> list[str]:
    args = q.get("arg", [])
    if required and not args:
        raise RpcError('argument "ipfs-path" is required', 400, 1)
    return args


def _split_path(arg: str) -> tuple[CID, str]:
    """``CID``, ``/ipfs/CID``, ``/ipfs/CID/a/b`` or ``CID/a`` -> (CID, "a/b")."""
    text = arg.strip()
    if text.startswith("/ipfs/"):
        text = text[len("/ipfs/"):]
    elif text.startswith("/"):
        raise RpcError(f"invalid path {arg!r}: only /ipfs/ paths are supported (no IPNS here)", 400, 1)
    head, _, rest = text.partition("/")
    try:
        return parse_cid(head), rest
    except CidError as exc:
        raise RpcError(f"invalid path {arg!r}: {exc}", 400, 1) from None


def _cid_arg(arg: str) -> CID:
    cid, rest = _split_path(arg)
    if rest:
        raise RpcError(f"{arg!r}: paths inside a DAG are not accepted here; give a CID", 400, 1)
    return cid


class RpcApi:
    """Kubo RPC commands over one block store; thread-safe as the store is."""

    def __init__(self, store: BlockStore) -> None:
        self.store = store
        self.pins = LocalPinTarget(store)
        self.commands: dict[str, Callable[[Query, BodyReader | None, str | None], RpcResponse]] = {
            "version": self.version,
            "id": self.id,
            "add": self.add,
            "cat": self.cat,
            "block/get": self.block_get,
            "block/stat": self.block_stat,
            "pin/add": self.pin_add,
            "pin/ls": self.pin_ls,
            "pin/rm": self.pin_rm,
            "dag/import": self.dag_import,
        }

    # ---- helpers

    def _not_found(self, exc: BlockNotFoundError, cid: CID) -> RpcError:
        return RpcError(f"block was not found locally (offline): ipld: could not find {cid}")

    def _get(self, cid: CID) -> bytes:
        try:
            return self.store.get(cid)
        except BlockNotFoundError as exc:
            raise self._not_found(exc, cid) from None
        except StoreError as exc:
            raise RpcError(str(exc)) from None

    def _pinned(self, cid: CID) -> bool:
        return self.pins.status(cid).state is PinState.PINNED

    # ---- commands

    def version(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        return RpcResponse("json", {
            "Version": f"{KUBO_RPC_VERSION}-cidhub",
            "Commit": f"cidhub-{__version__}",
            "Repo": "16",
            "System": f"{platform.machine().lower()}/{platform.system().lower()}",
            "Golang": f"python{platform.python_version()}",
        })

    def id(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        return RpcResponse("json", {
            "ID": "",
            "PublicKey": "",
            "Addresses": [],
            "AgentVersion": f"cidhub/{__version__}",
            "Protocols": [],
        })

    def _add_profile(self, q: Query) -> Profile:
        if _flag(q, "trickle", False):
            raise RpcError("add: the trickle layout is not supported; cidhub builds balanced DAGs", 400, 1)
        if _flag(q, "nocopy", False):
            raise RpcError("add: --nocopy (filestore) is not supported", 400, 1)
        if _flag(q, "inline", False):
            raise RpcError("add: --inline (identity CIDs) is not supported", 400, 1)
        cid_version = _int(q, "cid-version", 0)
        if cid_version not in (0, 1):
            raise RpcError(f"add: unknown CID version {cid_version}", 400, 1)
        raw_leaves = _flag(q, "raw-leaves", cid_version == 1)
        hash_name = _opt(q, "hash", "sha2-256") or "sha2-256"
        if hash_name != "sha2-256" and cid_version == 0:
            cid_version = 1  # Kubo switches to CIDv1 for any other hash
            raw_leaves = _flag(q, "raw-leaves", True)
        chunker = _opt(q, "chunker", "size-262144") or "size-262144"
        if not chunker.startswith("size-"):
            raise RpcError(f"add: chunker {chunker!r} is not supported; use size-<bytes>", 400, 1)
        try:
            chunk_size = int(chunker[len("size-"):])
        except ValueError:
            raise RpcError(f"add: invalid chunker {chunker!r}", 400, 1) from None
        max_links = _int(q, "max-file-links", UNIXFS_V0_2015.max_links) or UNIXFS_V0_2015.max_links
        try:
            return Profile(
                name="rpc-add", cid_version=cid_version, raw_leaves=raw_leaves,  # type: ignore[arg-type]
                chunk_size=chunk_size, max_links=max_links, hash_function=hash_name,
            )
        except UnixfsError as exc:
            raise RpcError(f"add: {exc}", 400, 1) from None

    def add(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        profile = self._add_profile(q)
        only_hash = _flag(q, "only-hash", False)
        pin = _flag(q, "pin", True) and not only_hash
        wrap = _flag(q, "wrap-with-directory", False)
        mtype, params = parse_content_type(ctype)
        if body is None or not mtype.startswith("multipart/") or "boundary" not in params:
            raise RpcError("add: expected a multipart/form-data body with the files", 400, 1)
        sink = None if only_hash else self.store.put_block
        tree = _Tree(profile, sink, wrap)
        out = _NdjsonSpool()
        files = 0
        try:
            with self.store.batch():  # durable when the answer is sent
                for part in MultipartReader(body, params["boundary"]):
                    name = (part.filename or "").strip("/")
                    if part.content_type == "application/x-directory":
                        tree.add_directory(name)
                        continue
                    if part.content_type == "application/symlink":
                        raise RpcError("add: symlinks are not supported over RPC", 400, 1)
                    importer = FileImporter(profile, sink)
                    chunk = profile.chunk_size
                    while True:
                        data = part.read(chunk)
                        if not data:
                            break
                        importer.write(data)
                    link = importer.finish_link()
                    tree.add_file(name, link.cid, link.tsize, link.filesize)
                    out.append({"Name": name, "Hash": cid_text(link.cid), "Size": str(link.tsize)})
                    files += 1
                if not files and not tree.has_entries():
                    raise RpcError("add: the request carried no file", 400, 1)
                roots = tree.finish(out)
        except HttpBodyError as exc:
            out.close()
            raise RpcError(f"add: malformed upload: {exc}", 400, 1) from None
        except UnixfsError as exc:
            out.close()
            raise RpcError(f"add: {exc}") from None
        except BaseException:
            out.close()
            raise
        if pin:
            for root in roots:
                self.pins.record_pin(root, label="rpc add")
        return RpcResponse("ndjson", stream=out.chunks(), length=out.size)

    def cat(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        args = _args(q, "cat")
        offset = _int(q, "offset", 0) or 0
        length = _int(q, "length", None)
        if offset < 0 or (length is not None and length < 0):
            raise RpcError("cat: offset and length must not be negative", 400, 1)
        targets = []
        total = 0
        for arg in args:
            cid, path = _split_path(arg)
            try:
                entry = dagread.resolve(self.store, cid, path)
            except BlockNotFoundError as exc:
                raise self._not_found(exc, cid) from None
            except (dagread.PathNotFoundError, UnixfsError) as exc:
                raise RpcError(str(exc)) from None
            if entry.kind == "directory":
                raise RpcError("this dag node is a directory")
            if entry.kind != "file":
                raise RpcError(f"{arg}: not a file ({entry.kind})")
            targets.append(entry)
            total += entry.size
        size = max(total - offset, 0) if length is None else max(min(length, total - offset), 0)

        def stream() -> Iterator[bytes]:
            skip, left = offset, size
            for entry in targets:
                if left <= 0:
                    return
                if skip >= entry.size:
                    skip -= entry.size
                    continue
                for data in dagread.iter_file(self.store, entry.cid, skip, left):
                    left -= len(data)
                    yield data
                skip = 0

        return RpcResponse("bytes", stream=stream(), length=size)

    def block_get(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        cid = _cid_arg(_args(q, "block/get")[0])
        data = self._get(cid)
        return RpcResponse("bytes", stream=iter((data,)), length=len(data))

    def block_stat(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        cid = _cid_arg(_args(q, "block/stat")[0])
        data = self._get(cid)
        return RpcResponse("json", {"Key": str(cid), "Size": len(data)})

    def pin_add(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        if not _flag(q, "recursive", True):
            raise RpcError("pin/add: direct pins are not supported by the cidhub node; pin recursively", 400, 1)
        pinned = []
        for arg in _args(q, "pin/add"):
            cid = _cid_arg(arg)
            try:
                absent = self.store.missing(cid)
            except (StoreError, UnixfsError) as exc:
                raise RpcError(f"pin: {exc}") from None
            if absent:
                raise RpcError(f"pin: block was not found locally (offline): ipld: could not find {absent[0]}")
            self.pins.record_pin(cid, label=_opt(q, "name"))
            pinned.append(str(cid))
        return RpcResponse("json", {"Pins": pinned})

    def pin_ls(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        kind = _opt(q, "type", "all") or "all"
        if kind not in ("all", "recursive", "direct", "indirect"):
            raise RpcError(f"invalid type '{kind}', must be one of {{direct, indirect, recursive, all}}", 400, 1)
        keys: dict[str, dict[str, str]] = {}
        args = q.get("arg", [])
        if args:
            for arg in args:
                cid = _cid_arg(arg)
                if kind in ("all", "recursive") and self._pinned(cid):
                    keys[str(cid)] = {"Type": "recursive"}
                else:
                    raise RpcError(f"path '{arg}' is not pinned")
        elif kind in ("all", "recursive"):
            for status in self.pins.pins():
                keys[str(status.cid)] = {"Type": "recursive"}
        if _flag(q, "stream", False):
            return RpcResponse("ndjson", items=[{"Cid": c, "Type": v["Type"]} for c, v in keys.items()])
        return RpcResponse("json", {"Keys": keys})

    def pin_rm(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        removed = []
        for arg in _args(q, "pin/rm"):
            cid = _cid_arg(arg)
            if not self._pinned(cid):
                raise RpcError(f"{cid} is not pinned")
            self.pins.unpin(cid)
            removed.append(str(cid))
        return RpcResponse("json", {"Pins": removed})

    def dag_import(self, q: Query, body: BodyReader | None, ctype: str | None) -> RpcResponse:
        pin_roots = _flag(q, "pin-roots", True)
        stats = _flag(q, "stats", False)
        big = _flag(q, "allow-big-block", False)
        mtype, params = parse_content_type(ctype)
        if body is None or not mtype.startswith("multipart/") or "boundary" not in params:
            raise RpcError("dag/import: expected a multipart/form-data body with CAR file(s)", 400, 1)
        roots: list[CID] = []
        blocks = block_bytes = 0
        try:
            with self.store.batch():  # durable before the roots are checked and pinned
                for part in MultipartReader(body, params["boundary"]):
                    if part.content_type == "application/x-directory":
                        continue
                    reader = CarReader(part)  # type: ignore[arg-type]
                    for block in reader:
                        if len(block.data) > MAX_BLOCK_SIZE and not big:
                            raise RpcError(
                                f"dag/import: block {block.cid} is {len(block.data)} bytes, over the "
                                f"{MAX_BLOCK_SIZE}-byte limit (pass allow-big-block=true)"
                            )
                        self.store.put_block(block)
                        blocks += 1
                        block_bytes += len(block.data)
                    roots.extend(r for r in reader.roots if r not in roots)
        except CarError as exc:
            raise RpcError(f"dag/import: {exc}") from None
        except HttpBodyError as exc:
            raise RpcError(f"dag/import: malformed upload: {exc}", 400, 1) from None
        items: list[dict[str, Any]] = []
        if pin_roots:
            for root in roots:
                message = ""
                try:
                    absent = self.store.missing(root)
                except (StoreError, UnixfsError) as exc:
                    absent, message = [], str(exc)
                if absent:
                    message = f"block was not found locally (offline): ipld: could not find {absent[0]}"
                elif not message:
                    self.pins.record_pin(root, label="dag import")
                items.append({"Root": {"Cid": {"/": str(root)}, "PinErrorMsg": message}})
        if stats:
            items.append({"Stats": {"BlockCount": blocks, "BlockBytesCount": block_bytes}})
        return RpcResponse("ndjson", items=items)


class _NdjsonSpool:
    """Output lines of a long command, kept in a temporary file past 4 MiB instead of a list."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 (closed by chunks())
        self.size = 0

    def append(self, item: dict[str, Any]) -> None:
        line = json.dumps(item).encode() + b"\n"
        self._file.write(line)
        self.size += len(line)

    def close(self) -> None:
        self._file.close()

    def chunks(self) -> Iterator[bytes]:
        try:
            self._file.seek(0)
            while data := self._file.read(64 * 1024):
                yield data
        finally:
            self._file.close()


class _Tree:
    """Assembles the directories of a multipart ``add`` (Kubo's MFS-less equivalent): one
    :class:`DirectoryBuilder` per directory, finished deepest first, so each is written as a
    plain node or a HAMT by the profile's rule."""

    def __init__(self, profile: Profile, sink: Callable[[Block], object] | None, wrap: bool) -> None:
        self.profile = profile
        self.sink = sink
        self.wrap = wrap
        self.dirs: dict[str, DirectoryBuilder] = {"": DirectoryBuilder(profile, sink)}
        # top-level entries are the roots when not wrapping: name -> CID
        self.top: dict[str, bytes] = {}

    def has_entries(self) -> bool:
        return len(self.dirs) > 1 or bool(len(self.dirs[""])) or bool(self.top)

    def add_directory(self, path: str) -> None:
        parent = ""
        for part in [p for p in path.split("/") if p]:
            current = f"{parent}/{part}" if parent else part
            if current not in self.dirs:
                self.dirs[current] = DirectoryBuilder(self.profile, self.sink)
            parent = current

    def add_file(self, path: str, cid: bytes, tsize: int, size: int) -> None:
        parent, _, name = path.rpartition("/")
        if parent:
            self.add_directory(parent)
        self._link(parent, name, cid, tsize, size)

    def _link(self, parent: str, name: str, cid: bytes, tsize: int, size: int) -> None:
        if not parent and not self.wrap:
            self.top[name] = cid
        else:
            self.dirs[parent].add(name, cid, tsize, size)

    def finish(self, out: _NdjsonSpool) -> list[CID]:
        """Encode every directory bottom-up, writing its output line; return the roots to pin."""
        for path in sorted((p for p in self.dirs if p), key=lambda p: -p.count("/")):
            link = self.dirs.pop(path).finish_link()
            parent, _, name = path.rpartition("/")
            self._link(parent, name, link.cid, link.tsize, link.filesize)
            out.append({"Name": path, "Hash": cid_text(link.cid), "Size": str(link.tsize)})
        if self.wrap:
            result = self.dirs[""].finish()
            out.append({"Name": "", "Hash": str(result.cid), "Size": str(result.dag_size)})
            return [result.cid]
        return [cid_from_bytes(cid) for cid in self.top.values()]
