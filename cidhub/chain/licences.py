"""Asking the Marketplace whether an account may read an asset, straight over JSON-RPC.

The access service (``cidhub.access``) runs outside Ape, possibly for days, so it talks to the
chain itself: one ``eth_call`` of ``Marketplace.has_access(asset, account)`` at the latest block
per request. That answer alone decides; when it is "no", a few more reads at one block say why
(no licence, expired at a time, asset delisted, unknown asset) so the refusal can name the reason.

Calls are encoded here and sent with one kept-alive HTTP session: a web3 contract call costs
10-40 ms of Python per call on these machines, the raw ``eth_call`` about 1 ms, and this check
sits in front of every byte-range request.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from cidhub.errors import CidhubError

__all__ = ["LicenceCheck", "LicenceOracle", "ChainUnavailableError"]

PERPETUAL = 2**256 - 1


def _selector(signature: str) -> str:
    from eth_utils import keccak

    return keccak(text=signature)[:4].hex()


_HAS_ACCESS = _selector("has_access(uint256,address)")
_LICENCE_OF = _selector("licence_of(uint256,address)")
_REGISTRY = _selector("registry()")
_IS_DELISTED = _selector("is_delisted(uint256)")


class ChainUnavailableError(CidhubError):
    """The chain could not be asked; access is refused rather than guessed."""


class _Reverted(Exception):
    pass


@dataclass(frozen=True)
class LicenceCheck:
    """The chain's answer for one (asset, account)."""

    allowed: bool
    reason: str  # "licensed", "no licence", "licence expired", "asset delisted", "unknown asset"
    expires_at: int | None = None  # unix seconds, for an expired licence
    block: int | None = None  # the block the reason was read at

    def as_dict(self) -> dict[str, Any]:
        return {"has_access": self.allowed, "reason": self.reason, "expires_at": self.expires_at,
                "block": self.block}


def _word(value: int) -> str:
    return f"{value:064x}"


class LicenceOracle:
    """``has_access`` on one Marketplace, asked over the JSON-RPC at ``rpc_url``.

    ``block`` is the block tag the decision is read at: ``latest`` (default: a purchase counts as
    soon as it is mined), or ``safe`` / ``finalized`` on chains with reorgs, where a purchase then
    counts only once it cannot be undone.
    """

    def __init__(self, rpc_url: str, market_address: str, *, timeout: float = 10.0, block: str = "latest") -> None:
        import requests
        from eth_utils import to_checksum_address

        self.rpc_url = rpc_url
        self.market_address = to_checksum_address(market_address)
        self.timeout = timeout
        if block not in ("latest", "safe", "finalized"):
            raise ValueError(f"block tag {block!r}: use latest, safe or finalized")
        self.block = block
        self._http = requests.Session()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # one session, many server threads
        self._registry: str | None = None
        self._chain_id: int | None = None

    @classmethod
    def connect(cls, rpc_url: str, market_address: str, *, timeout: float = 10.0, block: str = "latest"
                ) -> LicenceOracle:
        return cls(rpc_url, market_address, timeout=timeout, block=block)

    @property
    def provider(self) -> Any:
        """A web3 provider on the same endpoint (the siwe library asks ERC-1271 wallets through it)."""
        from web3 import HTTPProvider

        return HTTPProvider(self.rpc_url, request_kwargs={"timeout": self.timeout})

    # ---- JSON-RPC

    def _rpc(self, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            with self._lock:
                response = self._http.post(self.rpc_url, json=body, timeout=self.timeout)
            response.raise_for_status()
            answer = response.json()
        except Exception as exc:  # noqa: BLE001 - any transport failure is "chain unavailable"
            raise ChainUnavailableError(f"cannot reach the chain at {self.rpc_url}: {exc}") from None
        if "error" in answer:
            error = answer["error"] or {}
            if method == "eth_call" and ("revert" in str(error.get("message", "")).lower() or error.get("data")):
                raise _Reverted(str(error.get("message")))
            raise ChainUnavailableError(f"the chain refused {method}: {error.get('message', error)}")
        return answer.get("result")

    def _call(self, to: str, data: str, block: str) -> bytes:
        result = self._rpc("eth_call", [{"to": to, "data": "0x" + data}, block])
        return bytes.fromhex(str(result)[2:])

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._rpc("eth_chainId", []), 16)
        return self._chain_id

    # ---- the check

    def check(self, asset_id: int, account: str) -> LicenceCheck:
        """Whether ``account`` has access to ``asset_id`` now (at ``self.block``), and if not, why."""
        who = _word(int(account, 16))
        try:
            # The decision: one eth_call per request. Nothing is cached between requests.
            answer = self._call(self.market_address, _HAS_ACCESS + _word(asset_id) + who, self.block)
            if int.from_bytes(answer, "big"):
                return LicenceCheck(True, "licensed")
            # Refused: say why, from one block.
            block = self._rpc("eth_getBlockByNumber", [self.block, False])
            number, timestamp = int(block["number"], 16), int(block["timestamp"], 16)
            at = hex(number)
            if self._registry is None:
                self._registry = "0x" + self._call(self.market_address, _REGISTRY, "latest")[-20:].hex()
            try:
                delisted = int.from_bytes(self._call(self._registry, _IS_DELISTED + _word(asset_id), at), "big")
            except _Reverted:  # "registry: unknown asset"
                return LicenceCheck(False, "unknown asset", None, number)
            if delisted:
                return LicenceCheck(False, "asset delisted", None, number)
            expiry = int.from_bytes(self._call(self.market_address, _LICENCE_OF + _word(asset_id) + who, at), "big")
        except _Reverted as exc:
            raise ChainUnavailableError(f"the Marketplace at {self.market_address} reverted: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ChainUnavailableError(f"unexpected answer from the chain: {exc}") from None
        if expiry and expiry <= timestamp:
            return LicenceCheck(False, "licence expired", expiry, number)
        return LicenceCheck(False, "no licence", None, number)
