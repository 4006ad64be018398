"""ZkVerifierAdapter: proofs whose public inputs commit to the whole job (its hash, on this chain and
adapter) and to its model, data, params and output, checked by the model's circuit verifier (an
EZKL-style `verifyProof(bytes, uint256[])`; here the test stand-in)."""

from __future__ import annotations

import dataclasses

import ape
import pytest

from cidhub.compute.jobs import limbs, zk_instances, zk_job_binding

from .helpers import ZERO_ADDRESS, fresh_cid, zk_test_proof

BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617


@pytest.fixture
def zk_job(make_job, zk_adapter, zk_model):
    def _zk_job(**overrides):
        return make_job(model_id=zk_model, verifier=zk_adapter.address, **overrides)

    return _zk_job


@pytest.fixture
def instances(chain):
    """Factory: the public inputs of a proof of `job` on this chain (plus the circuit's own)."""

    def _instances(job, extra=(), chain_id=None):
        return zk_instances(job, chain.chain_id if chain_id is None else chain_id, extra)

    return _instances


@pytest.fixture
def prove(zk_adapter, instances):
    """Factory: `prove` with instances committing to `job` and a valid test proof, unless given."""

    def _prove(job, sender, values=None, proof=None):
        values = instances(job, extra=[7, 8]) if values is None else values
        return zk_adapter.prove(job.as_args(), zk_test_proof(values) if proof is None else proof, values, sender=sender)

    return _prove


def test_prove__valid__recorded_then_hub_accepts(hub, registry, zk_adapter, zk_circuit, zk_job, zk_model, prove,
                                                 attacker):
    job = zk_job()

    tx = prove(job, attacker)

    assert zk_adapter.proven_by(job.struct_hash()) == zk_circuit.address
    (event,) = tx.decode_logs(zk_adapter.ProofAccepted)
    assert (bytes(event.job_hash), event.model_id, event.circuit, event.prover) == (
        job.struct_hash(), zk_model, zk_circuit.address, attacker.address)
    hub.submit(job.as_args(), b"", sender=attacker)
    assert registry.ownerOf(job.output_id) == job.owner


def test_prove_and_submit__one_transaction(registry, zk_adapter, zk_job, instances, attacker, hub):
    job = zk_job()
    values = instances(job)

    tx = zk_adapter.prove_and_submit(job.as_args(), zk_test_proof(values), values, sender=attacker)

    assert registry.ownerOf(job.output_id) == job.owner
    assert tx.decode_logs(hub.JobAccepted)[0].verifier == zk_adapter.address


def test_prove__several_datasets__layout(registry, zk_adapter, zk_job, new_asset, instances, attacker, chain):
    datasets = [new_asset() for _ in range(3)]
    job = zk_job(dataset_ids=datasets, dataset_shares_bps=[100, 100, 100])
    values = instances(job)
    binding = int.from_bytes(zk_job_binding(job, chain.chain_id), "big")
    assert values[:2] == list(limbs(binding))
    assert values[2:4] == list(limbs(job.model_id))
    assert values[4:10] == [limb for d in datasets for limb in limbs(d)]
    assert values[10:] == [*limbs(job.params_key), *limbs(job.output_id)]

    zk_adapter.prove_and_submit(job.as_args(), zk_test_proof(values), values, sender=attacker)

    assert registry.ownerOf(job.output_id) == job.owner


def test_job_binding__contract_and_python_agree(zk_adapter, zk_job, chain):
    job = zk_job()

    assert bytes(zk_adapter.job_binding(job.struct_hash())) == zk_job_binding(job, chain.chain_id)


def test_job_binding__limbs_are_bn254_scalars_without_loss(zk_job, instances, chain):
    # 128-bit limbs: each below the scalar field's modulus, and (hi, lo) gives all 256 bits back.
    job = zk_job()
    values = instances(job)

    assert all(0 <= v < 2**128 < BN254_R for v in values)
    assert (values[0] << 128 | values[1]).to_bytes(32, "big") == zk_job_binding(job, chain.chain_id)


@pytest.mark.parametrize("index, reason", [
    (0, "attest: public inputs name another job"), (1, "attest: public inputs name another job"),
    (2, "attest: public inputs name another model"), (3, "attest: public inputs name another model"),
    (4, "attest: public inputs name other data"), (5, "attest: public inputs name other data"),
    (6, "attest: public inputs name other params"), (7, "attest: public inputs name other params"),
    (8, "attest: public inputs name another output"), (9, "attest: public inputs name another output"),
])
def test_prove__instances_do_not_commit_to_job__reverts(zk_job, instances, prove, attacker, index, reason):
    # A valid proof (the circuit accepts it) of some other computation is not a proof of this job.
    job = zk_job()
    values = instances(job)
    values[index] ^= 1

    with ape.reverts(reason):
        prove(job, attacker, values=values)


def _copy(job, field, consumer, dataset_b):
    """The honest job with one field changed, the way a copier would change it."""
    changes = {
        "owner": {"owner": "0x" + "5e" * 20},
        "model_share": {"model_share_bps": 100},
        "dataset_share_0": {"dataset_shares_bps": (100, job.dataset_shares_bps[1])},
        "dataset_share_1": {"dataset_shares_bps": (job.dataset_shares_bps[0], 100)},
        "licence": {"licence_id": job.licence_id + 1},
        "royalty": {"royalty_bps": 0},
        "metadata": {"metadata_cid": fresh_cid()},
        "consumer": {"consumer": consumer},
        "params": {"params_cid": fresh_cid()},
        "datasets_order": {"dataset_ids": tuple(reversed(job.dataset_ids)),
                           "dataset_shares_bps": tuple(reversed(job.dataset_shares_bps))},
        "dataset": {"dataset_ids": (job.dataset_ids[0], dataset_b)},
    }[field]
    return dataclasses.replace(job, **changes)


COPY_FIELDS = ["owner", "model_share", "dataset_share_0", "dataset_share_1", "licence", "royalty", "metadata",
               "consumer", "params", "datasets_order", "dataset"]


@pytest.mark.parametrize("field", COPY_FIELDS)
def test_copied_proof__job_with_one_field_changed__refused_then_honest_job_accepted(
        hub, registry, zk_adapter, zk_job, new_asset, instances, consumer, attacker, buyer, field):
    # The honest prover's proof is public (its `prove` transaction, or the mempool). A copier
    # submits it for the same output with one term of the job changed: refused, with the proof's
    # own public inputs (they name the honest job) or with inputs recomputed for the copy (then
    # the proof does not verify). The honest job is accepted afterwards.
    honest = zk_job(dataset_ids=[new_asset(), new_asset()], dataset_shares_bps=[1_000, 700], owner=buyer.address)
    values = instances(honest, extra=[7])
    proof = zk_test_proof(values)
    copy = _copy(honest, field, consumer.address, new_asset())
    assert copy.struct_hash() != honest.struct_hash() and copy.output_cid == honest.output_cid

    for entry in (zk_adapter.prove, zk_adapter.prove_and_submit):
        with ape.reverts("attest: public inputs name another job"):
            entry(copy.as_args(), proof, values, sender=attacker)
        with ape.reverts("attest: proof rejected"):
            entry(copy.as_args(), proof, instances(copy, extra=[7]), sender=attacker)
    assert zk_adapter.proven_by(copy.struct_hash()) == ZERO_ADDRESS

    zk_adapter.prove_and_submit(honest.as_args(), proof, values, sender=buyer)
    assert registry.ownerOf(honest.output_id) == buyer.address


def test_copied_proof__another_chain__refused(zk_job, instances, prove, attacker, chain):
    job = zk_job()
    values = instances(job, chain_id=chain.chain_id + 1)

    with ape.reverts("attest: public inputs name another job"):
        prove(job, attacker, values=values)


def test_verify__asked_by_another_than_its_hub__reverts(hub, zk_adapter, zk_job, prove, attacker):
    job = zk_job()
    prove(job, attacker)
    ref = hub.check_job(job.as_args())

    assert zk_adapter.verify(ref, b"", sender=hub.address) is True
    with ape.reverts("attest: caller is not the hub"):
        zk_adapter.verify(ref, b"", sender=attacker)


def test_verify__proved_job_through_another_hub__reverts(hub, second_hub, registry, zk_job, prove, attacker):
    job = zk_job()
    prove(job, attacker)

    with ape.reverts("attest: caller is not the hub"):
        second_hub.submit(job.as_args(), b"", sender=attacker)
    hub.submit(job.as_args(), b"", sender=attacker)
    assert registry.ownerOf(job.output_id) == job.owner


def test_prove__too_few_instances__reverts(zk_job, instances, prove, attacker):
    job = zk_job()

    with ape.reverts("attest: too few public inputs"):
        prove(job, attacker, values=instances(job)[:9])


def test_prove__invalid_proof_verifier_reverts__rejected(zk_adapter, zk_job, attacker, prove):
    job = zk_job()

    with ape.reverts("attest: proof rejected"):
        prove(job, attacker, proof=b"\x00" * 32)


def test_prove__invalid_proof_verifier_returns_false__rejected(zk_adapter, zk_circuit, zk_job, attacker, deployer,
                                                               prove):
    zk_circuit.set_mode(1, sender=deployer)
    job = zk_job()

    with ape.reverts("attest: proof rejected"):
        prove(job, attacker, proof=b"\x00" * 32)


def test_prove__verifier_always_false__rejected(zk_adapter, zk_circuit, zk_job, attacker, deployer, prove):
    zk_circuit.set_mode(2, sender=deployer)

    with ape.reverts("attest: proof rejected"):
        prove(zk_job(), attacker)


def test_prove__verifier_not_a_zk_verifier__rejected(zk_adapter, zk_job, zk_model, attacker, dao, consumer, prove):
    # A contract without verifyProof: the call fails, which is a rejection, not an accident.
    zk_adapter.set_circuit(zk_model, consumer, sender=dao)

    with ape.reverts("attest: proof rejected"):
        prove(zk_job(), attacker)


def test_prove__model_without_circuit__reverts(zk_adapter, make_job, attacker, prove):
    job = make_job(verifier=zk_adapter.address)  # the plain `model` has no circuit

    with ape.reverts("attest: no circuit for the model"):
        prove(job, attacker)


def test_prove__job_names_another_verifier__reverts(zk_adapter, make_job, zk_model, attacker, prove):
    job = make_job(model_id=zk_model)

    with ape.reverts("attest: job names another verifier"):
        prove(job, attacker)


def test_prove__hub_checks_job__reverts(zk_adapter, zk_job, attacker, prove):
    with ape.reverts("attest: unknown dataset"):
        prove(zk_job(dataset_ids=[31_337]), attacker)


def test_submit__not_proved__reverts(hub, zk_job, attacker):
    with ape.reverts("attest: job not proved"):
        hub.submit(zk_job().as_args(), b"", sender=attacker)


def test_submit__circuit_replaced_after_proof__reverts(hub, project, zk_adapter, zk_job, zk_model, attacker, dao,
                                                       deployer, prove):
    job = zk_job()
    prove(job, attacker)
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


def test_submit_zk__tooling_checks_the_public_inputs_before_sending(registry, hub, signed, optimistic, zk_adapter,
                                                                   zk_job, instances, attacker):
    from cidhub.compute.jobs import AttestError
    from cidhub.compute.onchain import AttestContracts, submit_zk, zk_public_inputs

    contracts = AttestContracts(registry, hub, signed, optimistic, zk_adapter)
    job = zk_job()
    values = zk_public_inputs(contracts, job)
    assert values == instances(job)
    copy = dataclasses.replace(job, owner=attacker.address)
    nonce = attacker.nonce

    with pytest.raises(AttestError, match="do not commit to job"):
        submit_zk(contracts, copy, zk_test_proof(values), values, attacker)
    assert attacker.nonce == nonce
    accepted = submit_zk(contracts, job, zk_test_proof(values + [5]), values + [5], attacker)
    assert accepted.result_id == job.output_id and registry.ownerOf(job.output_id) == job.owner
