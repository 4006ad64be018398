"""The access service on the embedded node's HTTP server (``cidhub node --access``).

:class:`AccessHandler` is the node's handler with one more route prefix, ``/access/v1``; the
gateway (``/ipfs/``, ciphertext only for private assets) and the RPC stay as they are.
:func:`start_access_node` builds and starts the whole thing in a background thread (tests, the
demo, the benchmark)::

    node = start_access_node(store, keystore, LicenceOracle.connect(rpc, market))
    node.access_url      # http://127.0.0.1:<port>/access/v1
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cidhub.access.auth import SignIn
from cidhub.access.service import API_PREFIX, MAX_LOGIN_BODY, AccessService, refuse
from cidhub.chain.licences import LicenceOracle
from cidhub.content.keystore import Keystore
from cidhub.content.store import BlockStore
from cidhub.ipfs.node.httpio import HttpBodyError
from cidhub.ipfs.node.server import EmbeddedNode, NodeHandler

__all__ = ["AccessHandler", "AccessNode", "start_access_node"]

log = logging.getLogger("cidhub.access")


class AccessHandler(NodeHandler):
    """Routes ``/access/v1`` to the server's :class:`AccessService`, everything else as the node does."""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        if url.path != API_PREFIX and not url.path.startswith(API_PREFIX + "/"):
            super()._dispatch()
            return
        try:
            self._handle_access(url.path)
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True

    def _handle_access(self, path: str) -> None:
        service: AccessService = self.server.access  # type: ignore[attr-defined]
        reader = self._body()
        data: bytes | None = None
        if reader is not None:
            try:
                data = reader.read(MAX_LOGIN_BODY + 1)
                if len(data or b"") > MAX_LOGIN_BODY:
                    self.close_connection = True
                    response = refuse(413, "too_large", f"request bodies here are at most {MAX_LOGIN_BODY} bytes")
                    self._stream(response.status, response.headers, response.body, response.length)
                    return
                reader.drain()
            except (HttpBodyError, OSError):
                self.close_connection = True
                return
        try:
            response = service.handle(self.command, path, self.headers, data)
        except (ConnectionError, BrokenPipeError):
            raise
        except Exception:  # noqa: BLE001 - a bug must still get an answer, and never a traceback to the client
            log.exception("access request %s %s failed", self.command, path)
            response = refuse(500, "internal", "the access service failed on this request; see its log")
        self._stream(response.status, response.headers, response.body, response.length)


class AccessNode(EmbeddedNode):
    """An :class:`EmbeddedNode` whose server also answers ``/access/v1``."""

    service: AccessService

    @property
    def access_url(self) -> str:
        return self.service.signin.uri


def start_access_node(
    store: BlockStore,
    keystore: Keystore,
    oracle: LicenceOracle,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    public_url: str | None = None,
    clock: Callable[[], float] = time.time,
    session_ttl: float = 900.0,
    nonce_ttl: float = 300.0,
    start: bool = True,
    **node_kwargs: Any,
) -> AccessNode:
    """Bind the node, then attach the access service with its sign-in bound to the address users reach.

    ``public_url`` is the base URL users see (behind a TLS proxy, ``https://access.example``);
    by default the bound address. SIWE messages must name its authority as their domain and
    ``<public_url>/access/v1`` as their URI, and the chain the oracle reads as their chain id.
    """
    node = AccessNode(store, host, port, handler=AccessHandler, **node_kwargs)
    base = (public_url or node.url).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        node.server.server_close()
        raise ValueError(f"public URL {public_url!r} must be http(s)://host[:port]")
    signin = SignIn(domain=parts.netloc, uri=base + API_PREFIX, chain_id=oracle.chain_id,
                    provider=oracle.provider, clock=clock, session_ttl=session_ttl,
                    nonce_ttl=nonce_ttl)
    node.service = AccessService(store, keystore, oracle, signin)
    node.server.access = node.service  # type: ignore[attr-defined]
    return node.start() if start else node  # type: ignore[return-value]
