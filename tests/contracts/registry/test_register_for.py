"""`register_for`: a REGISTRAR registers an asset that someone else receives."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.registry import Kind

from . import cids

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _register_for(registry, sender, beneficiary, content=None, parents=(), shares=()):
    content = content or cids.sha256_v1()
    tx = registry.register_for(
        beneficiary, content, int(Kind.RESULT), cids.metadata(), 12, list(parents), list(shares), 300, sender=sender
    )
    return content, tx


def test_register_for__registrar__mints_to_creator(registry, registrar, creator):
    registrar_balance = registry.balanceOf(registrar)
    creator_balance = registry.balanceOf(creator)

    content, tx = _register_for(registry, registrar, creator)

    asset_id = cids.expected_id(content)
    assert tx.return_value == asset_id
    (transfer,) = tx.decode_logs(registry.Transfer)
    assert (transfer.sender, transfer.receiver, transfer.token_id) == (ZERO_ADDRESS, creator.address, asset_id)
    assert registry.ownerOf(asset_id) == creator
    assert registry.balanceOf(creator) == creator_balance + 1
    assert registry.balanceOf(registrar) == registrar_balance
    asset = registry.asset(asset_id)
    assert (asset.kind, asset.licence_id, asset.royalty_bps) == (Kind.RESULT, 12, 300)


def test_register_for__with_parents__records_provenance(registry, registrar, creator, new_asset):
    parent = new_asset()

    content, tx = _register_for(registry, registrar, creator, parents=[parent], shares=[2_000])

    (event,) = tx.decode_logs(registry.ProvenanceRecorded)
    assert (event.asset_id, list(event.parents), list(event.shares_bps)) == (
        cids.expected_id(content),
        [parent],
        [2_000],
    )


def test_register_for__registrar_to_itself__allowed(registry, registrar):
    content, _ = _register_for(registry, registrar, registrar)

    assert registry.ownerOf(cids.expected_id(content)) == registrar


@pytest.mark.parametrize("caller", ["attacker", "deployer"])
def test_register_for__not_a_registrar__reverts(registry, request, creator, caller):
    # Not even the admin: DEFAULT_ADMIN_ROLE can grant the role but does not hold it.
    sender = request.getfixturevalue(caller)

    with ape.reverts("registry: caller is not a registrar"):
        _register_for(registry, sender, creator)


def test_register_for__revoked_registrar__reverts(registry, deployer, registrar, creator):
    registry.revokeRole(registry.REGISTRAR_ROLE(), registrar, sender=deployer)

    with ape.reverts("registry: caller is not a registrar"):
        _register_for(registry, registrar, creator)


def test_register_for__zero_creator__reverts(registry, registrar):
    with ape.reverts("registry: zero creator"):
        _register_for(registry, registrar, ZERO_ADDRESS)


def test_register_for__role_checked_before_creator(registry, attacker):
    with ape.reverts("registry: caller is not a registrar"):
        _register_for(registry, attacker, ZERO_ADDRESS)


def test_register_for__duplicate_cid__reverts(registry, registrar, creator, buyer):
    content, _ = _register_for(registry, registrar, creator)

    with ape.reverts("registry: cid already registered"):
        _register_for(registry, registrar, buyer, content=content)


def test_register_for__registration_checks_apply(registry, registrar, creator):
    with ape.reverts("cid: truncated"):
        _register_for(registry, registrar, creator, content=b"\x01")
