"""DAO levers and roles: constructor, `set_fee`, `set_token_allowed`, `fee_bps` / `treasury`, access control."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from .helpers import ETH, FEE_BPS, PERPETUAL, ZERO_ADDRESS, fee_of

FEE_MANAGER_ROLE = keccak(text="FEE_MANAGER_ROLE")
TOKEN_MANAGER_ROLE = keccak(text="TOKEN_MANAGER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
MISSING_ROLE = "access_control: account is missing role"


# ---------------------------------------------------------------- constructor and views


def test_constructor__fee_and_treasury__readable(market, registry, treasury):
    assert market.fee_bps() == FEE_BPS
    assert market.treasury() == treasury
    assert market.registry() == registry


def test_constructor__deployer_is_admin_only(market, deployer, dao):
    assert market.hasRole(DEFAULT_ADMIN_ROLE, deployer)
    assert not market.hasRole(FEE_MANAGER_ROLE, deployer)
    assert not market.hasRole(TOKEN_MANAGER_ROLE, deployer)
    assert market.hasRole(FEE_MANAGER_ROLE, dao) and market.hasRole(TOKEN_MANAGER_ROLE, dao)


def test_constructor__logs_fee(project, registry, deployer, treasury):
    contract = project.Marketplace.deploy(registry, treasury, 1_000, sender=deployer)

    (event,) = contract.creation_metadata.receipt.decode_logs(contract.FeeChanged)
    assert (event.fee_bps, event.treasury) == (1_000, treasury.address)


def test_constructor__fee_over_cap__reverts(project, registry, deployer, treasury):
    with ape.reverts("market: fee over cap"):
        project.Marketplace.deploy(registry, treasury, 1_001, sender=deployer)


def test_constructor__zero_treasury__reverts(project, registry, deployer):
    with ape.reverts("market: zero treasury"):
        project.Marketplace.deploy(registry, ZERO_ADDRESS, 100, sender=deployer)


def test_constants(market):
    assert (market.MAX_BPS(), market.MAX_FEE_BPS(), market.MAX_RECIPIENTS()) == (10_000, 1_000, 64)
    assert (market.PERPETUAL(), market.ETH()) == (PERPETUAL, ETH)
    assert market.FEE_MANAGER_ROLE() == FEE_MANAGER_ROLE
    assert market.TOKEN_MANAGER_ROLE() == TOKEN_MANAGER_ROLE
    assert market.DEFAULT_ADMIN_ROLE() == DEFAULT_ADMIN_ROLE


# ---------------------------------------------------------------- set_fee


def test_set_fee__fee_manager__changes_fee_and_treasury_and_logs(market, dao, other):
    tx = market.set_fee(1_000, other, sender=dao)

    (event,) = tx.decode_logs(market.FeeChanged)
    assert (event.fee_bps, event.treasury) == (1_000, other.address)
    assert (market.fee_bps(), market.treasury()) == (1_000, other.address)


def test_set_fee__zero__accepted(market, dao, treasury):
    market.set_fee(0, treasury, sender=dao)

    assert market.fee_bps() == 0


def test_set_fee__new_fee__applies_to_next_sale(market, dao, treasury, buyer, make_offer, asset_id):
    market.set_fee(1_000, treasury, sender=dao)
    offer_id = make_offer(asset_id, price=10**16)

    tx = market.buy(offer_id, buyer, value=10**16, sender=buyer)

    assert tx.decode_logs(market.LicencePurchased)[0].fee == 10**15
    assert market.pending(asset_id, ETH) == 9 * 10**15


def test_set_fee__over_cap__reverts(market, dao, treasury):
    with ape.reverts("market: fee over cap"):
        market.set_fee(1_001, treasury, sender=dao)


def test_set_fee__zero_treasury__reverts(market, dao):
    with ape.reverts("market: zero treasury"):
        market.set_fee(100, ZERO_ADDRESS, sender=dao)


@pytest.mark.parametrize("caller", ["deployer", "attacker"])
def test_set_fee__not_a_fee_manager__reverts(market, request, other, caller):
    with ape.reverts("market: caller is not a fee manager"):
        market.set_fee(100, other, sender=request.getfixturevalue(caller))


def test_set_fee__new_treasury__old_fees_stay_with_old_treasury(market, dao, treasury, other, buyer, attacker,
                                                                make_offer, asset_id):
    offer_id = make_offer(asset_id, price=10**16)
    market.buy(offer_id, buyer, value=10**16, sender=buyer)

    market.set_fee(FEE_BPS, other, sender=dao)
    market.buy(offer_id, attacker, value=10**16, sender=attacker)

    assert market.balance_of(treasury, ETH) == fee_of(10**16)
    assert market.balance_of(other, ETH) == fee_of(10**16)


def test_set_fee__role_granted_by_admin__works_then_revoked(market, deployer, other, treasury):
    market.grantRole(FEE_MANAGER_ROLE, other, sender=deployer)
    market.set_fee(10, treasury, sender=other)
    market.revokeRole(FEE_MANAGER_ROLE, other, sender=deployer)

    assert market.fee_bps() == 10
    with ape.reverts("market: caller is not a fee manager"):
        market.set_fee(20, treasury, sender=other)


# ---------------------------------------------------------------- set_token_allowed


def test_set_token_allowed__token_manager__allows_and_logs(market, project, deployer, dao):
    token = project.MockERC20.deploy("New", "NEW", 0, sender=deployer)

    tx = market.set_token_allowed(token, True, sender=dao)

    (event,) = tx.decode_logs(market.TokenAllowed)
    assert (event.token, event.allowed) == (token.address, True)
    assert market.token_allowed(token) is True


def test_set_token_allowed__false__forbids_and_logs(market, usd, dao):
    tx = market.set_token_allowed(usd, False, sender=dao)

    (event,) = tx.decode_logs(market.TokenAllowed)
    assert (event.token, event.allowed) == (usd.address, False)
    assert market.token_allowed(usd) is False


def test_set_token_allowed__ether__reverts(market, dao):
    with ape.reverts("market: ether needs no allowance"):
        market.set_token_allowed(ETH, True, sender=dao)


@pytest.mark.parametrize("caller", ["deployer", "attacker"])
def test_set_token_allowed__not_a_token_manager__reverts(market, request, usd, caller):
    with ape.reverts("market: caller is not a token manager"):
        market.set_token_allowed(usd, False, sender=request.getfixturevalue(caller))


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("interface_id, supported", [
    ("0x01ffc9a7", True),  # ERC-165
    ("0x7965db0b", True),  # IAccessControl
    ("0x80ac58cd", False),  # ERC-721
    ("0xffffffff", False),
])
def test_supports_interface(market, interface_id, supported):
    assert market.supportsInterface(interface_id) is supported


def test_get_role_admin__working_roles_administered_by_default_admin(market):
    assert market.getRoleAdmin(FEE_MANAGER_ROLE) == DEFAULT_ADMIN_ROLE
    assert market.getRoleAdmin(TOKEN_MANAGER_ROLE) == DEFAULT_ADMIN_ROLE


@pytest.mark.parametrize("role", [FEE_MANAGER_ROLE, DEFAULT_ADMIN_ROLE])
def test_grant_role__not_admin__reverts(market, attacker, role):
    with ape.reverts(MISSING_ROLE):
        market.grantRole(role, attacker, sender=attacker)


def test_admin_handover__dao_takes_over_and_deployer_renounces(market, deployer, dao, attacker, treasury):
    market.grantRole(DEFAULT_ADMIN_ROLE, dao, sender=deployer)
    market.renounceRole(DEFAULT_ADMIN_ROLE, deployer, sender=deployer)

    assert not market.hasRole(DEFAULT_ADMIN_ROLE, deployer)
    with ape.reverts(MISSING_ROLE):
        market.grantRole(FEE_MANAGER_ROLE, attacker, sender=deployer)
    market.revokeRole(FEE_MANAGER_ROLE, dao, sender=dao)
    with ape.reverts("market: caller is not a fee manager"):
        market.set_fee(0, treasury, sender=dao)
