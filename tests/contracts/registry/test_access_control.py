"""Roles (snekmate access_control, exported as is): who may grant, revoke and hold them."""

from __future__ import annotations

import ape
import pytest

from . import cids

DEFAULT_ADMIN = bytes(32)


def test_roles__after_deploy__as_the_fixture_grants(registry, deployer, curator, registrar, creator):
    assert registry.hasRole(DEFAULT_ADMIN, deployer)
    assert registry.hasRole(registry.CURATOR_ROLE(), curator)
    assert registry.hasRole(registry.REGISTRAR_ROLE(), registrar)
    assert not registry.hasRole(registry.CURATOR_ROLE(), creator)
    assert not registry.hasRole(registry.CURATOR_ROLE(), deployer)
    for role in (DEFAULT_ADMIN, registry.CURATOR_ROLE(), registry.REGISTRAR_ROLE()):
        assert registry.getRoleAdmin(role) == DEFAULT_ADMIN


def test_deploy__deployer_is_only_admin(project, deployer, curator):
    fresh = project.AssetRegistry.deploy(sender=deployer)

    assert fresh.hasRole(DEFAULT_ADMIN, deployer)
    assert not fresh.hasRole(fresh.CURATOR_ROLE(), deployer)
    assert not fresh.hasRole(fresh.REGISTRAR_ROLE(), deployer)
    assert not fresh.hasRole(fresh.CURATOR_ROLE(), curator)


def test_grantRole__admin__grants_and_logs(registry, deployer, other):
    tx = registry.grantRole(registry.REGISTRAR_ROLE(), other, sender=deployer)

    (log,) = tx.decode_logs(registry.RoleGranted)
    assert (log.role, log.account, log.sender) == (registry.REGISTRAR_ROLE(), other.address, deployer.address)
    assert registry.hasRole(registry.REGISTRAR_ROLE(), other)


@pytest.mark.parametrize("caller", ["attacker", "curator"])
def test_grantRole__not_admin__reverts(registry, request, attacker, caller):
    with ape.reverts("access_control: account is missing role"):
        registry.grantRole(registry.CURATOR_ROLE(), attacker, sender=request.getfixturevalue(caller))


def test_revokeRole__admin__revokes_and_logs(registry, deployer, curator):
    tx = registry.revokeRole(registry.CURATOR_ROLE(), curator, sender=deployer)

    (log,) = tx.decode_logs(registry.RoleRevoked)
    assert (log.role, log.account, log.sender) == (registry.CURATOR_ROLE(), curator.address, deployer.address)
    assert not registry.hasRole(registry.CURATOR_ROLE(), curator)


def test_revokeRole__not_admin__reverts(registry, attacker, curator):
    with ape.reverts("access_control: account is missing role"):
        registry.revokeRole(registry.CURATOR_ROLE(), curator, sender=attacker)


def test_renounceRole__self__loses_role(registry, curator, new_asset):
    asset_id = new_asset()

    registry.renounceRole(registry.CURATOR_ROLE(), curator, sender=curator)

    assert not registry.hasRole(registry.CURATOR_ROLE(), curator)
    with ape.reverts("registry: caller is not a curator"):
        registry.delist(asset_id, cids.metadata(), sender=curator)


def test_renounceRole__for_someone_else__reverts(registry, deployer, curator):
    with ape.reverts("access_control: can only renounce roles for itself"):
        registry.renounceRole(registry.CURATOR_ROLE(), curator, sender=deployer)


def test_set_role_admin__admin__delegates_role_management(registry, deployer, registrar, other):
    curator_role, registrar_role = registry.CURATOR_ROLE(), registry.REGISTRAR_ROLE()

    tx = registry.set_role_admin(curator_role, registrar_role, sender=deployer)

    (log,) = tx.decode_logs(registry.RoleAdminChanged)
    assert (log.role, log.previousAdminRole, log.newAdminRole) == (curator_role, DEFAULT_ADMIN, registrar_role)
    assert registry.getRoleAdmin(curator_role) == registrar_role
    registry.grantRole(curator_role, other, sender=registrar)
    assert registry.hasRole(curator_role, other)
    with ape.reverts("access_control: account is missing role"):
        registry.revokeRole(curator_role, other, sender=deployer)


def test_set_role_admin__not_admin__reverts(registry, attacker):
    with ape.reverts("access_control: account is missing role"):
        registry.set_role_admin(registry.CURATOR_ROLE(), registry.CURATOR_ROLE(), sender=attacker)


def test_admin_handover__to_dao__old_admin_powerless(registry, deployer, dao, other):
    registry.grantRole(DEFAULT_ADMIN, dao, sender=deployer)
    registry.renounceRole(DEFAULT_ADMIN, deployer, sender=deployer)

    with ape.reverts("access_control: account is missing role"):
        registry.grantRole(registry.CURATOR_ROLE(), other, sender=deployer)
    registry.grantRole(registry.CURATOR_ROLE(), other, sender=dao)
    assert registry.hasRole(registry.CURATOR_ROLE(), other)


def test_admin__cannot_move_or_rewrite_anothers_asset(registry, deployer, creator, new_asset):
    # "No owner backdoor": the admin role gives no power over tokens.
    asset_id = new_asset()

    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.transferFrom(creator, deployer, asset_id, sender=deployer)
    with ape.reverts("registry: caller is not owner nor approved"):
        registry.set_metadata(asset_id, cids.metadata(), sender=deployer)
