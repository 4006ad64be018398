"""Sign-in with Ethereum (EIP-4361) for the access service: nonces, message checks, sessions.

Every check on the message itself is the maintained ``siwe`` library's (``signinwithethereum``):
parsing by the EIP-4361 ABNF grammar, domain, URI, chain id, nonce, expiry and not-before, and
the signature, by EOA recovery or, for contract wallets, ERC-1271 ``isValidSignature`` (and
EIP-6492) asked through the chain's JSON-RPC. What this module adds is the relying party's part:

* **Nonces** come from :meth:`SignIn.new_nonce`, live ``nonce_ttl`` seconds and are consumed by
  the first login attempt that names them, whatever its outcome: a replayed message, or a fresh
  message reusing a nonce, is refused.
* **Messages must expire**: an ``Expiration Time`` is required, at most ``max_message_ttl``
  after ``Issued At``, and ``Issued At`` may not lie in the future (beyond ``clock_skew``).
* **Sessions** are random 256-bit bearer tokens, kept only as SHA-256 digests in memory, valid
  ``session_ttl`` seconds; a session names the signed-in address and nothing else.

Time comes from ``clock`` (unix seconds), so tests move it instead of sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from cidhub.errors import CidhubError

__all__ = ["SignIn", "Session", "SignInError"]

MAX_PENDING_NONCES: Final = 10_000
MAX_SESSIONS: Final = 100_000


class SignInError(CidhubError):
    """A sign-in or a session was refused; ``code`` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Session:
    address: str
    issued_at: float
    expires_at: float


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


class SignIn:
    """The relying party of EIP-4361 for one service (``domain``, ``uri``) on one chain.

    Args:
        domain: the authority the messages must name (``host[:port]`` the users reach).
        uri: the URI the messages must name (the service's base URL).
        chain_id: the chain the messages must name (the one licences are checked on).
        provider: a web3 provider for ERC-1271 contract wallets (None: EOAs only).
    """

    def __init__(self, *, domain: str, uri: str, chain_id: int, provider: Any = None,
                 clock: Callable[[], float] = time.time, nonce_ttl: float = 300.0, session_ttl: float = 900.0,
                 max_message_ttl: float = 600.0, clock_skew: float = 60.0) -> None:
        self.domain, self.uri, self.chain_id = domain, uri, chain_id
        self.provider = provider
        self.clock = clock
        self.nonce_ttl, self.session_ttl = nonce_ttl, session_ttl
        self.max_message_ttl, self.clock_skew = max_message_ttl, clock_skew
        self._nonces: dict[str, float] = {}
        self._sessions: dict[bytes, Session] = {}
        self._lock = threading.Lock()

    # ---- nonces

    def new_nonce(self) -> dict[str, Any]:
        """A fresh single-use nonce and what the message must say to be accepted here."""
        from siwe import generate_nonce

        now = self.clock()
        with self._lock:
            if len(self._nonces) >= MAX_PENDING_NONCES:
                self._nonces = {n: exp for n, exp in self._nonces.items() if exp > now}
                if len(self._nonces) >= MAX_PENDING_NONCES:
                    raise SignInError("busy", "too many sign-ins in progress; try again shortly")
            nonce = generate_nonce()
            self._nonces[nonce] = now + self.nonce_ttl
        return {"nonce": nonce, "domain": self.domain, "uri": self.uri, "chain_id": self.chain_id,
                "expires_at": int(now + self.nonce_ttl), "max_message_ttl": int(self.max_message_ttl)}

    def _consume_nonce(self, nonce: str, now: float) -> None:
        with self._lock:
            expires = self._nonces.pop(nonce, None)
        if expires is None:
            raise SignInError("nonce", "the nonce is unknown or was already used: ask for a new one "
                              "(each sign-in message may be used once)")
        if expires <= now:
            raise SignInError("nonce", "the nonce expired: ask for a new one")

    # ---- sign-in

    def login(self, message: str, signature: str) -> tuple[str, Session]:
        """Check a signed EIP-4361 message; return a new bearer token and its session."""
        import siwe

        now = self.clock()
        try:
            parsed = siwe.SiweMessage.from_message(message)
        except Exception as exc:  # noqa: BLE001 - the grammar's and pydantic's errors alike
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise SignInError("malformed", f"not an EIP-4361 message ({detail})") from None
        self._consume_nonce(parsed.nonce, now)
        if parsed.expiration_time is None:
            raise SignInError("expiry", "the message has no Expiration Time; sign-in messages here must expire")
        issued = parsed.issued_at._datetime.timestamp()
        expires = parsed.expiration_time._datetime.timestamp()
        if issued > now + self.clock_skew:
            raise SignInError("issued_at", "the message's Issued At lies in the future")
        if expires - issued > self.max_message_ttl:
            raise SignInError("expiry", f"the message is valid for {expires - issued:.0f} s; at most "
                              f"{self.max_message_ttl:.0f} s is accepted")
        try:
            parsed.verify(signature, domain=self.domain, uri=self.uri, chain_id=self.chain_id, nonce=parsed.nonce,
                          timestamp=_utc(now), provider=self.provider, strict=True)
        except siwe.DomainMismatch:
            raise SignInError("domain", f"the message is for domain {parsed.domain!r}; this service is "
                              f"{self.domain!r}") from None
        except siwe.UriMismatch:
            raise SignInError("uri", f"the message is for URI {parsed.uri!r}; this service is {self.uri!r}") from None
        except siwe.ChainIdMismatch:
            raise SignInError("chain_id", f"the message is for chain {parsed.chain_id}; this service checks "
                              f"licences on chain {self.chain_id}") from None
        except siwe.ExpiredMessage:
            raise SignInError("expired", "the message expired (its Expiration Time has passed)") from None
        except siwe.NotYetValidMessage:
            raise SignInError("not_yet_valid", "the message is not valid yet (Not Before)") from None
        except siwe.InvalidSignature:
            raise SignInError("signature", f"the signature is not {parsed.address}'s (neither its key nor, for a "
                              "contract wallet, ERC-1271 accepts it)") from None
        except siwe.VerificationError as exc:
            raise SignInError("invalid", f"the message was refused: {type(exc).__name__}") from None
        from web3 import Web3

        session = Session(Web3.to_checksum_address(parsed.address), now, now + self.session_ttl)
        token = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions = {k: s for k, s in self._sessions.items() if s.expires_at > now}
            self._sessions[hashlib.sha256(token.encode()).digest()] = session
        return token, session

    # ---- sessions

    def session(self, token: str | None) -> Session:
        """The live session of a bearer token, or :class:`SignInError`."""
        if not token:
            raise SignInError("no_session", "sign in first: send 'Authorization: Bearer <token>' from "
                              "POST /access/v1/login")
        key = hashlib.sha256(token.encode()).digest()
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and session.expires_at <= self.clock():
                del self._sessions[key]
                raise SignInError("session_expired", "the session expired: sign in again")
        if session is None:
            raise SignInError("unknown_session", "unknown session token (signed out, or the service restarted): "
                              "sign in again")
        return session

    def logout(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            return self._sessions.pop(hashlib.sha256(token.encode()).digest(), None) is not None
