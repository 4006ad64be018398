"""Trustless Gateway responses (https://specs.ipfs.tech/http-gateways/trustless-gateway/) and
plain file responses for browsers, over the local block store.

``GET /ipfs/{cid}[/path]``:

* ``?format=raw`` or ``Accept: application/vnd.ipld.raw``: the single block, unmodified.
* ``?format=car`` or ``Accept: application/vnd.ipld.car``: the DAG as a CARv1 stream in DFS
  order without duplicates (``application/vnd.ipld.car; version=1; order=dfs; dups=n``);
  ``dag-scope=block`` sends only the block at the end of the path.
* otherwise a deserialized response: a file's bytes with a content type from the name (or
  sniffed), a directory's ``index.html`` or an HTML listing.

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
from cidhub.content.cid import CID, parse_cid
from cidhub.content.store import BlockStore
from cidhub.errors import BlockNotFoundError, CidError, StoreError, UnixfsError
from cidhub.ipfs.node import dagread

__all__ = ["GatewayResponse", "gateway_get", "RAW_TYPE", "CAR_TYPE"]

RAW_TYPE: Final = "application/vnd.ipld.raw"
CAR_TYPE: Final = "application/vnd.ipld.car"
CAR_CONTENT_TYPE: Final = "application/vnd.ipld.car; version=1; order=dfs; dups=n"
IMMUTABLE: Final = "public, max-age=29030400, immutable"
_SNIFF: Final = 512


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
    try:
        entry = dagread.resolve(store, root, rest)
    except BlockNotFoundError as exc:
        return _error(404, f"not found on this node: {exc}")
    except dagread.PathNotFoundError as exc:
        return _error(404, str(exc))
    except UnixfsError as exc:
        return _error(501, str(exc))
    except StoreError as exc:
        return _error(500, str(exc))
    ipfs_path = f"/ipfs/{root}" + (f"/{rest}" if rest else "")
    base = {"X-Ipfs-Path": ipfs_path, "Cache-Control": IMMUTABLE, "X-Ipfs-Roots": str(entry.cid)}
    if fmt == "raw":
        data = store.get(entry.cid)
        return GatewayResponse(200, {
            **base,
            "Content-Type": RAW_TYPE,
            "Etag": f'"{entry.cid}.raw"',
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="{entry.cid}.bin"',
        }, iter((data,)), len(data))
    if fmt == "car":
        scope = (query.get("dag-scope") or ["all"])[-1]
        if scope not in ("all", "block", "entity"):
            return _error(400, f"unsupported dag-scope {scope!r}: use all, entity or block")
        return GatewayResponse(200, {
            **base,
            "Content-Type": CAR_CONTENT_TYPE,
            "Etag": f'"{entry.cid}.car.{scope}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="{entry.cid}.car"',
        }, _car_stream(store, entry.cid, scope))
    return _deserialized(store, entry, ipfs_path, base, query)


def _car_stream(store: BlockStore, root: CID, scope: str) -> Iterator[bytes]:
    """CAR bytes as they are produced; a missing block ends the stream early (the client's
    verification then fails, which is what the trustless spec asks a gateway to cause)."""
    out: list[bytes] = []

    class _Sink:
        def write(self, data: bytes) -> int:
            out.append(data)
            return len(data)

    writer = CarWriter(_Sink(), [root])  # type: ignore[arg-type]
    yield b"".join(out)
    out.clear()
    blocks = iter([next(iter(store.walk(root)))]) if scope == "block" else store.walk(root)
    for block in blocks:
        writer(block)
        yield b"".join(out)
        out.clear()


def _deserialized(
    store: BlockStore, entry: dagread.Entry, ipfs_path: str, base: dict[str, str], query: dict[str, list[str]]
) -> GatewayResponse:
    if entry.kind == "directory":
        listing = dagread.list_directory(store, entry.cid)
        for name, child, _ in listing:
            if name == "index.html":
                return _file_response(store, dagread.stat(store, child), "index.html", ipfs_path, base, query)
        return _directory_page(listing, ipfs_path, entry.cid, base)
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
    headers = {**base, "Content-Type": ctype, "Etag": f'"{entry.cid}"'}
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


def _directory_page(listing: list[tuple[str, CID, int]], ipfs_path: str, cid: CID, base: dict[str, str]) -> GatewayResponse:
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(ipfs_path + "/" + quote(name))}">{html.escape(name)}</a></td>'
        f"<td><code>{child}</code></td><td>{size}</td></tr>"
        for name, child, size in listing
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"
        f"{html.escape(ipfs_path)}</title></head><body><h1>Index of {html.escape(ipfs_path)}</h1>"
        f"<table><tr><th>name</th><th>CID</th><th>size</th></tr>\n{rows}\n</table></body></html>\n"
    ).encode()
    headers = {**base, "Content-Type": "text/html; charset=utf-8", "Etag": f'"DirIndex-{cid}"'}
    return GatewayResponse(200, headers, iter((page,)), len(page))
