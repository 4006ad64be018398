"""Fixtures of the compute-attestation tests (the shared ones live in tests/conftest.py).

Module-scoped: the hub (ComputeAttestations, REGISTRAR on the shared `registry`), the three
verifiers approved on it, a test zk verifier and a test consumer. `dao` holds every working role
(VERIFIER_MANAGER, ATTESTER_MANAGER, ARBITER, PARAMS_MANAGER, CIRCUIT_MANAGER); `deployer` only
DEFAULT_ADMIN_ROLE. The attester is an eth-account key with no ether: attesters sign, anyone submits.
`model` (owned by `creator`) and `dataset` (owned by `other`) are registered once per module.
"""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from cidhub.chain.registry import Kind
from cidhub.compute.jobs import Job, sign_job
from cidhub.content.cid import cid_to_bytes

from .helpers import BOND, TIMEOUT, WINDOW, fresh_cid

ATTESTER_KEY = "0x" + "a7" * 32
OTHER_KEY = "0x" + "b8" * 32


@pytest.fixture(scope="module", autouse=True)
def _reverts_without_source_traces(chain):
    """Revert reasons without Ape's source traceback and call-tree printout.

    For every revert ape-foundry traces the transaction, maps it to source lines and prints the
    call tree: ~4 s for a hub revert (the trace spans the hub, the registry and the verifier)
    against ~0.1 s for the reason alone. These tests check reasons, so they skip that; set
    CIDHUB_TEST_TRACES=1 to get the tracebacks back when debugging.
    """
    if os.environ.get("CIDHUB_TEST_TRACES"):
        yield
        return
    provider = chain.provider
    original = provider._handle_execution_reverted

    def reasons_only(exception, revert_message=None, **kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k not in ("trace", "txn")}
        return original(exception, revert_message=revert_message, **kwargs)

    provider._handle_execution_reverted = reasons_only
    yield
    provider._handle_execution_reverted = original


@pytest.fixture(scope="session")
def attester_key():
    return Account.from_key(ATTESTER_KEY)


@pytest.fixture(scope="session")
def stranger_key():
    """A key nobody approved."""
    return Account.from_key(OTHER_KEY)


@pytest.fixture(scope="module")
def hub(project, registry, deployer, dao):
    contract = project.ComputeAttestations.deploy(registry, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), contract, sender=deployer)
    contract.grantRole(contract.VERIFIER_MANAGER_ROLE(), dao, sender=deployer)
    return contract


@pytest.fixture(scope="module")
def signed(project, hub, deployer, dao, attester_key):
    contract = project.SignedAttestationVerifier.deploy(hub, sender=deployer)
    contract.grantRole(contract.ATTESTER_MANAGER_ROLE(), dao, sender=deployer)
    contract.add_attester(attester_key.address, sender=dao)
    hub.set_verifier(contract, True, sender=dao)
    return contract


@pytest.fixture(scope="module")
def optimistic(project, hub, deployer, dao):
    contract = project.OptimisticVerifier.deploy(hub, BOND, WINDOW, TIMEOUT, sender=deployer)
    contract.grantRole(contract.ARBITER_ROLE(), dao, sender=deployer)
    contract.grantRole(contract.PARAMS_MANAGER_ROLE(), dao, sender=deployer)
    hub.set_verifier(contract, True, sender=dao)
    return contract


@pytest.fixture(scope="module")
def zk_adapter(project, hub, deployer, dao):
    contract = project.ZkVerifierAdapter.deploy(hub, sender=deployer)
    contract.grantRole(contract.CIRCUIT_MANAGER_ROLE(), dao, sender=deployer)
    hub.set_verifier(contract, True, sender=dao)
    return contract


@pytest.fixture(scope="module")
def zk_circuit(project, deployer):
    """The test stand-in for an EZKL Halo2Verifier."""
    return project.AttZkVerifier.deploy(sender=deployer)


@pytest.fixture(scope="module")
def second_hub(project, registry, deployer, signed, optimistic, zk_adapter):
    """Another hub on the same registry that approved the suite's three verifiers (someone else's
    deployment, or a hub the DAO replaced): it must not be able to use their evidence."""
    contract = project.ComputeAttestations.deploy(registry, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), contract, sender=deployer)
    contract.grantRole(contract.VERIFIER_MANAGER_ROLE(), deployer, sender=deployer)
    for verifier in (signed, optimistic, zk_adapter):
        contract.set_verifier(verifier, True, sender=deployer)
    return contract


@pytest.fixture(scope="module")
def consumer(project, deployer):
    return project.AttConsumer.deploy(sender=deployer)


def _register(registry, owner, kind):
    tx = registry.register(cid_to_bytes(fresh_cid()), int(kind), cid_to_bytes(fresh_cid()), 1, [], [], 0, sender=owner)
    return tx.decode_logs(registry.AssetRegistered)[0].asset_id


@pytest.fixture(scope="module")
def model(registry, creator):
    return _register(registry, creator, Kind.MODEL)


@pytest.fixture(scope="module")
def dataset(registry, other):
    return _register(registry, other, Kind.DATASET)


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(hub, signed, optimistic, zk_adapter, zk_circuit, consumer, model, dataset, deployer, dao,
                             curator, creator, buyer, registrar, attacker, other, zk_model, second_hub):
    """Deploy everything module-scoped before Ape's per-test snapshot (see the registry suite)."""


@pytest.fixture(scope="module")
def zk_model(registry, creator, zk_adapter, zk_circuit, dao):
    """A second model whose circuit is registered with the zk adapter."""
    model_id = _register(registry, creator, Kind.MODEL)
    zk_adapter.set_circuit(model_id, zk_circuit, sender=dao)
    return model_id


@pytest.fixture
def new_asset(registry, creator):
    """Factory: register an asset of `kind` owned by `sender` and return its id."""

    def _new_asset(*, kind=Kind.DATASET, sender=None) -> int:
        return _register(registry, sender or creator, kind)

    return _new_asset


@pytest.fixture
def make_job(model, dataset, signed, buyer):
    """Factory: a valid job (fresh output) for `model` on `dataset`, verified by `signed`."""

    def _make_job(**overrides) -> Job:
        fields = dict(model_id=model, dataset_ids=[dataset], model_share_bps=2_000, dataset_shares_bps=[1_000],
                      params_cid=fresh_cid(), output_cid=fresh_cid(), metadata_cid=fresh_cid(), owner=buyer.address,
                      verifier=signed.address, licence_id=4, royalty_bps=300)
        fields.update(overrides)
        job = Job(
            int(fields["model_id"]), tuple(fields["dataset_ids"]), fields["model_share_bps"],
            tuple(fields["dataset_shares_bps"]), fields["params_cid"], fields["output_cid"], fields["metadata_cid"],
            fields["owner"], fields["verifier"], fields["licence_id"], fields["royalty_bps"],
            fields.get("consumer", "0x" + "00" * 20),
        )
        return job

    return _make_job


@pytest.fixture
def sign(chain, attester_key):
    """Factory: the signed verifier's proof for `job` (default: the approved key, valid for an hour)."""

    def _sign(job: Job, *, key=None, expires_at=None, chain_id=None) -> bytes:
        expiry = chain.pending_timestamp + 3_600 if expires_at is None else expires_at
        return sign_job(job, (key or attester_key).key, expires_at=expiry,
                        chain_id=chain.chain_id if chain_id is None else chain_id).proof

    return _sign


@pytest.fixture
def submit_signed(hub, sign, attacker):
    """Factory: sign `job` and submit it (from `attacker` by default: anyone may relay)."""

    def _submit(job: Job, *, sender=None, **sign_args):
        return hub.submit(job.as_args(), sign(job, **sign_args), sender=sender or attacker)

    return _submit



