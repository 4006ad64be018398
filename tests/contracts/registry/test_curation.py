"""`delist` / `relist`: the CURATOR's flag, with a published reason."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.provenance import parents_of

from . import cids


@pytest.fixture(scope="module")
def asset_id(new_asset):
    return new_asset(royalty_bps=1_234, licence_id=99, parents=[new_asset()], shares=[700])


@pytest.mark.parametrize("form", ["v1-raw", "v0", "v1-blake3", "v1-sha2-512"])
def test_delist__curator__flags_and_logs_reason(registry, curator, asset_id, form):
    reason = cids.CONTENT_FORMS[form]()  # any well-formed CID may name the reason

    tx = registry.delist(asset_id, reason, sender=curator)

    (event,) = tx.decode_logs(registry.AssetDelisted)
    assert (event.asset_id, event.curator, event.reason_cid) == (asset_id, curator.address, reason)
    (update,) = tx.decode_logs(registry.MetadataUpdate)
    assert update["_tokenId"] == asset_id
    assert registry.is_delisted(asset_id) is True
    assert registry.asset(asset_id).delisted is True


def test_relist__curator__clears_flag_and_logs_reason(registry, curator, asset_id):
    registry.delist(asset_id, cids.metadata(), sender=curator)
    reason = cids.metadata()

    tx = registry.relist(asset_id, reason, sender=curator)

    (event,) = tx.decode_logs(registry.AssetRelisted)
    assert (event.asset_id, event.curator, event.reason_cid) == (asset_id, curator.address, reason)
    (update,) = tx.decode_logs(registry.MetadataUpdate)
    assert update["_tokenId"] == asset_id
    assert registry.is_delisted(asset_id) is False


def test_delist_relist__other_fields_unchanged(registry, creator, curator, asset_id, royalty_market):
    before = registry.asset(asset_id)
    parents = parents_of(registry, asset_id)

    registry.delist(asset_id, cids.metadata(), sender=curator)
    during = registry.asset(asset_id)
    registry.relist(asset_id, cids.metadata(), sender=curator)
    after = registry.asset(asset_id)

    assert during.delisted and not after.delisted
    for snapshot in (during, after):
        for field in ("owner", "kind", "content_cid", "metadata_cid", "licence_id", "royalty_bps", "parent_count"):
            assert getattr(snapshot, field) == getattr(before, field), field
    assert parents_of(registry, asset_id) == parents
    # A delisted asset's secondary sales still owe their royalty upstream.
    assert registry.royaltyInfo(asset_id, 10_000) == (royalty_market.royalty_receiver_of(asset_id), 1_234)


def test_delist__asset_still_transferable_and_a_parent(registry, creator, buyer, curator, asset_id, new_asset):
    registry.delist(asset_id, cids.metadata(), sender=curator)

    registry.transferFrom(creator, buyer, asset_id, sender=creator)
    child = new_asset(parents=[asset_id], shares=[10])

    assert registry.ownerOf(asset_id) == buyer
    assert registry.is_delisted(asset_id) is True
    assert [p.asset_id for p in parents_of(registry, child)] == [asset_id]


def test_delist_relist__repeatable(registry, curator, asset_id):
    for _ in range(2):
        registry.delist(asset_id, cids.metadata(), sender=curator)
        assert registry.is_delisted(asset_id)
        registry.relist(asset_id, cids.metadata(), sender=curator)
        assert not registry.is_delisted(asset_id)


@pytest.mark.parametrize("caller", ["creator", "deployer"])
def test_delist__not_a_curator__reverts(registry, request, asset_id, caller):
    # The owner cannot delist their own asset either, nor can the admin without the role.
    with ape.reverts("registry: caller is not a curator"):
        registry.delist(asset_id, cids.metadata(), sender=request.getfixturevalue(caller))


def test_relist__not_a_curator__reverts(registry, creator, curator, asset_id):
    registry.delist(asset_id, cids.metadata(), sender=curator)

    with ape.reverts("registry: caller is not a curator"):
        registry.relist(asset_id, cids.metadata(), sender=creator)


def test_delist__revoked_curator__reverts(registry, deployer, curator, asset_id):
    registry.revokeRole(registry.CURATOR_ROLE(), curator, sender=deployer)

    with ape.reverts("registry: caller is not a curator"):
        registry.delist(asset_id, cids.metadata(), sender=curator)


def test_delist__newly_granted_curator__allowed(registry, deployer, other, asset_id):
    registry.grantRole(registry.CURATOR_ROLE(), other, sender=deployer)

    registry.delist(asset_id, cids.metadata(), sender=other)

    assert registry.is_delisted(asset_id)


def test_delist__already_delisted__reverts(registry, curator, asset_id):
    registry.delist(asset_id, cids.metadata(), sender=curator)

    with ape.reverts("registry: already delisted"):
        registry.delist(asset_id, cids.metadata(), sender=curator)


def test_relist__not_delisted__reverts(registry, curator, asset_id):
    with ape.reverts("registry: not delisted"):
        registry.relist(asset_id, cids.metadata(), sender=curator)


@pytest.mark.parametrize("action", ["delist", "relist"])
def test_delist_relist__unknown_asset__reverts(registry, curator, action):
    with ape.reverts("registry: unknown asset"):
        getattr(registry, action)(cids.expected_id(cids.sha256_v1()), cids.metadata(), sender=curator)


@pytest.mark.parametrize(
    "reason, message",
    [
        (b"", "cid: truncated"),
        (b"\x02\x55\x12\x20" + bytes(32), "cid: unsupported version"),
        (b"\x01\x55\x12\x20" + bytes(31), "cid: digest length mismatch"),
    ],
    ids=["empty", "version", "length-mismatch"],
)
def test_delist__malformed_reason_cid__reverts(registry, curator, asset_id, reason, message):
    with ape.reverts(message):
        registry.delist(asset_id, reason, sender=curator)


def test_relist__malformed_reason_cid__reverts(registry, curator, asset_id):
    registry.delist(asset_id, cids.metadata(), sender=curator)

    with ape.reverts("cid: truncated"):
        registry.relist(asset_id, b"\x01\x55", sender=curator)
    assert registry.is_delisted(asset_id)


def test_delist__zero_digest_reason__accepted(registry, curator, asset_id):
    # The reason only has to be a well-formed CID; unlike content, an all-zero digest is not refused.
    registry.delist(asset_id, cids.metadata(bytes(32)), sender=curator)

    assert registry.is_delisted(asset_id)


def test_delist__checks_order__role_then_asset_then_reason_then_state(registry, curator, attacker, asset_id):
    with ape.reverts("registry: caller is not a curator"):
        registry.delist(0, b"", sender=attacker)
    with ape.reverts("registry: unknown asset"):
        registry.delist(0, b"", sender=curator)
    registry.delist(asset_id, cids.metadata(), sender=curator)
    with ape.reverts("cid: truncated"):
        registry.delist(asset_id, b"", sender=curator)
