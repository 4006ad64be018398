"""`register_version`: linear version chains, minted to the owner of the version they succeed."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import Kind

from . import cids


def _version(registry, previous_id, sender, content=None, parents=(), shares=()):
    content = content or cids.sha256_v1()
    tx = registry.register_version(
        previous_id, content, int(Kind.MODEL), cids.metadata(), 4, list(parents), list(shares), 150, sender=sender
    )
    return cids.expected_id(content), tx


@pytest.fixture(scope="module")
def v1(new_asset):
    return new_asset(kind=Kind.MODEL)


def test_register_version__owner__links_and_mints_to_owner(registry, creator, v1):
    v2, tx = _version(registry, v1, creator)

    assert tx.return_value == v2
    (linked,) = tx.decode_logs(registry.VersionLinked)
    assert (linked.asset_id, linked.previous_id, linked.root_id) == (v2, v1, v1)
    (registered,) = tx.decode_logs(registry.AssetRegistered)
    assert registered.asset_id == v2
    assert registry.ownerOf(v2) == creator
    assert registry.previous_version(v2) == v1
    assert registry.previous_version(v1) == 0
    assert registry.latest_version(v1) == v2
    assert registry.latest_version(v2) == v2


def test_register_version__chain_of_four__latest_from_every_version(registry, creator, v1):
    versions = [v1]
    for _ in range(3):
        new_id, tx = _version(registry, versions[-1], creator)
        (linked,) = tx.decode_logs(registry.VersionLinked)
        assert (linked.previous_id, linked.root_id) == (versions[-1], v1)
        versions.append(new_id)

    for index, version in enumerate(versions):
        assert registry.latest_version(version) == versions[-1]
        assert registry.previous_version(version) == (versions[index - 1] if index else 0)
        asset = registry.asset(version)
        assert (asset.previous_version, asset.latest_version) == (registry.previous_version(version), versions[-1])


def test_register_version__separate_chains__independent(registry, creator, buyer, new_asset, v1):
    other_root = new_asset(sender=buyer)

    v2, _ = _version(registry, v1, creator)
    other_v2, _ = _version(registry, other_root, buyer)

    assert registry.latest_version(v1) == v2
    assert registry.latest_version(other_root) == other_v2
    assert registry.ownerOf(other_v2) == buyer


def test_register_version__approved_account__mints_to_owner(registry, creator, other, v1):
    registry.approve(other, v1, sender=creator)
    other_balance = registry.balanceOf(other)

    v2, _ = _version(registry, v1, other)

    assert registry.ownerOf(v2) == creator
    assert registry.balanceOf(other) == other_balance
    assert registry.latest_version(v1) == v2


def test_register_version__operator__mints_to_owner(registry, creator, other, v1):
    registry.setApprovalForAll(other, True, sender=creator)

    v2, _ = _version(registry, v1, other)

    assert registry.ownerOf(v2) == creator


def test_register_version__after_transfer__new_owner_versions_old_owner_cannot(registry, creator, buyer, v1):
    registry.transferFrom(creator, buyer, v1, sender=creator)

    with ape.reverts("registry: caller is not owner nor approved"):
        _version(registry, v1, creator)
    v2, _ = _version(registry, v1, buyer)

    assert registry.ownerOf(v2) == buyer


def test_register_version__versions_may_have_different_owners(registry, creator, buyer, v1):
    # Each version is its own token: whoever owns the latest one can extend the chain.
    v2, _ = _version(registry, v1, creator)
    registry.transferFrom(creator, buyer, v2, sender=creator)

    v3, _ = _version(registry, v2, buyer)

    assert (registry.ownerOf(v1), registry.ownerOf(v2), registry.ownerOf(v3)) == (creator, buyer, buyer)
    assert registry.latest_version(v1) == v3


@pytest.mark.parametrize("caller", ["attacker", "deployer"])
def test_register_version__not_owner_nor_approved__reverts(registry, request, v1, caller):
    with ape.reverts("registry: caller is not owner nor approved"):
        _version(registry, v1, request.getfixturevalue(caller))


def test_register_version__approval_for_other_token__reverts(registry, creator, other, new_asset, v1):
    unrelated = new_asset()
    registry.approve(other, unrelated, sender=creator)

    with ape.reverts("registry: caller is not owner nor approved"):
        _version(registry, v1, other)


@pytest.mark.parametrize("previous_id", [0, 2**256 - 1])
def test_register_version__unknown_previous__reverts(registry, creator, previous_id):
    with ape.reverts("registry: unknown asset"):
        _version(registry, previous_id, creator)


def test_register_version__not_the_latest__reverts(registry, creator, v1):
    v2, _ = _version(registry, v1, creator)
    v3, _ = _version(registry, v2, creator)

    for stale in (v1, v2):
        with ape.reverts("registry: not the latest version"):
            _version(registry, stale, creator)
    assert registry.latest_version(v1) == v3


def test_register_version__ownership_checked_before_latest(registry, creator, attacker, v1):
    _version(registry, v1, creator)

    with ape.reverts("registry: caller is not owner nor approved"):
        _version(registry, v1, attacker)


def test_register_version__not_a_parent_unless_listed(registry, creator, v1):
    v2, tx = _version(registry, v1, creator)

    assert parents_of(registry, v2) == []
    assert tx.decode_logs(registry.ProvenanceRecorded) == []


def test_register_version__previous_listed_as_parent__provenance_recorded(registry, creator, v1):
    v2, tx = _version(registry, v1, creator, parents=[v1], shares=[5_000])

    assert [(p.asset_id, p.share_bps) for p in parents_of(registry, v2)] == [(v1, 5_000)]
    (event,) = tx.decode_logs(registry.ProvenanceRecorded)
    assert list(event.parents) == [v1]


def test_register_version__registration_checks_apply(registry, creator, new_asset, v1):
    taken = cids.sha256_v1()
    new_asset(cid=taken)

    with ape.reverts("registry: cid already registered"):
        _version(registry, v1, creator, content=taken)
    assert registry.latest_version(v1) == v1


def test_register_version__own_cid_as_next_version__reverts(registry, creator, new_asset):
    content = cids.sha256_v1()
    root = new_asset(cid=content)

    with ape.reverts("registry: cid already registered"):
        _version(registry, root, creator, content=content)


def test_register_version__delisted_previous__still_allowed(registry, creator, curator, v1):
    # Delisting is a flag for readers; it does not freeze the owner's levers.
    registry.delist(v1, cids.metadata(), sender=curator)

    v2, _ = _version(registry, v1, creator)

    assert registry.is_delisted(v1) and not registry.is_delisted(v2)


def test_register_version__version_of_batch_registered_asset(registry, creator):
    content = cids.sha256_v1()
    registry.register_batch([(content, 0, cids.metadata(), 0, [], [], 0)], sender=creator)
    root = cids.expected_id(content)

    v2, _ = _version(registry, root, creator)

    assert registry.latest_version(root) == v2
