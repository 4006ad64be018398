"""`set_royalty_market`: the one-time link to the Marketplace that collects ERC-2981 royalties."""

from __future__ import annotations

import ape
import pytest


@pytest.fixture(scope="module")
def market(project, registry, deployer):
    return project.Marketplace.deploy(registry, deployer, 250, sender=deployer)


def test_set_royalty_market__admin__links_and_logs(registry, deployer, market):
    tx = registry.set_royalty_market(market, sender=deployer)

    (event,) = tx.decode_logs(registry.RoyaltyMarketSet)
    assert event.market == market.address
    assert registry.royalty_market() == market.address


def test_set_royalty_market__second_time__reverts(project, registry, deployer, market):
    registry.set_royalty_market(market, sender=deployer)
    another = project.Marketplace.deploy(registry, deployer, 250, sender=deployer)

    # Once set, nobody (the DAO included) can redirect the royalties.
    with ape.reverts("registry: royalty market already set"):
        registry.set_royalty_market(another, sender=deployer)
    assert registry.royalty_market() == market.address


@pytest.mark.parametrize("who", ["curator", "registrar", "attacker"])
def test_set_royalty_market__not_admin__reverts(request, registry, market, who):
    with ape.reverts("registry: caller is not an admin"):
        registry.set_royalty_market(market, sender=request.getfixturevalue(who))


def test_set_royalty_market__market_of_another_registry__reverts(project, registry, deployer):
    other_registry = project.AssetRegistry.deploy(sender=deployer)
    foreign = project.Marketplace.deploy(other_registry, deployer, 250, sender=deployer)

    with ape.reverts("registry: market serves another registry"):
        registry.set_royalty_market(foreign, sender=deployer)


def test_set_royalty_market__account_without_code__reverts(registry, deployer, other):
    # The check's `registry()` call needs code to answer; an account without code gets no reason.
    with ape.reverts():
        registry.set_royalty_market(other, sender=deployer)
    assert int(registry.royalty_market(), 16) == 0


def test_set_royalty_market__after_admin_hand_over__only_new_admin(registry, deployer, dao, market):
    admin_role = registry.DEFAULT_ADMIN_ROLE()
    registry.grantRole(admin_role, dao, sender=deployer)
    registry.renounceRole(admin_role, deployer, sender=deployer)

    with ape.reverts("registry: caller is not an admin"):
        registry.set_royalty_market(market, sender=deployer)
    registry.set_royalty_market(market, sender=dao)
    assert registry.royalty_market() == market.address
