"""`reserve` / `release`: a registrar holds an unregistered id so that only registrars can
register it (the attestation hub holds a claimed job's output during its challenge window)."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.registry import Kind

from . import cids


def _register(registry, sender, content, *, kind=Kind.DATASET):
    return registry.register(content, kind, cids.metadata(), 0, [], [], 0, sender=sender)


@pytest.fixture
def reserved(registry, registrar):
    content = cids.sha256_v1()
    asset_id = cids.expected_id(content)
    registry.reserve(asset_id, sender=registrar)
    return content, asset_id


def test_reserve__registrar__flag_set_and_logged(registry, registrar):
    asset_id = cids.expected_id(cids.sha256_v1())

    tx = registry.reserve(asset_id, sender=registrar)

    assert registry.is_reserved(asset_id) is True
    (event,) = tx.decode_logs(registry.AssetReserved)
    assert (event.asset_id, event.registrar) == (asset_id, registrar.address)
    assert registry.asset_id_of(cids.v0(asset_id.to_bytes(32, "big"))) == 0  # reserved, not registered


@pytest.mark.parametrize("who", ["creator", "curator", "deployer"])
def test_reserve__not_a_registrar__reverts(registry, who, request):
    with ape.reverts("registry: caller is not a registrar"):
        registry.reserve(12345, sender=request.getfixturevalue(who))


def test_reserve__registered_id__reverts(registry, registrar, new_asset):
    with ape.reverts("registry: cid already registered"):
        registry.reserve(new_asset(), sender=registrar)


def test_reserve__twice__reverts(registry, registrar, reserved):
    with ape.reverts("registry: already reserved"):
        registry.reserve(reserved[1], sender=registrar)


@pytest.mark.parametrize("form", ["v1-raw", "v0"])
def test_register__reserved_id_by_anyone_else__reverts_in_every_form(registry, creator, registrar, reserved, form):
    content, asset_id = reserved
    same_dag = content if form == "v1-raw" else cids.v0(asset_id.to_bytes(32, "big"))

    with ape.reverts("registry: cid reserved"):
        _register(registry, creator, same_dag)


def test_register_for__registrar__mints_and_clears_reservation(registry, registrar, creator, reserved):
    content, asset_id = reserved

    tx = registry.register_for(creator, content, Kind.RESULT, cids.metadata(), 0, [], [], 0, sender=registrar)

    assert registry.ownerOf(asset_id) == creator
    assert registry.is_reserved(asset_id) is False
    record = registry.asset(asset_id)
    assert (record.kind, record.delisted, record.parent_count) == (Kind.RESULT, False, 0)
    assert tx.decode_logs(registry.AssetRegistered)[0].asset_id == asset_id
    with ape.reverts("registry: not reserved"):
        registry.release(asset_id, sender=registrar)


def test_release__frees_the_id_for_anyone(registry, registrar, creator, reserved):
    content, asset_id = reserved

    tx = registry.release(asset_id, sender=registrar)

    assert registry.is_reserved(asset_id) is False
    assert tx.decode_logs(registry.ReservationReleased)[0].asset_id == asset_id
    _register(registry, creator, content)
    assert registry.ownerOf(asset_id) == creator


def test_release__not_reserved__reverts(registry, registrar):
    with ape.reverts("registry: not reserved"):
        registry.release(777, sender=registrar)


def test_release__not_a_registrar__reverts(registry, attacker, reserved):
    with ape.reverts("registry: caller is not a registrar"):
        registry.release(reserved[1], sender=attacker)


def test_reserved_id__no_erc721_operation_applies(registry, creator, reserved):
    _, asset_id = reserved

    with ape.reverts("erc721: invalid token ID"):
        registry.ownerOf(asset_id)
    with ape.reverts("erc721: invalid token ID"):
        registry.approve(creator, asset_id, sender=creator)
    with ape.reverts("registry: unknown asset"):
        registry.asset(asset_id)
