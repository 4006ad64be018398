"""Output reservations: an optimistic claim holds its output CID in the registry for the hub.

A claim publishes its output CID for the whole challenge window. Without a reservation anyone
could register that CID first (one ~80k registration) and block the job for good."""

from __future__ import annotations

import ape
import pytest

from .helpers import BOND, REJECTED, TIMEOUT


@pytest.fixture
def claim(optimistic, make_job, creator):
    def _claim(*, sender=None, **overrides):
        job = make_job(verifier=optimistic.address, **overrides)
        tx = optimistic.claim(job.as_args(), value=BOND, sender=sender or creator)
        return job, job.struct_hash(), tx

    return _claim


def _challenged(claim, optimistic, attacker):
    job, job_hash, _ = claim()
    optimistic.challenge(job_hash, value=BOND, sender=attacker)
    return job, job_hash


def test_claim__reserves_output_for_the_hub(registry, hub, claim):
    job, _, tx = claim()

    assert registry.is_reserved(job.output_id) is True
    (event,) = tx.decode_logs(registry.AssetReserved)
    assert (event.asset_id, event.registrar) == (job.output_id, hub.address)
    with ape.reverts("erc721: invalid token ID"):
        registry.ownerOf(job.output_id)  # reserved is not registered


def test_claim__same_output_while_claimed__refused_without_bond(optimistic, claim, make_job, other):
    job, _, _ = claim()
    copy = make_job(verifier=optimistic.address, output_cid=job.output_cid, owner=other.address)
    balance = optimistic.balance

    with ape.reverts("attest: output reserved by a pending claim"):
        optimistic.claim(copy.as_args(), value=BOND, sender=other)
    assert optimistic.balance == balance


def test_register_batch__reserved_output_in_a_batch__refused(registry, claim, attacker):
    job, _, _ = claim()
    item = (job.as_args()[5], 3, job.as_args()[6], 0, [], [], 0)

    with ape.reverts("registry: cid reserved"):
        registry.register_batch([item], sender=attacker)


def test_resolve_rejected__output_released_and_registrable(registry, optimistic, claim, dao, attacker, creator):
    job, job_hash = _challenged(claim, optimistic, attacker)

    tx = optimistic.resolve(job_hash, False, sender=dao)

    assert registry.is_reserved(job.output_id) is False
    (event,) = tx.decode_logs(registry.ReservationReleased)
    assert event.asset_id == job.output_id
    registry.register(job.as_args()[5], 3, job.as_args()[6], 0, [], [], 0, sender=creator)
    assert registry.ownerOf(job.output_id) == creator


def test_resolve_upheld__output_stays_reserved_until_submit(registry, hub, optimistic, claim, dao, attacker, buyer):
    job, job_hash = _challenged(claim, optimistic, attacker)

    optimistic.resolve(job_hash, True, sender=dao)
    assert registry.is_reserved(job.output_id) is True
    hub.submit(job.as_args(), b"", sender=attacker)

    assert registry.is_reserved(job.output_id) is False
    assert registry.ownerOf(job.output_id) == buyer


def test_expire_challenge__output_released(registry, optimistic, claim, attacker, chain):
    job, job_hash = _challenged(claim, optimistic, attacker)
    chain.pending_timestamp += TIMEOUT

    optimistic.expire_challenge(job_hash, sender=attacker)

    assert optimistic.claim_of(job_hash).status == REJECTED
    assert registry.is_reserved(job.output_id) is False


def test_rejected_after_output_registered_through_another_verifier__settles(registry, hub, optimistic, claim,
                                                                            submit_signed, make_job, dao, attacker,
                                                                            buyer):
    # A signed attestation of the same output is accepted meanwhile (the hub may register a
    # reserved id); the optimistic claim's rejection must still settle, releasing nothing.
    job, job_hash = _challenged(claim, optimistic, attacker)
    signed_job = make_job(output_cid=job.output_cid)
    submit_signed(signed_job)
    assert registry.ownerOf(job.output_id) == buyer

    optimistic.resolve(job_hash, False, sender=dao)

    assert optimistic.claim_of(job_hash).status == REJECTED
    assert registry.ownerOf(job.output_id) == buyer


def test_verifier_withdrawn__settlement_unblocked_then_dao_releases(registry, hub, optimistic, claim, dao, attacker):
    job, job_hash = _challenged(claim, optimistic, attacker)
    hub.set_verifier(optimistic, False, sender=dao)

    optimistic.resolve(job_hash, False, sender=dao)  # the release fails quietly; the bonds are settled
    assert optimistic.owed(attacker) == 2 * BOND
    assert registry.is_reserved(job.output_id) is True

    hub.release_output(job.output_id, sender=dao)
    assert registry.is_reserved(job.output_id) is False


def test_release_output__not_reserved__no_op(registry, hub, dao, new_asset):
    asset = new_asset()

    tx = hub.release_output(asset, sender=dao)

    assert tx.decode_logs(registry.ReservationReleased) == []
    assert registry.is_reserved(asset) is False


def test_reserve_output__not_a_verifier__reverts(hub, attacker, dao):
    for sender in (attacker, dao):  # not even the DAO: reservations come with a bonded claim
        with ape.reverts("attest: caller is not an approved verifier"):
            hub.reserve_output(12345, sender=sender)


def test_release_output__stranger__reverts(hub, claim, attacker):
    job, _, _ = claim()

    with ape.reverts("attest: caller may not release outputs"):
        hub.release_output(job.output_id, sender=attacker)


def test_resolve__too_little_gas_for_the_release__reverts_whole_ruling(registry, optimistic, claim, dao, attacker,
                                                                        chain):
    # Whatever gas the caller sends, a settled rejection never leaves its output reserved: either
    # the release runs, or the ruling reverts ("not enough gas ..." or out of gas) and can be redone.
    job, job_hash = _challenged(claim, optimistic, attacker)
    snapshot = chain.snapshot()
    full = optimistic.resolve(job_hash, False, sender=dao).gas_used
    chain.restore(snapshot)
    reasons = set()
    for gas in range(full - 60_000, full + 1, 4_000):
        snapshot = chain.snapshot()
        try:
            optimistic.resolve(job_hash, False, sender=dao, gas=gas)
        except ape.exceptions.ContractLogicError as error:
            reasons.add(error.message)
            assert optimistic.claim_of(job_hash).status != REJECTED
        except ape.exceptions.VirtualMachineError as error:  # out of gas, or refused by the node
            reasons.add(type(error).__name__)
            assert optimistic.claim_of(job_hash).status != REJECTED
        else:
            assert optimistic.claim_of(job_hash).status == REJECTED
            assert registry.is_reserved(job.output_id) is False
        chain.restore(snapshot)
    assert "attest: not enough gas to release the output" in reasons
