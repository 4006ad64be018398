"""`set_metadata`: the owner (or an approved account) points an asset at a new metadata card."""

from __future__ import annotations

import ape
import pytest
from multiformats import CID

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import Kind

from . import cids


def _token_uri(metadata: bytes) -> str:
    return "ipfs://" + str(CID.decode(metadata).set(version=1, base="base32"))


@pytest.fixture(scope="module")
def asset_id(new_asset, buyer):
    # Every aux field set to something recognisable, so a clobbered bit shows.
    parents = [new_asset(sender=buyer), new_asset(sender=buyer)]
    return new_asset(
        cid=cids.v0(cids.digest()),
        kind=Kind.CODE,
        licence_id=0xBEEF,
        royalty_bps=2_345,
        parents=parents,
        shares=[1_111, 2_222],
    )


@pytest.mark.parametrize("form", list(cids.METADATA_FORMS))
def test_set_metadata__owner__updates_card_and_logs(registry, creator, asset_id, form):
    metadata = cids.METADATA_FORMS[form]()

    tx = registry.set_metadata(asset_id, metadata, sender=creator)

    (update,) = tx.decode_logs(registry.MetadataUpdate)
    assert update["_tokenId"] == asset_id
    (changed,) = tx.decode_logs(registry.AssetMetadataChanged)
    assert (changed.asset_id, changed.metadata_cid) == (asset_id, metadata)
    assert registry.metadata_cid_of(asset_id) == metadata
    assert registry.asset(asset_id).metadata_cid == metadata
    assert registry.tokenURI(asset_id) == _token_uri(metadata)


def test_set_metadata__changes_token_uri(registry, creator, asset_id):
    before = registry.tokenURI(asset_id)
    metadata = cids.metadata()

    registry.set_metadata(asset_id, metadata, sender=creator)

    assert registry.tokenURI(asset_id) != before
    assert registry.tokenURI(asset_id) == _token_uri(metadata)


def test_set_metadata__v1_to_v0_and_back__version_and_codec_bits_follow(registry, creator, asset_id):
    for metadata in (cids.v0(cids.digest()), cids.sha256_v1(cids.JSON_JCS), cids.v0(cids.digest()), cids.metadata()):
        registry.set_metadata(asset_id, metadata, sender=creator)
        assert registry.metadata_cid_of(asset_id) == metadata


def test_set_metadata__other_fields_unchanged(registry, creator, curator, asset_id):
    registry.delist(asset_id, cids.metadata(), sender=curator)
    before = registry.asset(asset_id)
    parents_before = parents_of(registry, asset_id)

    registry.set_metadata(asset_id, cids.sha256_v1(cids.JSON_JCS), sender=creator)
    registry.set_metadata(asset_id, cids.v0(cids.digest()), sender=creator)

    after = registry.asset(asset_id)
    for field in ("owner", "kind", "content_cid", "licence_id", "royalty_bps", "parent_count", "delisted",
                  "previous_version", "latest_version"):
        assert getattr(after, field) == getattr(before, field), field
    assert after.delisted is True
    assert parents_of(registry, asset_id) == parents_before
    assert registry.cid_of(asset_id) == before.content_cid


def test_set_metadata__same_card_again__logs_again(registry, creator, asset_id):
    metadata = registry.metadata_cid_of(asset_id)

    tx = registry.set_metadata(asset_id, metadata, sender=creator)

    assert len(tx.decode_logs(registry.MetadataUpdate)) == 1
    assert registry.metadata_cid_of(asset_id) == metadata


def test_set_metadata__approved_account__allowed(registry, creator, other, asset_id):
    registry.approve(other, asset_id, sender=creator)
    metadata = cids.metadata()

    registry.set_metadata(asset_id, metadata, sender=other)

    assert registry.metadata_cid_of(asset_id) == metadata


def test_set_metadata__operator__allowed(registry, creator, other, asset_id):
    registry.setApprovalForAll(other, True, sender=creator)
    metadata = cids.metadata()

    registry.set_metadata(asset_id, metadata, sender=other)

    assert registry.metadata_cid_of(asset_id) == metadata


@pytest.mark.parametrize("caller", ["attacker", "deployer"])
def test_set_metadata__not_owner_nor_approved__reverts(registry, request, asset_id, caller):
    with ape.reverts("registry: caller is not owner nor approved"):
        registry.set_metadata(asset_id, cids.metadata(), sender=request.getfixturevalue(caller))


def test_set_metadata__previous_owner_after_transfer__reverts(registry, creator, buyer, asset_id):
    registry.transferFrom(creator, buyer, asset_id, sender=creator)

    with ape.reverts("registry: caller is not owner nor approved"):
        registry.set_metadata(asset_id, cids.metadata(), sender=creator)
    registry.set_metadata(asset_id, cids.metadata(), sender=buyer)


@pytest.mark.parametrize("unknown", [0, 2**256 - 1])
def test_set_metadata__unknown_asset__reverts(registry, creator, unknown):
    with ape.reverts("registry: unknown asset"):
        registry.set_metadata(unknown, cids.metadata(), sender=creator)


@pytest.mark.parametrize(
    "metadata",
    [cids.CONTENT_FORMS["v1-sha2-256-truncated-20"]()],
    ids=["sha2-256-truncated"],
)
def test_set_metadata__not_sha2_256__reverts(registry, creator, asset_id, metadata):
    with ape.reverts("registry: metadata cid must be sha2-256"):
        registry.set_metadata(asset_id, metadata, sender=creator)


def test_set_metadata__zero_digest__reverts(registry, creator, asset_id):
    with ape.reverts("registry: zero digest"):
        registry.set_metadata(asset_id, cids.v0(bytes(32)), sender=creator)


def test_set_metadata__malformed_cid__reverts(registry, creator, asset_id):
    with ape.reverts("cid: digest length mismatch"):
        registry.set_metadata(asset_id, cids.metadata()[:-1], sender=creator)


def test_set_metadata__failed_update__card_unchanged(registry, creator, asset_id):
    before = registry.metadata_cid_of(asset_id)

    with ape.reverts("registry: metadata cid must be sha2-256"):
        registry.set_metadata(asset_id, cids.CONTENT_FORMS["v1-blake3"](), sender=creator)

    assert registry.metadata_cid_of(asset_id) == before
