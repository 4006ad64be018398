"""Trustless Gateway responses (https://specs.ipfs.tech/http-gateways/trustless-gateway/) and
plain file responses for browsers, over the local block store.

``GET /ipfs/{cid}[/path]``:

* ``?format=raw`` or ``Accept: application/vnd.ipld.raw``: the single block, unmodified.
* ``?format=car`` or ``Accept: application/vnd.ipld.car``: a CARv1 stream in DFS order without
  duplicates (``application/vnd.ipld.car; version=1; order=dfs; dups=n``) rooted at the CID in
  the URL: first the blocks the path crosses (each directory and, in a HAMT-sharded one, the
  shards on the way), then the target's DAG: all of it (``dag-scope=all``), the blocks that
  make up the entity (``entity``: a file's DAG, a directory's node and HAMT shards, not the
  entries), or only its root block (``block``).
* otherwise a deserialized response: a file's bytes with a content type from the name (or
  sniffed), a directory's ``index.html`` or an HTML listing streamed as it is read (a HAMT
  directory of a million entries is never held in memory).

Resolving a path through a HAMT reads one block per shard level, not the whole directory.

Every response for an immutable ``/ipfs/`` path carries ``Cache-Control: public, max-age=
29030400, immutable``, an ``Etag`` and ``X-Ipfs-Path``, as Kubo's gateway sends them.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote

from cidhub.content.car import CarWriter
from cidhub.content.cid import CID, cid_text, parse_cid
from cidhub.content.store import BlockStore
from cidhub.errors import BlockNotFoundError, CidError, StoreError, UnixfsError
from cidhub.ipfs.node import dagread

__all__ = ["GatewayResponse", "gateway_get", "RAW_TYPE", "CAR_TYPE"]

RAW_TYPE: Final = "application/vnd.ipld.raw"
CAR_TYPE: Final = "application/vnd.ipld.car"
CAR_CONTENT_TYPE: Final = "application/vnd.ipld.car; version=1; order=dfs; dups=n"
IMMUTABLE: Final = "public, max-age=29030400, immutable"
_SNIFF: Final = 512
_ROWS_PER_CHUNK: Final = 256


@dataclass
class GatewayResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Iterator[bytes] = field(default_factory=lambda: iter(()))
    length: int | None = None


def _error(status: int, message: str) -> GatewayResponse:
    data = (message + "\n").encode()
    return GatewayResponse(status, {"Content-Type": "text/plain; charset=utf-8"}, iter((data,)), len(data))


def _wanted_format(query: dict[str, list[str]], accept: str | None) -> str | None:
    formats = query.get("format")
    if formats and formats[-1]:
        return formats[-1]
    for item in (accept or "").split(","):
        media = item.split(";", 1)[0].strip().lower()
        if media == RAW_TYPE:
            return "raw"
        if media == CAR_TYPE:
            return "car"
    return None


def gateway_get(store: BlockStore, path: str, query: dict[str, list[str]], accept: str | None) -> GatewayResponse:
    """Answer ``GET /ipfs/<path>`` (``path`` without the ``/ipfs/`` prefix, URL-decoded)."""
    head, _, rest = path.partition("/")
    try:
        root = parse_cid(head)
    except CidError as exc:
        return _error(400, f"invalid CID {head!r}: {exc}")
    fmt = _wanted_format(query, accept)
    if fmt not in (None, "raw", "car"):
        return _error(400, f"unsupported format {fmt!r}: use raw or car (or none for the file itself)")
    visited: list[CID] = []
    try:
        entry = dagread.resolve(store, root, rest, visited)
    except BlockNotFoundError as exc:
        return _error(404, f"not found on this node: {exc}")
    except dagread.PathNotFoundError as exc:
        return _error(404, str(exc))
    except UnixfsError as exc:
        return _error(501, str(exc))
    except StoreError as exc:
        return _error(500, str(exc))
    # The path as requested (as Kubo reports it). Printing a CID with multiformats costs about a
    # millisecond; cid_text does it for a fiftieth of that.
    ipfs_path = f"/ipfs/{head}" + (f"/{rest}" if rest else "")
    target = cid_text(bytes(entry.cid))
    base = {"X-Ipfs-Path": ipfs_path, "Cache-Control": IMMUTABLE, "X-Ipfs-Roots": target}
    if fmt == "raw":
        data = store.get(entry.cid)
        return GatewayResponse(200, {
            **base,
            "Content-Type": RAW_TYPE,
            "Etag": f'"{target}.raw"',
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="{target}.bin"',
        }, iter((data,)), len(data))
    if fmt == "car":
        scope = (query.get("dag-scope") or ["all"])[-1]
        if scope not in ("all", "block", "entity"):
            return _error(400, f"unsupported dag-scope {scope!r}: use all, entity or block")
        return GatewayResponse(200, {
            **base,
            "Content-Type": CAR_CONTENT_TYPE,
            "Etag": f'"{target}.car.{scope}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="{target}.car"',
        }, _car_stream(store, root, visited, entry, scope))
    return _deserialized(store, entry, ipfs_path, base, query)


def _car_stream(store: BlockStore, root: CID, path: list[CID], entry: dagread.Entry, scope: str) -> Iterator[bytes]:
    """CAR bytes as they are produced: the path's blocks, then the target's (see the module
    docstring for the scopes). A missing block ends the stream early (the client's verification
    then fails, which is what the trustless spec asks a gateway to cause)."""
    out: list[bytes] = []

    class _Sink:
        def write(self, data: bytes) -> int:
            out.append(data)
            return len(data)

    writer = CarWriter(_Sink(), [root])  # type: ignore[arg-type]
    yield b"".join(out)
    out.clear()
    for cid in path[:-1]:
        writer.write_block(cid, store.get(cid))
        yield b"".join(out)
        out.clear()
    blocks: Iterator[tuple[CID, bytes]]
    if scope == "block":
        blocks = iter(((entry.cid, store.get(entry.cid)),))
    elif scope == "entity" and entry.kind == "directory":
        blocks = dagread.iter_directory_blocks(store, entry.cid)
    elif scope == "entity" and entry.kind != "file":
        blocks = iter(((entry.cid, store.get(entry.cid)),))
    else:
        blocks = ((block.cid, block.data) for block in store.walk(entry.cid))
    for cid, data in blocks:
        writer.write_block(cid, data)
        yield b"".join(out)
        out.clear()


def _deserialized(
    store: BlockStore, entry: dagread.Entry, ipfs_path: str, base: dict[str, str], query: dict[str, list[str]]
) -> GatewayResponse:
    if entry.kind == "directory":
        index = dagread.lookup(store, entry, "index.html")
        if index is not None:
            return _file_response(store, dagread.stat(store, index), "index.html", ipfs_path, base, query)
        return _directory_page(dagread.iter_directory(store, entry.cid), ipfs_path, entry.cid, base)
    if entry.kind != "file":
        return _error(501, f"{entry.cid} is a {entry.kind}; only files and directories are rendered")
    name = ipfs_path.rsplit("/", 1)[-1] if ipfs_path.count("/") > 2 else ""
    return _file_response(store, entry, name, ipfs_path, base, query)


def _file_response(
    store: BlockStore, entry: dagread.Entry, name: str, ipfs_path: str, base: dict[str, str],
    query: dict[str, list[str]],
) -> GatewayResponse:
    filename = (query.get("filename") or [name])[-1]
    stream = dagread.iter_file(store, entry.cid)
    first = next(stream, b"")
    ctype = mimetypes.guess_type(filename)[0] if filename else None
    if ctype is None:
        ctype = _sniff(first[:_SNIFF])
    elif ctype.startswith("text/"):
        ctype += "; charset=utf-8"
    headers = {**base, "Content-Type": ctype, "Etag": f'"{base["X-Ipfs-Roots"]}"'}
    if filename and (query.get("download") or ["false"])[-1] == "true":
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"

    def body() -> Iterator[bytes]:
        if first:
            yield first
        yield from stream

    return GatewayResponse(200, headers, body(), entry.size)


def _sniff(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head.lstrip()[:1] in (b"{", b"[") and b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "application/json"
        except UnicodeDecodeError:
            pass
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        if exc.start < len(head) - 3:
            return "application/octet-stream"
        text = head[: exc.start].decode("utf-8")
    if "\x00" in text:
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def _directory_page(
    listing: Iterator[tuple[str, bytes, int]], ipfs_path: str, cid: CID, base: dict[str, str]
) -> GatewayResponse:
    """An HTML index streamed in batches of rows, in the directory's own order."""

    def page() -> Iterator[bytes]:
        yield (
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(ipfs_path)}</title></head><body><h1>Index of {html.escape(ipfs_path)}</h1>"
            "<table><tr><th>name</th><th>CID</th><th>size</th></tr>\n"
        ).encode()
        rows: list[str] = []
        for name, child, size in listing:
            rows.append(
                f'<tr><td><a href="{html.escape(ipfs_path + "/" + quote(name))}">{html.escape(name)}</a></td>'
                f"<td><code>{cid_text(child)}</code></td><td>{size}</td></tr>\n"
            )
            if len(rows) == _ROWS_PER_CHUNK:
                yield "".join(rows).encode()
                rows.clear()
        yield ("".join(rows) + "</table></body></html>\n").encode()

    headers = {**base, "Content-Type": "text/html; charset=utf-8", "Etag": f'"DirIndex-{base["X-Ipfs-Roots"]}"'}
    return GatewayResponse(200, headers, page(), None)
