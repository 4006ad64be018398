"""Output reservations: an optimistic claim holds its output CID in the registry for the hub.

A claim publishes its output CID for the whole challenge window. Without a reservation anyone
could register that CID first (one ~80k registration) and block the job for good, or have a copy
of the job with another owner accepted through another verifier (an attester re-runs it and signs,
or a zk proof of the copy) and take the result. The hub therefore holds the output for the claim's
job hash: only that job, through the optimistic verifier, can register it until the claim ends."""

from __future__ import annotations

import dataclasses

import ape
import pytest

from cidhub.compute.jobs import zk_instances

from .helpers import BOND, REJECTED, TIMEOUT, WINDOW, zk_test_proof


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


def test_claim__hub_records_the_reserving_job(hub, claim):
    job, job_hash, _ = claim()

    assert hub.reserved_output(job_hash) == job.output_id


def test_check_job__copy_of_claimed_job__reserved(hub, claim, make_job, attacker):
    job, _, _ = claim()
    copy = make_job(output_cid=job.output_cid, owner=attacker.address)  # through the signed verifier

    with ape.reverts("attest: output reserved by a pending claim"):
        hub.check_job(copy.as_args())
    hub.check_job(job.as_args())  # the claimed job itself still checks


def test_reserved_output__copy_attested_through_signed_verifier__refused(hub, registry, claim, make_job, sign,
                                                                          attacker):
    # The Claimed event publishes the job; an attester re-runs a copy with another owner (the
    # output reproduces, so it signs) and the copier submits it during the window.
    job, _, _ = claim()
    copy = dataclasses.replace(job, owner=attacker.address, verifier=make_job().verifier)

    with ape.reverts("attest: output reserved by a pending claim"):
        hub.submit(copy.as_args(), sign(copy), sender=attacker)
    assert registry.is_reserved(job.output_id) is True


def test_reserved_output__copy_proved_before_the_claim_through_zk__refused(hub, registry, optimistic, zk_adapter,
                                                                           make_job, zk_model, chain, creator,
                                                                           attacker):
    # The copy's proof was recorded before the claim reserved the output: submitting it is refused.
    job = make_job(model_id=zk_model, verifier=optimistic.address)
    copy = dataclasses.replace(job, owner=attacker.address, verifier=zk_adapter.address)
    values = zk_instances(copy, chain.chain_id)
    zk_adapter.prove(copy.as_args(), zk_test_proof(values), values, sender=attacker)
    optimistic.claim(job.as_args(), value=BOND, sender=creator)

    with ape.reverts("attest: output reserved by a pending claim"):
        hub.submit(copy.as_args(), b"", sender=attacker)
    with ape.reverts("attest: output reserved by a pending claim"):
        zk_adapter.prove_and_submit(copy.as_args(), zk_test_proof(values), values, sender=attacker)
    assert registry.is_reserved(job.output_id) is True


@pytest.mark.parametrize("ending", ["rejected", "expired"])
def test_reserved_output__after_the_claim_is_rejected__others_may_register(hub, registry, optimistic, claim,
                                                                           make_job, sign, dao, attacker, chain,
                                                                           ending):
    job, job_hash = _challenged(claim, optimistic, attacker)
    copy = dataclasses.replace(job, owner=attacker.address, verifier=make_job().verifier)
    if ending == "rejected":
        optimistic.resolve(job_hash, False, sender=dao)
    else:
        chain.pending_timestamp += TIMEOUT
        optimistic.expire_challenge(job_hash, sender=attacker)

    assert hub.reserved_output(job_hash) == 0
    hub.submit(copy.as_args(), sign(copy), sender=attacker)
    assert registry.ownerOf(job.output_id) == attacker.address


def test_reserved_output__copy_proved_through_zk_during_the_window__refused_then_accepted_after_rejection(
        hub, registry, optimistic, zk_adapter, make_job, zk_model, chain, creator, attacker, dao, other):
    job = make_job(model_id=zk_model, verifier=optimistic.address)
    optimistic.claim(job.as_args(), value=BOND, sender=creator)
    copy = dataclasses.replace(job, owner=attacker.address, verifier=zk_adapter.address)
    values = zk_instances(copy, chain.chain_id)

    with ape.reverts("attest: output reserved by a pending claim"):
        zk_adapter.prove_and_submit(copy.as_args(), zk_test_proof(values), values, sender=attacker)
    optimistic.challenge(job.struct_hash(), value=BOND, sender=other)
    optimistic.resolve(job.struct_hash(), False, sender=dao)
    zk_adapter.prove_and_submit(copy.as_args(), zk_test_proof(values), values, sender=attacker)

    assert registry.ownerOf(job.output_id) == attacker.address


def test_reserved_output__claimed_job_accepted__reservation_cleared(hub, registry, optimistic, claim, chain, buyer,
                                                                    attacker):
    job, job_hash, _ = claim()
    chain.pending_timestamp += WINDOW
    optimistic.finalize(job_hash, sender=attacker)

    hub.submit(job.as_args(), b"", sender=attacker)

    assert registry.ownerOf(job.output_id) == buyer.address
    assert hub.reserved_output(job_hash) == 0


def test_verifier_withdrawn__settlement_unblocked_then_dao_releases(registry, hub, optimistic, claim, dao, attacker):
    job, job_hash = _challenged(claim, optimistic, attacker)
    hub.set_verifier(optimistic, False, sender=dao)

    optimistic.resolve(job_hash, False, sender=dao)  # the release fails quietly; the bonds are settled
    assert optimistic.owed(attacker) == 2 * BOND
    assert registry.is_reserved(job.output_id) is True

    hub.release_output(job_hash, sender=dao)
    assert registry.is_reserved(job.output_id) is False
    assert hub.reserved_output(job_hash) == 0


def test_release_output__job_holds_no_reservation__no_op(registry, hub, dao, make_job):
    job = make_job()

    tx = hub.release_output(job.struct_hash(), sender=dao)

    assert tx.decode_logs(registry.ReservationReleased) == []
    assert registry.is_reserved(job.output_id) is False


def test_release_output__output_registered_meanwhile__clears_without_registry_call(registry, hub, claim, dao,
                                                                                 registrar):
    # Another registrar registered the reserved id (the DAO granted REGISTRAR_ROLE elsewhere): the
    # release clears the hub's record and leaves the registry alone.
    job, job_hash, _ = claim()
    registry.register(job.as_args()[5], 3, job.as_args()[6], 0, [], [], 0, sender=registrar)

    tx = hub.release_output(job_hash, sender=dao)

    assert tx.decode_logs(registry.ReservationReleased) == []
    assert hub.reserved_output(job_hash) == 0


def test_reserve_output__not_a_verifier__reverts(hub, attacker, dao):
    for sender in (attacker, dao):  # not even the DAO: reservations come with a bonded claim
        with ape.reverts("attest: caller is not an approved verifier"):
            hub.reserve_output(12345, b"\x01" * 32, sender=sender)


def test_release_output__stranger__reverts(hub, claim, attacker):
    job, _, _ = claim()

    with ape.reverts("attest: caller may not release outputs"):
        hub.release_output(job.struct_hash(), sender=attacker)


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
