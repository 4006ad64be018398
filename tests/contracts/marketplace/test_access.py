"""`has_access` / `licence_of`: what a gateway checks before serving content, as time moves."""

from __future__ import annotations

from .helpers import DAY, PERPETUAL, fresh_cid

PRICE = 10**15


def _buy_timed(market, chain, make_offer, asset_id, account, duration):
    offer_id = make_offer(asset_id, price=PRICE, duration=duration)
    start = chain.pending_timestamp + 5
    chain.pending_timestamp = start
    market.buy(offer_id, account, value=PRICE, sender=account)
    return start + duration


def test_has_access__no_licence__false_and_zero_expiry(market, buyer, asset_id):
    assert market.has_access(asset_id, buyer) is False
    assert market.licence_of(asset_id, buyer) == 0


def test_has_access__timed__true_until_one_second_before_expiry(market, chain, buyer, make_offer, asset_id):
    expiry = _buy_timed(market, chain, make_offer, asset_id, buyer, DAY)

    chain.mine(timestamp=expiry - 1)

    assert chain.blocks.head.timestamp == expiry - 1
    assert market.licence_of(asset_id, buyer) == expiry
    assert market.has_access(asset_id, buyer) is True


def test_has_access__timed__false_at_expiry(market, chain, buyer, make_offer, asset_id):
    expiry = _buy_timed(market, chain, make_offer, asset_id, buyer, DAY)

    chain.mine(timestamp=expiry)

    assert chain.blocks.head.timestamp == expiry
    assert market.licence_of(asset_id, buyer) == expiry  # the record stays; access does not
    assert market.has_access(asset_id, buyer) is False


def test_has_access__timed__moves_with_deltatime(market, chain, buyer, make_offer, asset_id):
    expiry = _buy_timed(market, chain, make_offer, asset_id, buyer, 1_000)
    seen = []

    for _ in range(3):
        seen.append((chain.blocks.head.timestamp < expiry, market.has_access(asset_id, buyer)))
        chain.mine(deltatime=600)

    assert seen == [(True, True), (True, True), (False, False)]


def test_has_access__perpetual__survives_any_time(market, chain, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE)
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    chain.mine(deltatime=100 * 365 * DAY)

    assert market.licence_of(asset_id, buyer) == PERPETUAL
    assert market.has_access(asset_id, buyer) is True


def test_has_access__per_asset_and_per_account(market, buyer, other, make_offer, new_asset):
    licensed, unlicensed = new_asset(), new_asset()
    market.buy(make_offer(licensed, price=PRICE), buyer, value=PRICE, sender=buyer)

    assert (market.has_access(licensed, buyer), market.has_access(unlicensed, buyer),
            market.has_access(licensed, other)) == (True, False, False)


def test_has_access__offer_cancelled_later__licence_kept(market, creator, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=PRICE)
    market.buy(offer_id, buyer, value=PRICE, sender=buyer)

    market.cancel_offer(offer_id, sender=creator)

    assert market.has_access(asset_id, buyer)


def test_has_access__asset_delisted_later__denied_until_relisted(market, registry, curator, buyer, make_offer,
                                                                 asset_id):
    # Gateways ask has_access only: a delisted asset is served to nobody, but licences are kept.
    market.buy(make_offer(asset_id, price=PRICE), buyer, value=PRICE, sender=buyer)

    registry.delist(asset_id, fresh_cid(), sender=curator)

    assert not market.has_access(asset_id, buyer)
    assert market.licence_of(asset_id, buyer) == PERPETUAL
    registry.relist(asset_id, fresh_cid(), sender=curator)
    assert market.has_access(asset_id, buyer)
