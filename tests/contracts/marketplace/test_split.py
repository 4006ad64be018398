"""`set_split` / `lock_split` / `split_of` / `split_locked`: who shares an asset's revenue."""

from __future__ import annotations

import ape
import pytest
from eth_utils import to_checksum_address

from .helpers import ZERO_ADDRESS, equal_weights, sorted_addresses


def _addresses(count: int) -> list[str]:
    """`count` distinct, non-zero, strictly increasing addresses."""
    return [to_checksum_address(f"0x{0x1000 + i:040x}") for i in range(count)]


@pytest.fixture
def three(buyer, other, attacker):
    return sorted_addresses([buyer, other, attacker])


def test_set_split__sorted_recipients__stored_and_logged(market, creator, asset_id, three):
    weights = [5_000, 3_000, 2_000]

    tx = market.set_split(asset_id, three, weights, sender=creator)

    (event,) = tx.decode_logs(market.SplitUpdated)
    assert (event.asset_id, list(event.recipients), list(event.weights_bps)) == (asset_id, three, weights)
    recipients, stored = market.split_of(asset_id)
    assert (list(recipients), list(stored)) == (three, weights)


def test_set_split__one_recipient_all_weight(market, creator, asset_id, other):
    market.set_split(asset_id, [other], [10_000], sender=creator)

    assert market.split_of(asset_id) == ([other.address], [10_000])


def test_set_split__max_recipients__accepted(market, creator, asset_id):
    recipients = _addresses(64)

    market.set_split(asset_id, recipients, equal_weights(64), sender=creator)

    stored, weights = market.split_of(asset_id)
    assert (list(stored), list(weights)) == (recipients, equal_weights(64))
    assert market.MAX_RECIPIENTS() == 64


def test_set_split__replaced__new_split_read_back(market, creator, asset_id, three, other):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)

    market.set_split(asset_id, [other], [10_000], sender=creator)

    assert market.split_of(asset_id) == ([other.address], [10_000])


def test_set_split__empty__restores_default(market, creator, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)

    tx = market.set_split(asset_id, [], [], sender=creator)

    (event,) = tx.decode_logs(market.SplitUpdated)
    assert (list(event.recipients), list(event.weights_bps)) == ([], [])
    assert market.split_of(asset_id) == ([], [])


def test_split_of__never_set__empty_default(market, asset_id):
    assert market.split_of(asset_id) == ([], [])
    assert market.split_locked(asset_id) is False


def test_set_split__too_many_recipients__reverts(market, creator, asset_id):
    with ape.reverts("market: too many recipients"):
        market.set_split(asset_id, _addresses(65), equal_weights(65), sender=creator)


@pytest.mark.parametrize("weights", [[10_000], [5_000, 3_000, 1_000, 1_000]])
def test_set_split__length_mismatch__reverts(market, creator, asset_id, three, weights):
    with ape.reverts("market: recipients and weights differ in length"):
        market.set_split(asset_id, three, weights, sender=creator)


def test_set_split__unsorted__reverts(market, creator, asset_id, three):
    with ape.reverts("market: recipients not sorted"):
        market.set_split(asset_id, [three[1], three[0], three[2]], [5_000, 3_000, 2_000], sender=creator)


def test_set_split__descending__reverts(market, creator, asset_id, three):
    with ape.reverts("market: recipients not sorted"):
        market.set_split(asset_id, list(reversed(three)), [5_000, 3_000, 2_000], sender=creator)


def test_set_split__duplicate_recipient__reverts(market, creator, asset_id, three):
    with ape.reverts("market: recipients not sorted"):
        market.set_split(asset_id, [three[0], three[1], three[1]], [5_000, 3_000, 2_000], sender=creator)


@pytest.mark.parametrize("position", [0, 2])
def test_set_split__zero_address__reverts(market, creator, asset_id, three, position):
    recipients = list(three)
    recipients[position] = ZERO_ADDRESS

    with ape.reverts("market: zero address recipient"):
        market.set_split(asset_id, recipients, [5_000, 3_000, 2_000], sender=creator)


def test_set_split__zero_weight__reverts(market, creator, asset_id, three):
    with ape.reverts("market: zero weight"):
        market.set_split(asset_id, three, [10_000, 0, 0], sender=creator)


@pytest.mark.parametrize("weights", [[5_000, 3_000, 1_999], [5_000, 3_000, 2_001], [65_535, 65_535, 65_535]])
def test_set_split__weights_not_summing_to_max__reverts(market, creator, asset_id, three, weights):
    with ape.reverts("market: weights must sum to 10000"):
        market.set_split(asset_id, three, weights, sender=creator)


def test_set_split__not_the_owner__reverts(market, attacker, asset_id, three):
    with ape.reverts("market: caller is not the asset owner"):
        market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=attacker)


def test_set_split__after_nft_transfer__new_owner_only(market, registry, creator, other, asset_id, three):
    registry.transferFrom(creator, other, asset_id, sender=creator)

    with ape.reverts("market: caller is not the asset owner"):
        market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=other)
    assert list(market.split_of(asset_id)[0]) == three


def test_set_split__unknown_asset__reverts(market, creator, three):
    with ape.reverts("market: unknown asset"):
        market.set_split(4242, three, [5_000, 3_000, 2_000], sender=creator)


# ---------------------------------------------------------------- lock_split


def test_lock_split__owner__locks_and_logs(market, creator, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)

    tx = market.lock_split(asset_id, sender=creator)

    (event,) = tx.decode_logs(market.SplitLocked)
    assert event.asset_id == asset_id
    assert market.split_locked(asset_id) is True
    assert list(market.split_of(asset_id)[0]) == three


def test_set_split__locked__reverts(market, creator, asset_id, three, other):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    market.lock_split(asset_id, sender=creator)

    with ape.reverts("market: split locked"):
        market.set_split(asset_id, [other], [10_000], sender=creator)
    with ape.reverts("market: split locked"):
        market.set_split(asset_id, [], [], sender=creator)


def test_set_split__locked_then_nft_transferred__still_locked(market, registry, creator, other, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    market.lock_split(asset_id, sender=creator)
    registry.transferFrom(creator, other, asset_id, sender=creator)

    with ape.reverts("market: split locked"):
        market.set_split(asset_id, [other], [10_000], sender=other)


def test_lock_split__twice__reverts(market, creator, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    market.lock_split(asset_id, sender=creator)

    with ape.reverts("market: split locked"):
        market.lock_split(asset_id, sender=creator)


def test_lock_split__not_the_owner__reverts(market, attacker, asset_id):
    with ape.reverts("market: caller is not the asset owner"):
        market.lock_split(asset_id, sender=attacker)


def test_lock_split__default_split__reverts(market, creator, asset_id, other):
    # Locking "whoever owns the NFT" would protect no co-author.
    with ape.reverts("market: no split to lock"):
        market.lock_split(asset_id, sender=creator)

    assert market.split_locked(asset_id) is False
    market.set_split(asset_id, [other], [10_000], sender=creator)


def test_lock_split__unknown_asset__reverts(market, creator):
    with ape.reverts("market: unknown asset"):
        market.lock_split(4242, sender=creator)


def test_lock_split__other_assets_unaffected(market, creator, new_asset, other):
    locked, free = new_asset(), new_asset()
    market.set_split(locked, [other], [10_000], sender=creator)
    market.lock_split(locked, sender=creator)

    market.set_split(free, [other], [10_000], sender=creator)

    assert (market.split_locked(locked), market.split_locked(free)) == (True, False)
