"""`withdraw` / `withdraw_for`: payees pull what they are owed, in ETH or an ERC-20."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.provenance import parents_args

from .helpers import ETH, fee_of

PRICE = 10**16


@pytest.fixture
def owed(registry, market, make_offer, buyer, creator, asset_id):
    """Sell one licence in `token` and distribute it to `creator`; return what `creator` is owed."""

    def _owed(token=ETH, price=PRICE):
        offer_id = make_offer(asset_id, token=token, price=price, duration=86_400)  # timed: buyable again
        market.buy(offer_id, buyer, value=price if token == ETH else 0, sender=buyer)
        market.distribute(asset_id, token, *parents_args(registry, asset_id), [], [], sender=buyer)
        return price - fee_of(price)

    return _owed


def test_withdraw__eth__sends_balance_zeroes_it_and_logs(market, creator, owed):
    amount = owed()
    creator_before, market_before = creator.balance, market.balance

    tx = market.withdraw(ETH, sender=creator)

    (event,) = tx.decode_logs(market.Withdrawn)
    assert (event.account, event.token, event.amount, event.caller) == (creator.address, ETH, amount,
                                                                        creator.address)
    assert creator.balance == creator_before + amount - tx.total_fees_paid
    assert market.balance == market_before - amount
    assert market.balance_of(creator, ETH) == 0


def test_withdraw__return_value__is_amount(market, creator, owed):
    amount = owed()

    tx = market.withdraw(ETH, sender=creator)

    assert tx.return_value == amount


def test_withdraw__erc20__transfers_balance(market, usd, creator, owed):
    amount = owed(token=usd, price=10**18 + 1)
    market_before = usd.balanceOf(market)

    tx = market.withdraw(usd, sender=creator)

    (event,) = tx.decode_logs(market.Withdrawn)
    assert (event.account, event.token, event.amount) == (creator.address, usd.address, amount)
    assert usd.balanceOf(creator) == amount
    assert usd.balanceOf(market) == market_before - amount
    assert market.balance_of(creator, usd) == 0


def test_withdraw__one_token__leaves_the_other(market, usd, creator, owed):
    eth_amount = owed()
    usd_amount = owed(token=usd, price=10**18)

    market.withdraw(usd, sender=creator)

    assert (market.balance_of(creator, ETH), market.balance_of(creator, usd)) == (eth_amount, 0)
    assert usd.balanceOf(creator) == usd_amount


def test_withdraw__treasury__collects_fees(market, usd, treasury, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=usd, price=10**18)
    market.buy(offer_id, buyer, sender=buyer)

    market.withdraw(usd, sender=treasury)

    assert usd.balanceOf(treasury) == fee_of(10**18)


def test_withdraw__token_disallowed_later__still_withdrawable(market, usd, dao, creator, owed):
    amount = owed(token=usd, price=10**18)
    market.set_token_allowed(usd, False, sender=dao)

    market.withdraw(usd, sender=creator)

    assert usd.balanceOf(creator) == amount


def test_withdraw__nothing_owed__reverts(market, attacker):
    with ape.reverts("market: nothing to withdraw"):
        market.withdraw(ETH, sender=attacker)


def test_withdraw__twice__nothing_to_withdraw(market, creator, owed):
    owed()
    market.withdraw(ETH, sender=creator)

    with ape.reverts("market: nothing to withdraw"):
        market.withdraw(ETH, sender=creator)


def test_withdraw__pending_not_distributed__nothing_to_withdraw(market, creator, buyer, make_offer, asset_id):
    market.buy(make_offer(asset_id, price=PRICE), buyer, value=PRICE, sender=buyer)

    with ape.reverts("market: nothing to withdraw"):
        market.withdraw(ETH, sender=creator)


def test_withdraw__owed_in_eth_only__erc20_nothing_to_withdraw(market, usd, creator, owed):
    owed()

    with ape.reverts("market: nothing to withdraw"):
        market.withdraw(usd, sender=creator)


# ---------------------------------------------------------------- withdraw_for


def test_withdraw_for__keeper__pays_the_account_and_logs_caller(market, creator, attacker, owed):
    amount = owed()
    creator_before, attacker_before = creator.balance, attacker.balance

    tx = market.withdraw_for(creator, ETH, sender=attacker)

    (event,) = tx.decode_logs(market.Withdrawn)
    assert (event.account, event.amount, event.caller) == (creator.address, amount, attacker.address)
    assert creator.balance == creator_before + amount
    assert attacker.balance == attacker_before - tx.total_fees_paid
    assert market.balance_of(creator, ETH) == 0
    assert market.balance_of(attacker, ETH) == 0


def test_withdraw_for__erc20__tokens_go_to_the_account(market, usd, creator, attacker, owed):
    amount = owed(token=usd, price=10**18)
    attacker_before = usd.balanceOf(attacker)

    market.withdraw_for(creator, usd, sender=attacker)

    assert usd.balanceOf(creator) == amount
    assert usd.balanceOf(attacker) == attacker_before


def test_withdraw_for__nothing_owed__reverts(market, creator, other):
    with ape.reverts("market: nothing to withdraw"):
        market.withdraw_for(other, ETH, sender=creator)


def test_withdraw_for__after_withdraw__nothing_to_withdraw(market, creator, attacker, owed):
    owed()
    market.withdraw(ETH, sender=creator)

    with ape.reverts("market: nothing to withdraw"):
        market.withdraw_for(creator, ETH, sender=attacker)
