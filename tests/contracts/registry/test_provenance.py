"""Provenance: parents and their upstream shares, as stored, returned and logged."""

from __future__ import annotations

import ape
import pytest

from cidhub.registry import MAX_BPS, MAX_PARENTS

from . import cids


def _register(registry, sender, parents, shares, content=None):
    content = content or cids.sha256_v1()
    tx = registry.register(content, 0, cids.metadata(), 0, list(parents), list(shares), 0, sender=sender)
    return cids.expected_id(content), tx


def _parents(registry, asset_id):
    return [(p.asset_id, p.share_bps) for p in registry.parents_of(asset_id)]


@pytest.fixture(scope="module")
def three_parents(new_asset, buyer):
    # Parents may belong to anyone: provenance is not ownership.
    return [new_asset(), new_asset(sender=buyer), new_asset(cid=cids.CONTENT_FORMS["v1-blake3"]())]


def test_register__parents__stored_in_given_order_with_shares(registry, creator, three_parents):
    parents = [three_parents[2], three_parents[0], three_parents[1]]
    shares = [1_500, 0, 8_500]

    child, _ = _register(registry, creator, parents, shares)

    assert _parents(registry, child) == list(zip(parents, shares))
    assert registry.asset(child).parent_count == 3


def test_register__parents__provenance_recorded_event(registry, creator, three_parents):
    shares = [100, 200, 300]

    child, tx = _register(registry, creator, three_parents, shares)

    (event,) = tx.decode_logs(registry.ProvenanceRecorded)
    assert event.asset_id == child
    assert list(event.parents) == three_parents
    assert list(event.shares_bps) == shares
    (registered,) = tx.decode_logs(registry.AssetRegistered)
    assert registered.asset_id == child


@pytest.fixture(scope="module")
def sixteen(new_asset):
    return [new_asset() for _ in range(MAX_PARENTS)]


def test_register__no_parents__no_provenance_event(registry, creator):
    child, tx = _register(registry, creator, [], [])

    assert tx.decode_logs(registry.ProvenanceRecorded) == []
    assert registry.parents_of(child) == []


def test_register__shares_sum_exactly_100_percent__accepted(registry, creator, three_parents):
    shares = [3_333, 3_333, 3_334]

    child, _ = _register(registry, creator, three_parents, shares)

    assert sum(share for _, share in _parents(registry, child)) == MAX_BPS


def test_register__single_parent_takes_all__accepted(registry, creator, three_parents):
    child, _ = _register(registry, creator, three_parents[:1], [MAX_BPS])

    assert _parents(registry, child) == [(three_parents[0], MAX_BPS)]


@pytest.mark.parametrize("shares", [[3_334, 3_333, 3_334], [0, 0, 2**16 - 1]])
def test_register__shares_over_100_percent__reverts(registry, creator, three_parents, shares):
    with ape.reverts("registry: shares over 100%"):
        _register(registry, creator, three_parents, shares)


def test_register__16_parents__accepted_with_every_share(registry, creator, sixteen):
    parents = sixteen
    shares = [600 + i for i in range(MAX_PARENTS)]  # distinct, so a mixed-up slot shows; sum 9,720

    child, tx = _register(registry, creator, parents, shares)

    assert _parents(registry, child) == list(zip(parents, shares))
    (event,) = tx.decode_logs(registry.ProvenanceRecorded)
    assert list(event.parents) == parents
    assert list(event.shares_bps) == shares
    assert registry.asset(child).parent_count == MAX_PARENTS


def test_register__16_parents_one_full_share__stored_in_its_slot(registry, creator, sixteen):
    # One slot at the full 10,000 and the others zero, for the first, a middle and the last slot.
    parents = sixteen
    for slot in (0, 7, MAX_PARENTS - 1):
        shares = [0] * MAX_PARENTS
        shares[slot] = MAX_BPS
        child, _ = _register(registry, creator, parents, shares)
        assert _parents(registry, child) == list(zip(parents, shares))


def test_register__chain_of_16_generations__each_child_names_its_parent(registry, creator, new_asset):
    chain = [new_asset()]
    for generation in range(1, MAX_PARENTS + 1):
        child, _ = _register(registry, creator, [chain[-1]], [generation * 10])
        chain.append(child)

    for generation in range(1, len(chain)):
        assert _parents(registry, chain[generation]) == [(chain[generation - 1], generation * 10)]
    assert registry.parents_of(chain[0]) == []


def test_register__17_parents__reverts(registry, creator):
    # The count is checked first, so the ids need not exist.
    parents = list(range(1, MAX_PARENTS + 2))

    with ape.reverts("registry: too many parents"):
        _register(registry, creator, parents, [0] * len(parents))


def test_register__18_parents__reverts_without_reason(registry, creator):
    count = MAX_PARENTS + 2
    # Past the ABI bound (MAX_PARENTS + 1) the call cannot be decoded: a bare revert.
    parents = list(range(1, count + 1))

    with ape.reverts():
        _register(registry, creator, parents, [0] * count)


@pytest.mark.parametrize(
    "parent_count, share_count",
    [(2, 1), (1, 2), (0, 1)],
    ids=["more-parents", "more-shares", "shares-only"],
)
def test_register__parents_and_shares_differ_in_length__reverts(
    registry, creator, three_parents, parent_count, share_count
):
    with ape.reverts("registry: parents and shares differ in length"):
        _register(registry, creator, three_parents[:parent_count], [10] * share_count)


def test_register__17_shares_and_no_parents__reverts_on_length(registry, creator):
    with ape.reverts("registry: parents and shares differ in length"):
        _register(registry, creator, [], [0] * (MAX_PARENTS + 1))


@pytest.mark.parametrize("bad", [0, 2**256 - 1], ids=["zero", "max"])
def test_register__unknown_parent__reverts(registry, creator, three_parents, bad):
    with ape.reverts("registry: unknown parent"):
        _register(registry, creator, [three_parents[0], bad], [10, 10])


def test_register__unregistered_cid_as_parent__reverts(registry, creator):
    unregistered = cids.expected_id(cids.sha256_v1())

    with ape.reverts("registry: unknown parent"):
        _register(registry, creator, [unregistered], [10])


def test_register__itself_as_parent__reverts(registry, creator):
    # Parents are checked before the asset exists, so a self-loop is impossible.
    content = cids.sha256_v1()

    with ape.reverts("registry: unknown parent"):
        _register(registry, creator, [cids.expected_id(content)], [10], content=content)


@pytest.mark.parametrize(
    "positions",
    [(0, 2), (1, 2)],
    ids=["first-and-last", "adjacent-last"],
)
def test_register__duplicate_parent__reverts(registry, creator, three_parents, positions):
    parents = list(three_parents)
    parents[positions[1]] = parents[positions[0]]

    with ape.reverts("registry: duplicate parent"):
        _register(registry, creator, parents, [10, 10, 10])


def test_register__parent_check_order__count_then_length_then_each_parent(registry, creator, three_parents):
    # A list that breaks several rules reports the first one the contract checks.
    with ape.reverts("registry: parents and shares differ in length"):
        _register(registry, creator, [0, 0], [20_000])
    with ape.reverts("registry: unknown parent"):
        _register(registry, creator, [three_parents[0], 0, three_parents[0]], [20_000, 0, 0])
    with ape.reverts("registry: duplicate parent"):
        _register(registry, creator, [three_parents[0], three_parents[0]], [20_000, 0])


def test_register__parents_are_older_than_child(registry, creator, chain, new_asset):
    older = new_asset()
    older_block = chain.blocks.head.number

    child, tx = _register(registry, creator, [older], [10])

    assert tx.block_number > older_block
    assert _parents(registry, child) == [(older, 10)]


def test_parents_of__parent_transferred_or_delisted__provenance_unchanged(
    registry, creator, buyer, curator, three_parents
):
    child, _ = _register(registry, creator, three_parents, [1, 2, 3])
    registry.transferFrom(creator, buyer, three_parents[0], sender=creator)
    registry.delist(three_parents[1], cids.metadata(), sender=curator)

    assert _parents(registry, child) == list(zip(three_parents, [1, 2, 3]))
