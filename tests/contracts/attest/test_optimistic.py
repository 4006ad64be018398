"""OptimisticVerifier: bonded claims, challenges with counter-bonds, the arbiter's ruling,
finalization after the window, and pull payments that conserve every wei."""

from __future__ import annotations

import ape
import pytest

from cidhub.content.cid import cid_to_bytes

from .helpers import ACCEPTED, BOND, CHALLENGED, PENDING, REJECTED, TIMEOUT, UNCLAIMED, WINDOW, ZERO_ADDRESS, fresh_cid


@pytest.fixture
def claim(optimistic, make_job, creator):
    """Factory: claim a fresh job (verifier: optimistic) and return (job, job_hash bytes, receipt)."""

    def _claim(*, sender=None, value=BOND, **overrides):
        job = make_job(verifier=optimistic.address, **overrides)
        tx = optimistic.claim(job.as_args(), value=value, sender=sender or creator)
        return job, job.struct_hash(), tx

    return _claim


def _solvent(optimistic):
    assert optimistic.balance == optimistic.total_bonded() + optimistic.total_owed()


# ---------------------------------------------------------------- claim


def test_claim__records_bond_deadline_and_job(optimistic, claim, creator, chain):
    job, job_hash, tx = claim()

    state = optimistic.claim_of(job_hash)
    assert (state.claimant, state.challenger, state.bond, state.status) == (creator.address, ZERO_ADDRESS, BOND,
                                                                             PENDING)
    assert state.deadline == chain.blocks.head.timestamp + WINDOW
    (event,) = tx.decode_logs(optimistic.Claimed)
    assert (bytes(event.job_hash), event.claimant, event.bond, event.deadline) == (job_hash, creator.address, BOND,
                                                                                  state.deadline)
    assert bytes(event.job[5]) == job.as_args()[5]  # the whole job travels in the event
    assert optimistic.total_bonded() == BOND
    _solvent(optimistic)


@pytest.mark.parametrize("value", [0, BOND - 1, BOND + 1])
def test_claim__wrong_bond__reverts(claim, value):
    with ape.reverts("attest: wrong bond"):
        claim(value=value)


def test_claim__job_names_another_verifier__reverts(optimistic, make_job, creator):
    job = make_job()  # names the signed verifier

    with ape.reverts("attest: job names another verifier"):
        optimistic.claim(job.as_args(), value=BOND, sender=creator)


def test_claim__twice__reverts(optimistic, claim, attacker):
    job, _, _ = claim()

    with ape.reverts("attest: job already claimed"):
        optimistic.claim(job.as_args(), value=BOND, sender=attacker)


def test_claim__hub_checks_job_first__reverts(claim):
    # No bond is taken for a job the hub would refuse anyway.
    with ape.reverts("attest: unknown model"):
        claim(model_id=999)


def test_claim__verifier_not_approved__reverts(claim, hub, optimistic, dao):
    hub.set_verifier(optimistic, False, sender=dao)

    with ape.reverts("attest: verifier not approved"):
        claim()


# ---------------------------------------------------------------- challenge


def test_challenge__within_window__records_challenger(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()

    tx = optimistic.challenge(job_hash, value=BOND, sender=attacker)

    state = optimistic.claim_of(job_hash)
    assert (state.status, state.challenger) == (CHALLENGED, attacker.address)
    assert state.deadline == chain.blocks.head.timestamp + TIMEOUT
    (event,) = tx.decode_logs(optimistic.Challenged)
    assert (event.challenger, event.bond, event.resolve_by) == (attacker.address, BOND, state.deadline)
    assert optimistic.total_bonded() == 2 * BOND
    _solvent(optimistic)


def test_challenge__last_second_of_window__accepted(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp = optimistic.claim_of(job_hash).deadline - 1

    optimistic.challenge(job_hash, value=BOND, sender=attacker)


def test_challenge__after_window__reverts(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp = optimistic.claim_of(job_hash).deadline

    with ape.reverts("attest: challenge window closed"):
        optimistic.challenge(job_hash, value=BOND, sender=attacker)


def test_challenge__wrong_bond__reverts(optimistic, claim, attacker):
    _, job_hash, _ = claim()

    with ape.reverts("attest: wrong bond"):
        optimistic.challenge(job_hash, value=BOND // 2, sender=attacker)


def test_challenge__no_claim__reverts(optimistic, attacker):
    with ape.reverts("attest: no such claim"):
        optimistic.challenge(b"\x01" * 32, value=BOND, sender=attacker)


def test_challenge__twice__reverts(optimistic, claim, attacker, other):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)

    with ape.reverts("attest: already challenged"):
        optimistic.challenge(job_hash, value=BOND, sender=other)


def test_challenge__by_claimant__reverts(optimistic, claim, creator):
    _, job_hash, _ = claim()

    with ape.reverts("attest: claimant cannot challenge"):
        optimistic.challenge(job_hash, value=BOND, sender=creator)


def test_challenge__finalized_claim__reverts(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)

    with ape.reverts("attest: claim settled"):
        optimistic.challenge(job_hash, value=BOND, sender=attacker)


# ---------------------------------------------------------------- finalize


def test_finalize__after_window__accepts_and_returns_bond(optimistic, claim, creator, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW

    tx = optimistic.finalize(job_hash, sender=attacker)  # anyone may finalize

    assert optimistic.claim_of(job_hash).status == ACCEPTED
    assert optimistic.owed(creator) == BOND
    (event,) = tx.decode_logs(optimistic.Finalized)
    assert (event.claimant, event.bond) == (creator.address, BOND)
    assert (optimistic.total_bonded(), optimistic.total_owed()) == (0, BOND)
    _solvent(optimistic)


def test_finalize__before_window_ends__reverts(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp = optimistic.claim_of(job_hash).deadline - 1

    with ape.reverts("attest: challenge window open"):
        optimistic.finalize(job_hash, sender=attacker)


def test_finalize__challenged__reverts(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    chain.pending_timestamp += WINDOW

    with ape.reverts("attest: claim under challenge"):
        optimistic.finalize(job_hash, sender=attacker)


def test_finalize__twice__reverts(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)

    with ape.reverts("attest: claim settled"):
        optimistic.finalize(job_hash, sender=attacker)


def test_finalize__no_claim__reverts(optimistic, attacker):
    with ape.reverts("attest: no such claim"):
        optimistic.finalize(b"\x02" * 32, sender=attacker)


# ---------------------------------------------------------------- resolve and expire


def test_resolve__claim_upheld__claimant_takes_both_bonds(optimistic, claim, creator, attacker, dao):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)

    tx = optimistic.resolve(job_hash, True, sender=dao)

    assert optimistic.claim_of(job_hash).status == ACCEPTED
    assert (optimistic.owed(creator), optimistic.owed(attacker)) == (2 * BOND, 0)
    (event,) = tx.decode_logs(optimistic.Resolved)
    assert (event.winner, event.claim_upheld, event.amount, event.arbiter) == (creator.address, True, 2 * BOND,
                                                                               dao.address)
    _solvent(optimistic)


def test_resolve__claim_wrong__challenger_takes_both_bonds(optimistic, claim, creator, attacker, dao):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)

    optimistic.resolve(job_hash, False, sender=dao)

    assert optimistic.claim_of(job_hash).status == REJECTED
    assert (optimistic.owed(creator), optimistic.owed(attacker)) == (0, 2 * BOND)
    _solvent(optimistic)


@pytest.mark.parametrize("caller", ["attacker", "creator", "deployer"])
def test_resolve__not_arbiter__reverts(optimistic, claim, attacker, request, caller):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)

    with ape.reverts("attest: caller is not an arbiter"):
        optimistic.resolve(job_hash, False, sender=request.getfixturevalue(caller))


def test_resolve__unchallenged__reverts(optimistic, claim, dao):
    _, job_hash, _ = claim()

    with ape.reverts("attest: claim not challenged"):
        optimistic.resolve(job_hash, False, sender=dao)


def test_resolve__after_deadline__reverts(optimistic, claim, attacker, dao, chain):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    chain.pending_timestamp = optimistic.claim_of(job_hash).deadline

    with ape.reverts("attest: resolution deadline passed"):
        optimistic.resolve(job_hash, True, sender=dao)


def test_resolve__twice__reverts(optimistic, claim, attacker, dao):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    optimistic.resolve(job_hash, True, sender=dao)

    with ape.reverts("attest: claim not challenged"):
        optimistic.resolve(job_hash, False, sender=dao)


def test_expire_challenge__arbiter_silent__both_refunded_claim_rejected(optimistic, claim, creator, attacker, other,
                                                                        chain):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    chain.pending_timestamp = optimistic.claim_of(job_hash).deadline

    tx = optimistic.expire_challenge(job_hash, sender=other)

    assert optimistic.claim_of(job_hash).status == REJECTED
    assert (optimistic.owed(creator), optimistic.owed(attacker)) == (BOND, BOND)
    (event,) = tx.decode_logs(optimistic.ChallengeExpired)
    assert (event.claimant, event.challenger, event.bond) == (creator.address, attacker.address, BOND)
    _solvent(optimistic)


def test_expire_challenge__before_deadline__reverts(optimistic, claim, attacker, chain):
    _, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    chain.pending_timestamp = optimistic.claim_of(job_hash).deadline - 1

    with ape.reverts("attest: resolution pending"):
        optimistic.expire_challenge(job_hash, sender=attacker)


def test_expire_challenge__unchallenged__reverts(optimistic, claim, attacker):
    _, job_hash, _ = claim()

    with ape.reverts("attest: claim not challenged"):
        optimistic.expire_challenge(job_hash, sender=attacker)


# ---------------------------------------------------------------- the hub asks


def test_submit__finalized_claim__registers_result(hub, registry, optimistic, claim, attacker, chain):
    job, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)

    tx = hub.submit(job.as_args(), b"", sender=attacker)

    assert tx.decode_logs(hub.JobAccepted)[0].verifier == optimistic.address
    assert registry.ownerOf(job.output_id) == job.owner


def test_verify__finalized_claim_through_another_hub__reverts(hub, second_hub, project, registry, optimistic, claim,
                                                             model, dataset, deployer, attacker, chain):
    # A hub on another registry (someone else's deployment) that approved this verifier would
    # register the claim's result a second time; a hub on the same registry meets the reservation.
    job, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)
    elsewhere = project.AssetRegistry.deploy(sender=deployer)
    for asset, kind in ((model, 1), (dataset, 0)):
        elsewhere.register(registry.cid_of(asset), kind, cid_to_bytes(fresh_cid()), 0, [], [], 0, sender=deployer)
    other_hub = project.ComputeAttestations.deploy(elsewhere, sender=deployer)
    elsewhere.grantRole(elsewhere.REGISTRAR_ROLE(), other_hub, sender=deployer)
    other_hub.grantRole(other_hub.VERIFIER_MANAGER_ROLE(), deployer, sender=deployer)
    other_hub.set_verifier(optimistic, True, sender=deployer)

    with ape.reverts("attest: caller is not the hub"):
        other_hub.submit(job.as_args(), b"", sender=attacker)
    with ape.reverts("attest: caller is not the hub"):
        optimistic.verify(hub.check_job(job.as_args()), b"", sender=attacker)
    with ape.reverts("attest: output reserved by a pending claim"):
        second_hub.submit(job.as_args(), b"", sender=attacker)
    hub.submit(job.as_args(), b"", sender=attacker)
    assert registry.ownerOf(job.output_id) == job.owner


def test_submit__upheld_claim__registers_result(hub, registry, optimistic, claim, attacker, dao):
    job, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    optimistic.resolve(job_hash, True, sender=dao)

    hub.submit(job.as_args(), b"", sender=attacker)

    assert registry.ownerOf(job.output_id) == job.owner


def test_submit__claim_in_window__reverts(hub, claim, attacker):
    job, _, _ = claim()

    with ape.reverts("attest: challenge window open"):
        hub.submit(job.as_args(), b"", sender=attacker)


def test_submit__window_over_not_finalized__reverts(hub, claim, attacker, chain):
    job, _, _ = claim()
    chain.pending_timestamp += WINDOW

    with ape.reverts("attest: claim not finalized"):
        hub.submit(job.as_args(), b"", sender=attacker)


def test_submit__challenged__reverts(hub, optimistic, claim, attacker):
    job, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)

    with ape.reverts("attest: claim under challenge"):
        hub.submit(job.as_args(), b"", sender=attacker)


def test_submit__rejected__reverts(hub, optimistic, claim, attacker, dao):
    job, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    optimistic.resolve(job_hash, False, sender=dao)

    with ape.reverts("attest: claim rejected"):
        hub.submit(job.as_args(), b"", sender=attacker)


def test_submit__never_claimed__reverts(hub, optimistic, make_job, attacker):
    job = make_job(verifier=optimistic.address)

    with ape.reverts("attest: no such claim"):
        hub.submit(job.as_args(), b"", sender=attacker)


def test_submit__squatting_during_window_refused__job_accepted_after(hub, registry, optimistic, claim, creator, buyer,
                                                                      attacker, chain):
    # The claim made the output public and reserved it: registering it first is refused, and the
    # job is accepted once the window closes, its result owned by the job's owner.
    job, job_hash, _ = claim()
    with ape.reverts("registry: cid reserved"):
        registry.register(job.as_args()[5], 3, job.as_args()[6], 0, [], [], 0, sender=attacker)
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=creator)

    hub.submit(job.as_args(), b"", sender=attacker)

    assert registry.ownerOf(job.output_id) == buyer
    assert registry.is_reserved(job.output_id) is False
    assert optimistic.owed(creator) == BOND


# ---------------------------------------------------------------- withdrawals


def test_withdraw__pays_everything_owed(optimistic, claim, creator, attacker, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)
    before = creator.balance

    tx = optimistic.withdraw(sender=creator)

    assert creator.balance == before + BOND - tx.total_fees_paid
    assert optimistic.owed(creator) == 0 and optimistic.balance == 0
    (event,) = tx.decode_logs(optimistic.Withdrawn)
    assert (event.account, event.recipient, event.amount) == (creator.address, creator.address, BOND)
    _solvent(optimistic)


def test_withdraw_to__sends_to_recipient(optimistic, claim, creator, attacker, other, chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)
    before = other.balance

    optimistic.withdraw_to(other, sender=creator)

    assert other.balance == before + BOND


def test_withdraw__nothing_owed__reverts(optimistic, attacker):
    with ape.reverts("attest: nothing to withdraw"):
        optimistic.withdraw(sender=attacker)


def test_withdraw_to__zero_recipient__reverts(optimistic, attacker):
    with ape.reverts("attest: zero recipient"):
        optimistic.withdraw_to(ZERO_ADDRESS, sender=attacker)


def test_withdraw_to__recipient_refuses_ether__reverts_and_credit_kept(optimistic, claim, creator, attacker, hub,
                                                                       chain):
    _, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)

    with ape.reverts():
        optimistic.withdraw_to(hub, sender=creator)  # the hub has no payable entry point
    assert optimistic.owed(creator) == BOND


# ---------------------------------------------------------------- parameters


def test_set_params__new_claims_use_them_old_claims_keep_theirs(optimistic, claim, dao, chain):
    _, old_hash, _ = claim()
    optimistic.set_params(2 * BOND, 2 * WINDOW, 2 * TIMEOUT, sender=dao)

    _, new_hash, _ = claim(value=2 * BOND)

    assert optimistic.claim_of(old_hash).bond == BOND
    new = optimistic.claim_of(new_hash)
    assert (new.bond, new.deadline) == (2 * BOND, chain.blocks.head.timestamp + 2 * WINDOW)
    assert (optimistic.bond(), optimistic.challenge_window(), optimistic.resolution_timeout()) == (
        2 * BOND, 2 * WINDOW, 2 * TIMEOUT)


@pytest.mark.parametrize("bond, window, timeout, reason", [
    (0, WINDOW, TIMEOUT, "attest: bond out of range"),
    (2**96, WINDOW, TIMEOUT, "attest: bond out of range"),
    (BOND, 3_599, TIMEOUT, "attest: window out of range"),
    (BOND, 30 * 86_400 + 1, TIMEOUT, "attest: window out of range"),
    (BOND, WINDOW, 86_399, "attest: timeout out of range"),
    (BOND, WINDOW, 90 * 86_400 + 1, "attest: timeout out of range"),
])
def test_set_params__out_of_range__reverts(optimistic, dao, bond, window, timeout, reason):
    with ape.reverts(reason):
        optimistic.set_params(bond, window, timeout, sender=dao)


def test_set_params__not_manager__reverts(optimistic, attacker):
    with ape.reverts("attest: caller is not a params manager"):
        optimistic.set_params(BOND, WINDOW, TIMEOUT, sender=attacker)


def test_claim_of__unknown__all_zero(optimistic):
    state = optimistic.claim_of(b"\x09" * 32)

    assert (state.claimant, state.bond, state.deadline, state.status) == (ZERO_ADDRESS, 0, 0, UNCLAIMED)
