"""Offers, licences and splits on the Marketplace, with every check made before a transaction.

The contract reverts with "market: <reason>" for each of these; checking first means a user who
made a mistake pays no gas and gets a message that says what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cidhub.errors import CidhubError

ETH = "0x0000000000000000000000000000000000000000"
MAX_BPS = 10_000
MAX_RECIPIENTS = 64
MAX_FEE_BPS = 1_000
PERPETUAL = 2**256 - 1
_U32 = 2**32 - 1
_U64 = 2**64 - 1
_U128 = 2**128 - 1


class MarketError(CidhubError):
    """A marketplace action that would revert; nothing was sent."""


def parse_token(value: str | None) -> str:
    """'ETH' (or nothing) is ether; anything else must be a 0x address of an ERC-20."""
    if value is None or value.strip().upper() in ("", "ETH", "ETHER"):
        return ETH
    text = value.strip()
    if not (text.startswith("0x") and len(text) == 42):
        raise MarketError(f"token {value!r} is neither ETH nor a 0x-prefixed 20-byte address")
    try:
        int(text, 16)
    except ValueError:
        raise MarketError(f"token {value!r} is not a hex address") from None
    return text


def token_label(token: str) -> str:
    return "ETH" if int(token, 16) == 0 else token


@dataclass(frozen=True)
class Offer:
    offer_id: int
    asset_id: int
    token: str
    price: int
    duration: int
    max_licences: int
    sold: int
    starts_at: int
    ends_at: int
    active: bool

    @classmethod
    def read(cls, market: Any, offer_id: int) -> Offer:
        o = market.offer(offer_id)
        return cls(offer_id, o.asset_id, o.token, o.price, o.duration, o.max_licences, o.sold, o.starts_at,
                   o.ends_at, o.active)

    @property
    def perpetual(self) -> bool:
        return self.duration == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "offer_id": self.offer_id, "asset_id": f"0x{self.asset_id:064x}", "token": token_label(self.token),
            "price": self.price, "licence": "perpetual" if self.perpetual else f"{self.duration} s",
            "max_licences": self.max_licences or None, "sold": self.sold, "starts_at": self.starts_at,
            "ends_at": self.ends_at or None, "active": self.active,
        }


def normalise_split(recipients: Sequence[str], weights: Sequence[int]) -> tuple[list[str], list[int]]:
    """Validate a split and put it in the contract's canonical order (sorted by address)."""
    if len(recipients) != len(weights):
        raise MarketError(f"{len(recipients)} recipients but {len(weights)} weights: give one weight per recipient")
    if len(recipients) > MAX_RECIPIENTS:
        raise MarketError(f"{len(recipients)} recipients; a split has at most {MAX_RECIPIENTS}")
    pairs = []
    for recipient, weight in zip(recipients, weights):
        if int(recipient, 16) == 0:
            raise MarketError("a split recipient is the zero address")
        if weight <= 0:
            raise MarketError(f"recipient {recipient} has weight {weight}; weights must be positive")
        pairs.append((recipient, int(weight)))
    pairs.sort(key=lambda p: int(p[0], 16))
    if len({int(r, 16) for r, _ in pairs}) != len(pairs):
        raise MarketError("the same recipient appears twice in the split")
    total = sum(w for _, w in pairs)
    if pairs and total != MAX_BPS:
        raise MarketError(f"split weights add up to {total} bps; they must add up to exactly {MAX_BPS}")
    return [r for r, _ in pairs], [w for _, w in pairs]


def _require_owner(registry: Any, asset_id: int, sender: Any) -> None:
    owner = registry.ownerOf(asset_id)
    if owner.lower() != sender.address.lower():
        raise MarketError(f"{sender.address} does not own asset 0x{asset_id:064x} (the owner is {owner})")


# contracts/modules/royalty_receiver.vy: the forwarder each asset's ERC-2981 royalties are paid to.
ROYALTY_RECEIVER_INITCODE = bytes.fromhex(
    "61337360a01b33175f5260286016602039603e600af314601b57005b604036038060405f375f5f825f6020355f355af1"
    "3d5f5f3e603a573d5ffd5b3d5ff3"
)


def royalty_receiver_address(market: str, asset_id: int) -> str:
    """Where `asset_id`'s ERC-2981 royalties are paid: the CREATE2 address of its forwarder at
    `market` (what `AssetRegistry.royaltyInfo` and `Marketplace.royalty_receiver_of` answer),
    computed off-chain, whether or not the forwarder is deployed yet."""
    from eth_utils import keccak, to_checksum_address

    digest = keccak(b"\xff" + bytes.fromhex(market[2:]) + asset_id.to_bytes(32, "big")
                    + keccak(ROYALTY_RECEIVER_INITCODE))
    return to_checksum_address(digest[12:])


def chain_time() -> int:
    """The timestamp the next block will carry: what the contract compares with (anvil may time-travel)."""
    from ape import chain

    return chain.pending_timestamp


def create_offer(market: Any, registry: Any, sender: Any, asset_id: int, *, token: str = ETH, price: int,
                 duration: int = 0, max_licences: int = 0, starts_at: int = 0, ends_at: int = 0,
                 now: int | None = None) -> Offer:
    _require_owner(registry, asset_id, sender)
    if registry.is_delisted(asset_id):
        raise MarketError(f"asset 0x{asset_id:064x} is delisted; it cannot be offered")
    if int(token, 16) != 0 and not market.token_allowed(token):
        raise MarketError(f"token {token} is not allowed for payment on this marketplace (the DAO decides)")
    if not 0 <= price <= _U128:
        raise MarketError("price must be between 0 and 2**128 - 1")
    if not 0 <= duration <= _U64 or not 0 <= max_licences <= _U32:
        raise MarketError("duration or licence cap out of range")
    now = chain_time() if now is None else now
    if ends_at and ends_at <= max(starts_at, now):
        raise MarketError("the offer would end before it starts")
    receipt = market.create_offer(asset_id, token, price, duration, max_licences, starts_at, ends_at, sender=sender)
    offer_id = receipt.decode_logs(market.OfferCreated)[0].offer_id
    return Offer.read(market, offer_id)


def buy(market: Any, sender: Any, offer_id: int, licensee: str | None = None, *, token_contract: Any = None,
        approve: bool = False, now: int | None = None) -> Any:
    """Buy one licence; for ERC-20 offers the allowance must cover the price (or pass approve=True)."""
    offer = Offer.read(market, offer_id)
    if not offer.active:
        raise MarketError(f"offer {offer_id} is not active (unknown or cancelled)")
    now = chain_time() if now is None else now
    if offer.starts_at and now < offer.starts_at:
        raise MarketError(f"offer {offer_id} opens at {offer.starts_at} (unix time)")
    if offer.ends_at and now >= offer.ends_at:
        raise MarketError(f"offer {offer_id} ended at {offer.ends_at} (unix time)")
    if offer.max_licences and offer.sold >= offer.max_licences:
        raise MarketError(f"offer {offer_id} is sold out ({offer.sold} of {offer.max_licences})")
    licensee = licensee or sender.address
    if market.licence_of(offer.asset_id, licensee) == PERPETUAL:
        raise MarketError(f"{licensee} already holds a perpetual licence for this asset")
    if int(offer.token, 16) == 0:
        if sender.balance < offer.price:
            raise MarketError(f"the price is {offer.price} wei but {sender.address} holds {sender.balance}")
        return market.buy(offer_id, licensee, value=offer.price, sender=sender)
    if token_contract is None:
        raise MarketError("an ERC-20 offer needs the token contract")
    if token_contract.balanceOf(sender) < offer.price:
        raise MarketError(f"{sender.address} holds less than the price of {offer.price} token units")
    if token_contract.allowance(sender, market) < offer.price:
        if not approve:
            raise MarketError(f"approve the marketplace for {offer.price} token units first (or pass --approve)")
        token_contract.approve(market, offer.price, sender=sender)
    return market.buy(offer_id, licensee, sender=sender)


def set_split(market: Any, registry: Any, sender: Any, asset_id: int, recipients: Sequence[str],
              weights: Sequence[int]) -> Any:
    _require_owner(registry, asset_id, sender)
    if market.split_locked(asset_id):
        raise MarketError(f"the split of asset 0x{asset_id:064x} is locked")
    ordered, ordered_weights = normalise_split(recipients, weights)
    return market.set_split(asset_id, ordered, ordered_weights, sender=sender)


def access(market: Any, asset_id: int, account: str) -> dict[str, Any]:
    expiry = market.licence_of(asset_id, account)
    return {
        "asset_id": f"0x{asset_id:064x}", "account": account, "has_access": bool(market.has_access(asset_id, account)),
        "expires_at": None if expiry in (0, PERPETUAL) else expiry, "perpetual": expiry == PERPETUAL,
    }


def list_offers(market: Any) -> list[Offer]:
    return [Offer.read(market, i) for i in range(1, market.offer_count() + 1)]
