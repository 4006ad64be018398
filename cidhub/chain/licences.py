"""Asking the Marketplace whether an account may read an asset, straight over JSON-RPC.

The access service (``cidhub.access``) runs outside Ape, possibly for days, so it talks to the
chain with plain web3: one ``eth_call`` of ``Marketplace.has_access(asset, account)`` at the
latest block per request. That answer alone decides; when it is "no", two more reads say why
(no licence, expired at a time, asset delisted) so the refusal can name the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cidhub.errors import CidhubError

__all__ = ["LicenceCheck", "LicenceOracle", "ChainUnavailableError"]

PERPETUAL = 2**256 - 1

_MARKET_ABI: list[dict[str, Any]] = [
    {"name": "has_access", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "asset_id", "type": "uint256"}, {"name": "account", "type": "address"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"name": "licence_of", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "arg0", "type": "uint256"}, {"name": "arg1", "type": "address"}],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "registry", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
]
_REGISTRY_ABI: list[dict[str, Any]] = [
    {"name": "is_delisted", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "asset_id", "type": "uint256"}], "outputs": [{"name": "", "type": "bool"}]},
]


class ChainUnavailableError(CidhubError):
    """The chain could not be asked; access is refused rather than guessed."""


@dataclass(frozen=True)
class LicenceCheck:
    """The chain's answer for one (asset, account) at one block."""

    allowed: bool
    reason: str  # "licensed", "no licence", "licence expired", "asset delisted"
    expires_at: int | None = None  # unix seconds; None for none or perpetual
    block: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"has_access": self.allowed, "reason": self.reason, "expires_at": self.expires_at,
                "block": self.block}


class LicenceOracle:
    """``has_access`` on one Marketplace, asked through ``w3`` (a ``web3.Web3``)."""

    def __init__(self, w3: Any, market_address: str) -> None:
        from web3 import Web3

        self.w3 = w3
        self.market = w3.eth.contract(address=Web3.to_checksum_address(market_address), abi=_MARKET_ABI)
        self._registry: Any = None

    @classmethod
    def connect(cls, rpc_url: str, market_address: str, *, timeout: float = 10.0) -> LicenceOracle:
        from web3 import HTTPProvider, Web3

        return cls(Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout})), market_address)

    @property
    def chain_id(self) -> int:
        try:
            return int(self.w3.eth.chain_id)
        except Exception as exc:  # noqa: BLE001 - any transport failure is "chain unavailable"
            raise ChainUnavailableError(f"cannot reach the chain: {exc}") from None

    def check(self, asset_id: int, account: str) -> LicenceCheck:
        """Whether ``account`` has access to ``asset_id`` now (latest block), and if not, why."""
        from web3 import Web3

        who = Web3.to_checksum_address(account)
        try:
            # The decision: one eth_call at the latest block. Nothing is cached between requests.
            if self.market.functions.has_access(asset_id, who).call(block_identifier="latest"):
                return LicenceCheck(True, "licensed")
            # Refused: say why, from one consistent block.
            block = self.w3.eth.get_block("latest")
            number, timestamp = int(block["number"]), int(block["timestamp"])
            if self._registry is None:
                address = self.market.functions.registry().call()
                self._registry = self.w3.eth.contract(address=address, abi=_REGISTRY_ABI)
            if self._registry.functions.is_delisted(asset_id).call(block_identifier=number):
                return LicenceCheck(False, "asset delisted", None, number)
            expiry = int(self.market.functions.licence_of(asset_id, who).call(block_identifier=number))
        except Exception as exc:  # noqa: BLE001 - fail closed on any RPC problem
            raise ChainUnavailableError(f"cannot check the licence on chain: {exc}") from None
        if expiry == 0:
            return LicenceCheck(False, "no licence", None, number)
        if expiry <= timestamp:
            return LicenceCheck(False, "licence expired", expiry, number)
        return LicenceCheck(False, "no licence", None, number)  # not reachable with the current contract
