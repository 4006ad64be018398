"""cidhub.chain.governance in process: the checks `ape run govern` makes before it sends anything."""

from __future__ import annotations

import pytest

from cidhub.chain import governance as gov
from cidhub.chain.governance import (
    GovernanceError,
    ProposalState,
    Support,
    cast_vote,
    execute,
    find_proposal,
    format_votes,
    list_proposals,
    parse_allocation,
    parse_hub,
    queue,
    status_rows,
)
from cidhub.chain.proposals import EncodedProposal

from .helpers import HUB


@pytest.fixture
def view(governor, governance_suite):
    def _view(proposal):
        return find_proposal(governor, proposal.proposal_id, governance_suite.deployment.deploy_block)

    return _view


def test_support_parse():
    assert [Support.parse(s) for s in ("for", "YES", "against", "no", "abstain", "1", 0, "2")] == [
        Support.FOR, Support.FOR, Support.AGAINST, Support.AGAINST, Support.ABSTAIN, Support.FOR, Support.AGAINST,
        Support.ABSTAIN]
    with pytest.raises(GovernanceError, match="not a vote"):
        Support.parse("maybe")
    with pytest.raises(GovernanceError, match="not a vote"):
        Support.parse("3")


def test_amounts():
    assert parse_hub("1_000.5") == 1_000_500_000_000_000_000_000
    assert parse_allocation("0x70997970c51812dc3a010c7d01b50e0d17dc79c8=2") == (
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 2 * HUB)
    for bad in ("0x7099=2", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8=0"):
        with pytest.raises(GovernanceError, match="--allocation"):
            parse_allocation(bad)
    assert format_votes(1_500_000 * HUB) == "1,500,000" and format_votes(HUB // 2) == "0.5"


def test_propose__checks_threshold_and_duplicates(governor, hub_token, registry_dao, creator, attacker):
    encoded = EncodedProposal([registry_dao.address], [0], [b"\x01"], "checked")
    with pytest.raises(GovernanceError, match="delegate first"):
        gov.propose(governor, hub_token, encoded, attacker)
    pid, _ = gov.propose(governor, hub_token, encoded, creator)
    assert pid == encoded.for_proposer(creator.address).proposal_id  # reserved for its proposer
    with pytest.raises(GovernanceError, match="already exists"):
        gov.propose(governor, hub_token, encoded, creator)


def test_vote_queue_execute__timing_errors(governor, propose, view, to_active, to_end, creator, buyer):
    proposal = propose()
    with pytest.raises(GovernanceError, match="opens after"):
        cast_vote(governor, view(proposal), Support.FOR, creator)
    with pytest.raises(GovernanceError, match="once voting ends"):
        queue(governor, view(proposal), creator)
    to_active(proposal)
    cast_vote(governor, view(proposal), Support.FOR, creator, reason="yes")
    with pytest.raises(GovernanceError, match="already voted"):
        cast_vote(governor, view(proposal), Support.FOR, creator)
    to_end(proposal)
    with pytest.raises(GovernanceError, match="voting is closed"):
        cast_vote(governor, view(proposal), Support.FOR, buyer)
    with pytest.raises(GovernanceError, match="only a Queued one"):
        execute(governor, view(proposal), creator)
    queue(governor, view(proposal), creator)
    with pytest.raises(GovernanceError, match="executable from"):
        execute(governor, view(proposal), creator)
    assert view(proposal).state == ProposalState.QUEUED


def test_queue__defeated__says_why(governor, propose, view, to_end, creator):
    proposal = propose()
    to_end(proposal)
    with pytest.raises(GovernanceError, match="Defeated.*quorum"):
        queue(governor, view(proposal), creator)


def test_find_and_list(governor, governance_suite, propose, to_active):
    first, second = propose(), propose()
    deploy_block = governance_suite.deployment.deploy_block
    views = list_proposals(governor, deploy_block)
    assert [v.proposal_id for v in views][-2:] == [first.proposal_id, second.proposal_id]
    hex_id = f"{second.proposal_id:064x}"
    assert find_proposal(governor, hex_id[:12], deploy_block).proposal_id == second.proposal_id
    assert find_proposal(governor, "0x" + hex_id, deploy_block).proposal_id == second.proposal_id
    assert find_proposal(governor, str(second.proposal_id), deploy_block).title.startswith("Test proposal")
    with pytest.raises(GovernanceError, match="no proposal"):
        find_proposal(governor, "ffffffffffff", deploy_block)
    to_active(first)
    rows = status_rows([find_proposal(governor, first.proposal_id, deploy_block)])
    assert rows[0][2] == "Active" and rows[0][-1].startswith("voting ends")
