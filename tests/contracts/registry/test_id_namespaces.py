"""Asset ids come from two namespaces that share one uint256 space.

A 32-byte sha2-256 multihash gets its raw digest as id; every other multihash gets
keccak256(multihash). The registry never sees the content, so a registrant chooses a sha2-256
"digest" freely, including one equal to keccak256 of somebody else's multihash.
"""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from . import cids


def _register(registry, sender, content):
    tx = registry.register(content, 0, cids.metadata(), 0, [], [], 0, sender=sender)
    (event,) = tx.decode_logs(registry.AssetRegistered)
    return event.asset_id


@pytest.fixture
def long_cid():
    return cids.v1(cids.RAW, cids.BLAKE3, cids.digest())


@pytest.fixture
def squatting_cid(long_cid):
    """A sha2-256 CID whose digest is the keccak id of `long_cid`'s multihash."""
    return cids.sha256_v1(cids.RAW, keccak(cids.multihash_of(long_cid)))


def test_ids__squatting_cid_takes_the_long_cids_id(registry, attacker, long_cid, squatting_cid):
    # The precondition of the two tests below, stated as a fact about the design.
    assert _register(registry, attacker, squatting_cid) == cids.expected_id(long_cid)


def test_asset_id_of__unregistered_long_cid_after_squatting_sha256__zero(registry, attacker, long_cid, squatting_cid):
    squatter = _register(registry, attacker, squatting_cid)

    assert registry.cid_of(squatter) == squatting_cid
    assert registry.asset_id_of(long_cid) == 0


def test_register__long_cid_after_squatting_sha256__reverts_with_its_own_reason(
    registry, attacker, creator, long_cid, squatting_cid
):
    # The squat cannot be undone (the registry never sees content), but it is named for what it is,
    # and the squatter's asset is never mistaken for the blake3 CID's.
    _register(registry, attacker, squatting_cid)

    with ape.reverts("registry: id taken by a cid of another hash function"):
        registry.register(long_cid, 0, cids.metadata(), 0, [], [], 0, sender=creator)
    assert registry.asset_id_of(long_cid) == 0


def test_asset_id_of__unregistered_sha256_cid_equal_to_long_id__zero(registry, creator, long_cid, squatting_cid):
    _register(registry, creator, long_cid)

    assert registry.asset_id_of(squatting_cid) == 0


def test_asset_id_of__found_asset_names_the_queried_multihash(registry, creator, new_asset):
    # The property the namespace check protects, for ordinary registrations of every form.
    for form, make in cids.CONTENT_FORMS.items():
        content = make()
        asset_id = new_asset(cid=content)
        found = registry.asset_id_of(content)
        assert found == asset_id, form
        assert cids.multihash_of(registry.cid_of(found)) == cids.multihash_of(content), form
