"""`buy`: exact payment in ETH or an allowed ERC-20, licence recorded, revenue accrued (O(1), no pushes)."""

from __future__ import annotations

import ape
import pytest

from .helpers import DAY, ETH, FEE_BPS, PERPETUAL, U32, U128, ZERO_ADDRESS, fee_of, fresh_cid

PRICE = 10**16


@pytest.fixture
def eth_offer(make_offer, asset_id):
    return make_offer(asset_id, price=PRICE)


# ---------------------------------------------------------------- success


def test_buy__eth__records_licence_accrues_pool_credits_fee_and_logs(market, buyer, treasury, asset_id, eth_offer):
    before = market.balance

    tx = market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    fee = fee_of(PRICE)
    (event,) = tx.decode_logs(market.LicencePurchased)
    assert (event.offer_id, event.asset_id, event.licensee, event.buyer, event.token, event.price, event.fee,
            event.expires_at) == (eth_offer, asset_id, buyer.address, buyer.address, ETH, PRICE, fee, PERPETUAL)
    assert fee == PRICE * FEE_BPS // 10_000 > 0
    assert market.balance == before + PRICE
    assert market.pending(asset_id, ETH) == PRICE - fee
    assert market.balance_of(treasury, ETH) == fee
    assert market.licence_of(asset_id, buyer) == PERPETUAL
    assert market.has_access(asset_id, buyer)


def test_buy__return_value__is_expiry(market, chain, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, duration=DAY)
    now = chain.pending_timestamp + 5
    chain.pending_timestamp = now

    tx = market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert tx.return_value == now + DAY


def test_buy__erc20_with_approval__pulls_exact_price(market, usd, buyer, treasury, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=usd, price=3 * 10**18)
    buyer_before, market_before = usd.balanceOf(buyer), usd.balanceOf(market)

    tx = market.buy(offer_id, buyer, sender=buyer)

    fee = fee_of(3 * 10**18)
    (event,) = tx.decode_logs(market.LicencePurchased)
    assert (event.token, event.price, event.fee) == (usd.address, 3 * 10**18, fee)
    assert usd.balanceOf(buyer) == buyer_before - 3 * 10**18
    assert usd.balanceOf(market) == market_before + 3 * 10**18
    assert market.pending(asset_id, usd) == 3 * 10**18 - fee
    assert market.balance_of(treasury, usd) == fee
    assert market.pending(asset_id, ETH) == 0


def test_buy__max_price_in_token__exact_accounting(market, usd, deployer, buyer, treasury, make_offer, asset_id):
    usd.mint(buyer, U128, sender=deployer)
    offer_id = make_offer(asset_id, token=usd, price=U128, max_licences=U32)

    market.buy(offer_id, buyer, sender=buyer)

    assert market.balance_of(treasury, usd) == fee_of(U128)
    assert market.pending(asset_id, usd) == U128 - fee_of(U128)
    assert usd.balanceOf(market) == U128
    offer = market.offer(offer_id)
    assert (offer.price, offer.max_licences, offer.sold) == (U128, U32, 1)  # the packed fields did not bleed


def test_buy__erc20_without_allowance__reverts_and_records_nothing(market, project, deployer, dao, creator,
                                                                   make_offer, asset_id):
    token = project.MockERC20.deploy("Unapproved", "UNA", 0, sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    token.mint(creator, 10**18, sender=deployer)
    offer_id = make_offer(asset_id, token=token, price=10**18)

    with ape.reverts():
        market.buy(offer_id, creator, sender=creator)

    assert market.licence_of(asset_id, creator) == 0
    assert market.pending(asset_id, token) == 0


def test_buy__licensee_differs_from_payer__licence_goes_to_licensee(market, buyer, other, asset_id, eth_offer):
    tx = market.buy(eth_offer, other, value=PRICE, sender=buyer)

    (event,) = tx.decode_logs(market.LicencePurchased)
    assert (event.licensee, event.buyer) == (other.address, buyer.address)
    assert market.has_access(asset_id, other)
    assert not market.has_access(asset_id, buyer)
    assert market.licence_of(asset_id, buyer) == 0


def test_buy__free_eth_offer__licence_without_money(market, buyer, treasury, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=0)
    before = market.balance

    tx = market.buy(offer_id, buyer, sender=buyer)

    (event,) = tx.decode_logs(market.LicencePurchased)
    assert (event.price, event.fee) == (0, 0)
    assert market.has_access(asset_id, buyer)
    assert market.balance == before
    assert market.pending(asset_id, ETH) == 0
    assert market.balance_of(treasury, ETH) == 0


def test_buy__free_eth_offer_with_ether__reverts(market, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=0)

    with ape.reverts("market: wrong payment amount"):
        market.buy(offer_id, buyer, value=1, sender=buyer)


def test_buy__free_token_offer__no_transfer_needed(market, usd, creator, make_offer, asset_id, other):
    # `creator` holds no tokens and approved nothing: a free offer must not call transferFrom.
    offer_id = make_offer(asset_id, token=usd, price=0)

    market.buy(offer_id, creator, sender=creator)

    assert market.has_access(asset_id, creator)
    assert market.pending(asset_id, usd) == 0


def test_buy__price_below_fee_granularity__no_fee_all_to_pool(market, buyer, treasury, make_offer, asset_id):
    price = 10_000 // FEE_BPS - 1  # price * FEE_BPS < MAX_BPS: the fee rounds down to zero
    offer_id = make_offer(asset_id, price=price)

    tx = market.buy(offer_id, buyer, value=price, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].fee == 0
    assert market.pending(asset_id, ETH) == price
    assert market.balance_of(treasury, ETH) == 0


def test_buy__fee_rounds_down__remainder_to_pool(market, buyer, treasury, make_offer, asset_id):
    price = 10**6 + 39  # 2.5 % of it is 25_000.975
    offer_id = make_offer(asset_id, price=price)

    market.buy(offer_id, buyer, value=price, sender=buyer)

    assert market.balance_of(treasury, ETH) == 25_000
    assert market.pending(asset_id, ETH) == price - 25_000


def test_buy__zero_fee__all_to_pool(market, dao, treasury, buyer, asset_id, eth_offer):
    market.set_fee(0, treasury, sender=dao)

    tx = market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].fee == 0
    assert market.pending(asset_id, ETH) == PRICE
    assert market.balance_of(treasury, ETH) == 0


def test_buy__sales_accumulate_in_pool_and_treasury(market, buyer, other, attacker, treasury, asset_id, eth_offer):
    for account in (buyer, other, attacker):
        market.buy(eth_offer, account, value=PRICE, sender=account)

    assert market.pending(asset_id, ETH) == 3 * (PRICE - fee_of(PRICE))
    assert market.balance_of(treasury, ETH) == 3 * fee_of(PRICE)


def test_buy__capped_offer__counts_sold(market, buyer, other, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, max_licences=5)

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    market.buy(offer_id, other, value=PRICE, sender=other)

    assert market.offer(offer_id).sold == 2


# ---------------------------------------------------------------- licences: perpetual and timed


def test_buy__perpetual_then_perpetual__already_licensed_for_ever(market, buyer, asset_id, eth_offer):
    market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    with ape.reverts("market: already licensed for ever"):
        market.buy(eth_offer, buyer, value=PRICE, sender=buyer)


def test_buy__perpetual_then_timed__already_licensed_for_ever(market, buyer, other, make_offer, asset_id, eth_offer):
    timed = make_offer(asset_id, price=PRICE, duration=DAY)
    market.buy(eth_offer, other, value=PRICE, sender=buyer)

    with ape.reverts("market: already licensed for ever"):
        market.buy(timed, other, value=PRICE, sender=buyer)


def test_buy__perpetual_then_free__already_licensed_for_ever(market, buyer, make_offer, asset_id, eth_offer):
    free = make_offer(asset_id, price=0)
    market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    with ape.reverts("market: already licensed for ever"):
        market.buy(free, buyer, sender=buyer)


def test_buy__perpetual_on_one_asset__other_asset_still_sold(market, buyer, make_offer, new_asset, eth_offer):
    second = new_asset()
    offer_id = make_offer(second, price=PRICE)
    market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert market.licence_of(second, buyer) == PERPETUAL


def test_buy__timed__expires_duration_after_purchase(market, chain, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, duration=30 * DAY)
    now = chain.pending_timestamp + 5
    chain.pending_timestamp = now

    tx = market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].expires_at == now + 30 * DAY
    assert market.licence_of(asset_id, buyer) == now + 30 * DAY


def test_buy__timed_again_before_expiry__extends_from_current_expiry(market, chain, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, duration=30 * DAY)
    start = chain.pending_timestamp + 5
    chain.pending_timestamp = start
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    chain.pending_timestamp = start + 10 * DAY

    tx = market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].expires_at == start + 60 * DAY
    assert market.licence_of(asset_id, buyer) == start + 60 * DAY


def test_buy__timed_again_at_expiry__extends_from_now(market, chain, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, duration=DAY)
    start = chain.pending_timestamp + 5
    chain.pending_timestamp = start
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    chain.pending_timestamp = start + DAY  # expiry == now: both rules agree

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert market.licence_of(asset_id, buyer) == start + 2 * DAY


def test_buy__timed_again_after_lapse__extends_from_now(market, chain, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, duration=DAY)
    start = chain.pending_timestamp + 5
    chain.pending_timestamp = start
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    later = start + 5 * DAY
    chain.pending_timestamp = later

    tx = market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].expires_at == later + DAY
    assert market.has_access(asset_id, buyer)


def test_buy__timed_offers_of_different_lengths__stack(market, chain, buyer, make_offer, asset_id):
    week = make_offer(asset_id, price=PRICE, duration=7 * DAY)
    day = make_offer(asset_id, price=PRICE // 2, duration=DAY)
    start = chain.pending_timestamp + 5
    chain.pending_timestamp = start
    market.buy(week, buyer, value=PRICE, sender=buyer)

    market.buy(day, buyer, value=PRICE // 2, sender=buyer)

    assert market.licence_of(asset_id, buyer) == start + 8 * DAY


def test_buy__perpetual_after_timed__allowed(market, chain, buyer, make_offer, asset_id, eth_offer):
    timed = make_offer(asset_id, price=PRICE, duration=DAY)
    market.buy(timed, buyer, value=PRICE, sender=buyer)

    tx = market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].expires_at == PERPETUAL
    assert market.licence_of(asset_id, buyer) == PERPETUAL


# ---------------------------------------------------------------- payment

@pytest.mark.parametrize("value", [0, PRICE - 1, PRICE + 1])
def test_buy__wrong_payment_amount__reverts(market, buyer, eth_offer, value):
    with ape.reverts("market: wrong payment amount"):
        market.buy(eth_offer, buyer, value=value, sender=buyer)


def test_buy__ether_sent_to_token_offer__reverts(market, usd, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=usd, price=10**18)

    with ape.reverts("market: ether sent to a token offer"):
        market.buy(offer_id, buyer, value=1, sender=buyer)


def test_buy__token_disallowed_after_offer__reverts(market, usd, dao, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=usd, price=10**18)
    market.set_token_allowed(usd, False, sender=dao)

    with ape.reverts("market: unsupported token"):
        market.buy(offer_id, buyer, sender=buyer)


def test_buy__token_allowed_again__sells(market, usd, dao, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, token=usd, price=10**18)
    market.set_token_allowed(usd, False, sender=dao)
    market.set_token_allowed(usd, True, sender=dao)

    market.buy(offer_id, buyer, sender=buyer)

    assert market.has_access(asset_id, buyer)


# ---------------------------------------------------------------- offer state


def test_buy__unknown_offer__reverts(market, buyer):
    with ape.reverts("market: offer not active"):
        market.buy(7, buyer, value=0, sender=buyer)


def test_buy__cancelled_offer__reverts(market, creator, buyer, eth_offer):
    market.cancel_offer(eth_offer, sender=creator)

    with ape.reverts("market: offer not active"):
        market.buy(eth_offer, buyer, value=PRICE, sender=buyer)


def test_buy__zero_licensee__reverts(market, buyer, eth_offer):
    with ape.reverts("market: zero licensee"):
        market.buy(eth_offer, ZERO_ADDRESS, value=PRICE, sender=buyer)


def test_buy__before_start__reverts_then_sells_at_start(market, chain, buyer, make_offer, asset_id):
    starts_at = chain.pending_timestamp + 100
    offer_id = make_offer(asset_id, price=PRICE, starts_at=starts_at)
    chain.pending_timestamp = starts_at - 1

    with ape.reverts("market: offer not started"):
        market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    chain.pending_timestamp = starts_at
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    assert market.has_access(asset_id, buyer)


def test_buy__one_second_before_end__sells(market, chain, buyer, make_offer, asset_id):
    ends_at = chain.pending_timestamp + 100
    offer_id = make_offer(asset_id, price=PRICE, ends_at=ends_at)
    chain.pending_timestamp = ends_at - 1

    market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    assert market.has_access(asset_id, buyer)


def test_buy__at_exactly_ends_at__offer_expired(market, chain, buyer, make_offer, asset_id):
    ends_at = chain.pending_timestamp + 100
    offer_id = make_offer(asset_id, price=PRICE, ends_at=ends_at)
    chain.pending_timestamp = ends_at

    with ape.reverts("market: offer expired"):
        market.buy(offer_id, buyer, value=PRICE, sender=buyer)


def test_buy__long_after_ends_at__offer_expired(market, chain, buyer, make_offer, asset_id):
    ends_at = chain.pending_timestamp + 100
    offer_id = make_offer(asset_id, price=PRICE, ends_at=ends_at)
    chain.mine(deltatime=365 * DAY)

    with ape.reverts("market: offer expired"):
        market.buy(offer_id, buyer, value=PRICE, sender=buyer)


def test_buy__at_cap__sold_out(market, buyer, other, attacker, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, max_licences=2)
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)
    market.buy(offer_id, other, value=PRICE, sender=other)

    with ape.reverts("market: offer sold out"):
        market.buy(offer_id, attacker, value=PRICE, sender=attacker)
    assert market.offer(offer_id).sold == 2


def test_buy__cap_raised_after_sold_out__sells_again(market, creator, buyer, other, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, max_licences=1)
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    market.update_offer(offer_id, PRICE, 2, 0, 0, sender=creator)
    market.buy(offer_id, other, value=PRICE, sender=other)

    assert market.offer(offer_id).sold == 2


def test_buy__asset_delisted_after_offer__reverts(market, registry, curator, buyer, eth_offer, asset_id):
    registry.delist(asset_id, fresh_cid(), sender=curator)

    with ape.reverts("market: asset delisted"):
        market.buy(eth_offer, buyer, value=PRICE, sender=buyer)


def test_buy__asset_relisted__sells(market, registry, curator, buyer, eth_offer, asset_id):
    registry.delist(asset_id, fresh_cid(), sender=curator)
    registry.relist(asset_id, fresh_cid(), sender=curator)

    market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    assert market.has_access(asset_id, buyer)


def test_buy__after_nft_transfer__offer_still_sells_into_same_pool(market, registry, creator, other, buyer,
                                                                   eth_offer, asset_id):
    registry.transferFrom(creator, other, asset_id, sender=creator)

    market.buy(eth_offer, buyer, value=PRICE, sender=buyer)

    assert market.pending(asset_id, ETH) == PRICE - fee_of(PRICE)


def test_buy__reverted_purchase__changes_nothing(market, chain, buyer, treasury, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE, max_licences=1)
    before = market.balance

    with ape.reverts("market: wrong payment amount"):
        market.buy(offer_id, buyer, value=PRICE - 1, sender=buyer)

    assert (market.offer(offer_id).sold, market.licence_of(asset_id, buyer)) == (0, 0)
    assert (market.pending(asset_id, ETH), market.balance_of(treasury, ETH), market.balance) == (0, 0, before)
