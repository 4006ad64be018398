"""Cancel rules: the proposer while Pending; anyone once the proposer is below the threshold,
until the proposal is executed (a queued proposal's timelock operations go with it)."""

from __future__ import annotations

import ape
import pytest

from .helpers import CANCELED, EXECUTED, FOR


@pytest.fixture
def small_proposer(governor, hub_token, chain, creator, registrar):
    """registrar holds exactly the proposal threshold, delegated to itself."""
    hub_token.transfer(registrar, governor.proposal_threshold(), sender=creator)
    hub_token.invoke_transaction("delegate", registrar, sender=registrar)
    chain.mine(deltatime=2)
    return registrar


def test_proposer_cancels_while_pending(governor, propose, creator):
    proposal = propose()
    tx = governor.cancel(*proposal.args(), sender=creator)
    assert tx.decode_logs(governor.ProposalCanceled)[0].proposal_id == proposal.proposal_id
    assert governor.state(proposal.proposal_id) == CANCELED


def test_proposer_cannot_cancel_once_voting_started(governor, propose, to_active, creator):
    proposal = propose()
    to_active(proposal)
    with ape.reverts("governor: voting has started"):
        governor.cancel(*proposal.args(), sender=creator)


def test_others_cannot_cancel_while_proposer_holds_threshold(governor, propose, buyer):
    proposal = propose()
    with ape.reverts("governor: proposer above threshold"):
        governor.cancel(*proposal.args(), sender=buyer)


def test_proposer_below_threshold__anyone_cancels_an_active_proposal(governor, hub_token, propose, to_active, advance,
                                                                      small_proposer, attacker, creator):
    proposal = propose(sender=small_proposer)
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    hub_token.transfer(creator, 1, sender=small_proposer)  # propose, then sell
    advance(2)
    governor.cancel(*proposal.args(), sender=attacker)
    assert governor.state(proposal.proposal_id) == CANCELED


def test_proposer_below_threshold__queued_proposal_and_its_operations_cancelled(
        governor, timelock, hub_token, queued, small_proposer, advance, chain, creator, attacker):
    proposal = queued(sender=small_proposer)
    scheduled = list(timelock.CallScheduled.range(chain.blocks.height, chain.blocks.height + 1))
    assert scheduled and all(timelock.is_operation_pending(log.id) for log in scheduled)
    hub_token.transfer(creator, 1, sender=small_proposer)
    advance(2)
    tx = governor.cancel(*proposal.args(), sender=attacker)
    assert [log.id for log in tx.decode_logs(timelock.Cancelled)] == [log.id for log in scheduled]
    assert not any(timelock.is_operation(log.id) for log in scheduled)
    assert governor.state(proposal.proposal_id) == CANCELED
    advance(timelock.get_minimum_delay())
    with ape.reverts("governor: proposal not queued"):
        governor.execute(*proposal.args(), sender=creator)


def test_canceled__voting_rejected(governor, propose, creator):
    proposal = propose()
    governor.cancel(*proposal.args(), sender=creator)
    with ape.reverts("governor: vote not currently active"):
        governor.cast_vote(proposal.proposal_id, FOR, sender=creator)


def test_cancel__final_states__revert(governor, hub_token, propose, queued, advance, timelock, small_proposer,
                                      creator, attacker):
    canceled = propose()
    governor.cancel(*canceled.args(), sender=creator)
    with ape.reverts("governor: proposal is final"):
        governor.cancel(*canceled.args(), sender=creator)
    executed = queued(sender=small_proposer)
    advance(timelock.get_minimum_delay())
    governor.execute(*executed.args(), sender=creator)
    assert governor.state(executed.proposal_id) == EXECUTED
    hub_token.transfer(creator, 1, sender=small_proposer)
    advance(2)
    with ape.reverts("governor: proposal is final"):
        governor.cancel(*executed.args(), sender=attacker)


def test_cancel__unknown_proposal__reverts(governor, creator):
    with ape.reverts("governor: unknown proposal"):
        governor.cancel([creator.address], [0], [b""], b"\x00" * 32, sender=creator)
