"""Stateful test of contracts/Marketplace.vy against the plain-Python model in market_model.py.

A RuleBasedStateMachine registers assets with random provenance and ERC-2981 royalties, transfers
and delists them, sets and locks splits, makes offers (ETH and an ERC-20, perpetual and timed,
capped, windowed), buys from several buyers for themselves or others, resells assets elsewhere
(paying the royalty `royaltyInfo` names to the asset's receiver, ether by plain transfer or with a
2,300-gas `send`), sweeps receivers into pools, moves time, distributes pools (with the split's
lists) and withdraws, in random order. Every call's outcome (return value, event fields, or exact
revert reason) must be the model's; after every step, for each token:

    marketplace's holdings == sum of all pending pools + all balances == the model's (to the wei)

and every pool, every balance, every payee's ERC-20 wallet, what waits at every royalty receiver,
every licence expiry and `has_access` (as time moves) equal the model's.

Budgets (env HYPOTHESIS_PROFILE): `ci` (default, 20 examples of up to 25 steps, ~45 s) and `deep`
(200 x 60, ~20 min). They are this module's own settings objects, passed to run_state_machine_as_test, so
they work whether or not another module registered global `ci` / `deep` profiles, and do not
change those profiles for anyone else.
Calls the model says must revert are checked with a raw `eth_call` (Ape's revert tracing costs
~0.5 s a call); everything else is a real transaction with its time pinned to the model's clock.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cidhub.chain.market import royalty_receiver_address
from cidhub.chain.provenance import split_parents
from cidhub.content.cid import RAW, cid_to_bytes, make_cid

# tests/hypothesis is not a package (an installed `tests` package would shadow it): import the
# model as a top-level module, like tests/python/conftest.py does for the strategies.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from market_model import ANY_REASON, ETH, MAX_BPS, MarketModel, Revert  # noqa: E402
from revert_check import assert_call_reverts, call_outcome  # noqa: E402
from strategies import AddressPool, addresses  # noqa: E402

PROFILES = {
    "ci": settings(max_examples=20, stateful_step_count=25),
    "deep": settings(max_examples=200, stateful_step_count=60),
}
SETTINGS = settings(
    PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), PROFILES["ci"]),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True,
)

FEE_BPS = 250
KEYLESS = "0x000000000000000000000000000000000000dEaD"
TOKEN_FUNDS = 10**24
MAX_ASSETS = 7
MAX_OFFERS = 12
MAX_ROYALTY_BPS = 2_500
DAY = 86_400
# An id nobody registers: sweeping it must say so.
UNREGISTERED = int.from_bytes(hashlib.sha256(b"market-state: never registered").digest(), "big")

#: What the machine did, by rule and outcome ("buy", "buy: market: offer expired", ...).
OUTCOMES: Counter[str] = Counter()


def _cid_of(n: int) -> bytes:
    """The n-th CID an example registers. Derived from a per-example counter only (no randomness,
    no global state), so a replayed example registers the same assets with the same ids: asset
    ids order `sorted(...)` lists the machine draws from, and hypothesis replays must see the
    same lists (with os.urandom in here, deep runs died with FlakyStrategyDefinition)."""
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(b"market-state-%d" % n).digest()))


class Suite:
    """What the machine drives: contracts and the accounts that play every role."""

    def __init__(self, chain, registry, market, usd, lens, payer, deployer, dao, curator, people, treasury, others):
        self.chain, self.registry, self.market, self.usd, self.lens = chain, registry, market, usd, lens
        self.payer = payer  # pays royalties with `send` (2,300 gas), like older marketplaces
        self.deployer, self.dao, self.curator, self.treasury = deployer, dao, curator, treasury
        self.people = people  # owners, buyers, keepers: they send transactions
        self.by_address = {p.address: p for p in people}
        # Payees that send nothing: an ERC-1271 wallet (takes ether), a contract without a code path
        # (refuses ether), the registry and the marketplace itself, and an address nobody has the key
        # of. Licensees, split recipients and treasuries are drawn from all of them and the zero address.
        self.others = others
        self.pool = AddressPool(eoas=tuple(p.address for p in people), suite=(registry.address, market.address),
                                wallets=(others[0],), rejecting=(others[1],))
        self.payees = [p.address for p in people] + [a for a in others if a not in self.by_address]
        #: Who makes an ether transfer revert: no payable entry point.
        self.rejects_ether = {others[1], registry.address, market.address}
        self.token_funds = {a: TOKEN_FUNDS if a in self.by_address else 0 for a in self.payees}


@pytest.fixture(scope="module")
def suite(project, chain, accounts, registry, deployer, dao, curator):
    people = list(accounts[1:10])
    treasury = accounts[8]
    market = project.Marketplace.deploy(registry, treasury, FEE_BPS, sender=deployer)
    registry.set_royalty_market(market, sender=deployer)
    market.grantRole(market.FEE_MANAGER_ROLE(), dao, sender=deployer)
    market.grantRole(market.TOKEN_MANAGER_ROLE(), dao, sender=deployer)
    usd = project.MockERC20.deploy("Test USD", "TUSD", 0, sender=deployer)
    market.set_token_allowed(usd, True, sender=dao)
    for person in people:
        usd.mint(person, TOKEN_FUNDS, sender=deployer)
        usd.approve(market, 2**256 - 1, sender=person)
    lens = project.MktLens.deploy(sender=deployer)
    payer = project.MktStipendPayer.deploy(sender=deployer)
    wallet = project.PropWallet.deploy(deployer, sender=deployer)
    inert = project.PropInert.deploy(sender=deployer)
    others = [wallet.address, inert.address, registry.address, market.address, KEYLESS]
    return Suite(chain, registry, market, usd, lens, payer, deployer, dao, curator, people, treasury, others)


def _sorted(addresses) -> list[str]:
    return sorted(addresses, key=lambda a: int(a, 16))


class MarketMachine(RuleBasedStateMachine):
    suite: Suite  # set by the test function

    # ------------------------------------------------------------ set-up and helpers

    @initialize(data=st.data())
    def start(self, data):
        s = self.suite
        self.snapshot = s.chain.snapshot()
        self.now = s.chain.blocks.head.timestamp + 1
        s.chain.mine(timestamp=self.now)
        self.model = MarketModel(FEE_BPS, s.treasury.address, rejects_ether=s.rejects_ether)
        self._cids = itertools.count()  # reset every example: see _cid_of
        self.tokens = [ETH, s.usd.address]
        self.asset_ids: list[int] = []
        # Start with some assets on sale, so that most of the steps move money.
        for i in range(data.draw(st.integers(1, 3), label="initial assets")):
            self.register_asset(data, min_royalty_bps=1 if i == 0 else 0)
            self.create_offer(data, asset_id=self.asset_ids[-1])
        # And one secondary sale of the first, its royalty swept: every run moves royalties.
        token = self._resell(data, asset_id=self.asset_ids[0], min_price=10**15)
        self._sweep(data, pair=(self.asset_ids[0], token))

    def teardown(self):
        if hasattr(self, "snapshot"):
            self.suite.chain.restore(self.snapshot)

    def _send(self, method, *args, sender, value=0):
        """A transaction mined at the model's clock (so views afterwards read the same time)."""
        OUTCOMES[method.abis[0].name] += 1
        self.suite.chain.pending_timestamp = self.now
        return method(*args, sender=sender, value=value)

    def _assert_reverts(self, reason, method, *args, sender, value=0):
        """The call reverts with exactly `reason` in the current state (head block, the model's clock);
        with ANY_REASON, with whatever reason (a payee's own refusal)."""
        web3 = self.suite.chain.provider.web3
        if reason == ANY_REASON:
            outcome = call_outcome(web3, method, *args, sender=sender, value=value)
            OUTCOMES[f"{method.abis[0].name}: {outcome}"] += 1
            assert outcome is not None, f"{method.abis[0].name} went through; the model says it must revert"
            return
        OUTCOMES[f"{method.abis[0].name}: {reason}"] += 1
        assert_call_reverts(web3, reason, method, *args, sender=sender, value=value)

    def _fresh_cid(self) -> bytes:
        return _cid_of(next(self._cids))

    def _payees(self):
        """A payee of any kind: a person (half of the time), the zero address, a contract, keyless."""
        s = self.suite
        return st.one_of(st.sampled_from([p.address for p in s.people]),
                         addresses(s.pool, keyless=False) | st.just(KEYLESS))

    def _owner(self, asset_id):
        return self.suite.by_address[self.model.assets[asset_id].owner]

    # ------------------------------------------------------------ registry side

    @precondition(lambda self: len(self.asset_ids) < MAX_ASSETS)
    @rule(data=st.data())
    def register_asset(self, data, min_royalty_bps=0):
        s = self.suite
        owner = data.draw(st.sampled_from(s.people), label="owner")
        count = data.draw(st.integers(0, min(3, len(self.asset_ids))), label="parent count")
        parents = data.draw(st.lists(st.sampled_from(self.asset_ids), min_size=count, max_size=count, unique=True),
                            label="parents") if count else []
        shares, budget = [], MAX_BPS
        for _ in parents:
            share = data.draw(st.one_of(st.integers(0, budget), st.integers(0, min(budget, 3_000))), label="share")
            shares.append(share)
            budget -= share
        royalty_bps = data.draw(st.sampled_from([0, 1, 2, 3]).flatmap(lambda k: st.just(0) if k == 0 else st.integers(
            1, MAX_ROYALTY_BPS)).filter(lambda bps: bps >= min_royalty_bps), label="royalty")
        tx = self._send(s.registry.register, self._fresh_cid(), 0, self._fresh_cid(), 1, parents, shares, royalty_bps,
                        sender=owner)
        (event,) = tx.decode_logs(s.registry.AssetRegistered)
        self.model.register(event.asset_id, owner.address, list(zip(parents, shares)), royalty_bps)
        self.asset_ids.append(event.asset_id)

    @precondition(lambda self: self.asset_ids)
    @rule(data=st.data(), action=st.sampled_from(["transfer", "delisting", "lock split", "fee", "update offer",
                                                   "update offer", "cancel offer"]))
    def govern(self, data, action):
        """The rarer levers: NFT transfers, curation, locking a split, the fee, changing or ending offers."""
        s = self.suite
        if action in ("update offer", "cancel offer"):
            if self.model.offers:
                self._change_offer(data, cancel=action == "cancel offer")
            return
        asset_id = data.draw(st.sampled_from(self.asset_ids), label="asset")
        owner = self._owner(asset_id)
        if action == "transfer":
            new_owner = data.draw(st.sampled_from(s.people), label="new owner")
            self._send(s.registry.transferFrom, owner, new_owner, asset_id, sender=owner)
            self.model.transfer(asset_id, new_owner.address)
        elif action == "delisting":
            # Relist first if anything is delisted, so that most of the time most assets are on sale.
            delisted = [a for a in self.asset_ids if self.model.assets[a].delisted]
            if delisted:
                asset_id = delisted[0]
                self._send(s.registry.relist, asset_id, self._fresh_cid(), sender=s.curator)
            else:
                self._send(s.registry.delist, asset_id, self._fresh_cid(), sender=s.curator)
            self.model.set_delisted(asset_id, not delisted)
            assert s.registry.is_delisted(asset_id) is not delisted
        elif action == "lock split":
            try:
                self.model.lock_split(owner.address, asset_id)
            except Revert as expected:
                self._assert_reverts(expected.reason, s.market.lock_split, asset_id, sender=owner)
                return
            self._send(s.market.lock_split, asset_id, sender=owner)
        else:
            fee_bps = data.draw(st.integers(0, 1_001), label="fee")
            treasury = data.draw(self._payees(), label="treasury")
            try:
                self.model.set_fee(fee_bps, treasury)
            except Revert as expected:
                self._assert_reverts(expected.reason, s.market.set_fee, fee_bps, treasury, sender=s.dao)
                return
            self._send(s.market.set_fee, fee_bps, treasury, sender=s.dao)

    # ------------------------------------------------------------ splits

    @precondition(lambda self: self.asset_ids)
    @rule(data=st.data())
    def set_split(self, data):
        s = self.suite
        asset_id = data.draw(st.sampled_from(self.asset_ids), label="asset")
        chosen = data.draw(st.lists(self._payees(), max_size=4, unique=True), label="recipients")
        recipients = _sorted(chosen)
        weights = []
        if recipients:
            cuts = sorted(data.draw(st.lists(st.integers(1, MAX_BPS - 1), min_size=len(recipients) - 1,
                                             max_size=len(recipients) - 1, unique=True), label="cuts"))
            bounds = [0, *cuts, MAX_BPS]
            weights = [b - a for a, b in zip(bounds, bounds[1:])]
        owner = self._owner(asset_id)
        try:
            self.model.set_split(owner.address, asset_id, recipients, weights)
        except Revert as expected:
            self._assert_reverts(expected.reason, s.market.set_split, asset_id, recipients, weights, sender=owner)
            return
        tx = self._send(s.market.set_split, asset_id, recipients, weights, sender=owner)
        (event,) = tx.decode_logs(s.market.SplitUpdated)
        assert (list(event.recipients), list(event.weights_bps)) == (recipients, weights)

    # ------------------------------------------------------------ offers

    def _draw_terms(self, data):
        price = data.draw(st.sampled_from(["free", "small", "large", "large"]).flatmap(lambda size: {
            "free": st.just(0), "small": st.integers(1, 10**6), "large": st.integers(10**15, 10**18)}[size]),
            label="price")
        cap = data.draw(st.one_of(st.just(0), st.integers(1, 3)), label="cap")
        starts_at = 0
        if data.draw(st.integers(0, 3), label="open now") == 0:
            # Offsets from the model's clock, not absolute times: the draw must not depend on the
            # chain's wall-clock start, or a replay in another session draws something else.
            starts_at = self.now + data.draw(st.integers(-100, 3_600), label="starts in")
        ends_at = 0
        if data.draw(st.integers(0, 2), label="open-ended") == 0:
            after = max(starts_at, self.now)
            ends_at = after + data.draw(st.integers(1, 2 * DAY), label="ends after")
        return price, cap, starts_at, ends_at

    @precondition(lambda self: self.asset_ids and len(self.model.offers) < MAX_OFFERS)
    @rule(data=st.data())
    def create_offer(self, data, asset_id=None):
        s = self.suite
        if asset_id is None:
            asset_id = data.draw(st.sampled_from(self.asset_ids), label="asset")
        token = data.draw(st.sampled_from(self.tokens), label="token")
        duration = data.draw(st.sampled_from([0, 0, 600, 3_600, DAY]), label="duration")
        price, cap, starts_at, ends_at = self._draw_terms(data)
        owner = self._owner(asset_id)
        args = (asset_id, token, price, duration, cap, starts_at, ends_at)
        try:
            offer_id = self.model.create_offer(owner.address, *args, now=self.now)
        except Revert as expected:
            self._assert_reverts(expected.reason, s.market.create_offer, *args, sender=owner)
            return
        tx = self._send(s.market.create_offer, *args, sender=owner)
        (event,) = tx.decode_logs(s.market.OfferCreated)
        assert event.offer_id == offer_id

    def _change_offer(self, data, cancel):
        s = self.suite
        offer_id = data.draw(st.sampled_from(sorted(self.model.offers)), label="offer")
        owner = self._owner(self.model.offers[offer_id].asset_id)
        if cancel:
            method, args = s.market.cancel_offer, (offer_id,)
        else:
            method, args = s.market.update_offer, (offer_id, *self._draw_terms(data))
        try:
            if cancel:
                self.model.cancel_offer(owner.address, offer_id)
            else:
                self.model.update_offer(owner.address, *args, now=self.now)
        except Revert as expected:
            self._assert_reverts(expected.reason, method, *args, sender=owner)
            return
        self._send(method, *args, sender=owner)

    # ------------------------------------------------------------ buying and time

    def _buy(self, data):
        s = self.suite
        payer = data.draw(st.sampled_from(s.people), label="payer")
        licensee = payer.address if data.draw(st.booleans(), label="for self") else data.draw(self._payees(),
                                                                                               label="licensee")
        # Mostly a purchase the model expects to go through; sometimes any offer, to check the reverts.
        buyable = [i for i in sorted(self.model.offers) if self.model.buy_error(i, licensee, self.now) is None]
        if buyable and data.draw(st.integers(0, 5), label="prefer buyable"):
            offer_id = data.draw(st.sampled_from(buyable), label="offer")
        else:
            offer_id = data.draw(st.sampled_from(sorted(self.model.offers)), label="offer")
        offer = self.model.offers[offer_id]
        value = offer.price if offer.token == ETH else 0
        try:
            purchase = self.model.buy(payer.address, offer_id, licensee, now=self.now)
        except Revert as expected:
            self._assert_reverts(expected.reason, s.market.buy, offer_id, licensee, sender=payer, value=value)
            return
        tx = self._send(s.market.buy, offer_id, licensee, sender=payer, value=value)
        (event,) = tx.decode_logs(s.market.LicencePurchased)
        assert (event.expires_at, event.fee, event.price, event.buyer, event.licensee) == (
            purchase.expires_at, purchase.fee, offer.price, payer.address, licensee)

    # Three rules with one body: buying is what most steps should do.
    @precondition(lambda self: self.model.offers)
    @rule(data=st.data())
    def buy(self, data):
        self._buy(data)

    @precondition(lambda self: self.model.offers)
    @rule(data=st.data())
    def buy_again(self, data):
        self._buy(data)

    @precondition(lambda self: self.model.offers)
    @rule(data=st.data())
    def buy_more(self, data):
        self._buy(data)

    @rule(delta=st.one_of(st.integers(1, 120), st.integers(500, 4_000), st.integers(DAY // 2, 2 * DAY)))
    def advance_time(self, delta):
        OUTCOMES["advance_time"] += 1
        self.now += delta
        self.suite.chain.mine(timestamp=self.now)

    # ------------------------------------------------------------ secondary sales and royalty sweeps

    def _receiver(self, asset_id):
        return royalty_receiver_address(self.suite.market.address, asset_id)

    @precondition(lambda self: self.asset_ids)
    @rule(data=st.data())
    def resell(self, data):
        self._resell(data)

    def _resell(self, data, asset_id=None, min_price=0):
        """A sale on another marketplace: it asks royaltyInfo, pays the receiver, then moves the NFT.
        Returns the token it was paid in."""
        s = self.suite
        if asset_id is None:
            asset_id = data.draw(st.sampled_from(self.asset_ids), label="asset")
        token = data.draw(st.sampled_from(self.tokens), label="token")
        price = data.draw(st.sampled_from(["free", "small", "large", "large"]).flatmap(lambda size: {
            "free": st.just(0), "small": st.integers(1, 10**6), "large": st.integers(10**15, 10**18)}[size]).filter(
            lambda p: p >= min_price), label="price")
        seller = self._owner(asset_id)
        new_owner = data.draw(st.sampled_from(s.people), label="new owner")
        receiver, royalty = s.registry.royaltyInfo(asset_id, price)
        assert (receiver, royalty) == (self._receiver(asset_id), self.model.royalty_of(asset_id, price))
        assert receiver != seller.address  # the seller is never paid its own royalty
        OUTCOMES["resell"] += 1
        if royalty:
            s.chain.pending_timestamp = self.now
            if token != ETH:
                s.usd.transfer(receiver, royalty, sender=new_owner)
            elif data.draw(st.booleans(), label="with a 2,300-gas send"):
                s.payer.pay(receiver, value=royalty, sender=new_owner)
            else:
                new_owner.transfer(receiver, royalty)
            self.model.pay_royalty(asset_id, token, royalty, new_owner.address)
        if new_owner != seller:
            self._send(s.registry.transferFrom, seller, new_owner, asset_id, sender=seller)
            self.model.transfer(asset_id, new_owner.address)
        return token

    # Two rules with one body, like buying, so that royalties make it into the pools.
    @rule(data=st.data())
    def sweep(self, data):
        self._sweep(data)

    @rule(data=st.data())
    def sweep_again(self, data):
        self._sweep(data)

    def _sweep(self, data, pair=None):
        s = self.suite
        waiting = [(a, t) for (a, t), amount in self.model.waiting.items() if amount]
        if pair is not None:
            asset_id, token = pair
        elif waiting and data.draw(st.integers(0, 5), label="prefer waiting"):
            asset_id, token = data.draw(st.sampled_from(sorted(waiting)), label="receiver")
        else:
            asset_id = data.draw(st.sampled_from([*self.asset_ids, UNREGISTERED]), label="asset")
            token = data.draw(st.sampled_from(self.tokens), label="token")
        caller = data.draw(st.sampled_from(s.people), label="caller")
        try:
            amount = self.model.sweep(asset_id, token)
        except Revert as expected:
            self._assert_reverts(expected.reason, s.market.sweep_royalties, asset_id, token, sender=caller)
            return
        tx = self._send(s.market.sweep_royalties, asset_id, token, sender=caller)
        (event,) = tx.decode_logs(s.market.RoyaltiesSwept)
        assert (event.asset_id, event.token, event.amount, event.caller) == (asset_id, token, amount, caller.address)

    # ------------------------------------------------------------ distribution and withdrawal

    # Distribution and withdrawal get two rules each, like buying, so that money makes it all the way.
    @precondition(lambda self: self.asset_ids)
    @rule(data=st.data())
    def distribute(self, data):
        self._distribute(data)

    @precondition(lambda self: self.asset_ids)
    @rule(data=st.data())
    def distribute_again(self, data):
        self._distribute(data)

    @rule(data=st.data())
    def withdraw(self, data):
        self._withdraw(data)

    @rule(data=st.data())
    def withdraw_again(self, data):
        self._withdraw(data)

    def _distribute(self, data):
        s = self.suite
        funded = [(a, t) for (a, t), amount in self.model.pending.items() if amount]
        if funded and data.draw(st.integers(0, 5), label="prefer funded"):
            asset_id, token = data.draw(st.sampled_from(sorted(funded)), label="pool")
        else:
            asset_id = data.draw(st.sampled_from(self.asset_ids), label="asset")
            token = data.draw(st.sampled_from(self.tokens), label="token")
        caller = data.draw(st.sampled_from(s.people), label="caller")
        recipients, weights = self.model.split_of(asset_id)
        parents, shares = split_parents(self.model.assets[asset_id].parents)
        try:
            result = self.model.distribute(asset_id, token)
        except Revert as expected:
            self._assert_reverts(expected.reason, s.market.distribute, asset_id, token, parents, shares, recipients,
                                 weights, sender=caller)
            return
        tx = self._send(s.market.distribute, asset_id, token, parents, shares, recipients, weights, sender=caller)
        (event,) = tx.decode_logs(s.market.RevenueDistributed)
        assert (event.amount, event.upstream) == (result.amount, result.upstream)

    def _withdraw(self, data):
        s = self.suite
        owed = [(a, t) for (a, t), amount in self.model.balances.items() if amount]
        if owed and data.draw(st.integers(0, 5), label="prefer owed"):
            account, token = data.draw(st.sampled_from(sorted(owed)), label="payee")
        else:
            account = data.draw(st.sampled_from(s.payees), label="account")
            token = data.draw(st.sampled_from(self.tokens), label="token")
        # A payee that sends nothing is paid by a keeper (withdraw_for); a person either way.
        keeper = data.draw(st.sampled_from(s.people) if account not in s.by_address
                           else st.one_of(st.none(), st.sampled_from(s.people)), label="keeper")
        method, args = (s.market.withdraw, (token,)) if keeper is None else (s.market.withdraw_for, (account, token))
        sender = s.by_address[account] if keeper is None else keeper
        try:
            amount = self.model.withdraw(account, token)
        except Revert as expected:
            self._assert_reverts(expected.reason, method, *args, sender=sender)
            return
        tx = self._send(method, *args, sender=sender)
        (event,) = tx.decode_logs(s.market.Withdrawn)
        assert (event.account, event.token, event.amount, event.caller) == (account, token, amount, sender.address)

    # ------------------------------------------------------------ the invariant

    @invariant()
    def contract_matches_model(self):
        OUTCOMES["checked states"] += 1
        s, model = self.suite, self.model
        payees = s.payees
        state = s.lens.state(s.market, self.tokens, self.asset_ids, payees)
        for t, token in enumerate(self.tokens):
            pools = list(state.pending[t * len(self.asset_ids):(t + 1) * len(self.asset_ids)])
            balances = list(state.balances[t * len(payees):(t + 1) * len(payees)])
            # The money invariant: holdings == every pool + every balance, to the wei, and the model agrees.
            assert state.held[t] == sum(pools) + sum(balances) == model.owed(token) == model.held[token], token
            assert pools == [model.pending[(a, token)] for a in self.asset_ids], token
            assert balances == [model.balances[(a, token)] for a in payees], token
            if token != ETH:  # ether wallets also pay gas; token wallets move only through the market
                wallets = list(state.wallets[t * len(payees):(t + 1) * len(payees)])
                # (the marketplace's own wallet is its holdings, checked above)
                assert [w for w, a in zip(wallets, payees) if a != s.market.address] == [
                    s.token_funds[a] - model.spent[(a, token)] + model.paid_out[(a, token)]
                    for a in payees if a != s.market.address], token
        # Royalties paid and not swept wait at each asset's receiver, nowhere else.
        receivers = [self._receiver(a) for a in self.asset_ids]
        waiting = list(s.lens.holdings(self.tokens, receivers))
        assert waiting == [model.waiting[(a, t)] for t in self.tokens for a in self.asset_ids]
        pairs = [(a, p) for a in self.asset_ids for p in payees]
        assert state.timestamp == self.now
        assert list(state.expiries) == [model.licences[pair] for pair in pairs]
        assert list(state.access) == [model.has_access(a, p, self.now) for a, p in pairs]


def test_marketplace_matches_model(suite):
    OUTCOMES.clear()
    machine = type("Machine", (MarketMachine,), {"suite": suite})

    run_state_machine_as_test(machine, settings=SETTINGS)

    print("\nmarketplace state machine:", dict(sorted(OUTCOMES.items())))
    # Guard against a vacuous run: money moved all the way from buyers to payees.
    for steps in (["buy"], ["distribute"], ["withdraw", "withdraw_for"], ["sweep_royalties"]):
        assert sum(OUTCOMES[step] for step in steps), f"the machine never ran a successful {' or '.join(steps)}"
