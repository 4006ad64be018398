"""Voting: weights at the snapshot (flash-vote resistance), the voting window, receipts, tallies,
and signed ballots (replay, another chain, expiry, malleability)."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from .helpers import ABSTAIN, ACTIVE, AGAINST, FOR, HUB, PENDING
from .signing import ballot_digest, malleable, packed, sign


def test_cast_vote__weight_is_votes_at_snapshot_and_event(governor, hub_token, propose, to_active, creator):
    proposal = propose()
    to_active(proposal)
    snapshot = governor.proposal_snapshot(proposal.proposal_id)
    tx = governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    (log,) = tx.decode_logs(governor.VoteCast)
    assert (log.voter, log.proposal_id, log.support, log.reason) == (creator.address, proposal.proposal_id, FOR, "")
    assert log.weight == hub_token.get_past_votes(creator, snapshot) == 400_000 * HUB
    assert tx.return_value == log.weight
    assert governor.proposal_votes(proposal.proposal_id) == (0, log.weight, 0)
    assert governor.has_voted(proposal.proposal_id, creator)
    receipt = governor.get_receipt(proposal.proposal_id, creator)
    assert (receipt.has_voted, receipt.support, receipt.votes) == (True, FOR, log.weight)


def test_cast_vote_with_reason__published(governor, propose, to_active, buyer):
    proposal = propose()
    to_active(proposal)
    tx = governor.cast_vote_with_reason(proposal.proposal_id, AGAINST, "the card is fine", sender=buyer)
    (log,) = tx.decode_logs(governor.VoteCast)
    assert (log.support, log.reason) == (AGAINST, "the card is fine")


def test_tallies__against_for_abstain(governor, propose, to_active, creator, buyer, other):
    proposal = propose()
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, AGAINST, sender=buyer)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    governor.cast_vote(proposal.proposal_id, ABSTAIN, sender=other)
    assert governor.proposal_votes(proposal.proposal_id) == (300_000 * HUB, 400_000 * HUB, 200_000 * HUB)


def test_vote_twice__reverts(governor, propose, to_active, creator):
    proposal = propose()
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    with ape.reverts("governor: vote already cast"):
        governor.cast_vote(proposal.proposal_id, AGAINST, sender=creator)


def test_vote__invalid_support__reverts(governor, propose, to_active, creator):
    proposal = propose()
    to_active(proposal)
    with ape.reverts("governor: invalid vote type"):
        governor.cast_vote(proposal.proposal_id, 3, sender=creator)


def test_vote__unknown_proposal__reverts(governor, creator):
    with ape.reverts("governor: unknown proposal"):
        governor.cast_vote(42, FOR, sender=creator)


def test_voting_window__boundaries(governor, propose, at_time, creator, buyer, other):
    proposal = propose()
    snapshot = governor.proposal_snapshot(proposal.proposal_id)
    deadline = governor.proposal_deadline(proposal.proposal_id)
    assert governor.state(proposal.proposal_id) == PENDING
    at_time(snapshot)
    with ape.reverts("governor: vote not currently active"):
        governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    at_time(snapshot + 1)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    at_time(deadline)
    governor.cast_vote(proposal.proposal_id, FOR, sender=buyer)  # the deadline is the last moment
    at_time(deadline + 1)
    with ape.reverts("governor: vote not currently active"):
        governor.cast_vote(proposal.proposal_id, FOR, sender=other)


def test_flash_votes__tokens_acquired_after_snapshot_do_not_vote(governor, hub_token, propose, to_active, creator,
                                                                 attacker):
    """The attacker borrows (here: is sent) a whale's tokens once voting is open, delegates to
    itself and votes: its weight is what it held at the snapshot, zero."""
    proposal = propose()
    to_active(proposal)
    hub_token.transfer(attacker, 300_000 * HUB, sender=creator)
    hub_token.invoke_transaction("delegate", attacker, sender=attacker)
    assert hub_token.get_votes(attacker) == 300_000 * HUB
    tx = governor.cast_vote(proposal.proposal_id, FOR, sender=attacker)
    assert tx.decode_logs(governor.VoteCast)[0].weight == 0
    # ... and the lender still votes with everything it held at the snapshot.
    tx = governor.cast_vote(proposal.proposal_id, AGAINST, sender=creator)
    assert tx.decode_logs(governor.VoteCast)[0].weight == 400_000 * HUB


def test_flash_votes__same_tokens_cannot_vote_twice(governor, hub_token, propose, to_active, creator, buyer):
    """Votes are counted at the snapshot: moving tokens after voting gives nobody a second vote."""
    proposal = propose()
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    hub_token.transfer(buyer, 400_000 * HUB, sender=creator)
    tx = governor.cast_vote(proposal.proposal_id, FOR, sender=buyer)
    assert tx.decode_logs(governor.VoteCast)[0].weight == 300_000 * HUB


def test_tokens_acquired_during_voting_delay__do_vote(governor, hub_token, propose, at_time, creator, attacker):
    """The voting delay is the time to get ready: delegations up to the snapshot count."""
    proposal = propose()
    snapshot = governor.proposal_snapshot(proposal.proposal_id)
    at_time(snapshot - 10)
    hub_token.transfer(attacker, 5 * HUB, sender=creator)
    at_time(snapshot - 5)
    hub_token.invoke_transaction("delegate", attacker, sender=attacker)
    at_time(snapshot + 1)
    tx = governor.cast_vote(proposal.proposal_id, FOR, sender=attacker)
    assert tx.decode_logs(governor.VoteCast)[0].weight == 5 * HUB


def test_delegated_votes__the_delegate_votes_for_the_delegator(governor, hub_token, propose, to_active, curator, buyer):
    hub_token.invoke_transaction("delegate", buyer, sender=curator)
    proposal = propose()
    to_active(proposal)
    tx = governor.cast_vote(proposal.proposal_id, FOR, sender=buyer)
    assert tx.decode_logs(governor.VoteCast)[0].weight == 350_000 * HUB
    assert governor.cast_vote(proposal.proposal_id, FOR, sender=curator).decode_logs(governor.VoteCast)[0].weight == 0


# ---------------------------------------------------------------- signed ballots


@pytest.fixture
def ballot(governor, chain):
    def _ballot(voter, proposal_id, support=FOR, nonce=0, expiry=None, chain_id=None, signer=None):
        expiry = chain.blocks.head.timestamp + 3_600 if expiry is None else expiry
        digest = ballot_digest(governor.address, chain_id or chain.chain_id, proposal_id, support, voter.address,
                               nonce, expiry)
        return expiry, sign(signer or voter, digest)

    return _ballot


@pytest.fixture
def active(propose, to_active):
    proposal = propose()
    to_active(proposal)
    return proposal


def test_by_sig__relayed_vote_counts_for_the_voter(governor, ballot, active, buyer, attacker):
    expiry, sig = ballot(buyer, active.proposal_id, AGAINST)
    tx = governor.cast_vote_by_sig(active.proposal_id, AGAINST, buyer, expiry, packed(*sig), sender=attacker)
    (log,) = tx.decode_logs(governor.VoteCast)
    assert (log.voter, log.support, log.weight) == (buyer.address, AGAINST, 300_000 * HUB)
    assert governor.nonces(buyer) == 1
    assert not governor.has_voted(active.proposal_id, attacker)


def test_by_sig__replayed__reverts(governor, ballot, active, propose, to_active, buyer):
    expiry, sig = ballot(buyer, active.proposal_id)
    governor.cast_vote_by_sig(active.proposal_id, FOR, buyer, expiry, packed(*sig), sender=buyer)
    with ape.reverts("governor: invalid signature"):  # the nonce moved on
        governor.cast_vote_by_sig(active.proposal_id, FOR, buyer, expiry, packed(*sig), sender=buyer)


def test_by_sig__for_another_chain__reverts(governor, ballot, active, buyer):
    expiry, sig = ballot(buyer, active.proposal_id, chain_id=1)
    with ape.reverts("governor: invalid signature"):
        governor.cast_vote_by_sig(active.proposal_id, FOR, buyer, expiry, packed(*sig), sender=buyer)


def test_by_sig__expired__reverts(governor, ballot, active, chain, buyer):
    expiry, sig = ballot(buyer, active.proposal_id, expiry=chain.blocks.head.timestamp + 5)
    chain.mine(deltatime=6)
    with ape.reverts("governor: signature expired"):
        governor.cast_vote_by_sig(active.proposal_id, FOR, buyer, expiry, packed(*sig), sender=buyer)


def test_by_sig__other_support_than_signed__reverts(governor, ballot, active, buyer):
    expiry, sig = ballot(buyer, active.proposal_id, FOR)
    with ape.reverts("governor: invalid signature"):
        governor.cast_vote_by_sig(active.proposal_id, AGAINST, buyer, expiry, packed(*sig), sender=buyer)


def test_by_sig__signed_by_someone_else__reverts(governor, ballot, active, buyer, attacker):
    expiry, sig = ballot(buyer, active.proposal_id, signer=attacker)
    with ape.reverts("governor: invalid signature"):
        governor.cast_vote_by_sig(active.proposal_id, FOR, buyer, expiry, packed(*sig), sender=attacker)


def test_by_sig__malleable_twin__reverts(governor, ballot, active, buyer):
    expiry, sig = ballot(buyer, active.proposal_id)
    with ape.reverts("ecdsa: invalid signature `s` value"):
        governor.cast_vote_by_sig(active.proposal_id, FOR, buyer, expiry, packed(*malleable(*sig)), sender=buyer)


def test_by_sig__ballot_typehash_is_published(governor):
    assert governor.BALLOT_TYPEHASH() == keccak(
        text="Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,uint256 expiry)")
    fields, name, version, chain_id, contract, _, _ = governor.eip712Domain()
    assert (name, version, contract) == ("cidhub governor", "1", governor.address)


def test_state_is_active_while_voting(governor, active):
    assert governor.state(active.proposal_id) == ACTIVE
