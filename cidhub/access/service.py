"""The access service: licence holders sign in and read private assets as plaintext.

Routes (under ``/access/v1``; every answer but content is JSON):

* ``GET  /access/v1``                 what messages must name here (domain, URI, chain id) and the scheme
* ``GET  /access/v1/nonce``           a single-use nonce for an EIP-4361 message
* ``POST /access/v1/login``           ``{"message": ..., "signature": "0x..."}`` -> ``{"token": ..., ...}``
  (also sets an ``HttpOnly; SameSite=Strict`` cookie for browsers)
* ``POST /access/v1/logout``          ends the session
* ``GET|HEAD /access/v1/assets/{asset id or CID}``  the plaintext, ``Range`` supported

A content request is answered in this order: 401 without a live session, 403 unless
``Marketplace.has_access(asset, address)`` holds **at the latest block, asked for this request**
(no answer is cached, not even between the Range requests of one download), 404 if this service
holds no data key for the asset, then the plaintext. Refusals carry ``{"error": ..., "reason":
...}``. The plaintext exists only in memory, one chunk at a time, and only after that chunk's
tag verified; a Range decrypts only the chunks it touches.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from cidhub.access.auth import SignIn, SignInError
from cidhub.chain.licences import ChainUnavailableError, LicenceOracle
from cidhub.chain.registry import asset_id_for, format_asset_id, parse_asset_ref
from cidhub.content.cid import parse_cid
from cidhub.content.keystore import Keystore, KeystoreError, MissingKeyError
from cidhub.content.sealed import HEADER_SIZE, SCHEME, SCHEME_DESCRIPTION, Opener, SealedError
from cidhub.content.store import BlockStore
from cidhub.errors import BlockNotFoundError, CidhubError, StoreError
from cidhub.ipfs.node import dagread

__all__ = ["AccessService", "AccessResponse", "API_PREFIX", "SESSION_COOKIE", "refuse"]

log = logging.getLogger("cidhub.access")

API_PREFIX: Final = "/access/v1"
SESSION_COOKIE: Final = "cidhub_access"
MAX_LOGIN_BODY: Final = 16 * 1024
HEADER_CACHE_SIZE: Final = 4_096
_RANGE: Final = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass
class AccessResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Iterator[bytes] = field(default_factory=lambda: iter(()))
    length: int | None = None


def _json(status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> AccessResponse:
    data = json.dumps(body).encode() + b"\n"
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **(extra or {})}
    return AccessResponse(status, headers, iter((data,)), len(data))


def refuse(status: int, error: str, reason: str, **more: Any) -> AccessResponse:
    extra = {"WWW-Authenticate": 'Bearer realm="cidhub-access"'} if status == 401 else None
    return _json(status, {"error": error, "reason": reason, **more}, extra)


class AccessService:
    """Routes ``/access/v1`` requests; the HTTP server (:mod:`cidhub.access.http`) calls :meth:`handle`."""

    def __init__(self, store: BlockStore, keystore: Keystore, oracle: LicenceOracle, signin: SignIn) -> None:
        self.store, self.keystore, self.oracle, self.signin = store, keystore, oracle, signin
        self._headers: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._headers_lock = threading.Lock()
        # Decoded interior DAG nodes of the sealed files (immutable): a range read then costs the
        # leaves it touches, not the decoding of a 1,024-link node.
        self._nodes = dagread.NodeCache()

    def _sealed_header(self, cid: str) -> tuple[int, bytes]:
        """(size, first HEADER_SIZE bytes) of the sealed file ``cid``, read once per CID.

        Content-addressed bytes never change, so this is the one thing kept between requests
        (115 bytes per CID, still authenticated with the data key on every request); licence
        answers never are.
        """
        with self._headers_lock:
            hit = self._headers.get(cid)
            if hit is not None:
                self._headers.move_to_end(cid)
                return hit
        entry = dagread.stat(self.store, parse_cid(cid))
        header = b"".join(dagread.iter_file(self.store, entry.cid, 0, HEADER_SIZE))
        value = (entry.size, header)
        if len(header) == HEADER_SIZE:
            with self._headers_lock:
                self._headers[cid] = value
                while len(self._headers) > HEADER_CACHE_SIZE:
                    self._headers.popitem(last=False)
        return value

    # ---- entry point

    def handle(self, method: str, path: str, headers: Any, body: bytes | None) -> AccessResponse:
        route = path[len(API_PREFIX):].strip("/")
        if route in ("", "info"):
            return self._only(method, ("GET", "HEAD")) or self._info()
        if route == "nonce":
            return self._only(method, ("GET", "POST")) or self._nonce()
        if route == "login":
            return self._only(method, ("POST",)) or self._login(body)
        if route == "logout":
            return self._only(method, ("POST",)) or self._logout(headers)
        if route.startswith("assets/"):
            return self._only(method, ("GET", "HEAD")) or self._asset(method, route[len("assets/"):], headers)
        return refuse(404, "not_found", f"no route {path}")

    @staticmethod
    def _only(method: str, allowed: tuple[str, ...]) -> AccessResponse | None:
        if method in allowed:
            return None
        return refuse(405, "method_not_allowed", f"use {' or '.join(allowed)}", allow=list(allowed))

    # ---- sign-in

    def _info(self) -> AccessResponse:
        return _json(200, {"service": "cidhub access", "domain": self.signin.domain, "uri": self.signin.uri,
                           "chain_id": self.signin.chain_id, "market": self.oracle.market_address,
                           "scheme": SCHEME, "cipher": SCHEME_DESCRIPTION,
                           "session_ttl": int(self.signin.session_ttl),
                           "licence_check": "Marketplace.has_access at the latest block, on every request"})

    def _nonce(self) -> AccessResponse:
        try:
            return _json(200, self.signin.new_nonce())
        except SignInError as exc:
            return refuse(503, exc.code, str(exc))

    def _login(self, body: bytes | None) -> AccessResponse:
        try:
            request = json.loads(body or b"")
            message, signature = request["message"], request["signature"]
            if not isinstance(message, str) or not isinstance(signature, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return refuse(400, "bad_request", 'send JSON {"message": "<EIP-4361 text>", "signature": "0x..."}')
        try:
            token, session = self.signin.login(message, signature)
        except SignInError as exc:
            log.info("sign-in refused: %s", exc)
            return refuse(401, exc.code, str(exc))
        log.info("signed in %s", session.address)
        max_age = int(session.expires_at - session.issued_at)
        cookie = f"{SESSION_COOKIE}={token}; Max-Age={max_age}; Path={API_PREFIX}; HttpOnly; SameSite=Strict"
        if self.signin.uri.startswith("https:"):
            cookie += "; Secure"
        return _json(200, {"token": token, "token_type": "Bearer", "address": session.address,
                           "expires_at": int(session.expires_at)}, {"Set-Cookie": cookie})

    def _logout(self, headers: Any) -> AccessResponse:
        self.signin.logout(_token(headers))
        return _json(200, {"signed_out": True},
                     {"Set-Cookie": f"{SESSION_COOKIE}=; Max-Age=0; Path={API_PREFIX}; HttpOnly; SameSite=Strict"})

    # ---- content

    def _asset(self, method: str, ref: str, headers: Any) -> AccessResponse:
        try:
            asset_id = parse_asset_ref(ref)
        except CidhubError as exc:
            return refuse(400, "bad_asset", str(exc))
        asset = format_asset_id(asset_id)
        try:
            session = self.signin.session(_token(headers))
        except SignInError as exc:
            return refuse(401, exc.code, str(exc), asset=asset)
        try:
            check = self.oracle.check(asset_id, session.address)
        except ChainUnavailableError as exc:
            log.warning("licence check failed for %s / %s: %s", asset, session.address, exc)
            return refuse(503, "chain_unavailable", "the licence cannot be checked on chain right now; "
                           "access is refused until it can", asset=asset)
        if not check.allowed:
            log.info("refused %s to %s: %s", asset, session.address, check.reason)
            return refuse(403, "forbidden", check.reason, asset=asset, account=session.address,
                           expires_at=check.expires_at, block=check.block)
        try:
            record = self.keystore.get(asset_id)
        except MissingKeyError as exc:
            return refuse(404, "no_key", str(exc), asset=asset)
        except KeystoreError as exc:
            log.error("keystore: %s", exc)
            return refuse(500, "keystore", "this service cannot open its data key for the asset", asset=asset)
        if asset_id_for(record.cid) != asset_id:
            log.error("keystore record of %s names %s, another asset", asset, record.cid)
            return refuse(500, "keystore", "the keystore record names another asset's content", asset=asset)
        try:
            cid = parse_cid(record.cid)
            size_on_store, header = self._sealed_header(record.cid)
            opener = Opener(record.data_key, header)
            if size_on_store != opener.header.ciphertext_size:
                raise SealedError(f"the sealed content has {size_on_store} bytes, its header says "
                                  f"{opener.header.ciphertext_size}: truncated or extended")
        except BlockNotFoundError as exc:
            return refuse(503, "content_unavailable", f"this node does not hold the content: {exc}", asset=asset)
        except (SealedError, StoreError, CidhubError) as exc:
            log.error("content of %s (%s) cannot be opened: %s", asset, record.cid, exc)
            return refuse(500, "corrupt_content", f"the stored content failed authentication: {exc}", asset=asset)
        size = opener.header.plaintext_size
        base = {
            "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "ETag": f'"{record.cid}"',
            "Cache-Control": "private, no-store", "X-Cidhub-Plaintext-Size": str(size),
            "X-Cidhub-Plaintext-Sha256": opener.header.plaintext_sha256.hex(), "X-Cidhub-Scheme": SCHEME,
        }
        wanted = _parse_range(headers.get("Range"), size)
        if_range = headers.get("If-Range")
        if wanted is not None and if_range is not None and if_range.strip() != base["ETag"]:
            wanted = None  # the client's partial copy is of other content: send it all
        if wanted == "unsatisfiable":
            return _json(416, {"error": "range", "reason": f"unsatisfiable range {headers.get('Range')!r}: the size "
                               f"is {size}, and one 'bytes=start-end' range per request is served", "asset": asset},
                         {"Content-Range": f"bytes */{size}"})
        status, start, end = (200, 0, size) if wanted is None else (206, *wanted)  # type: ignore[misc]
        if status == 206:
            base["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        log.info("serving %s [%d, %d) to %s", asset, start, end, session.address)
        if method == "HEAD" or start == end:
            return AccessResponse(status, base, iter(()), end - start)
        store = self.store
        # Each piece is written to the socket before the next is decrypted: one buffer serves them all.
        nodes = self._nodes
        body = opener.open_range(lambda off, n: dagread.iter_file(store, cid, off, n, nodes=nodes), start, end,
                                 reuse_buffer=True)
        try:
            first = next(body)  # fail before the headers if the first chunk does not authenticate
        except BlockNotFoundError as exc:
            return refuse(503, "content_unavailable", f"this node does not hold the content: {exc}", asset=asset)
        except CidhubError as exc:
            log.error("content of %s (%s) failed: %s", asset, record.cid, exc)
            return refuse(500, "corrupt_content", f"the stored content failed authentication: {exc}", asset=asset)

        def stream() -> Iterator[bytes]:
            yield first
            yield from body

        return AccessResponse(status, base, stream(), end - start)


def _token(headers: Any) -> str | None:
    auth = headers.get("Authorization") or ""
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    for part in (headers.get("Cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


def _parse_range(value: str | None, size: int) -> tuple[int, int] | str | None:
    """``(start, end)`` (end exclusive) of a single byte range; "unsatisfiable"; None for the whole."""
    if not value:
        return None
    if "," in value:
        return "unsatisfiable"
    match = _RANGE.match(value)
    if match is None:
        return None  # not a bytes range we understand: RFC 9110 lets us ignore it
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(size - n, 0), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if start >= size or end <= start:
        return "unsatisfiable"
    return start, end
