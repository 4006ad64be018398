"""`register_batch`: several assets for the caller, in order, all or nothing."""

from __future__ import annotations

import ape

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import MAX_BATCH, Kind

from . import cids


def _item(content=None, *, kind=Kind.DATASET, metadata=None, licence_id=1, parents=(), shares=(), royalty_bps=0):
    return (
        content or cids.sha256_v1(),
        int(kind),
        metadata or cids.metadata(),
        licence_id,
        list(parents),
        list(shares),
        royalty_bps,
    )


def test_register_batch__items__registered_in_order(registry, creator):
    items = [
        _item(cids.CONTENT_FORMS["v1-raw"](), kind=Kind.DATASET, licence_id=1, royalty_bps=10),
        _item(cids.CONTENT_FORMS["v0"](), kind=Kind.MODEL, licence_id=2, royalty_bps=20),
        _item(cids.CONTENT_FORMS["v1-sha2-512"](), kind=Kind.CODE, licence_id=3, royalty_bps=30),
    ]
    expected = [cids.expected_id(item[0]) for item in items]
    balance_before = registry.balanceOf(creator)

    tx = registry.register_batch(items, sender=creator)

    assert list(tx.return_value) == expected
    assert [e.asset_id for e in tx.decode_logs(registry.AssetRegistered)] == expected
    assert [e.token_id for e in tx.decode_logs(registry.Transfer)] == expected
    assert registry.balanceOf(creator) == balance_before + 3
    for item, asset_id in zip(items, expected, strict=True):
        asset = registry.asset(asset_id)
        assert asset.owner == creator
        assert (asset.content_cid, asset.kind, asset.licence_id, asset.royalty_bps) == (
            item[0],
            item[1],
            item[3],
            item[6],
        )


def test_register_batch__parent_registered_earlier_in_batch__accepted(registry, creator, new_asset):
    outside = new_asset()
    base, derived, grandchild = cids.sha256_v1(), cids.sha256_v1(), cids.sha256_v1()
    base_id, derived_id = cids.expected_id(base), cids.expected_id(derived)
    items = [
        _item(base),
        _item(derived, parents=[base_id, outside], shares=[4_000, 1_000]),
        _item(grandchild, parents=[derived_id, base_id], shares=[500, 500]),
    ]

    tx = registry.register_batch(items, sender=creator)

    provenance = tx.decode_logs(registry.ProvenanceRecorded)
    assert [(e.asset_id, list(e.parents), list(e.shares_bps)) for e in provenance] == [
        (derived_id, [base_id, outside], [4_000, 1_000]),
        (cids.expected_id(grandchild), [derived_id, base_id], [500, 500]),
    ]
    assert [(p.asset_id, p.share_bps) for p in parents_of(registry, derived_id)] == [(base_id, 4_000), (outside, 1_000)]


def test_register_batch__parent_later_in_batch__reverts(registry, creator):
    later = cids.sha256_v1()
    items = [_item(parents=[cids.expected_id(later)], shares=[100]), _item(later)]

    with ape.reverts("registry: unknown parent"):
        registry.register_batch(items, sender=creator)
    assert registry.asset_id_of(later) == 0


def test_register_batch__one_bad_item__reverts_whole_batch(registry, creator):
    good_before, good_after = _item(), _item()
    balance_before = registry.balanceOf(creator)

    with ape.reverts("registry: unknown kind"):
        registry.register_batch([good_before, _item(kind=7), good_after], sender=creator)

    assert registry.asset_id_of(good_before[0]) == 0
    assert registry.asset_id_of(good_after[0]) == 0
    assert registry.balanceOf(creator) == balance_before


def test_register_batch__same_cid_twice_in_batch__reverts(registry, creator):
    content = cids.sha256_v1()

    with ape.reverts("registry: cid already registered"):
        registry.register_batch([_item(content), _item(content)], sender=creator)


def test_register_batch__max_batch__all_registered(registry, creator):
    items = [_item() for _ in range(MAX_BATCH)]
    balance_before = registry.balanceOf(creator)

    tx = registry.register_batch(items, sender=creator)

    assert [e.asset_id for e in tx.decode_logs(registry.AssetRegistered)] == [cids.expected_id(i[0]) for i in items]
    assert registry.balanceOf(creator) == balance_before + MAX_BATCH


def test_register_batch__over_max_batch__reverts_without_reason(registry, creator):
    # MAX_BATCH bounds the ABI array: one more item cannot be decoded.
    with ape.reverts():
        registry.register_batch([_item() for _ in range(MAX_BATCH + 1)], sender=creator)


def test_register_batch__empty__returns_nothing(registry, creator):
    balance_before = registry.balanceOf(creator)

    tx = registry.register_batch([], sender=creator)

    assert list(tx.return_value) == []
    assert tx.decode_logs(registry.AssetRegistered) == []
    assert registry.balanceOf(creator) == balance_before


def test_register_batch__items_go_to_caller(registry, buyer):
    item = _item()

    registry.register_batch([item], sender=buyer)

    assert registry.ownerOf(cids.expected_id(item[0])) == buyer
