"""Provenance: parents and their upstream shares, as committed, logged, verified and read back.

The registry stores a commitment (keccak256 of the ABI-encoded lists, top 216 bits) and the
registration block; the lists live in the ProvenanceRecorded event. `parents_of` (cidhub) reads
them back through the commitment, so every read in this file also checks it."""

from __future__ import annotations

import ape
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from cidhub.chain.provenance import ProvenanceError, commitment, parents_of
from cidhub.chain.registry import MAX_BPS, MAX_PARENTS

from . import cids


def _register(registry, sender, parents, shares, content=None):
    content = content or cids.sha256_v1()
    tx = registry.register(content, 0, cids.metadata(), 0, list(parents), list(shares), 0, sender=sender)
    return cids.expected_id(content), tx


def _parents(registry, asset_id):
    return [(p.asset_id, p.share_bps) for p in parents_of(registry, asset_id)]


@pytest.fixture(scope="module")
def three_parents(new_asset, buyer):
    # Parents may belong to anyone: provenance is not ownership.
    return [new_asset(), new_asset(sender=buyer), new_asset(cid=cids.CONTENT_FORMS["v1-blake3"]())]


def test_register__parents__stored_in_given_order_with_shares(registry, creator, three_parents):
    parents = [three_parents[2], three_parents[0], three_parents[1]]
    shares = [1_500, 0, 8_500]

    child, _ = _register(registry, creator, parents, shares)

    assert _parents(registry, child) == list(zip(parents, shares, strict=True))
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
    assert parents_of(registry, child) == []


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

    assert _parents(registry, child) == list(zip(parents, shares, strict=True))
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
        assert _parents(registry, child) == list(zip(parents, shares, strict=True))


def test_register__chain_of_16_generations__each_child_names_its_parent(registry, creator, new_asset):
    chain = [new_asset()]
    for generation in range(1, MAX_PARENTS + 1):
        child, _ = _register(registry, creator, [chain[-1]], [generation * 10])
        chain.append(child)

    for generation in range(1, len(chain)):
        assert _parents(registry, chain[generation]) == [(chain[generation - 1], generation * 10)]
    assert parents_of(registry, chain[0]) == []


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

    assert _parents(registry, child) == list(zip(three_parents, [1, 2, 3], strict=True))


# ---------------------------------------------------------------- the commitment and its views


def _solidity_commitment(parents, shares):
    """keccak256(abi.encode(uint256[], uint16[])) with the low 40 bits cleared, spelled out."""
    digest = keccak(abi_encode(["uint256[]", "uint16[]"], [parents, shares]))
    return digest[:27] + b"\x00" * 5


def test_provenance_of__committed_lists_and_registration_block(registry, creator, three_parents):
    shares = [700, 0, 1_300]

    child, tx = _register(registry, creator, three_parents, shares)

    record = registry.provenance_of(child)
    assert record.parent_count == 3
    assert bytes(record.commitment) == _solidity_commitment(three_parents, shares) == commitment(three_parents, shares)
    assert record.block_number == tx.block_number


def test_provenance_of__no_parents__empty_lists_commitment_and_block_zero(registry, creator):
    child, _ = _register(registry, creator, [], [])

    record = registry.provenance_of(child)
    assert (record.parent_count, record.block_number) == (0, 0)
    assert bytes(record.commitment) == _solidity_commitment([], [])


def test_verify_parents__exact_lists__true(registry, creator, three_parents):
    child, _ = _register(registry, creator, three_parents, [1, 2, 3])
    childless, _ = _register(registry, creator, [], [])

    assert registry.verify_parents(child, three_parents, [1, 2, 3]) is True
    assert registry.verify_parents(childless, [], []) is True


@pytest.mark.parametrize("parents_index, shares", [
    ([0, 1, 2], [1, 2, 4]),  # a share changed
    ([1, 0, 2], [2, 1, 3]),  # order changed, pairs kept
    ([0, 1], [1, 2]),  # a parent dropped
    ([], []),  # none at all
])
def test_verify_parents__any_difference__false(registry, creator, three_parents, parents_index, shares):
    child, _ = _register(registry, creator, three_parents, [1, 2, 3])

    assert registry.verify_parents(child, [three_parents[i] for i in parents_index], shares) is False


def test_verify_parents__no_parents_but_some_given__false(registry, creator, three_parents):
    childless, _ = _register(registry, creator, [], [])

    assert registry.verify_parents(childless, three_parents[:1], [0]) is False
    assert registry.verify_parents(childless, [], [0]) is False


def test_parents_of__wrong_block_hint__refuses_to_guess(registry, creator, three_parents):
    # A node that does not serve the block's logs (or serves something else) is an error, not [].
    child, _ = _register(registry, creator, three_parents, [1, 2, 3])

    class PrunedNode:
        """The registry as seen through a node whose logs for that block are gone."""

        def __init__(self, inner):
            self._inner = inner

        def provenance_of(self, asset_id):
            return self._inner.provenance_of(asset_id)

        class ProvenanceRecorded:
            @staticmethod
            def range(*args, **kwargs):
                return iter(())

    with pytest.raises(ProvenanceError, match="3 parents"):
        parents_of(PrunedNode(registry), child)
