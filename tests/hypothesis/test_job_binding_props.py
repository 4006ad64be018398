"""A verifier's evidence must vouch for one job, every field of it (issue #10, finding 2).

For each verifier, a job is drawn with `strategies.jobs` (every field independently: model,
datasets and their order, shares, params/output/metadata CIDs in several forms, licence, royalty,
owner among EOAs, wallets, suite contracts and keyless addresses, consumer), its evidence made
(an attester's signature, a zk proof with the instances the adapter asks for, an optimistic claim
left unchallenged), and the hub must accept the job with it (the positive control). Then one
field is changed with `strategies.job_mutations`, to a value the hub's own checks still accept
(`check_job` passes: only the evidence can tell the copy from the original), and the copy must be
refused with the original's evidence. Before the fix, a zk proof covered the model, the
datasets, the params and the output only: a copy with another owner, other shares, licence,
royalty, metadata or consumer was accepted, so anyone watching the mempool could take a proof and
register the result as their own.

Profiles (env HYPOTHESIS_PROFILE): `ci` 30 examples per verifier (10 for the optimistic one,
which sends transactions), derandomized; `deep` 500 / 100.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_account import Account
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from cidhub.compute.jobs import Job, sign_job, zk_instances
from cidhub.content.cid import RAW, cid_to_bytes, make_cid
from cidhub.chain.registry import Kind

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from revert_check import call_outcome  # noqa: E402
from strategies import AddressPool, addresses, job_mutations, jobs  # noqa: E402

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
#: A known gap (strict xfail) stops at its first counterexample in CI; deep runs shrink it.
KNOWN_GAP_PHASES = (tuple(Phase) if _PROFILE == "deep" else (Phase.explicit, Phase.reuse, Phase.generate))
_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                      HealthCheck.data_too_large])
VIEW_SETTINGS = settings(max_examples=500 if _PROFILE == "deep" else 30, derandomize=_PROFILE != "deep", **_COMMON)
TX_SETTINGS = settings(max_examples=100 if _PROFILE == "deep" else 10, derandomize=_PROFILE != "deep", **_COMMON)

ATTESTER_KEY = "0x" + "a7" * 32
BOND = 10**16
WINDOW = 3_600
TIMEOUT = 86_400


def _cid(label: str) -> bytes:
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(b"job-binding-" + label.encode()).digest()))


@pytest.fixture(scope="module")
def world(project, chain, registry, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    hub = project.ComputeAttestations.deploy(registry, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), hub, sender=deployer)
    hub.grantRole(hub.VERIFIER_MANAGER_ROLE(), dao, sender=deployer)
    signed = project.SignedAttestationVerifier.deploy(hub, sender=deployer)
    signed.grantRole(signed.ATTESTER_MANAGER_ROLE(), dao, sender=deployer)
    signed.add_attester(Account.from_key(ATTESTER_KEY).address, sender=dao)
    zk = project.ZkVerifierAdapter.deploy(hub, sender=deployer)
    zk.grantRole(zk.CIRCUIT_MANAGER_ROLE(), dao, sender=deployer)
    optimistic = project.OptimisticVerifier.deploy(hub, BOND, WINDOW, TIMEOUT, sender=deployer)
    for verifier in (signed, zk, optimistic):
        hub.set_verifier(verifier, True, sender=dao)
    circuit = project.AttZkVerifier.deploy(sender=deployer)

    def register(label, kind, owner):
        receipt = registry.register(_cid(label), int(kind), _cid(label + " card"), 1, [], [], 0, sender=owner)
        return receipt.decode_logs(registry.AssetRegistered)[0].asset_id

    models = tuple(register(f"model {i}", Kind.MODEL, creator) for i in range(3))
    for model in models:
        zk.set_circuit(model, circuit, sender=dao)
    datasets = tuple(register(f"dataset {i}", Kind.DATASET, other) for i in range(4))
    consumers = tuple(project.AttConsumer.deploy(sender=deployer).address for _ in range(2))
    wallet = project.PropWallet.deploy(creator, sender=deployer)
    inert = project.PropInert.deploy(sender=deployer)
    pool = AddressPool(eoas=(creator.address, buyer.address, other.address, attacker.address),
                       suite=(registry.address, hub.address, signed.address, zk.address, optimistic.address),
                       wallets=(wallet.address,), rejecting=(inert.address, *consumers))
    return _World(
        chain=chain, w3=chain.provider.web3, hub=hub, registry=registry, signed=signed, zk=zk, optimistic=optimistic,
        models=models, datasets=datasets, verifiers=(signed.address, zk.address, optimistic.address),
        owners=addresses(pool, zero=False),
        # the zero address (no consumer) or a contract: the hub refuses a consumer without code
        consumers=addresses(pool, eoas=False, keyless=False),
        relayer=attacker, claimant=buyer,
    )


class _World(SimpleNamespace):
    def __repr__(self) -> str:  # hypothesis prints the fixture with a failing example
        return "<job-binding world>"


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(world):
    """Deploy once per module, before Ape's per-test snapshot."""


def _draw_job(data, world, verifier) -> Job:
    return data.draw(jobs(models=world.models, datasets=world.datasets, verifiers=(verifier,), owners=world.owners,
                          consumers=world.consumers), label="job")


def _draw_copy(data, world, job: Job) -> tuple[str, Job]:
    field, copy = data.draw(job_mutations(job, models=world.models, datasets=world.datasets,
                                          verifiers=world.verifiers, owners=world.owners, consumers=world.consumers),
                            label="changed field")
    note(f"changed {field}: {getattr(job, field)!r} -> {getattr(copy, field)!r}")
    # Only the evidence may tell the copy from the original: the hub's own checks pass.
    assert call_outcome(world.w3, world.hub.check_job, copy.as_args(), sender=world.relayer) is None
    return field, copy


@VIEW_SETTINGS
@given(data=st.data())
def test_signed_attestation__vouches_for_every_field_of_the_job(world, data):
    job = _draw_job(data, world, world.signed.address)
    expires_at = world.chain.blocks.head.timestamp + 3_600
    proof = sign_job(job, ATTESTER_KEY, expires_at=expires_at, chain_id=world.chain.chain_id).proof
    assert call_outcome(world.w3, world.hub.submit, job.as_args(), proof, sender=world.relayer) is None

    field, copy = _draw_copy(data, world, job)
    outcome = call_outcome(world.w3, world.hub.submit, copy.as_args(), proof, sender=world.relayer)
    assert outcome is not None, f"a copy with another {field} was accepted on the original's signature"


@VIEW_SETTINGS
@given(data=st.data())
def test_zk_proof__vouches_for_every_field_of_the_job(world, data):
    job = _draw_job(data, world, world.zk.address)
    instances = zk_instances(job, world.chain.chain_id, extra=[7])
    zk_proof = _zk_test_proof(instances)
    assert call_outcome(world.w3, world.zk.prove_and_submit, job.as_args(), zk_proof, instances,
                        sender=world.relayer) is None

    field, copy = _draw_copy(data, world, job)
    # The copy's own instances, where the adapter asks for them: whatever a front-runner can
    # recompute from the copy without the witness. The proof stays the original's.
    for candidate in (instances, zk_instances(copy, world.chain.chain_id, extra=[7])):
        outcome = call_outcome(world.w3, world.zk.prove_and_submit, copy.as_args(), zk_proof, candidate,
                               sender=world.relayer)
        assert outcome is not None, f"a copy with another {field} was accepted on the original's proof"


def _zk_test_proof(instances) -> bytes:
    """What AttZkVerifier accepts: keccak256(abi.encode(uint256[] instances))."""
    from eth_abi import encode
    from eth_utils import keccak

    return keccak(encode(["uint256[]"], [list(instances)]))


@TX_SETTINGS
@given(data=st.data())
def test_optimistic_claim__vouches_for_every_field_of_the_job(world, data):
    chain = world.chain
    snapshot = chain.snapshot()
    try:
        job = _draw_job(data, world, world.optimistic.address)
        field, copy = _draw_copy(data, world, job)  # before the claim: it reserves the output
        world.optimistic.claim(job.as_args(), sender=world.claimant, value=BOND)
        # While the claim is pending, the copy cannot be submitted (its output is reserved for the
        # original's job hash, or its own hash was never claimed).
        assert call_outcome(world.w3, world.hub.submit, copy.as_args(), b"", sender=world.relayer) is not None
        chain.mine(deltatime=WINDOW + 1)
        world.optimistic.finalize(job.struct_hash(), sender=world.relayer)
        assert call_outcome(world.w3, world.hub.submit, job.as_args(), b"", sender=world.relayer) is None
        outcome = call_outcome(world.w3, world.hub.submit, copy.as_args(), b"", sender=world.relayer)
        assert outcome is not None, f"a copy with another {field} was accepted on the original's claim"
    finally:
        chain.restore(snapshot)


@pytest.mark.xfail(strict=True, reason="ComputeAttestations.check_job (what OptimisticVerifier.claim and "
                                       "ZkVerifierAdapter.prove rely on) does not check what the registry will "
                                       "refuse: a metadata CID that is not sha2-256, a royalty over the cap. A "
                                       "claim for such a job is accepted and finalized but can never be submitted, "
                                       "and its output stays reserved for it for good (found by this property, "
                                       "issue #10 follow-up); remove the mark with the fix")
@settings(TX_SETTINGS, phases=KNOWN_GAP_PHASES)
@given(data=st.data())
def test_optimistic_claim__check_job_passes__the_result_can_be_registered(world, data):
    """What the hub lets a claim reserve, it must be able to register once the claim is accepted:
    otherwise an unchallenged claim blocks its output CID for ever (and a front-runner can claim
    an honest job's output with such a copy)."""
    chain = world.chain
    job = data.draw(jobs(models=world.models, datasets=world.datasets, verifiers=(world.optimistic.address,),
                         owners=world.owners, consumers=world.consumers, exotic_metadata=True,
                         royalties=st.integers(0, 2**16 - 1)), label="job")
    if call_outcome(world.w3, world.hub.check_job, job.as_args(), sender=world.relayer) is not None:
        return  # refused up front: nothing is reserved
    snapshot = chain.snapshot()
    try:
        world.optimistic.claim(job.as_args(), sender=world.claimant, value=BOND)
        chain.mine(deltatime=WINDOW + 1)
        world.optimistic.finalize(job.struct_hash(), sender=world.relayer)
        outcome = call_outcome(world.w3, world.hub.submit, job.as_args(), b"", sender=world.relayer)
        assert outcome is None, (f"an accepted claim cannot be submitted ({outcome}); its output reserved: "
                                 f"{world.registry.is_reserved(job.output_id)}")
    finally:
        chain.restore(snapshot)

