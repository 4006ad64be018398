"""HubGovernor's OpenZeppelin (camelCase) names beside the snake_case ones, and HubToken's
numCheckpoints (issue #12 part 1). That real OpenZeppelin clients agree is shown in
tests/oz/test_governor_interop.py; here, each name against its snake_case twin and the edges."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from .helpers import ABSTAIN, AGAINST, FOR, ZERO


@pytest.fixture
def as_timelock(timelock, chain):
    chain.provider.set_balance(timelock.address, 10**18)
    return timelock


def test_views__same_as_snake_case(governor, propose, to_active, creator):
    proposal = propose()
    pid = proposal.proposal_id
    to_active(proposal)
    governor.castVote(pid, FOR, sender=creator)
    assert governor.hashProposal(*proposal.args()) == governor.hash_proposal(*proposal.args()) == pid
    assert governor.proposalSnapshot(pid) == governor.proposal_snapshot(pid)
    assert governor.proposalDeadline(pid) == governor.proposal_deadline(pid)
    assert governor.proposalProposer(pid) == governor.proposal_proposer(pid) == creator.address
    assert governor.proposalEta(pid) == governor.proposal_eta(pid) == 0
    assert governor.proposalNeedsQueuing(pid) is True
    assert governor.proposalVotes(pid) == governor.proposal_votes(pid)
    assert governor.hasVoted(pid, creator) is governor.has_voted(pid, creator) is True
    snapshot = governor.proposal_snapshot(pid)
    assert governor.getVotes(creator, snapshot) == governor.get_votes(creator, snapshot)
    assert governor.getVotesWithParams(creator, snapshot, b"\x01") == governor.get_votes(creator, snapshot)
    assert (governor.votingDelay(), governor.votingPeriod(), governor.proposalThreshold()) == (
        governor.voting_delay(), governor.voting_period(), governor.proposal_threshold())
    assert governor.quorumNumerator() == governor.quorum_numerator() == 400
    assert governor.quorumDenominator() == governor.quorum_denominator() == 10_000


def test_cast_vote_names__count_like_cast_vote(governor, propose, to_active, creator, buyer, other):
    proposal = propose()
    to_active(proposal)
    pid = proposal.proposal_id
    governor.castVote(pid, FOR, sender=creator)
    tx = governor.castVoteWithReason(pid, AGAINST, "no", sender=buyer)
    assert tx.decode_logs(governor.VoteCast)[0].reason == "no"
    tx = governor.castVoteWithReasonAndParams(pid, ABSTAIN, "meh", b"", sender=other)
    assert tx.decode_logs(governor.VoteCast)[0].reason == "meh"
    assert governor.proposalVotes(pid) == (300_000 * 10**18, 400_000 * 10**18, 200_000 * 10**18)
    with ape.reverts("governor: vote already cast"):
        governor.castVote(pid, FOR, sender=creator)


def test_cast_vote_with_params__non_empty_params__reverts(governor, propose, to_active, creator):
    proposal = propose()
    to_active(proposal)
    with ape.reverts("governor: vote params not supported"):
        governor.castVoteWithReasonAndParams(proposal.proposal_id, FOR, "", b"\x01", sender=creator)
    assert not governor.hasVoted(proposal.proposal_id, creator)


def test_unknown_proposal__zeros_as_openzeppelin(governor):
    assert governor.proposalSnapshot(7) == governor.proposalDeadline(7) == governor.proposalEta(7) == 0
    assert governor.proposalProposer(7) == ZERO
    assert governor.proposalVotes(7) == (0, 0, 0)


@pytest.mark.parametrize("setter,arg", [("setVotingDelay", 1), ("setVotingPeriod", 3_600),
                                        ("setProposalThreshold", 1), ("updateQuorumNumerator", 1)])
def test_oz_setters__not_the_timelock__revert(governor, creator, setter, arg):
    with ape.reverts("governor: caller is not the timelock"):
        getattr(governor, setter)(arg, sender=creator)


def test_oz_setters__bounded_like_snake_case(governor, hub_token, as_timelock):
    with ape.reverts("governor: voting delay too long"):
        governor.setVotingDelay(governor.MAX_VOTING_DELAY() + 1, sender=as_timelock)
    with ape.reverts("governor: voting period too short"):
        governor.setVotingPeriod(governor.MIN_VOTING_PERIOD() - 1, sender=as_timelock)
    with ape.reverts("governor: voting period too long"):
        governor.setVotingPeriod(governor.MAX_VOTING_PERIOD() + 1, sender=as_timelock)
    bound = hub_token.totalSupply() // 100
    with ape.reverts("governor: proposal threshold too high"):
        governor.setProposalThreshold(bound + 1, sender=as_timelock)
    with ape.reverts("governor: quorum too high"):
        governor.updateQuorumNumerator(2_001, sender=as_timelock)
    governor.setVotingDelay(governor.MAX_VOTING_DELAY(), sender=as_timelock)
    governor.setVotingPeriod(governor.MAX_VOTING_PERIOD(), sender=as_timelock)
    governor.setProposalThreshold(bound, sender=as_timelock)
    governor.updateQuorumNumerator(2_000, sender=as_timelock)
    assert (governor.voting_delay(), governor.voting_period(), governor.proposal_threshold(),
            governor.quorum_numerator()) == (7 * 86_400, 14 * 86_400, bound, 2_000)


def test_quorum_numerator__history_by_timepoint(governor, hub_token, as_timelock, chain):
    deployed = governor.creation_metadata.receipt.timestamp
    assert governor.quorumNumerator(deployed - 1) == 0  # before the deployment, as OpenZeppelin
    assert governor.quorumNumerator(deployed) == 400
    t1 = chain.blocks.head.timestamp + 100
    chain.pending_timestamp = t1
    governor.update_quorum_numerator(1_000, sender=as_timelock)
    t2 = t1 + 100
    chain.pending_timestamp = t2
    governor.update_quorum_numerator(1_500, sender=as_timelock)
    chain.pending_timestamp = t2  # a second change in the same second replaces the first
    governor.update_quorum_numerator(1_200, sender=as_timelock)
    chain.mine(deltatime=10)
    assert [governor.quorumNumerator(t) for t in (t1 - 1, t1, t2 - 1, t2, t2 + 5)] == [400, 1_000, 1_000, 1_200, 1_200]
    assert governor.quorumNumerator() == governor.quorum_numerator() == 1_200
    supply = hub_token.get_past_total_supply(t1 - 1)
    assert governor.quorum(t1 - 1) == supply * 400 // 10_000
    assert governor.quorum(t2) == hub_token.get_past_total_supply(t2) * 1_200 // 10_000


def test_quorum_numerator__many_changes__binary_search(governor, as_timelock, chain):
    start = chain.blocks.head.timestamp + 10
    for i in range(9):
        chain.pending_timestamp = start + 10 * i
        governor.update_quorum_numerator(100 + i, sender=as_timelock)
    chain.mine(deltatime=10)
    for i in range(9):
        assert governor.quorumNumerator(start + 10 * i + 5) == 100 + i
    assert governor.quorumNumerator(start - 1) == 400


def test_hub_token__num_checkpoints_and_checkpoints(hub_token, creator, buyer, chain):
    before = hub_token.numCheckpoints(creator)
    assert before == hub_token.num_checkpoints(creator) >= 1
    hub_token.transfer(buyer, 10, sender=creator)
    assert hub_token.numCheckpoints(creator) == before + 1
    key, votes = hub_token.checkpoints(creator, before)
    assert votes == hub_token.get_votes(creator)
    assert key == chain.blocks.head.timestamp
    assert hub_token.numCheckpoints(ZERO) == 0
    with ape.reverts("votes: no such checkpoint"):
        hub_token.checkpoints(creator, before + 1)


def test_description_hash_args__bytes32(governor, propose):
    proposal = propose()
    assert governor.hashProposal(proposal.targets, proposal.values, proposal.calldatas,
                                 keccak(text=proposal.description)) == proposal.proposal_id
