"""ZkVerifierAdapter: proofs whose public inputs commit to the job, checked by the model's
circuit verifier (an EZKL-style `verifyProof(bytes, uint256[])`; here the test stand-in)."""

from __future__ import annotations

import ape
import pytest

from cidhub.compute.jobs import limbs, zk_instances

from .helpers import ZERO_ADDRESS, zk_test_proof


@pytest.fixture
def zk_job(make_job, zk_adapter, zk_model):
    def _zk_job(**overrides):
        return make_job(model_id=zk_model, verifier=zk_adapter.address, **overrides)

    return _zk_job


def _prove(adapter, job, sender, instances=None, proof=None):
    values = zk_instances(job, extra=[7, 8]) if instances is None else instances
    return adapter.prove(job.as_args(), zk_test_proof(values) if proof is None else proof, values, sender=sender)


def test_prove__valid__recorded_then_hub_accepts(hub, registry, zk_adapter, zk_circuit, zk_job, zk_model, attacker):
    job = zk_job()

    tx = _prove(zk_adapter, job, attacker)

    assert zk_adapter.proven_by(job.struct_hash()) == zk_circuit.address
    (event,) = tx.decode_logs(zk_adapter.ProofAccepted)
    assert (bytes(event.job_hash), event.model_id, event.circuit, event.prover) == (
        job.struct_hash(), zk_model, zk_circuit.address, attacker.address)
    hub.submit(job.as_args(), b"", sender=attacker)
    assert registry.ownerOf(job.output_id) == job.owner


def test_prove_and_submit__one_transaction(registry, zk_adapter, zk_job, attacker, hub):
    job = zk_job()
    values = zk_instances(job)

    tx = zk_adapter.prove_and_submit(job.as_args(), zk_test_proof(values), values, sender=attacker)

    assert registry.ownerOf(job.output_id) == job.owner
    assert tx.decode_logs(hub.JobAccepted)[0].verifier == zk_adapter.address


def test_prove__several_datasets__layout(registry, zk_adapter, zk_job, new_asset, attacker, hub):
    datasets = [new_asset() for _ in range(3)]
    job = zk_job(dataset_ids=datasets, dataset_shares_bps=[100, 100, 100])
    values = zk_instances(job)
    assert values[2:8] == [limb for d in datasets for limb in limbs(d)]

    zk_adapter.prove_and_submit(job.as_args(), zk_test_proof(values), values, sender=attacker)

    assert registry.ownerOf(job.output_id) == job.owner


@pytest.mark.parametrize("index, reason", [
    (0, "attest: public inputs name another model"), (1, "attest: public inputs name another model"),
    (2, "attest: public inputs name other data"), (3, "attest: public inputs name other data"),
    (4, "attest: public inputs name other params"), (5, "attest: public inputs name other params"),
    (6, "attest: public inputs name another output"), (7, "attest: public inputs name another output"),
])
def test_prove__instances_do_not_commit_to_job__reverts(zk_adapter, zk_job, attacker, index, reason):
    # A valid proof (the circuit accepts it) of some other computation is not a proof of this job.
    job = zk_job()
    values = zk_instances(job)
    values[index] ^= 1

    with ape.reverts(reason):
        _prove(zk_adapter, job, attacker, instances=values)


def test_prove__too_few_instances__reverts(zk_adapter, zk_job, attacker):
    job = zk_job()

    with ape.reverts("attest: too few public inputs"):
        _prove(zk_adapter, job, attacker, instances=zk_instances(job)[:7])


def test_prove__invalid_proof_verifier_reverts__rejected(zk_adapter, zk_job, attacker):
    job = zk_job()

    with ape.reverts("attest: proof rejected"):
        _prove(zk_adapter, job, attacker, proof=b"\x00" * 32)


def test_prove__invalid_proof_verifier_returns_false__rejected(zk_adapter, zk_circuit, zk_job, attacker, deployer):
    zk_circuit.set_mode(1, sender=deployer)
    job = zk_job()

    with ape.reverts("attest: proof rejected"):
        _prove(zk_adapter, job, attacker, proof=b"\x00" * 32)


def test_prove__verifier_always_false__rejected(zk_adapter, zk_circuit, zk_job, attacker, deployer):
    zk_circuit.set_mode(2, sender=deployer)

    with ape.reverts("attest: proof rejected"):
        _prove(zk_adapter, zk_job(), attacker)


def test_prove__verifier_not_a_zk_verifier__rejected(zk_adapter, zk_job, zk_model, attacker, dao, consumer):
    # A contract without verifyProof: the call fails, which is a rejection, not an accident.
    zk_adapter.set_circuit(zk_model, consumer, sender=dao)

    with ape.reverts("attest: proof rejected"):
        _prove(zk_adapter, zk_job(), attacker)


def test_prove__model_without_circuit__reverts(zk_adapter, make_job, attacker):
    job = make_job(verifier=zk_adapter.address)  # the plain `model` has no circuit

    with ape.reverts("attest: no circuit for the model"):
        _prove(zk_adapter, job, attacker)


def test_prove__job_names_another_verifier__reverts(zk_adapter, make_job, zk_model, attacker):
    job = make_job(model_id=zk_model)

    with ape.reverts("attest: job names another verifier"):
        _prove(zk_adapter, job, attacker)


def test_prove__hub_checks_job__reverts(zk_adapter, zk_job, attacker):
    with ape.reverts("attest: unknown dataset"):
        _prove(zk_adapter, zk_job(dataset_ids=[31_337]), attacker)


def test_submit__not_proved__reverts(hub, zk_job, attacker):
    with ape.reverts("attest: job not proved"):
        hub.submit(zk_job().as_args(), b"", sender=attacker)


def test_submit__circuit_replaced_after_proof__reverts(hub, project, zk_adapter, zk_job, zk_model, attacker, dao,
                                                       deployer):
    job = zk_job()
    _prove(zk_adapter, job, attacker)
    replacement = project.AttZkVerifier.deploy(sender=deployer)
    zk_adapter.set_circuit(zk_model, replacement, sender=dao)

    with ape.reverts("attest: circuit changed since the proof"):
        hub.submit(job.as_args(), b"", sender=attacker)


def test_set_circuit__manager__recorded_and_logged(zk_adapter, zk_circuit, new_asset, dao):
    model = new_asset()

    tx = zk_adapter.set_circuit(model, zk_circuit, sender=dao)

    assert zk_adapter.circuit_of(model) == zk_circuit.address
    (event,) = tx.decode_logs(zk_adapter.CircuitSet)
    assert (event.model_id, event.verifier, event.manager) == (model, zk_circuit.address, dao.address)


def test_set_circuit__remove__zero(zk_adapter, zk_model, dao):
    zk_adapter.set_circuit(zk_model, ZERO_ADDRESS, sender=dao)

    assert zk_adapter.circuit_of(zk_model) == ZERO_ADDRESS


def test_set_circuit__not_manager__reverts(zk_adapter, zk_circuit, zk_model, attacker):
    with ape.reverts("attest: caller is not a circuit manager"):
        zk_adapter.set_circuit(zk_model, zk_circuit, sender=attacker)


def test_set_circuit__eoa__reverts(zk_adapter, zk_model, dao, other):
    with ape.reverts("attest: verifier is not a contract"):
        zk_adapter.set_circuit(zk_model, other, sender=dao)


def test_verify_proof__selector_is_ezkl(zk_circuit):
    assert "verifyProof(bytes,uint256[])" in [m.selector for m in zk_circuit.contract_type.methods]
