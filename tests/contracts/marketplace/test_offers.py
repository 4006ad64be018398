"""`create_offer` / `update_offer` / `cancel_offer` / `offer`: the asset owner's terms of sale."""

from __future__ import annotations

import ape
import pytest

from .helpers import DAY, ETH, U32, U64, U128, fresh_cid


def _terms(offer) -> tuple:
    return (offer.asset_id, offer.token, offer.price, offer.duration, offer.max_licences, offer.sold,
            offer.starts_at, offer.ends_at, offer.active)


# ---------------------------------------------------------------- create_offer


def test_create_offer__token_timed_capped_windowed__stores_terms_and_logs(market, chain, creator, usd, asset_id):
    now = chain.pending_timestamp
    tx = market.create_offer(asset_id, usd, 5 * 10**18, 30 * DAY, 7, now + 10, now + 100, sender=creator)

    (event,) = tx.decode_logs(market.OfferCreated)
    assert (event.offer_id, event.asset_id, event.token, event.price, event.duration, event.max_licences,
            event.starts_at, event.ends_at) == (1, asset_id, usd.address, 5 * 10**18, 30 * DAY, 7, now + 10, now + 100)
    assert _terms(market.offer(1)) == (asset_id, usd.address, 5 * 10**18, 30 * DAY, 7, 0, now + 10, now + 100, True)
    assert market.offer_count() == 1


def test_create_offer__eth_defaults__perpetual_uncapped_open(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10**16)

    assert _terms(market.offer(offer_id)) == (asset_id, ETH, 10**16, 0, 0, 0, 0, 0, True)


def test_create_offer__ids_are_sequential_across_assets(market, make_offer, new_asset):
    first, second = new_asset(), new_asset()

    ids = [make_offer(first), make_offer(second), make_offer(first)]

    assert ids == [1, 2, 3]
    assert [market.offer(i).asset_id for i in ids] == [first, second, first]
    assert market.offer_count() == 3


def test_create_offer__return_value__is_offer_id(market, creator, asset_id):
    tx = market.create_offer(asset_id, ETH, 1, 0, 0, 0, 0, sender=creator)

    assert tx.return_value == 1


def test_create_offer__field_maxima__stored_unpacked(market, creator, asset_id):
    market.create_offer(asset_id, ETH, U128, U64, U32, U32 - 1, U32, sender=creator)

    assert _terms(market.offer(1)) == (asset_id, ETH, U128, U64, U32, 0, U32 - 1, U32, True)


@pytest.mark.parametrize("caller", ["attacker", "deployer"])
def test_create_offer__not_the_owner__reverts(market, request, asset_id, caller):
    with ape.reverts("market: caller is not the asset owner"):
        market.create_offer(asset_id, ETH, 1, 0, 0, 0, 0, sender=request.getfixturevalue(caller))


def test_create_offer__unknown_asset__reverts(market, creator):
    with ape.reverts("market: unknown asset"):
        market.create_offer(12345, ETH, 1, 0, 0, 0, 0, sender=creator)


def test_create_offer__after_nft_transfer__new_owner_only(market, registry, creator, other, asset_id):
    registry.transferFrom(creator, other, asset_id, sender=creator)

    with ape.reverts("market: caller is not the asset owner"):
        market.create_offer(asset_id, ETH, 1, 0, 0, 0, 0, sender=creator)
    tx = market.create_offer(asset_id, ETH, 1, 0, 0, 0, 0, sender=other)
    assert tx.decode_logs(market.OfferCreated)[0].asset_id == asset_id


def test_create_offer__delisted_asset__reverts(market, registry, curator, creator, asset_id):
    registry.delist(asset_id, fresh_cid(), sender=curator)

    with ape.reverts("market: asset delisted"):
        market.create_offer(asset_id, ETH, 1, 0, 0, 0, 0, sender=creator)


def test_create_offer__relisted_asset__accepted(market, registry, curator, creator, make_offer, asset_id):
    registry.delist(asset_id, fresh_cid(), sender=curator)
    registry.relist(asset_id, fresh_cid(), sender=curator)

    assert market.offer(make_offer(asset_id)).active


def test_create_offer__token_not_allowed__reverts(market, project, deployer, creator, asset_id):
    stranger = project.MockERC20.deploy("Other", "OTH", 0, sender=deployer)

    with ape.reverts("market: unsupported token"):
        market.create_offer(asset_id, stranger, 1, 0, 0, 0, 0, sender=creator)


def test_create_offer__token_disallowed_again__reverts(market, dao, creator, usd, asset_id):
    market.set_token_allowed(usd, False, sender=dao)

    with ape.reverts("market: unsupported token"):
        market.create_offer(asset_id, usd, 1, 0, 0, 0, 0, sender=creator)


def test_create_offer__duration_over_64_bits__reverts(market, creator, asset_id):
    with ape.reverts("market: duration too long"):
        market.create_offer(asset_id, ETH, 1, U64 + 1, 0, 0, 0, sender=creator)


def test_create_offer__cap_over_32_bits__reverts(market, creator, asset_id):
    with ape.reverts("market: cap too large"):
        market.create_offer(asset_id, ETH, 1, 0, U32 + 1, 0, 0, sender=creator)


def test_create_offer__price_over_128_bits__reverts(market, creator, asset_id):
    with ape.reverts("market: price too large"):
        market.create_offer(asset_id, ETH, U128 + 1, 0, 0, 0, 0, sender=creator)


@pytest.mark.parametrize("starts_at, ends_at", [(U32 + 1, 0), (0, U32 + 1), (2**255, 2**255 + 1)])
def test_create_offer__time_over_32_bits__reverts(market, creator, asset_id, starts_at, ends_at):
    with ape.reverts("market: time out of range"):
        market.create_offer(asset_id, ETH, 1, 0, 0, starts_at, ends_at, sender=creator)


@pytest.mark.parametrize("starts_offset, ends_offset", [
    (100, 100),  # ends when it starts
    (100, 99),  # ends before it starts
    (0, -1),  # ended in the past
])
def test_create_offer__bad_window__reverts(market, chain, creator, asset_id, starts_offset, ends_offset):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    with ape.reverts("market: bad time window"):
        market.create_offer(asset_id, ETH, 1, 0, 0, now + starts_offset, now + ends_offset, sender=creator)


def test_create_offer__ends_at_this_block__reverts(market, chain, creator, asset_id):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    with ape.reverts("market: bad time window"):
        market.create_offer(asset_id, ETH, 1, 0, 0, 0, now, sender=creator)


def test_create_offer__ends_next_second__accepted(market, chain, creator, asset_id):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    tx = market.create_offer(asset_id, ETH, 1, 0, 0, 0, now + 1, sender=creator)

    assert tx.decode_logs(market.OfferCreated)[0].ends_at == now + 1


def test_create_offer__starts_in_the_past__accepted(market, chain, creator, asset_id):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    tx = market.create_offer(asset_id, ETH, 1, 0, 0, now - 1_000, now + 1, sender=creator)

    assert tx.decode_logs(market.OfferCreated)[0].starts_at == now - 1_000


# ---------------------------------------------------------------- update_offer


def test_update_offer__owner__changes_terms_keeps_sold_and_logs(market, chain, creator, buyer, other, make_offer,
                                                              asset_id):
    offer_id = make_offer(asset_id, price=10, duration=DAY, max_licences=5)
    market.buy(offer_id, buyer, value=10, sender=buyer)
    market.buy(offer_id, other, value=10, sender=other)
    now = chain.pending_timestamp

    tx = market.update_offer(offer_id, 77, 9, now + 5, now + 500, sender=creator)

    (event,) = tx.decode_logs(market.OfferUpdated)
    assert (event.offer_id, event.price, event.max_licences, event.starts_at, event.ends_at) == (
        offer_id, 77, 9, now + 5, now + 500)
    # token and duration are fixed at creation; the sold count survives the update
    assert _terms(market.offer(offer_id)) == (asset_id, ETH, 77, DAY, 9, 2, now + 5, now + 500, True)


def test_update_offer__cap_equal_to_sold__accepted_then_sold_out(market, creator, buyer, other, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10, max_licences=3)
    market.buy(offer_id, buyer, value=10, sender=buyer)
    market.buy(offer_id, other, value=10, sender=other)

    market.update_offer(offer_id, 10, 2, 0, 0, sender=creator)

    assert market.offer(offer_id).max_licences == 2
    with ape.reverts("market: offer sold out"):
        market.buy(offer_id, creator, value=10, sender=creator)


def test_update_offer__cap_below_sold__reverts(market, creator, buyer, other, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10, max_licences=3)
    market.buy(offer_id, buyer, value=10, sender=buyer)
    market.buy(offer_id, other, value=10, sender=other)

    with ape.reverts("market: cap below sold"):
        market.update_offer(offer_id, 10, 1, 0, 0, sender=creator)


def test_update_offer__cap_removed_after_sales__keeps_sold(market, creator, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10, max_licences=1)
    market.buy(offer_id, buyer, value=10, sender=buyer)

    market.update_offer(offer_id, 10, 0, 0, 0, sender=creator)
    market.buy(offer_id, creator, value=10, sender=creator)

    assert (market.offer(offer_id).max_licences, market.offer(offer_id).sold) == (0, 2)  # every sale counts


def test_update_offer__cap_added_after_uncapped_sales__counts_them(market, creator, buyer, other, make_offer,
                                                                   asset_id):
    offer_id = make_offer(asset_id, price=10)
    market.buy(offer_id, buyer, value=10, sender=buyer)
    market.buy(offer_id, other, value=10, sender=other)

    assert market.offer(offer_id).sold == 2
    with ape.reverts("market: cap below sold"):
        market.update_offer(offer_id, 10, 1, 0, 0, sender=creator)


def test_update_offer__cap_over_32_bits__reverts(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id)

    with ape.reverts("market: cap too large"):
        market.update_offer(offer_id, 1, U32 + 1, 0, 0, sender=creator)


def test_update_offer__price_over_128_bits__reverts(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id)

    with ape.reverts("market: price too large"):
        market.update_offer(offer_id, U128 + 1, 0, 0, 0, sender=creator)


def test_update_offer__time_over_32_bits__reverts(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id)

    with ape.reverts("market: time out of range"):
        market.update_offer(offer_id, 1, 0, 0, U32 + 1, sender=creator)


def test_update_offer__bad_window__reverts(market, chain, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id)
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now

    with ape.reverts("market: bad time window"):
        market.update_offer(offer_id, 1, 0, now + 50, now + 50, sender=creator)


def test_update_offer__not_the_owner__reverts(market, attacker, make_offer, asset_id):
    offer_id = make_offer(asset_id)

    with ape.reverts("market: caller is not the asset owner"):
        market.update_offer(offer_id, 1, 0, 0, 0, sender=attacker)


def test_update_offer__after_nft_transfer__new_owner_controls(market, registry, creator, other, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10)
    registry.transferFrom(creator, other, asset_id, sender=creator)

    with ape.reverts("market: caller is not the asset owner"):
        market.update_offer(offer_id, 1, 0, 0, 0, sender=creator)
    market.update_offer(offer_id, 20, 0, 0, 0, sender=other)
    assert market.offer(offer_id).price == 20


def test_update_offer__cancelled__reverts(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id)
    market.cancel_offer(offer_id, sender=creator)

    with ape.reverts("market: offer not active"):
        market.update_offer(offer_id, 1, 0, 0, 0, sender=creator)


def test_update_offer__unknown_offer__reverts(market, creator):
    with ape.reverts("market: offer not active"):
        market.update_offer(42, 1, 0, 0, 0, sender=creator)


# ---------------------------------------------------------------- cancel_offer


def test_cancel_offer__owner__deactivates_and_logs(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10, duration=DAY, max_licences=3)

    tx = market.cancel_offer(offer_id, sender=creator)

    (event,) = tx.decode_logs(market.OfferCancelled)
    assert event.offer_id == offer_id
    assert _terms(market.offer(offer_id)) == (asset_id, ETH, 10, DAY, 3, 0, 0, 0, False)


def test_cancel_offer__licences_already_sold__unaffected(market, creator, buyer, make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10)
    market.buy(offer_id, buyer, value=10, sender=buyer)

    market.cancel_offer(offer_id, sender=creator)

    assert market.has_access(asset_id, buyer)
    with ape.reverts("market: offer not active"):
        market.buy(offer_id, creator, value=10, sender=creator)


def test_cancel_offer__twice__reverts(market, creator, make_offer, asset_id):
    offer_id = make_offer(asset_id)
    market.cancel_offer(offer_id, sender=creator)

    with ape.reverts("market: offer not active"):
        market.cancel_offer(offer_id, sender=creator)


def test_cancel_offer__unknown_offer__reverts(market, creator):
    with ape.reverts("market: offer not active"):
        market.cancel_offer(1, sender=creator)


def test_cancel_offer__not_the_owner__reverts(market, attacker, make_offer, asset_id):
    offer_id = make_offer(asset_id)

    with ape.reverts("market: caller is not the asset owner"):
        market.cancel_offer(offer_id, sender=attacker)


def test_cancel_offer__after_nft_transfer__new_owner_only(market, registry, creator, other, make_offer, asset_id):
    offer_id = make_offer(asset_id)
    registry.transferFrom(creator, other, asset_id, sender=creator)

    with ape.reverts("market: caller is not the asset owner"):
        market.cancel_offer(offer_id, sender=creator)
    market.cancel_offer(offer_id, sender=other)
    assert not market.offer(offer_id).active


# ---------------------------------------------------------------- offer (view)


def test_offer__unknown_id__inactive_and_empty(market):
    assert _terms(market.offer(99)) == (0, ETH, 0, 0, 0, 0, 0, 0, False)
