"""Settings move only through proposals (the timelock); bounds keep a vote from bricking the DAO."""

from __future__ import annotations

import ape
import pytest

from .helpers import ZERO


@pytest.fixture
def as_timelock(governor, timelock, chain):
    """The timelock as a sender (impersonated on anvil), for the bounds checks."""
    chain.provider.set_balance(timelock.address, 10**18)
    return timelock


@pytest.mark.parametrize("setter", ["set_voting_delay", "set_voting_period", "set_proposal_threshold",
                                    "update_quorum_numerator"])
def test_setters__not_the_timelock__revert(governor, setter, deployer, creator):
    for account in (deployer, creator):
        with ape.reverts("governor: caller is not the timelock"):
            getattr(governor, setter)(1, sender=account)


def test_setting_changed_by_a_proposal(governor, timelock, queued, advance, creator):
    calldata = bytes(governor.set_voting_period.encode_input(2_000))
    proposal = queued(targets=[governor.address], calldatas=[calldata])
    advance(timelock.get_minimum_delay())
    tx = governor.execute(*proposal.args(), sender=creator)
    (event,) = tx.decode_logs(governor.VotingPeriodSet)
    assert (event.old_voting_period, event.new_voting_period) == (1_000, 2_000)
    assert governor.voting_period() == 2_000


def test_bounds(governor, as_timelock):
    with ape.reverts("governor: voting delay too long"):
        governor.set_voting_delay(governor.MAX_VOTING_DELAY() + 1, sender=as_timelock)
    with ape.reverts("governor: zero voting period"):
        governor.set_voting_period(0, sender=as_timelock)
    with ape.reverts("governor: voting period too long"):
        governor.set_voting_period(governor.MAX_VOTING_PERIOD() + 1, sender=as_timelock)
    with ape.reverts("governor: quorum over 100%"):
        governor.update_quorum_numerator(10_001, sender=as_timelock)
    governor.set_voting_delay(governor.MAX_VOTING_DELAY(), sender=as_timelock)
    governor.set_voting_period(governor.MAX_VOTING_PERIOD(), sender=as_timelock)
    governor.update_quorum_numerator(10_000, sender=as_timelock)
    tx = governor.set_proposal_threshold(0, sender=as_timelock)
    (event,) = tx.decode_logs(governor.ProposalThresholdSet)
    assert event.new_proposal_threshold == 0


def test_zero_threshold__anyone_proposes(governor, registry_dao, as_timelock, attacker):
    governor.set_proposal_threshold(0, sender=as_timelock)
    governor.propose([registry_dao.address], [0], [b"\x01"], "open door", sender=attacker)


def test_deploy__events_announce_the_initial_settings(project, hub_token, timelock, deployer):
    governor = project.HubGovernor.deploy(hub_token, timelock, 7, 8, 9, 10, sender=deployer)
    receipt = governor.creation_metadata.receipt
    assert receipt.decode_logs(governor.VotingDelaySet)[0].new_voting_delay == 7
    assert receipt.decode_logs(governor.VotingPeriodSet)[0].new_voting_period == 8
    assert receipt.decode_logs(governor.ProposalThresholdSet)[0].new_proposal_threshold == 9
    assert receipt.decode_logs(governor.QuorumNumeratorUpdated)[0].new_quorum_numerator == 10
    change = receipt.decode_logs(governor.TimelockChange)[0]
    assert (change.old_timelock, change.new_timelock) == (ZERO, timelock.address)


# Reverting deployments come from `dao`, which deploys nothing else (see test_token.py).


def test_deploy__token_with_block_clock__reverts(project, timelock, deployer, dao):
    token = project.GovBlockClockToken.deploy(sender=deployer)
    with ape.reverts("governor: token clock is not timestamp"):
        project.HubGovernor.deploy(token, timelock, 1, 1, 0, 0, sender=dao)


def test_deploy__bad_settings__revert(project, hub_token, timelock, dao):
    with ape.reverts("governor: zero voting period"):
        project.HubGovernor.deploy(hub_token, timelock, 1, 0, 0, 400, sender=dao)
    with ape.reverts("governor: quorum over 100%"):
        project.HubGovernor.deploy(hub_token, timelock, 1, 1, 0, 10_001, sender=dao)
