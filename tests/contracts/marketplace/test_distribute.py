"""`distribute`: a pool's upstream shares into the parents' pools, the rest to the split, no wei lost."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.provenance import parents_args

from .helpers import ETH, MAX_BPS, fee_of, sorted_addresses, split_credits, upstream_parts

PRICE = 10**16


@pytest.fixture
def sell(market, make_offer, buyer):
    """Sell one licence of `asset_id` (a fresh licensee each time) for `price`; return what the pool got."""
    licensees = iter(range(1, 10**6))

    def _sell(asset_id, price=PRICE, token=ETH):
        offer_id = make_offer(asset_id, price=price, token=token)
        licensee = f"0x{0xabc0000 + next(licensees):040x}"
        market.buy(offer_id, licensee, value=price if token == ETH else 0, sender=buyer)
        return price - fee_of(price)

    return _sell


@pytest.fixture
def three(buyer, other, attacker):
    return sorted_addresses([buyer, other, attacker])


def _balances(market, accounts, token=ETH):
    return [market.balance_of(a, token) for a in accounts]


# ---------------------------------------------------------------- default split


def test_distribute__default_split__all_to_owner_and_logs(registry, market, creator, attacker, sell, asset_id):
    amount = sell(asset_id)

    # anyone may call it
    tx = market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=attacker)

    (event,) = tx.decode_logs(market.RevenueDistributed)
    assert (event.asset_id, event.token, event.amount, event.upstream) == (asset_id, ETH, amount, 0)
    assert market.balance_of(creator, ETH) == amount
    assert market.pending(asset_id, ETH) == 0


def test_distribute__return_value__is_amount(registry, market, attacker, sell, asset_id):
    amount = sell(asset_id)

    tx = market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=attacker)

    assert tx.return_value == amount


def test_distribute__default_split_after_nft_transfer__owner_at_distribution_time(market, registry, creator, other,
                                                                                  sell, asset_id):
    amount = sell(asset_id)
    registry.transferFrom(creator, other, asset_id, sender=creator)

    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)

    assert (market.balance_of(creator, ETH), market.balance_of(other, ETH)) == (0, amount)


def test_distribute__split_restored_to_default__owner_paid(registry, market, creator, sell, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    market.set_split(asset_id, [], [], sender=creator)
    amount = sell(asset_id)

    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)

    assert market.balance_of(creator, ETH) == amount
    assert _balances(market, three) == [0, 0, 0]


# ---------------------------------------------------------------- custom split and rounding


def test_distribute__split__credits_by_weight(registry, market, creator, sell, asset_id, three):
    weights = [5_000, 3_000, 2_000]
    market.set_split(asset_id, three, weights, sender=creator)
    amount = sell(asset_id)

    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), three, weights, sender=creator)

    assert _balances(market, three) == [amount * w // MAX_BPS for w in weights]
    assert sum(_balances(market, three)) == amount
    assert market.balance_of(creator, ETH) == 0


@pytest.mark.parametrize("price", [1, 2, 3, 101, 9_999, 10**6 + 7, 10**16 + 1])
def test_distribute__rounding_dust__to_first_recipient(registry, market, creator, sell, asset_id, three, price):
    weights = [3_334, 3_333, 3_333]
    market.set_split(asset_id, three, weights, sender=creator)
    amount = sell(asset_id, price=price)

    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), three, weights, sender=creator)

    expected = split_credits(amount, weights)
    assert _balances(market, three) == expected
    assert sum(expected) == amount
    assert expected[0] - amount * weights[0] // MAX_BPS < len(weights)  # dust is below one wei per recipient


def test_distribute__dust__first_recipient_even_with_smallest_weight(registry, market, creator, sell, asset_id, three):
    weights = [1, 4_999, 5_000]
    market.set_split(asset_id, three, weights, sender=creator)
    amount = sell(asset_id, price=1_003)  # 1_003 - 25 fee = 978: credits 0, 488, 489, dust 1

    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), three, weights, sender=creator)

    assert amount == 978
    assert _balances(market, three) == [1, 488, 489]


def test_distribute__max_recipients__every_wei_credited(registry, market, creator, sell, asset_id):
    recipients = sorted_addresses([f"0x{0x5000 + i:040x}" for i in range(64)])
    weights = [157] * 63 + [10_000 - 157 * 63]
    market.set_split(asset_id, recipients, weights, sender=creator)
    amount = sell(asset_id, price=10**16 + 12_345)

    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), recipients, weights, sender=creator)

    credited = [market.balance_of(r, ETH) for r in recipients]
    assert credited == split_credits(amount, weights)
    assert sum(credited) == amount


def test_distribute__new_split__applies_to_pending_revenue(registry, market, creator, other, sell, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    amount = sell(asset_id)
    market.set_split(asset_id, [other], [10_000], sender=creator)

    with ape.reverts("market: split mismatch"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), three, [5_000, 3_000, 2_000],
                          sender=creator)
    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [other], [10_000], sender=creator)

    assert market.balance_of(other, ETH) == amount


# ---------------------------------------------------------------- reverts


def test_distribute__default_split_given_recipients__split_mismatch(registry, market, creator, other, sell, asset_id):
    sell(asset_id)

    with ape.reverts("market: split mismatch"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [other], [10_000], sender=creator)


def test_distribute__custom_split_given_empty__split_mismatch(registry, market, creator, sell, asset_id, three):
    market.set_split(asset_id, three, [5_000, 3_000, 2_000], sender=creator)
    sell(asset_id)

    with ape.reverts("market: split mismatch"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)


@pytest.mark.parametrize("case", ["weights swapped", "recipient replaced", "recipient dropped", "weights changed"])
def test_distribute__lists_differ_from_split__split_mismatch(registry, market, creator, attacker, sell, asset_id, three,
                                                             case):
    weights = [5_000, 3_000, 2_000]
    market.set_split(asset_id, three, weights, sender=creator)
    sell(asset_id)
    recipients, forged = list(three), list(weights)
    if case == "weights swapped":
        forged = [3_000, 5_000, 2_000]
    elif case == "recipient replaced":
        recipients[0] = attacker.address if attacker.address not in three else "0x" + "11" * 20
    elif case == "recipient dropped":
        recipients, forged = recipients[:2], [5_000, 5_000]
    else:
        forged = [5_001, 2_999, 2_000]

    with ape.reverts("market: split mismatch"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), recipients, forged, sender=attacker)


@pytest.mark.parametrize("case", [
    "parents omitted", "parent dropped", "parents reordered", "share raised", "stranger added", "shares shifted",
])
def test_distribute__parents_differ_from_registry__provenance_mismatch(registry, market, creator, attacker, new_asset,
                                                                      sell, case):
    # The upstream split is the registry's commitment; a caller cannot redirect or skip it.
    first, second, stranger = new_asset(), new_asset(), new_asset(sender=attacker)
    child = new_asset(parents=[first, second], shares=[1_000, 2_000])
    sell(child)
    parents, shares = {
        "parents omitted": ([], []),
        "parent dropped": ([first], [1_000]),
        "parents reordered": ([second, first], [2_000, 1_000]),
        "share raised": ([first, second], [1_000, 2_001]),
        "stranger added": ([first, second, stranger], [1_000, 2_000, 0]),
        "shares shifted": ([first, second], [2_000, 1_000]),
    }[case]

    with ape.reverts("market: provenance mismatch"):
        market.distribute(child, ETH, parents, shares, [], [], sender=attacker)
    assert market.pending(child, ETH) != 0


def test_distribute__no_parents_but_some_given__provenance_mismatch(market, creator, attacker, new_asset, sell,
                                                                    asset_id):
    sell(asset_id)

    with ape.reverts("market: provenance mismatch"):
        market.distribute(asset_id, ETH, [new_asset(sender=attacker)], [5_000], [], [], sender=attacker)


def test_distribute__no_sales__nothing_to_distribute(registry, market, creator, asset_id):
    with ape.reverts("market: nothing to distribute"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)


def test_distribute__twice__nothing_to_distribute(registry, market, creator, sell, asset_id):
    sell(asset_id)
    market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)

    with ape.reverts("market: nothing to distribute"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)


def test_distribute__only_free_sales__nothing_to_distribute(registry, market, creator, sell, asset_id):
    sell(asset_id, price=0)

    with ape.reverts("market: nothing to distribute"):
        market.distribute(asset_id, ETH, *parents_args(registry, asset_id), [], [], sender=creator)


def test_distribute__other_token_pool_empty__nothing_to_distribute(registry, market, creator, usd, sell, asset_id):
    sell(asset_id)  # ETH only

    with ape.reverts("market: nothing to distribute"):
        market.distribute(asset_id, usd, *parents_args(registry, asset_id), [], [], sender=creator)


def test_distribute__unknown_asset__nothing_to_distribute(market, creator):
    with ape.reverts("market: nothing to distribute"):
        market.distribute(999_999, ETH, [], [], [], [], sender=creator)


# ---------------------------------------------------------------- tokens


def test_distribute__erc20_pool__separate_from_eth(registry, market, creator, usd, sell, asset_id):
    eth_amount = sell(asset_id)
    usd_amount = sell(asset_id, price=7 * 10**18 + 3, token=usd)

    tx = market.distribute(asset_id, usd, *parents_args(registry, asset_id), [], [], sender=creator)

    assert tx.decode_logs(market.RevenueDistributed)[0].token == usd.address
    assert market.balance_of(creator, usd) == usd_amount
    assert market.balance_of(creator, ETH) == 0
    assert market.pending(asset_id, ETH) == eth_amount


# ---------------------------------------------------------------- provenance


def test_distribute__two_parents__upstream_to_parent_pools_rest_to_split(registry, market, creator, new_asset, sell,
                                                                         three):
    first, second = new_asset(), new_asset()
    child = new_asset(parents=[first, second], shares=[1_500, 2_500])
    weights = [5_000, 3_000, 2_000]
    market.set_split(child, three, weights, sender=creator)
    amount = sell(child, price=10**16 + 333)

    tx = market.distribute(child, ETH, *parents_args(registry, child), three, weights, sender=creator)

    parts = upstream_parts(amount, [1_500, 2_500])
    (event,) = tx.decode_logs(market.RevenueDistributed)
    assert (event.amount, event.upstream) == (amount, sum(parts))
    assert [market.pending(first, ETH), market.pending(second, ETH)] == parts
    assert _balances(market, three) == split_credits(amount - sum(parts), weights)
    assert market.pending(child, ETH) == 0


def test_distribute__parent_part_rounds_down__dust_stays_with_split(registry, market, creator, new_asset, sell):
    parent = new_asset()
    child = new_asset(parents=[parent], shares=[3_333])
    amount = sell(child, price=40)  # fee 1, pool 39: parent gets 39 * 3333 // 10000 = 12

    market.distribute(child, ETH, *parents_args(registry, child), [], [], sender=creator)

    assert (amount, market.pending(parent, ETH), market.balance_of(creator, ETH)) == (39, 12, 27)


def test_distribute__parent_part_zero__nothing_upstream(registry, market, creator, new_asset, sell):
    parent = new_asset()
    child = new_asset(parents=[parent], shares=[1])
    amount = sell(child, price=100)  # fee 2, pool 98: 98 * 1 // 10000 = 0

    tx = market.distribute(child, ETH, *parents_args(registry, child), [], [], sender=creator)

    assert tx.decode_logs(market.RevenueDistributed)[0].upstream == 0
    assert (market.pending(parent, ETH), market.balance_of(creator, ETH)) == (0, amount)


def test_distribute__zero_share_parent__nothing_upstream(registry, market, creator, new_asset, sell):
    parent = new_asset()
    child = new_asset(parents=[parent], shares=[0])
    amount = sell(child)

    market.distribute(child, ETH, *parents_args(registry, child), [], [], sender=creator)

    assert (market.pending(parent, ETH), market.balance_of(creator, ETH)) == (0, amount)


def test_distribute__parents_take_everything__split_gets_nothing(registry, market, creator, new_asset, sell, three):
    first, second = new_asset(), new_asset()
    child = new_asset(parents=[first, second], shares=[6_000, 4_000])
    market.set_split(child, three, [5_000, 3_000, 2_000], sender=creator)
    amount = sell(child, price=10**16)  # pool divisible: no rounding dust left for the split

    tx = market.distribute(child, ETH, *parents_args(registry, child), three, [5_000, 3_000, 2_000], sender=creator)

    assert tx.decode_logs(market.RevenueDistributed)[0].upstream == amount
    assert [market.pending(first, ETH), market.pending(second, ETH)] == upstream_parts(amount, [6_000, 4_000])
    assert _balances(market, three) == [0, 0, 0]


def test_distribute__sixteen_parents__each_pool_credited(registry, market, creator, new_asset, sell):
    parents = [new_asset() for _ in range(16)]
    shares = [100 + i for i in range(16)]
    child = new_asset(parents=parents, shares=shares)
    amount = sell(child, price=10**16 + 99)

    market.distribute(child, ETH, *parents_args(registry, child), [], [], sender=creator)

    parts = upstream_parts(amount, shares)
    assert [market.pending(p, ETH) for p in parents] == parts
    assert market.balance_of(creator, ETH) == amount - sum(parts)


def test_distribute__parent_pool_also_takes_its_own_sales(registry, market, creator, new_asset, sell):
    parent = new_asset()
    child = new_asset(parents=[parent], shares=[2_000])
    own = sell(parent)
    child_amount = sell(child)

    market.distribute(child, ETH, *parents_args(registry, child), [], [], sender=creator)

    assert market.pending(parent, ETH) == own + child_amount * 2_000 // MAX_BPS


def test_distribute__chain_of_four__climbs_one_level_per_call(market, registry, creator, other, buyer, attacker,
                                                             new_asset, sell):
    # root <- a <- b <- leaf, each level with its own owner and share
    root = new_asset(sender=attacker)
    a = new_asset(parents=[root], shares=[4_000], sender=other)
    b = new_asset(parents=[a], shares=[2_500], sender=buyer)
    leaf = new_asset(parents=[b], shares=[3_000])
    amount = sell(leaf, price=10**16 + 12_345)
    expected = {}
    pool = amount
    for asset, owner, share in ((leaf, creator, 3_000), (b, buyer, 2_500), (a, other, 4_000), (root, attacker, 0)):
        assert market.pending(asset, ETH) == pool
        market.distribute(asset, ETH, *parents_args(registry, asset), [], [], sender=creator)
        up = pool * share // MAX_BPS
        expected[owner.address] = pool - up
        assert market.pending(asset, ETH) == 0
        pool = up

    assert {o.address: market.balance_of(o, ETH) for o in (creator, buyer, other, attacker)} == expected
    assert sum(expected.values()) == amount


def test_distribute__diamond__both_paths_reach_the_root(registry, market, creator, new_asset, sell):
    root = new_asset()
    left = new_asset(parents=[root], shares=[5_000])
    right = new_asset(parents=[root], shares=[2_000])
    top = new_asset(parents=[left, right], shares=[3_000, 3_000])
    amount = sell(top, price=10**18)

    for asset in (top, left, right):
        market.distribute(asset, ETH, *parents_args(registry, asset), [], [], sender=creator)

    to_left = to_right = amount * 3_000 // MAX_BPS
    assert market.pending(root, ETH) == to_left * 5_000 // MAX_BPS + to_right * 2_000 // MAX_BPS


@pytest.mark.parametrize("price, shares, weights", [
    (10**18 + 1, [700, 1_300, 2], [9_998, 1, 1]),
    (999_999_999_999_999_999, [9_999], [5_000, 5_000]),
    (123_456_789, [3_333, 3_333, 3_333], [3_334, 3_333, 3_333]),
    (10**23 + 17, [1], [1, 2, 3, 9_994]),
])
def test_distribute__exact_integer_math__matches_python(registry, market, creator, usd, new_asset, sell, accounts,
                                                        price, shares, weights):
    parents = [new_asset() for _ in shares]
    child = new_asset(parents=parents, shares=shares)
    recipients = sorted_addresses(accounts[:len(weights)])
    market.set_split(child, recipients, weights, sender=creator)
    amount = sell(child, price=price, token=usd)

    market.distribute(child, usd, *parents_args(registry, child), recipients, weights, sender=creator)

    parts = upstream_parts(amount, shares)
    assert [market.pending(p, usd) for p in parents] == parts
    assert [market.balance_of(r, usd) for r in recipients] == split_credits(amount - sum(parts), weights)
    assert sum(parts) + sum(market.balance_of(r, usd) for r in recipients) == amount
