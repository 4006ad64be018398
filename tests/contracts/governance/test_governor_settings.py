"""Settings move only through proposals (the timelock); bounds keep a vote from bricking the DAO."""

from __future__ import annotations

import ape
import pytest

from .helpers import HUB, ZERO


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
    calldata = bytes(governor.set_voting_period.encode_input(7_200))
    proposal = queued(targets=[governor.address], calldatas=[calldata])
    advance(timelock.get_minimum_delay())
    tx = governor.execute(*proposal.args(), sender=creator)
    (event,) = tx.decode_logs(governor.VotingPeriodSet)
    assert (event.old_voting_period, event.new_voting_period) == (3_600, 7_200)
    assert governor.voting_period() == 7_200


# ---------------------------------------------------------------- bounds (issue #10, finding 5)


def test_bounds__documented_values(governor):
    assert governor.MAX_VOTING_DELAY() == 7 * 86_400
    assert (governor.MIN_VOTING_PERIOD(), governor.MAX_VOTING_PERIOD()) == (3_600, 14 * 86_400)
    assert governor.MAX_PROPOSAL_THRESHOLD_BPS() == 100
    assert governor.MAX_QUORUM_NUMERATOR() == 2_000


def test_set_voting_delay__bounds(governor, as_timelock):
    with ape.reverts("governor: voting delay too long"):
        governor.set_voting_delay(governor.MAX_VOTING_DELAY() + 1, sender=as_timelock)
    governor.set_voting_delay(governor.MAX_VOTING_DELAY(), sender=as_timelock)
    governor.set_voting_delay(0, sender=as_timelock)
    assert governor.voting_delay() == 0


def test_set_voting_period__bounds(governor, as_timelock):
    with ape.reverts("governor: voting period too short"):
        governor.set_voting_period(governor.MIN_VOTING_PERIOD() - 1, sender=as_timelock)
    with ape.reverts("governor: voting period too short"):
        governor.set_voting_period(0, sender=as_timelock)
    with ape.reverts("governor: voting period too long"):
        governor.set_voting_period(governor.MAX_VOTING_PERIOD() + 1, sender=as_timelock)
    governor.set_voting_period(governor.MIN_VOTING_PERIOD(), sender=as_timelock)
    assert governor.voting_period() == governor.MIN_VOTING_PERIOD()
    governor.set_voting_period(governor.MAX_VOTING_PERIOD(), sender=as_timelock)
    assert governor.voting_period() == governor.MAX_VOTING_PERIOD()


def _max_threshold(governor, hub_token) -> int:
    return hub_token.totalSupply() * governor.MAX_PROPOSAL_THRESHOLD_BPS() // governor.QUORUM_DENOMINATOR()


def test_set_proposal_threshold__bounds(governor, hub_token, as_timelock):
    bound = _max_threshold(governor, hub_token)
    assert bound == 20_000 * HUB  # 1 % of 2,000,000 HUB
    with ape.reverts("governor: proposal threshold too high"):
        governor.set_proposal_threshold(bound + 1, sender=as_timelock)
    with ape.reverts("governor: proposal threshold too high"):
        governor.set_proposal_threshold(2**255, sender=as_timelock)
    tx = governor.set_proposal_threshold(bound, sender=as_timelock)
    assert tx.decode_logs(governor.ProposalThresholdSet)[0].new_proposal_threshold == bound
    tx = governor.set_proposal_threshold(0, sender=as_timelock)
    assert tx.decode_logs(governor.ProposalThresholdSet)[0].new_proposal_threshold == 0


def test_set_proposal_threshold__bound_follows_the_supply(governor, hub_token, as_timelock, creator):
    hub_token.burn(100_000 * HUB, sender=creator)
    bound = _max_threshold(governor, hub_token)
    assert bound == 19_000 * HUB
    with ape.reverts("governor: proposal threshold too high"):
        governor.set_proposal_threshold(20_000 * HUB, sender=as_timelock)
    governor.set_proposal_threshold(bound, sender=as_timelock)


def test_update_quorum_numerator__bounds(governor, as_timelock):
    for too_high in (governor.MAX_QUORUM_NUMERATOR() + 1, 10_000):
        with ape.reverts("governor: quorum too high"):
            governor.update_quorum_numerator(too_high, sender=as_timelock)
    tx = governor.update_quorum_numerator(governor.MAX_QUORUM_NUMERATOR(), sender=as_timelock)
    assert tx.decode_logs(governor.QuorumNumeratorUpdated)[0].new_quorum_numerator == 2_000
    governor.update_quorum_numerator(0, sender=as_timelock)


_AT_BOUND = {
    "max_voting_delay": [("set_voting_delay", "MAX_VOTING_DELAY")],
    "min_voting_period": [("set_voting_period", "MIN_VOTING_PERIOD")],
    "max_voting_period": [("set_voting_period", "MAX_VOTING_PERIOD")],
    "max_proposal_threshold": [("set_proposal_threshold", None)],
    "max_quorum": [("update_quorum_numerator", "MAX_QUORUM_NUMERATOR")],
    "all_at_once": [("set_voting_delay", "MAX_VOTING_DELAY"), ("set_voting_period", "MIN_VOTING_PERIOD"),
                    ("set_proposal_threshold", None), ("update_quorum_numerator", "MAX_QUORUM_NUMERATOR")],
}


@pytest.mark.parametrize("case", list(_AT_BOUND))
def test_setting_at_its_bound__the_dao_still_passes_a_proposal(governor, hub_token, timelock, queued, advance,
                                                               creator, case):
    """Each setting at its bound, set by a passed proposal: a next proposal (here: putting the
    voting period back) still passes and executes. Members: 950,000 of 2,000,000 HUB delegated."""
    calls = [bytes(getattr(governor, setter).encode_input(
        _max_threshold(governor, hub_token) if bound is None else getattr(governor, bound)()))
        for setter, bound in _AT_BOUND[case]]
    first = queued(targets=[governor.address] * len(calls), calldatas=calls)
    advance(timelock.get_minimum_delay())
    governor.execute(*first.args(), sender=creator)

    restore = bytes(governor.set_voting_period.encode_input(5_000))
    second = queued(targets=[governor.address], calldatas=[restore])
    advance(timelock.get_minimum_delay())
    governor.execute(*second.args(), sender=creator)
    assert governor.voting_period() == 5_000


def test_zero_threshold__anyone_proposes(governor, registry_dao, as_timelock, attacker):
    governor.set_proposal_threshold(0, sender=as_timelock)
    governor.propose([registry_dao.address], [0], [b"\x01"], "open door", sender=attacker)


def test_deploy__events_announce_the_initial_settings(project, hub_token, timelock, deployer):
    governor = project.HubGovernor.deploy(hub_token, timelock, 7, 3_608, 9, 10, sender=deployer)
    receipt = governor.creation_metadata.receipt
    assert receipt.decode_logs(governor.VotingDelaySet)[0].new_voting_delay == 7
    assert receipt.decode_logs(governor.VotingPeriodSet)[0].new_voting_period == 3_608
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
    with ape.reverts("governor: voting delay too long"):
        project.HubGovernor.deploy(hub_token, timelock, 7 * 86_400 + 1, 3_600, 0, 400, sender=dao)
    with ape.reverts("governor: voting period too short"):
        project.HubGovernor.deploy(hub_token, timelock, 1, 0, 0, 400, sender=dao)
    with ape.reverts("governor: voting period too long"):
        project.HubGovernor.deploy(hub_token, timelock, 1, 14 * 86_400 + 1, 0, 400, sender=dao)
    with ape.reverts("governor: proposal threshold too high"):
        project.HubGovernor.deploy(hub_token, timelock, 1, 3_600, 20_000 * HUB + 1, 400, sender=dao)
    with ape.reverts("governor: quorum too high"):
        project.HubGovernor.deploy(hub_token, timelock, 1, 3_600, 0, 2_001, sender=dao)
