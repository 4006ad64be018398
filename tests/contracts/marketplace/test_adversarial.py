"""Hostile payees and tokens: re-entry, refusing or gas-burning recipients, non-standard ERC-20s.

A payee (MockPayee) or token (MktReentrantToken) that re-enters records whether its nested call
succeeded; each re-entry test then makes the same call from outside the lock to show it is a call
that would have worked, so it is the lock (or checks-effects-interactions) that stopped it.
"""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.provenance import parents_args

from .helpers import ETH, fee_of

PRICE = 10**16
ACCEPT, REVERT, BURN_GAS, REENTER = 0, 1, 2, 3
# Enough for any honest withdrawal; a gas burner exhausts it quickly instead of 30M gas.
WITHDRAW_GAS = 1_000_000


@pytest.fixture
def paid_to(registry, market, creator, buyer, make_offer, new_asset):
    """Sell a licence of a fresh asset whose split is 100 % to `payee`, distribute; return (asset_id, amount)."""

    def _paid_to(payee, token=ETH, price=PRICE):
        asset_id = new_asset()
        market.set_split(asset_id, [payee], [10_000], sender=creator)
        offer_id = make_offer(asset_id, token=token, price=price)
        market.buy(offer_id, buyer, value=price if token == ETH else 0, sender=buyer)
        market.distribute(asset_id, token, *parents_args(registry, asset_id), [payee], [10_000], sender=buyer)
        return asset_id, price - fee_of(price)

    return _paid_to


# ---------------------------------------------------------------- re-entrant payee


@pytest.fixture
def reentry_targets(market, make_offer, new_asset, buyer, treasury):
    """Calls that succeed when made normally, each encoded for a MockPayee to attempt while it is being paid."""
    free_asset, pending_asset = new_asset(), new_asset()
    free_offer = make_offer(free_asset, price=0)
    market.buy(make_offer(pending_asset, price=PRICE), buyer, value=PRICE, sender=buyer)
    return {
        "withdraw_for treasury": (market.withdraw_for.encode_input(treasury, ETH),
                                  lambda payee: market.balance_of(treasury, ETH) == 0),
        "buy free licence": (market.buy.encode_input(free_offer, buyer),
                             lambda payee: market.has_access(free_asset, buyer)),
        "distribute": (market.distribute.encode_input(pending_asset, ETH, [], [], [], []),
                       lambda payee: market.pending(pending_asset, ETH) == 0),
    }


@pytest.mark.parametrize("target", ["withdraw_for treasury", "buy free licence", "distribute"])
def test_reentrant_payee__nested_call_during_withdrawal__blocked_by_lock(market, payee, paid_to, attacker,
                                                                         reentry_targets, target):
    data, took_effect = reentry_targets[target]
    hostile = payee(REENTER, market, data)
    _, amount = paid_to(hostile)

    market.withdraw_for(hostile, ETH, sender=attacker)

    assert hostile.reentry_attempted() and not hostile.reentry_succeeded()
    assert not took_effect(hostile)
    assert hostile.balance == amount
    assert market.balance_of(hostile, ETH) == 0
    # The same call from outside the lock works: only the lock stopped it.
    hostile.execute(market, data, 0, sender=attacker)
    assert took_effect(hostile)


def test_reentrant_payee__withdraws_itself_and_re_enters_withdraw__paid_once(market, payee, paid_to, attacker,
                                                                             treasury, buyer):
    hostile = payee()
    asset_id, amount = paid_to(hostile)
    _, second = paid_to(hostile)  # owed twice over, so a second payout would have something to take
    hostile.configure(REENTER, market, market.withdraw.encode_input(ETH), sender=attacker)
    market_before = market.balance

    hostile.execute(market, market.withdraw.encode_input(ETH), 0, sender=attacker)

    assert hostile.reentry_attempted() and not hostile.reentry_succeeded()
    assert hostile.balance == amount + second
    assert market.balance == market_before - amount - second
    assert market.balance_of(hostile, ETH) == 0
    assert market.balance == market.balance_of(treasury, ETH)  # everything else has been paid out


def test_reentrant_payee__balances_stay_consistent(market, payee, paid_to, attacker, treasury, reentry_targets):
    data, _ = reentry_targets["withdraw_for treasury"]
    hostile = payee(REENTER, market, data)
    paid_to(hostile)

    market.withdraw_for(hostile, ETH, sender=attacker)

    # Left owed: the treasury's fees of both sales and the pool of the sale reentry_targets made.
    pending_pool = PRICE - fee_of(PRICE)
    assert market.balance_of(treasury, ETH) == 2 * fee_of(PRICE)
    assert market.balance == 2 * fee_of(PRICE) + pending_pool


# ---------------------------------------------------------------- refusing and gas-burning payees


@pytest.mark.parametrize("mode", [REVERT, BURN_GAS])
def test_hostile_payee__in_split__sale_distribution_and_others_withdrawals_unaffected(registry,
        market, payee, creator, buyer, other, attacker, make_offer, asset_id, mode):
    hostile = payee(mode)
    recipients = sorted([hostile.address, other.address], key=lambda a: int(a, 16))
    market.set_split(asset_id, recipients, [5_000, 5_000], sender=creator)
    offer_id = make_offer(asset_id, price=PRICE)

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), recipients, [5_000, 5_000], sender=attacker)
    share = (PRICE - fee_of(PRICE)) // 2
    other_before = other.balance
    market.withdraw_for(other, ETH, sender=attacker)

    assert other.balance == other_before + share
    with ape.reverts():
        market.withdraw_for(hostile, ETH, sender=attacker, gas=WITHDRAW_GAS)
    assert market.balance_of(hostile, ETH) == share  # still owed, nothing lost
    assert market.balance == share + market.balance_of(market.treasury(), ETH)


def test_refusing_payee__own_withdrawal_fails_with_its_reason(market, payee, paid_to, attacker):
    hostile = payee(REVERT)
    paid_to(hostile)

    with ape.reverts("payee: refusing ether"):
        market.withdraw_for(hostile, ETH, sender=attacker)


def test_refusing_payee__changes_its_mind__withdraws_everything(market, payee, paid_to, attacker):
    hostile = payee(REVERT)
    _, amount = paid_to(hostile)
    with ape.reverts("payee: refusing ether"):
        market.withdraw_for(hostile, ETH, sender=attacker)

    hostile.configure(ACCEPT, ETH, b"", sender=attacker)
    market.withdraw_for(hostile, ETH, sender=attacker)

    assert hostile.balance == amount


@pytest.mark.parametrize("mode", [REVERT, BURN_GAS])
def test_hostile_payee__as_treasury__sales_continue(market, payee, dao, buyer, other, make_offer, asset_id, mode):
    hostile = payee(mode)
    market.set_fee(1_000, hostile, sender=dao)
    offer_id = make_offer(asset_id, price=PRICE)

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    market.buy(offer_id, other, value=PRICE, sender=other)

    assert market.balance_of(hostile, ETH) == 2 * PRICE // 10
    assert market.pending(asset_id, ETH) == 2 * PRICE * 9 // 10


@pytest.mark.parametrize("mode", [REVERT, BURN_GAS, REENTER])
def test_hostile_payee__owns_parent_and_child__distribution_climbs(market, registry, payee, creator, buyer, attacker,
                                                                   make_offer, new_asset, mode):
    hostile = payee(mode, market, market.withdraw.encode_input(ETH))
    parent = new_asset()
    child = new_asset(parents=[parent], shares=[4_000])
    offer_id = make_offer(child, price=PRICE)
    for asset in (parent, child):
        registry.transferFrom(creator, hostile, asset, sender=creator)

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    market.distribute(child, ETH, *parents_args(registry, child), [], [], sender=attacker)
    market.distribute(parent, ETH, *parents_args(registry, parent), [], [], sender=attacker)

    assert market.balance_of(hostile, ETH) == PRICE - fee_of(PRICE)
    assert not hostile.reentry_attempted()  # nothing was pushed to it


def test_reentrant_buyer__buy_pushes_nothing__no_callback(market, payee, attacker, make_offer, asset_id):
    hostile = payee(REENTER, market, market.withdraw.encode_input(ETH))
    offer_id = make_offer(asset_id, price=PRICE)

    hostile.execute(market, market.buy.encode_input(offer_id, hostile), PRICE, value=PRICE, sender=attacker)

    assert market.licence_of(asset_id, hostile) > 0
    assert not hostile.reentry_attempted()
    assert market.pending(asset_id, ETH) == PRICE - fee_of(PRICE)


def test_gas_burning_payee__withdrawal_fails_without_touching_balance(market, payee, paid_to, attacker):
    hostile = payee(BURN_GAS)
    _, amount = paid_to(hostile)

    with ape.reverts():
        market.withdraw_for(hostile, ETH, sender=attacker, gas=WITHDRAW_GAS)

    assert market.balance_of(hostile, ETH) == amount
    assert hostile.balance == 0


# ---------------------------------------------------------------- non-standard tokens


def test_buy__fee_on_transfer_token__reverts(market, project, deployer, dao, buyer, make_offer, asset_id):
    taxed = project.MockERC20.deploy("Taxed", "TAX", 100, sender=deployer)
    market.set_token_allowed(taxed, True, sender=dao)
    taxed.mint(buyer, 10**20, sender=deployer)
    taxed.approve(market, 2**256 - 1, sender=buyer)
    offer_id = make_offer(asset_id, token=taxed, price=10**18)

    with ape.reverts("market: fee-on-transfer token"):
        market.buy(offer_id, buyer, sender=buyer)

    assert taxed.balanceOf(buyer) == 10**20
    assert taxed.balanceOf(market) == 0
    assert (market.licence_of(asset_id, buyer), market.pending(asset_id, taxed)) == (0, 0)


def test_no_return_token__buy_distribute_withdraw__work(registry, market, project, deployer, dao, creator, buyer,
                                                        treasury,
                                                        make_offer, asset_id):
    quiet = project.MktNoReturnToken.deploy(sender=deployer)
    market.set_token_allowed(quiet, True, sender=dao)
    quiet.mint(buyer, 10**9, sender=deployer)
    quiet.approve(market, 10**9, sender=buyer)
    offer_id = make_offer(asset_id, token=quiet, price=10**6)

    market.buy(offer_id, buyer, sender=buyer)
    market.distribute(asset_id, quiet, *parents_args(registry, asset_id), [], [], sender=creator)
    market.withdraw(quiet, sender=creator)
    market.withdraw(quiet, sender=treasury)

    assert quiet.balanceOf(creator) == 10**6 - fee_of(10**6)
    assert quiet.balanceOf(treasury) == fee_of(10**6)
    assert quiet.balanceOf(market) == 0
    assert quiet.balanceOf(buyer) == 10**9 - 10**6


@pytest.fixture
def false_token(project, market, deployer, dao, buyer):
    token = project.MktFalseToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    token.mint(buyer, 10**20, sender=deployer)
    token.approve(market, 2**256 - 1, sender=buyer)
    return token


def test_buy__token_returns_false__token_transfer_failed(market, false_token, deployer, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=false_token, price=10**18)
    false_token.set_failing(True, sender=deployer)

    with ape.reverts("market: token transfer failed"):
        market.buy(offer_id, buyer, sender=buyer)

    assert market.licence_of(asset_id, buyer) == 0


def test_withdraw__token_returns_false__token_transfer_failed_balance_kept(registry, market, false_token, deployer,
                                                                          creator,
                                                                           buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=false_token, price=10**18)
    market.buy(offer_id, buyer, sender=buyer)
    market.distribute(asset_id, false_token, *parents_args(registry, asset_id), [], [], sender=creator)
    false_token.set_failing(True, sender=deployer)

    with ape.reverts("market: token transfer failed"):
        market.withdraw(false_token, sender=creator)

    assert market.balance_of(creator, false_token) == 10**18 - fee_of(10**18)


# ---------------------------------------------------------------- re-entrant token


@pytest.fixture
def hook_token(project, market, deployer, dao, buyer):
    token = project.MktReentrantToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    token.mint(buyer, 10**20, sender=deployer)
    token.approve(market, 2**256 - 1, sender=buyer)
    return token


@pytest.mark.parametrize("target", ["withdraw_for treasury", "buy free licence", "distribute"])
def test_reentrant_token__nested_call_during_buy__blocked_by_lock(market, hook_token, deployer, buyer, make_offer,
                                                                  asset_id, reentry_targets, payee, target):
    data, took_effect = reentry_targets[target]
    offer_id = make_offer(asset_id, token=hook_token, price=10**18)
    hook_token.arm(market, data, sender=deployer)

    market.buy(offer_id, buyer, sender=buyer)

    assert hook_token.reentry_attempted() and not hook_token.reentry_succeeded()
    assert not took_effect(None)
    assert market.has_access(asset_id, buyer)
    assert hook_token.balanceOf(market) == 10**18
    # The same call made by another contract outside the lock works.
    payee().execute(market, data, 0, sender=deployer)
    assert took_effect(None)


def test_reentrant_token__re_enters_withdraw_during_withdrawal__paid_once(registry, market, hook_token, deployer,
                                                                          creator,
                                                                         treasury, buyer, make_offer, new_asset):
    first, second = new_asset(), new_asset()
    for asset in (first, second):
        market.buy(make_offer(asset, token=hook_token, price=10**18), buyer, sender=buyer)
        market.distribute(asset, hook_token, *parents_args(registry, asset), [], [], sender=creator)
    owed = market.balance_of(creator, hook_token)
    hook_token.arm(market, market.withdraw_for.encode_input(creator, hook_token), sender=deployer)

    market.withdraw(hook_token, sender=creator)

    assert hook_token.reentry_attempted() and not hook_token.reentry_succeeded()
    assert hook_token.balanceOf(creator) == owed
    assert hook_token.balanceOf(market) == market.balance_of(treasury, hook_token) == 2 * fee_of(10**18)
