"""Fixtures of the OpenZeppelin interop tests: OZ 5.1 governors compiled with solcjs (tests/oz/solc.py)
next to cidhub's HubToken and HubGovernor on the same anvil chain."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from .solc import compile_solidity, container

HUB = 10**18
ZERO = "0x0000000000000000000000000000000000000000"
OZ_SOURCES = Path(__file__).with_name("contracts")
# The same settings on both sides: OZ's quorum is a percentage (denominator 100), cidhub's basis points.
DELAY, PERIOD, TIMELOCK_DELAY, THRESHOLD = 100, 3_600, 500, 1_000 * HUB
QUORUM_PERCENT, QUORUM_BPS = 4, 400


@pytest.fixture(scope="session")
def oz():
    """The OpenZeppelin test contracts (tests/oz/contracts/OzGovernors.sol) as Ape containers, by name."""
    source = (OZ_SOURCES / "OzGovernors.sol").read_text()
    types = compile_solidity({"OzGovernors.sol": source})
    return SimpleNamespace(types=types, **{name: container(t) for name, t in types.items()})


@pytest.fixture(scope="module")
def twin_suite(project, oz, chain, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    """HubToken with HubGovernor + HubTimelock (as `deploy_dao` makes them) and, on the same token, an
    OpenZeppelin Governor with OZ's TimelockController and the same settings. Three TwinVoter
    contracts hold 400,000 / 150,000 / 100,000 HUB (delegated to themselves) and act on both
    governors in one transaction, so both see the same timestamps. Supply: 2,000,000 HUB."""
    from cidhub.chain.governance import GovernanceConfig, deploy_dao

    config = GovernanceConfig(voting_delay=DELAY, voting_period=PERIOD, timelock_delay=TIMELOCK_DELAY,
                              proposal_threshold=THRESHOLD, quorum_bps=QUORUM_BPS, treasury=1_000_000 * HUB)
    hub = deploy_dao(project, deployer, config, [(deployer.address, 1_000_000 * HUB)])
    for role in (hub.timelock.PROPOSER_ROLE(), hub.timelock.CANCELLER_ROLE(), hub.timelock.EXECUTOR_ROLE()):
        hub.timelock.grantRole(role, hub.governor, sender=deployer)

    oz_timelock = oz.OzTimelock.deploy(TIMELOCK_DELAY, [], [ZERO], deployer, sender=deployer)
    oz_governor = oz.OzTimelockGovernor.deploy(hub.token, oz_timelock, DELAY, PERIOD, THRESHOLD, QUORUM_PERCENT,
                                               sender=deployer)
    for role in (oz_timelock.PROPOSER_ROLE(), oz_timelock.CANCELLER_ROLE()):
        oz_timelock.grantRole(role, oz_governor, sender=deployer)

    twins = []
    for amount in (400_000, 150_000, 100_000):
        twin = oz.TwinVoter.deploy(hub.token, sender=deployer)
        hub.token.transfer(twin, amount * HUB, sender=deployer)
        twins.append(twin)
    chain.mine(deltatime=10)
    return SimpleNamespace(
        token=hub.token, hub_timelock=hub.timelock, hub_governor=hub.governor,
        # HubGovernor seen through OpenZeppelin's ABIs, as an OZ client sees it
        hub_as_oz=oz.OzTimelockGovernor.at(hub.governor.address),
        hub_as_igovernor=oz.IGovernorClient.at(hub.governor.address),
        oz_timelock=oz_timelock, oz_governor=oz_governor, twins=twins,
        pinged=oz.Pinged.deploy(sender=deployer),
    )
