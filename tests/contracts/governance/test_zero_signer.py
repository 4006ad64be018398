"""Issue #10, finding 1: no signature path may accept the zero address as its signer.

snekmate's `signature_checker` compares the claimed signer with ecdsa's recovery, and recovery
returns the zero address for a signature that is neither 64 nor 65 bytes long. Before the fix,
`delegate_by_sig(0x0, X, 0, expiry, b"")` was accepted: the zero address "delegated" to X, and
since the votes module moves a mint's votes out of the zero address's delegatee, every later mint
tried to take votes from X (and reverted when X had fewer): the DAO's mint lever was jammed.
Every attack below is performed and must revert with the reason shown.
"""

from __future__ import annotations

import ape
import pytest

from .helpers import ACTIVE, FOR, HUB, ZERO
from .signing import SECP256K1_N, ballot_digest, delegation_digest, malleable, packed, permit_digest, sign

R_VALID = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798).to_bytes(32, "big")  # G.x


def _bad_signatures(valid_for_someone: tuple[int, bytes, bytes]) -> dict[str, bytes]:
    """Malformed signatures an attacker can send for a claimed signer (Bytes[65] at most)."""
    v, r, s = valid_for_someone
    return {
        "empty": b"",
        "short_63_bytes": b"\x01" * 63,
        "short_64_bytes_zero": b"\0" * 64,
        "compact_64_bytes_other_signer": r + s,  # an EIP-2098 form recovering some unrelated key
        "malleable_high_s": packed(*malleable(v, r, s)),
        "v_0": R_VALID + (1).to_bytes(32, "big") + b"\x00",
        "v_29": R_VALID + (1).to_bytes(32, "big") + bytes([29]),
        "all_zero_65_bytes": b"\0" * 65,
    }


@pytest.fixture
def expiry(chain):
    return chain.blocks.head.timestamp + 3_600


@pytest.fixture
def someones_delegation(hub_token, chain, expiry, attacker, buyer):
    """A genuine signature by the attacker (of a delegation to buyer), to malleate or re-frame."""
    return sign(attacker, delegation_digest(hub_token.address, chain.chain_id, buyer.address, 0, expiry))


# ---------------------------------------------------------------- HubToken.delegate_by_sig


@pytest.mark.parametrize("kind", list(_bad_signatures((27, b"\1" * 32, b"\1" * 32))))
def test_delegate_by_sig__zero_delegator__reverts(hub_token, expiry, someones_delegation, buyer, attacker, kind):
    signature = _bad_signatures(someones_delegation)[kind]
    with ape.reverts("votes: invalid signer"):
        hub_token.delegate_by_sig(ZERO, buyer, 0, expiry, signature, sender=attacker)
    assert hub_token.delegates(ZERO) == ZERO


def test_delegate_by_sig__zero_delegator_signature_too_long__reverts(hub_token, expiry, buyer, attacker):
    # 66 bytes do not fit Bytes[65]: the ABI decoder refuses the call before any code runs.
    with ape.reverts():
        hub_token.delegate_by_sig(ZERO, buyer, 0, expiry, b"\0" * 66, sender=attacker)


@pytest.mark.parametrize("kind,reason", [
    ("empty", "votes: invalid signature"),
    ("short_63_bytes", "votes: invalid signature"),
    ("short_64_bytes_zero", "ecdsa: invalid signature"),
    ("compact_64_bytes_other_signer", "votes: invalid signature"),
    ("malleable_high_s", "ecdsa: invalid signature `s` value"),
    ("v_0", "ecdsa: invalid signature"),
    ("v_29", "ecdsa: invalid signature"),
    ("all_zero_65_bytes", "ecdsa: invalid signature"),
])
def test_delegate_by_sig__bad_signature_for_a_real_holder__reverts(hub_token, expiry, someones_delegation, creator,
                                                                   buyer, attacker, kind, reason):
    signature = _bad_signatures(someones_delegation)[kind]
    with ape.reverts(reason):
        hub_token.delegate_by_sig(creator, buyer, 0, expiry, signature, sender=attacker)


def test_dao_mint__after_the_zero_delegator_attack__still_works(hub_token, governor, timelock, queued, advance,
                                                                 expiry, creator, buyer, registrar, attacker):
    """The attack that jammed the mint lever is refused, and a DAO mint still moves the right votes.

    Before the fix the zero address would delegate to the attacker (no votes), and the mint below
    would try to take 7 HUB of votes from the attacker and revert: the proposal could not execute."""
    assert hub_token.get_votes(attacker) == 0
    with ape.reverts("votes: invalid signer"):
        hub_token.delegate_by_sig(ZERO, attacker, 0, expiry, b"", sender=attacker)
    hub_token.invoke_transaction("delegate", buyer, sender=registrar)  # the new tokens vote for buyer
    calldata = bytes(hub_token.mint.encode_input(registrar.address, 7 * HUB))
    proposal = queued(targets=[hub_token.address], calldatas=[calldata])
    advance(timelock.get_minimum_delay() + 1)
    buyer_votes, supply = hub_token.get_votes(buyer), hub_token.totalSupply()

    governor.execute(*proposal.args(), sender=creator)

    assert hub_token.totalSupply() == supply + 7 * HUB
    assert hub_token.get_votes(buyer) == buyer_votes + 7 * HUB
    assert hub_token.get_votes(attacker) == 0
    assert hub_token.delegates(ZERO) == ZERO


# ---------------------------------------------------------------- HubToken.delegateBySig and permit (snekmate)


@pytest.mark.parametrize("v,r,s,reason", [
    (0, R_VALID, (1).to_bytes(32, "big"), "ecdsa: invalid signature"),
    (29, R_VALID, (1).to_bytes(32, "big"), "ecdsa: invalid signature"),
    (27, b"\0" * 32, b"\0" * 32, "ecdsa: invalid signature"),
    (27, R_VALID, (SECP256K1_N - 1).to_bytes(32, "big"), "ecdsa: invalid signature `s` value"),
])
def test_delegateBySig__signature_recovering_nothing__reverts(hub_token, expiry, buyer, attacker, v, r, s, reason):
    """The EIP-5805 form recovers its signer: snekmate's `_recover_vrs` reverts where ecrecover gives 0."""
    with ape.reverts(reason):
        hub_token.delegateBySig(buyer, 0, expiry, v, r, s, sender=attacker)
    assert hub_token.delegates(ZERO) == ZERO


@pytest.mark.parametrize("v,r,s,reason", [
    (0, R_VALID, (1).to_bytes(32, "big"), "ecdsa: invalid signature"),
    (29, R_VALID, (1).to_bytes(32, "big"), "ecdsa: invalid signature"),
    (27, b"\0" * 32, b"\0" * 32, "ecdsa: invalid signature"),
    (27, R_VALID, (SECP256K1_N - 1).to_bytes(32, "big"), "ecdsa: invalid signature `s` value"),
])
def test_permit__zero_owner__reverts(hub_token, expiry, attacker, v, r, s, reason):
    """snekmate's permit recovers with `_recover_vrs`, which never returns the zero address."""
    with ape.reverts(reason):
        hub_token.permit(ZERO, attacker, 10**6 * HUB, expiry, v, r, s, sender=attacker)
    assert hub_token.allowance(ZERO, attacker) == 0


def test_permit__zero_owner_with_someone_elses_signature__reverts(hub_token, chain, expiry, attacker):
    sig = sign(attacker, permit_digest(hub_token.address, chain.chain_id, ZERO, attacker.address, HUB, 0, expiry))
    with ape.reverts("erc20: invalid signature"):
        hub_token.permit(ZERO, attacker, HUB, expiry, *sig, sender=attacker)


# ---------------------------------------------------------------- votes module


def test_votes_module__delegating_for_the_zero_address__reverts(project, deployer, buyer):
    harness = project.GovVotesHarness.deploy(sender=deployer)
    with ape.reverts("votes: zero delegator"):
        harness.delegate_for(ZERO, buyer, 0, sender=deployer)
    harness.delegate_for(buyer, buyer, 0, sender=deployer)
    assert harness.delegates(buyer) == buyer.address


# ---------------------------------------------------------------- HubGovernor.cast_vote_by_sig


@pytest.fixture
def active_proposal(propose, to_active, governor):
    proposal = propose()
    to_active(proposal)
    assert governor.state(proposal.proposal_id) == ACTIVE
    return proposal


@pytest.mark.parametrize("kind", list(_bad_signatures((27, b"\1" * 32, b"\1" * 32))))
def test_cast_vote_by_sig__zero_voter__reverts(governor, chain, active_proposal, expiry, attacker, kind):
    pid = active_proposal.proposal_id
    someones = sign(attacker, ballot_digest(governor.address, chain.chain_id, pid, FOR, attacker.address, 0, expiry))
    with ape.reverts("governor: invalid signer"):
        governor.cast_vote_by_sig(pid, FOR, ZERO, expiry, _bad_signatures(someones)[kind], sender=attacker)
    assert not governor.has_voted(pid, ZERO)
    assert governor.nonces(ZERO) == 0


@pytest.mark.parametrize("kind,reason", [
    ("empty", "governor: invalid signature"),
    ("short_63_bytes", "governor: invalid signature"),
    ("v_29", "ecdsa: invalid signature"),
    ("malleable_high_s", "ecdsa: invalid signature `s` value"),
])
def test_cast_vote_by_sig__bad_signature_for_a_real_voter__reverts(governor, chain, active_proposal, expiry, creator,
                                                                   attacker, kind, reason):
    pid = active_proposal.proposal_id
    someones = sign(attacker, ballot_digest(governor.address, chain.chain_id, pid, FOR, attacker.address, 0, expiry))
    with ape.reverts(reason):
        governor.cast_vote_by_sig(pid, FOR, creator, expiry, _bad_signatures(someones)[kind], sender=attacker)
    assert not governor.has_voted(pid, creator)
