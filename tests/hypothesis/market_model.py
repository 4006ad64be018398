"""A plain-Python model of contracts/Marketplace.vy, for the state machine in test_market_state.py.

It holds what the contract should hold (offers, licences, per-asset pending pools, withdrawable
balances, the fee) and the tokens the contract should own, and predicts the outcome of every call:
the value it returns, or the exact revert reason, checked in the contract's order. It knows nothing
about Ape or the chain: time is passed in as `now`, accounts and tokens are address strings.

Money rule the model makes explicit: for every token, what the marketplace holds equals the sum of
all pending pools plus all balances (`owed`), and that is what it received from buyers and royalty
sweeps minus what it paid out (`held`). Both are tracked independently so the invariant is not true
by construction. ERC-2981 royalties paid on secondary sales wait at each asset's receiver
(`waiting`) until swept into its pool.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

ETH = "0x" + "00" * 20
MAX_BPS = 10_000
MAX_FEE_BPS = 1_000
MAX_RECIPIENTS = 64
PERPETUAL = 2**256 - 1
#: Marketplace.buy counts every sale in `sold`, capped or not, so a cap added later sees earlier
#: sales (tests/contracts/marketplace/test_offers.py::test_update_offer__cap_added_after_uncapped_sales__counts_them).
COUNTS_UNCAPPED_SALES = True


#: A Revert whose reason the model does not fix: the call must revert, with any reason (a payee
#: refusing ether reverts with its own, or none).
ANY_REASON = "<any reason>"


class Revert(Exception):
    """The call must revert with `reason` (the contract's exact string)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Offer:
    asset_id: int
    token: str
    price: int
    duration: int
    max_licences: int
    starts_at: int
    ends_at: int
    sold: int = 0
    active: bool = True


@dataclass
class Asset:
    owner: str
    parents: list[tuple[int, int]]  # (parent asset id, upstream share in bps)
    recipients: list[str] = field(default_factory=list)  # empty: 100 % to the current owner
    weights: list[int] = field(default_factory=list)
    split_locked: bool = False
    delisted: bool = False
    royalty_bps: int = 0


@dataclass
class Purchase:
    expires_at: int
    fee: int


@dataclass
class Distribution:
    amount: int
    upstream: int


class MarketModel:
    def __init__(self, fee_bps: int, treasury: str, rejects_ether: frozenset[str] | set[str] = frozenset()) -> None:
        self.fee_bps = fee_bps
        self.treasury = treasury
        self.rejects_ether = set(rejects_ether)  # payees whose ether withdrawal reverts (no payable entry)
        self.assets: dict[int, Asset] = {}
        self.offers: dict[int, Offer] = {}
        self.licences: dict[tuple[int, str], int] = defaultdict(int)
        self.pending: dict[tuple[int, str], int] = defaultdict(int)
        self.balances: dict[tuple[str, str], int] = defaultdict(int)
        self.held: dict[str, int] = defaultdict(int)  # received minus paid out, per token
        self.paid_out: dict[tuple[str, str], int] = defaultdict(int)  # withdrawn, per (account, token)
        self.spent: dict[tuple[str, str], int] = defaultdict(int)  # paid for licences and royalties, per (payer, token)
        self.waiting: dict[tuple[int, str], int] = defaultdict(int)  # royalties at each asset's receiver

    # ------------------------------------------------------------ registry side

    def register(self, asset_id: int, owner: str, parents: list[tuple[int, int]], royalty_bps: int = 0) -> None:
        assert asset_id not in self.assets
        assert all(parent in self.assets for parent, _ in parents)
        assert sum(share for _, share in parents) <= MAX_BPS
        self.assets[asset_id] = Asset(owner=owner, parents=list(parents), royalty_bps=royalty_bps)

    def transfer(self, asset_id: int, new_owner: str) -> None:
        self.assets[asset_id].owner = new_owner

    def set_delisted(self, asset_id: int, delisted: bool) -> None:
        self.assets[asset_id].delisted = delisted

    # ------------------------------------------------------------ offers

    def _require_owner(self, asset_id: int, caller: str) -> Asset:
        asset = self.assets[asset_id]
        if asset.owner != caller:
            raise Revert("market: caller is not the asset owner")
        return asset

    def create_offer(self, caller: str, asset_id: int, token: str, price: int, duration: int, max_licences: int,
                     starts_at: int, ends_at: int, now: int) -> int:
        asset = self._require_owner(asset_id, caller)
        if asset.delisted:
            raise Revert("market: asset delisted")
        self._check_window(price, starts_at, ends_at, now)
        offer_id = len(self.offers) + 1
        self.offers[offer_id] = Offer(asset_id, token, price, duration, max_licences, starts_at, ends_at)
        return offer_id

    @staticmethod
    def _check_window(price: int, starts_at: int, ends_at: int, now: int) -> None:
        if price >= 2**128:
            raise Revert("market: price too large")
        if starts_at >= 2**32 or ends_at >= 2**32:
            raise Revert("market: time out of range")
        if ends_at != 0 and ends_at <= max(starts_at, now):
            raise Revert("market: bad time window")

    def _active_offer_of_owner(self, caller: str, offer_id: int) -> Offer:
        offer = self.offers.get(offer_id)
        if offer is None or not offer.active:
            raise Revert("market: offer not active")
        self._require_owner(offer.asset_id, caller)
        return offer

    def update_offer(self, caller: str, offer_id: int, price: int, max_licences: int, starts_at: int, ends_at: int,
                     now: int) -> None:
        offer = self._active_offer_of_owner(caller, offer_id)
        if max_licences != 0 and max_licences < offer.sold:
            raise Revert("market: cap below sold")
        self._check_window(price, starts_at, ends_at, now)
        offer.price, offer.max_licences, offer.starts_at, offer.ends_at = price, max_licences, starts_at, ends_at

    def cancel_offer(self, caller: str, offer_id: int) -> None:
        self._active_offer_of_owner(caller, offer_id).active = False

    # ------------------------------------------------------------ buying

    def buy_error(self, offer_id: int, licensee: str, now: int) -> str | None:
        """Why buying `offer_id` for `licensee` (paying the exact price) would revert now, or None."""
        offer = self.offers.get(offer_id)
        if offer is None or not offer.active:
            return "market: offer not active"
        if licensee == ETH:
            return "market: zero licensee"
        if now < offer.starts_at:
            return "market: offer not started"
        if offer.ends_at != 0 and now >= offer.ends_at:
            return "market: offer expired"
        if offer.max_licences != 0 and offer.sold >= offer.max_licences:
            return "market: offer sold out"
        if self.assets[offer.asset_id].delisted:
            return "market: asset delisted"
        if self.licences[(offer.asset_id, licensee)] == PERPETUAL:
            return "market: already licensed for ever"
        return None

    def buy(self, payer: str, offer_id: int, licensee: str, now: int) -> Purchase:
        reason = self.buy_error(offer_id, licensee, now)
        if reason is not None:
            raise Revert(reason)
        offer = self.offers[offer_id]
        current = self.licences[(offer.asset_id, licensee)]

        if offer.max_licences != 0 or COUNTS_UNCAPPED_SALES:
            offer.sold += 1
        expires_at = PERPETUAL if offer.duration == 0 else max(current, now) + offer.duration
        self.licences[(offer.asset_id, licensee)] = expires_at
        fee = offer.price * self.fee_bps // MAX_BPS
        self.balances[(self.treasury, offer.token)] += fee
        self.pending[(offer.asset_id, offer.token)] += offer.price - fee
        self.held[offer.token] += offer.price
        self.spent[(payer, offer.token)] += offer.price
        return Purchase(expires_at=expires_at, fee=fee)

    def has_access(self, asset_id: int, account: str, now: int) -> bool:
        # A delisted asset is served to nobody; its licences are kept for a relisting.
        return self.licences[(asset_id, account)] > now and not self.assets[asset_id].delisted

    # ------------------------------------------------------------ splits

    def set_split(self, caller: str, asset_id: int, recipients: list[str], weights: list[int]) -> None:
        asset = self._require_owner(asset_id, caller)
        if asset.split_locked:
            raise Revert("market: split locked")
        if ETH in recipients:  # the zero address (sorted first)
            raise Revert("market: zero address recipient")
        assert len(recipients) == len(weights) <= MAX_RECIPIENTS
        assert recipients == sorted(set(recipients), key=lambda a: int(a, 16))
        assert not recipients or (sum(weights) == MAX_BPS and min(weights) > 0)
        asset.recipients, asset.weights = list(recipients), list(weights)

    def lock_split(self, caller: str, asset_id: int) -> None:
        asset = self._require_owner(asset_id, caller)
        if asset.split_locked:
            raise Revert("market: split locked")
        if not asset.recipients:
            raise Revert("market: no split to lock")
        asset.split_locked = True

    # ------------------------------------------------------------ distribution and withdrawal

    def distribute(self, asset_id: int, token: str) -> Distribution:
        amount = self.pending[(asset_id, token)]
        if amount == 0:
            raise Revert("market: nothing to distribute")
        self.pending[(asset_id, token)] = 0
        asset = self.assets[asset_id]
        upstream = 0
        for parent, share in asset.parents:
            part = amount * share // MAX_BPS
            self.pending[(parent, token)] += part
            upstream += part
        rest = amount - upstream
        if not asset.recipients:
            self.balances[(asset.owner, token)] += rest
        else:
            credits = [rest * weight // MAX_BPS for weight in asset.weights]
            credits[0] += rest - sum(credits)  # the rounding remainder goes to the first recipient
            for recipient, credit in zip(asset.recipients, credits, strict=True):
                self.balances[(recipient, token)] += credit
        return Distribution(amount=amount, upstream=upstream)

    def withdraw(self, account: str, token: str) -> int:
        amount = self.balances[(account, token)]
        if amount == 0:
            raise Revert("market: nothing to withdraw")
        if token == ETH and account in self.rejects_ether:
            raise Revert(ANY_REASON)  # the payee refuses the ether: the credit stays where it is
        self.balances[(account, token)] = 0
        self.held[token] -= amount
        self.paid_out[(account, token)] += amount
        return amount

    # ------------------------------------------------------------ secondary-sale royalties (ERC-2981)

    def royalty_of(self, asset_id: int, price: int) -> int:
        """registry.royaltyInfo's amount: exact, rounded down."""
        return price * self.assets[asset_id].royalty_bps // MAX_BPS

    def pay_royalty(self, asset_id: int, token: str, amount: int, payer: str) -> None:
        """A secondary sale elsewhere paid `amount` to the asset's receiver (not to the marketplace)."""
        self.waiting[(asset_id, token)] += amount
        self.spent[(payer, token)] += amount

    def sweep(self, asset_id: int, token: str) -> int:
        """sweep_royalties: what waits at the receiver moves into the asset's pool (both tokens are allowed)."""
        if asset_id not in self.assets:
            raise Revert("market: unknown asset")
        amount = self.waiting[(asset_id, token)]
        if amount == 0:
            raise Revert("market: nothing to sweep")
        self.waiting[(asset_id, token)] = 0
        self.pending[(asset_id, token)] += amount
        self.held[token] += amount
        return amount

    # ------------------------------------------------------------ DAO levers

    def set_fee(self, fee_bps: int, treasury: str) -> None:
        if fee_bps > MAX_FEE_BPS:
            raise Revert("market: fee over cap")
        if treasury == ETH:
            raise Revert("market: zero treasury")
        self.fee_bps, self.treasury = fee_bps, treasury

    # ------------------------------------------------------------ views for the invariants

    def owed(self, token: str) -> int:
        """Everything the marketplace owes in `token`: all pending pools plus all balances."""
        pools = sum(amount for (_, t), amount in self.pending.items() if t == token)
        balances = sum(amount for (_, t), amount in self.balances.items() if t == token)
        return pools + balances

    def split_of(self, asset_id: int) -> tuple[list[str], list[int]]:
        asset = self.assets[asset_id]
        return list(asset.recipients), list(asset.weights)
