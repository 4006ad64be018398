"""The buyer's side: sign in to an access service with an Ethereum account and download a private asset.

::

    from eth_account import Account
    from cidhub.access.client import AccessClient

    client = AccessClient("http://127.0.0.1:5001/access/v1", Account.from_key(key))
    result = client.download("0x<asset id>", Path("model.safetensors"))
    result.sha256  # checked against the commitment sealed in the asset's header

The signer is anything with ``.address`` and ``sign_message(SignableMessage)``: an eth-account
``LocalAccount`` (its ``SignedMessage``) or an Ape account (its ``MessageSignature``). The
sign-in message names the domain and URI of the endpoint this client talks to (never what the
server suggests), the chain the service reports (or ``chain_id`` if given, which must match),
and expires after ``message_ttl`` seconds.

Downloads go to ``<out>.part`` and are renamed onto ``out`` (after an fsync) only when the
plaintext's SHA-256 equals the commitment; an interrupted download resumes with
``Range: bytes=<length of the partial file>-`` and ``If-Range`` naming the content it started.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from cidhub.errors import CidhubError

__all__ = [
    "AccessClient", "AccessError", "AccessDeniedError", "SignInRefusedError", "CommitmentMismatchError",
    "DownloadResult", "build_message", "sign_text",
]

_CHUNK = 1 << 20


class AccessError(CidhubError):
    """The access service could not be used; ``status`` and ``body`` hold its answer, if any."""

    def __init__(self, message: str, status: int | None = None, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body or {}

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", ""))


class SignInRefusedError(AccessError):
    """401: the sign-in or the session was refused."""


class AccessDeniedError(AccessError):
    """403: the account holds no live licence (none, expired) or the asset is delisted."""


class CommitmentMismatchError(AccessError):
    """The downloaded plaintext does not match the commitment in the sealed header."""


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    sha256: str
    resumed_from: int
    asset: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "size": self.size, "sha256": self.sha256, "resumed_from": self.resumed_from,
                "asset": self.asset, "commitment": "checked"}


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


SIGN_IN_STATEMENT = "Sign in to read the cidhub assets you hold a licence for."


def build_message(*, address: str, domain: str, uri: str, chain_id: int, nonce: str, issued_at: datetime | None = None,
                  ttl: float = 300.0, statement: str | None = SIGN_IN_STATEMENT) -> str:
    """An EIP-4361 message (text), through the ``siwe`` library's own serializer."""
    from siwe import SiweMessage
    from web3 import Web3

    issued = issued_at or datetime.now(UTC)
    message = SiweMessage(domain=domain, address=Web3.to_checksum_address(address), uri=uri, version="1",
                          chain_id=chain_id, issued_at=_iso(issued), nonce=nonce, statement=statement,
                          expiration_time=_iso(issued + timedelta(seconds=ttl)))
    return message.prepare_message()


def sign_text(account: Any, text: str) -> str:
    """EIP-191 ``personal_sign`` of ``text`` by an eth-account or Ape account, as 0x r||s||v hex."""
    from eth_account.messages import encode_defunct

    signed = account.sign_message(encode_defunct(text=text))
    if signed is None:
        raise AccessError(f"account {getattr(account, 'address', account)} declined to sign the sign-in message")
    raw = getattr(signed, "signature", None)
    if raw is not None:
        return "0x" + bytes(raw).hex()
    if hasattr(signed, "encode_rsv"):
        return "0x" + signed.encode_rsv().hex()
    raise AccessError(f"cannot read a signature from {type(signed).__name__}")


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"reason": response.text[:200]}
    return data if isinstance(data, dict) else {"reason": str(data)}


def _raise_for(response: requests.Response, what: str) -> None:
    if response.status_code < 400:
        return
    body = _body(response)
    reason = body.get("reason") or response.reason
    if response.status_code == 401:
        raise SignInRefusedError(f"{what}: not signed in: {reason}", 401, body)
    if response.status_code == 403:
        raise AccessDeniedError(f"{what}: access refused: {reason}", 403, body)
    raise AccessError(f"{what}: {response.status_code} {reason}", response.status_code, body)


class AccessClient:
    """One signer's client for one access service (``endpoint`` is its ``.../access/v1`` URL).

    Args:
        endpoint: the service's base URL, as an asset card names it.
        account: the signer (``.address`` and ``sign_message``); or None to set ``token`` yourself.
        chain_id: if given, refuse a service that checks licences on another chain.
        message_ttl: how long a sign-in message stays valid.
    """

    def __init__(self, endpoint: str, account: Any = None, *, chain_id: int | None = None, message_ttl: float = 300.0,
                 timeout: float = 60.0, session: requests.Session | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AccessError(f"access endpoint {endpoint!r} is not an http(s) URL")
        self.domain = parts.netloc
        self.account = account
        self.chain_id = chain_id
        self.message_ttl = message_ttl
        self.timeout = timeout
        self.http = session or requests.Session()
        self.token: str | None = None

    # ---- sign-in

    def nonce(self) -> dict[str, Any]:
        response = self.http.get(f"{self.endpoint}/nonce", timeout=self.timeout)
        _raise_for(response, "nonce")
        return _body(response)

    def login(self, message: str, signature: str) -> dict[str, Any]:
        """Send a signed message; on success the session token is kept for later requests."""
        response = self.http.post(f"{self.endpoint}/login", json={"message": message, "signature": signature},
                                  timeout=self.timeout)
        _raise_for(response, "sign-in")
        body = _body(response)
        self.token = str(body["token"])
        return body

    def sign_in(self) -> dict[str, Any]:
        """Nonce, EIP-4361 message for this endpoint, signature by the account, login."""
        if self.account is None:
            raise AccessError("no account to sign in with")
        offered = self.nonce()
        chain_id = int(offered["chain_id"])
        if self.chain_id is not None and chain_id != self.chain_id:
            raise AccessError(f"the service checks licences on chain {chain_id}, not {self.chain_id}")
        message = build_message(address=self.account.address, domain=self.domain, uri=self.endpoint,
                                chain_id=chain_id, nonce=str(offered["nonce"]), ttl=self.message_ttl)
        return self.login(message, sign_text(self.account, message))

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _get(self, asset: str, headers: dict[str, str], method: str = "GET") -> requests.Response:
        """A content request; signs in (again) once if there is no session or it expired."""
        url = f"{self.endpoint}/assets/{asset}"
        for attempt in (0, 1):
            if self.token is None and self.account is not None:
                self.sign_in()
            response = self.http.request(method, url, headers={**headers, **self._headers()}, stream=True,
                                         timeout=self.timeout)
            if response.status_code == 401 and attempt == 0 and self.account is not None:
                response.close()
                self.token = None
                continue
            return response
        raise AssertionError("unreachable")

    def head(self, asset: str) -> dict[str, Any]:
        response = self._get(str(asset), {}, "HEAD")
        _raise_for(response, f"asset {asset}")
        return {"size": int(response.headers["X-Cidhub-Plaintext-Size"]),
                "sha256": response.headers["X-Cidhub-Plaintext-Sha256"], "etag": response.headers.get("ETag")}

    def read(self, asset: str, start: int = 0, end: int | None = None) -> bytes:
        """Plaintext bytes ``[start, end)`` into memory (small ranges)."""
        rng = f"bytes={start}-" + ("" if end is None else str(end - 1))
        response = self._get(str(asset), {"Range": rng} if (start or end is not None) else {})
        with response:
            _raise_for(response, f"asset {asset}")
            return response.content

    # ---- download

    def download(self, asset: str, out: str | os.PathLike[str], *, retries: int = 3,
                 on_bytes: Callable[[int], None] | None = None) -> DownloadResult:
        """Download the plaintext of ``asset`` to ``out`` atomically, resuming a partial copy.

        Raises :class:`AccessDeniedError` (403), :class:`SignInRefusedError` (401),
        :class:`CommitmentMismatchError` (the bytes are not the ones the publisher sealed; the
        partial file is removed), or :class:`AccessError` once ``retries`` interrupted attempts
        have failed (the partial file is kept for the next run).
        """
        target = Path(out)
        part = target.with_name(target.name + ".part")
        meta = target.with_name(target.name + ".part.json")
        last_error: Exception | None = None
        resumed_from = part.stat().st_size if part.exists() else 0
        for _ in range(max(retries, 1)):
            try:
                return self._download_once(str(asset), target, part, meta, resumed_from, on_bytes)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as exc:
                last_error = exc  # keep the partial file; the next attempt asks for the rest
        raise AccessError(f"download of {asset} interrupted {retries} times ({last_error}); run it again to resume "
                          f"from {part}")

    def _download_once(self, asset: str, target: Path, part: Path, meta: Path, resumed_from: int,
                       on_bytes: Callable[[int], None] | None) -> DownloadResult:
        have = part.stat().st_size if part.exists() else 0
        saved: dict[str, Any] = {}
        if have and meta.exists():
            try:
                saved = json.loads(meta.read_text())
            except (OSError, ValueError):
                saved = {}
        if have and not saved.get("etag"):
            have = 0  # a partial file we cannot tie to content: start over
        headers = {"Range": f"bytes={have}-", "If-Range": str(saved["etag"])} if have else {}
        response = self._get(asset, headers)
        with response:
            if response.status_code == 416 and have:
                # The partial file already holds everything (or more): check it as it is.
                expected_size, expected_sha = int(saved.get("size", -1)), str(saved.get("sha256", ""))
                return self._finish(asset, target, part, meta, expected_size, expected_sha, resumed_from)
            _raise_for(response, f"asset {asset}")
            expected_size = int(response.headers["X-Cidhub-Plaintext-Size"])
            expected_sha = response.headers["X-Cidhub-Plaintext-Sha256"]
            etag = response.headers.get("ETag", "")
            if response.status_code == 206:
                first = int(response.headers["Content-Range"].split()[1].split("-")[0])
                if first != have or etag != saved.get("etag") or expected_sha != saved.get("sha256"):
                    raise AccessError(f"the service answered a resume from {have} with bytes from {first} of "
                                      "other content; remove the partial file and retry")
                mode = "ab"
            else:
                mode, have = "wb", 0  # whole content (first request, or the content changed)
            part.parent.mkdir(parents=True, exist_ok=True)
            _write_json(meta, {"asset": asset, "etag": etag, "size": expected_size, "sha256": expected_sha})
            with open(part, mode) as sink:
                for piece in response.iter_content(_CHUNK):
                    sink.write(piece)
                    if on_bytes is not None:
                        on_bytes(len(piece))
                sink.flush()
                os.fsync(sink.fileno())
        return self._finish(asset, target, part, meta, expected_size, expected_sha, resumed_from)

    @staticmethod
    def _finish(asset: str, target: Path, part: Path, meta: Path, size: int, sha: str, resumed_from: int
                ) -> DownloadResult:
        digest = hashlib.sha256()
        total = 0
        with open(part, "rb") as src:
            for piece in iter(lambda: src.read(_CHUNK), b""):
                digest.update(piece)
                total += len(piece)
        if total != size or digest.hexdigest() != sha:
            part.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            raise CommitmentMismatchError(
                f"the downloaded plaintext ({total} bytes, sha256 {digest.hexdigest()}) does not match the commitment "
                f"sealed with the asset ({size} bytes, sha256 {sha}); nothing was written to {target}")
        os.replace(part, target)
        meta.unlink(missing_ok=True)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return DownloadResult(target, total, digest.hexdigest(), resumed_from, asset)


def _write_json(path: Path, body: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body) + "\n")
    os.replace(tmp, path)
