"""After `deploy_suite`, every lever of the suite is the timelock's alone and the deployer holds
nothing; `cidhub.chain.governance.audit_roles` (what `ape run roles` prints) says so from events."""

from __future__ import annotations

import pytest

from cidhub.chain.deploy import deploy_suite
from cidhub.chain.deployment import MINTER, OWNER, SUITE_ROLES, expected_holder
from cidhub.chain.governance import GovernanceConfig, audit_roles, hand_over

from .helpers import ZERO


def _contract_at(project):
    return lambda name, address: getattr(project, name).at(address)


def test_every_lever_held_by_its_dao_holder_only(governance_suite, project):
    audit = audit_roles(governance_suite.deployment, _contract_at(project))
    assert audit.failures(strict=True) == []
    assert {(r.contract, r.role) for r in audit.roles} == {(c, r) for c, roles in SUITE_ROLES.items() for r in roles}
    for check in audit.roles:
        holder = getattr(governance_suite, expected_holder(check.contract, check.role)).address
        assert check.holders == [holder], check


def test_deployer_holds_nothing(governance_suite, deployer):
    for name, roles in SUITE_ROLES.items():
        contract = getattr(governance_suite, name)
        for role in roles:
            if role == OWNER:
                assert contract.owner() != deployer.address
            elif role == MINTER:
                assert not contract.is_minter(deployer)
            else:
                assert not contract.hasRole(getattr(contract, role)(), deployer), (name, role)


def test_timelock_operating_roles__governor_only(governance_suite, deployer):
    timelock, governor = governance_suite.HubTimelock, governance_suite.HubGovernor
    for role in (timelock.PROPOSER_ROLE(), timelock.CANCELLER_ROLE(), timelock.EXECUTOR_ROLE()):
        assert timelock.hasRole(role, governor)
        assert not timelock.hasRole(role, deployer)
        assert not timelock.hasRole(role, ZERO)  # not opened to everyone


def test_marketplace_treasury_is_the_timelock(governance_suite):
    assert governance_suite.Marketplace.treasury() == governance_suite.HubTimelock.address


def test_registry_royalties_linked_to_the_marketplace_for_good(governance_suite, project):
    # deploy_suite links them before the hand-over; the link cannot be changed, by the DAO either.
    registry, market = governance_suite.AssetRegistry, governance_suite.Marketplace
    assert registry.royalty_market() == market.address
    audit = audit_roles(governance_suite.deployment, _contract_at(project))
    (check,) = [w for w in audit.wiring if w.what == "AssetRegistry.royalty_market() is Marketplace"]
    assert check.ok


def test_unlinked_registry__wiring_failure(project, deployer, chain):
    from cidhub.chain.deployment import ContractRecord, Deployment

    registry = project.AssetRegistry.deploy(sender=deployer)
    market = project.Marketplace.deploy(registry, deployer, 250, sender=deployer)
    timelock = project.HubTimelock.deploy(5, [], [], deployer, sender=deployer)
    pairs = (("AssetRegistry", registry), ("Marketplace", market), ("HubTimelock", timelock))
    records = {name: ContractRecord(c.address, chain.blocks.height, "") for name, c in pairs}
    deployment = Deployment("ethereum", "local", chain.chain_id, deployer.address, chain.blocks.height, "x", records)

    failures = audit_roles(deployment, _contract_at(project)).failures()

    assert any(f.startswith("AssetRegistry.royalty_market() is Marketplace: 0x0000") for f in failures)


def test_deployment_record_lists_the_holders(governance_suite):
    roles = governance_suite.deployment.roles
    assert roles["AssetRegistry"]["CURATOR_ROLE"] == [governance_suite.HubTimelock.address]
    assert roles["HubTimelock"]["EXECUTOR_ROLE"] == [governance_suite.HubGovernor.address]
    assert roles["HubToken"] == {OWNER: [governance_suite.HubTimelock.address], MINTER: [governance_suite.HubTimelock.address]}


@pytest.fixture
def deploy(project, chain, deployer):
    def _deploy(**kwargs):
        deployment = deploy_suite(project, deployer, ecosystem="ethereum", network="local", chain_id=chain.chain_id,
                                  governance=GovernanceConfig(voting_delay=1, voting_period=3_600, timelock_delay=5),
                                  **kwargs)
        return deployment, {n: getattr(project, n).at(r.address) for n, r in deployment.contracts.items()}

    return _deploy


def test_extra_working_role__reported_as_foreign(project, deploy, curator):
    deployment, contracts = deploy(curator=curator.address)
    audit = audit_roles(deployment, _contract_at(project))
    foreign = [r for r in audit.roles if r.status == "foreign"]
    assert [(r.contract, r.role, sorted(r.holders)) for r in foreign] == [
        ("AssetRegistry", "CURATOR_ROLE", sorted([contracts["HubTimelock"].address, curator.address]))]
    assert len(audit.failures()) == 1


def test_admin_override__levers_elsewhere_are_reported(project, deploy, dao):
    deployment, contracts = deploy(admin=dao.address)
    assert contracts["AssetRegistry"].hasRole(contracts["AssetRegistry"].DEFAULT_ADMIN_ROLE(), dao)
    assert contracts["HubToken"].owner() == dao.address
    audit = audit_roles(deployment, _contract_at(project))
    assert audit.failures()  # the suite's own DAO does not hold them
    governor_roles = [r for r in audit.roles if r.expected == "HubGovernor"]
    assert all(r.status == "ok" for r in governor_roles)


def test_deferred_hand_over__revokes_bootstrap_holders(project, deploy, deployer, curator, chain):
    deployment, contracts = deploy(curator=curator.address, fee_manager=deployer.address, hand_over=False)
    registry = contracts["AssetRegistry"]
    assert registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), deployer)
    assert audit_roles(deployment, _contract_at(project)).failures()
    holders = {"HubTimelock": contracts["HubTimelock"].address, "HubGovernor": contracts["HubGovernor"].address}
    hand_over(contracts, deployer, holders, from_block=deployment.deploy_block, revoke_others=True)
    audit = audit_roles(deployment, _contract_at(project))
    assert audit.failures(strict=True) == []
    assert not registry.hasRole(registry.CURATOR_ROLE(), curator)


def test_missing_dao__is_a_failure(governance_suite, project):
    from cidhub.chain.deployment import Deployment

    partial = Deployment.from_json({**governance_suite.deployment.to_json(), "contracts": {
        "AssetRegistry": vars(governance_suite.deployment.contracts["AssetRegistry"])}})
    audit = audit_roles(partial, _contract_at(project))
    assert any("no HubTimelock" in f for f in audit.failures())
