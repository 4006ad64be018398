"""The embedded IPFS node: one HTTP server with the Kubo RPC subset under ``/api/v0/`` and a
Trustless Gateway under ``/ipfs/``, both over a local :class:`~cidhub.content.store.BlockStore`.

Safety defaults, as Kubo's: it listens on loopback unless told otherwise (the RPC API can
delete pins and fill the disk, so exposing it is an explicit choice: ``allow_remote``); RPC
calls are POST only (a browser cannot trigger them with a plain link or image) and a request
carrying a browser ``Origin`` that is not allowed is refused with 403 (cross-site request
forgery); an optional bearer token guards the RPC. The gateway is read-only.

:class:`EmbeddedNode` runs the server in a background thread, for tests, scripts and the demo::

    with EmbeddedNode(store) as node:
        client = ipfshttpclient.Client(node.api_multiaddr)
        requests.get(f"{node.url}/ipfs/{cid}?format=car")
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from cidhub.content.store import BlockStore
from cidhub.errors import CidhubError
from cidhub.ipfs.node.gateway import gateway_get
from cidhub.ipfs.node.httpio import BodyReader, ChunkedWriter, HttpBodyError
from cidhub.ipfs.node.rpc import RpcApi, RpcError, RpcResponse

__all__ = ["NodeServer", "NodeHandler", "EmbeddedNode", "is_loopback"]

log = logging.getLogger("cidhub.ipfs.node")

_RPC_PREFIX: Final = "/api/v0/"
_GATEWAY_PREFIX: Final = "/ipfs/"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NodeHandler(BaseHTTPRequestHandler):
    """Routes requests to the RPC API or the gateway. Subclass it to inject faults in tests."""

    protocol_version = "HTTP/1.1"
    server_version = "cidhub-node"
    server: NodeServer
    # Headers and body go out as separate writes; with Nagle's algorithm on, a keep-alive
    # client's delayed ACK then holds every small response for ~40 ms.
    disable_nagle_algorithm = True

    # ---- plumbing

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)

    def _body(self) -> BodyReader | None:
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length_text = self.headers.get("Content-Length")
        length = int(length_text) if length_text and length_text.isdigit() else None
        if not chunked and not length:
            return None
        return BodyReader(self.rfile, length=length, chunked=chunked)  # type: ignore[arg-type]

    def send_bytes(self, status: int, data: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_rpc_error(self, message: str, status: int = 500, code: int = 0) -> None:
        body = json.dumps({"Message": message, "Code": code, "Type": "error"}).encode() + b"\n"
        self.send_bytes(status, body, "application/json")

    def _stream(self, status: int, headers: dict[str, str], chunks: Any, length: int | None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        writer: Any = ChunkedWriter(self.wfile) if length is None else self.wfile  # type: ignore[arg-type]
        try:
            for chunk in chunks:
                writer.write(chunk)
        except (CidhubError, OSError) as exc:
            # Headers are gone: the only honest signal left is an incomplete body.
            log.warning("aborting response to %s: %s", self.path, exc)
            self.close_connection = True
            return
        if length is None:
            writer.close()

    # ---- routing

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        try:
            if url.path.startswith(_RPC_PREFIX):
                self.handle_rpc(url.path[len(_RPC_PREFIX):].strip("/"), parse_qs(url.query, keep_blank_values=True))
            elif url.path.startswith(_GATEWAY_PREFIX):
                self.handle_gateway(unquote(url.path[len(_GATEWAY_PREFIX):]), parse_qs(url.query))
            else:
                self.send_bytes(404, b"404 page not found\n", "text/plain; charset=utf-8")
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True

    def _authorized(self) -> bool:
        token = self.server.api_token
        if token is None:
            return True
        given = self.headers.get("Authorization") or ""
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def handle_rpc(self, command: str, query: dict[str, list[str]]) -> None:
        body = self._body()
        try:
            if self.command != "POST":
                self.send_bytes(405, f"405 - Method Not Allowed: use POST for /api/v0/{command}\n".encode(),
                                "text/plain; charset=utf-8")
                return
            origin = self.headers.get("Origin")
            if origin is not None and origin not in self.server.allowed_origins:
                self.send_bytes(403, b"403 - Forbidden: cross-origin RPC requests are refused\n",
                                "text/plain; charset=utf-8")
                return
            if not self._authorized():
                self.send_bytes(401, b"401 - Unauthorized: this node's RPC needs a bearer token\n",
                                "text/plain; charset=utf-8", {"WWW-Authenticate": 'Bearer realm="cidhub-node"'})
                return
            handler = self.server.rpc.commands.get(command)
            if handler is None:
                self.send_bytes(404, b"404 page not found\n", "text/plain; charset=utf-8")
                return
            try:
                response = handler(query, body, self.headers.get("Content-Type"))
            except RpcError as exc:
                self.send_rpc_error(str(exc), exc.status, exc.code)
                return
            except HttpBodyError as exc:
                self.send_rpc_error(f"{command}: malformed request body: {exc}", 400, 1)
                return
            except CidhubError as exc:
                self.send_rpc_error(f"{command}: {exc}")
                return
            self.send_rpc_response(response)
        finally:
            if body is not None:
                try:
                    body.drain()
                except (HttpBodyError, OSError):
                    self.close_connection = True

    def send_rpc_response(self, response: RpcResponse) -> None:
        if response.kind == "json":
            self.send_bytes(200, json.dumps(response.value).encode() + b"\n", "application/json")
        elif response.kind == "ndjson" and response.stream is not None:  # lines already encoded
            self._stream(200, {"Content-Type": "application/json", "X-Chunked-Output": "1"},
                         response.stream, response.length)
        elif response.kind == "ndjson":
            data = b"".join(json.dumps(item).encode() + b"\n" for item in response.items)
            self.send_bytes(200, data, "application/json", {"X-Chunked-Output": "1"})
        else:
            self._stream(200, {"Content-Type": "text/plain", "X-Stream-Output": "1"},
                         response.stream or iter(()), response.length)

    def handle_gateway(self, path: str, query: dict[str, list[str]]) -> None:
        if self.command not in ("GET", "HEAD"):
            self.send_bytes(405, b"405 - Method Not Allowed: the gateway is read-only\n",
                            "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})
            return
        response = gateway_get(self.server.store, path, query, self.headers.get("Accept"))
        self._stream(response.status, response.headers, response.body, response.length)


class NodeServer(ThreadingHTTPServer):
    """The HTTP server; ``port=0`` picks a free port (read it back from ``server_address``)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        store: BlockStore,
        host: str = "127.0.0.1",
        port: int = 5001,
        *,
        allow_remote: bool = False,
        api_token: str | None = None,
        allowed_origins: tuple[str, ...] = (),
        handler: type[NodeHandler] = NodeHandler,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise CidhubError(
                f"refusing to listen on {host}: the RPC API would be reachable from other machines. "
                "Use 127.0.0.1, or pass --allow-remote (and set an API token) if that is intended."
            )
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.store = store
        self.rpc = RpcApi(store)
        self.api_token = api_token
        self.allowed_origins = frozenset(allowed_origins)
        super().__init__((host, port), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, error)
            return
        log.exception("error while serving %s", client_address)


class EmbeddedNode:
    """A :class:`NodeServer` in a daemon thread; a context manager that stops it on exit."""

    def __init__(self, store: BlockStore, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> None:
        self.server = NodeServer(store, host, port, **kwargs)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_multiaddr(self) -> str:
        """The RPC address as Kubo writes it (``/ip4/127.0.0.1/tcp/5001/http``)."""
        proto = "ip6" if ":" in self.host else "ip4"
        return f"/{proto}/{self.host}/tcp/{self.port}/http"

    @property
    def gateway_multiaddr(self) -> str:
        """The address a pinning service is given as an origin (an HTTP trustless gateway)."""
        return self.api_multiaddr

    def start(self) -> EmbeddedNode:
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"cidhub-node:{self.port}",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmbeddedNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
