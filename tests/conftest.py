"""Shared fixtures: accounts by role, the deployed suite, and factories.

Ape's pytest plugin runs these against a real anvil chain (ape-foundry) and reverts the chain
after every test, so module-scoped deployments are shared safely.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from cidhub.chain.registry import Kind
from cidhub.content.cid import DAG_PB, RAW, cid_to_bytes, make_cid

REPO_ROOT = Path(__file__).resolve().parent.parent

# The embedded IPFS node's fixtures (`ipfs_node`, `ipfs_node_factory`) for every test that needs one.
pytest_plugins = ["cidhub.ipfs.node.testing"]

_counter = itertools.count()


def fresh_digest() -> bytes:
    """A sha2-256 digest nobody has registered in this session (hash of a counter).

    No randomness: every session registers the same contents in the same order, so a failure
    (and a hypothesis example that uses these) reproduces exactly."""
    return hashlib.sha256(b"cidhub-test-%d" % next(_counter)).digest()


def content_cid(version: int = 1, codec: int = RAW, digest: bytes | None = None) -> bytes:
    """Binary CID of fresh content (CIDv1 raw by default)."""
    return cid_to_bytes(make_cid(version, codec if version else DAG_PB, digest or fresh_digest()))


def metadata_cid() -> bytes:
    return content_cid(1, RAW)


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def dao(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def curator(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def creator(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def buyer(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def registrar(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def attacker(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def other(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def registry(project, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    # Every role fixture is requested here so that all session-scoped accounts exist before
    # the module's chain snapshot; otherwise Ape's isolation has to rebase (and warns).
    contract = project.AssetRegistry.deploy(sender=deployer)
    contract.grantRole(contract.CURATOR_ROLE(), curator, sender=deployer)
    contract.grantRole(contract.REGISTRAR_ROLE(), registrar, sender=deployer)
    return contract


@pytest.fixture
def register_asset(registry, creator):
    """Factory: register a fresh asset and return (asset_id, receipt)."""

    def _register(
        *,
        kind: int = Kind.MODEL,
        parents=(),
        shares=None,
        royalty_bps: int = 500,
        licence_id: int = 1,
        cid: bytes | None = None,
        metadata: bytes | None = None,
        sender=None,
    ):
        parents = list(parents)
        shares = list(shares) if shares is not None else [100] * len(parents)
        tx = registry.register(
            cid or content_cid(),
            int(kind),
            metadata or metadata_cid(),
            licence_id,
            parents,
            shares,
            royalty_bps,
            sender=sender or creator,
        )
        return tx.return_value, tx

    return _register


# ---------------------------------------------------------------- governance (issue #4)

HUB = 10**18
# Short durations so tests move the clock by minutes, not days (seconds: the clock is timestamps).
GOVERNANCE_TEST_CONFIG = {
    "voting_delay": 100,
    "voting_period": 3_600,
    "timelock_delay": 500,
    "proposal_threshold": 1_000 * HUB,
    "quorum_bps": 400,
    "treasury": 1_050_000 * HUB,
}


@pytest.fixture(scope="module")
def governance_suite(project, chain, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    """The whole suite as `ape run deploy` leaves it: DAO deployed, every lever with its timelock.

    2,000,000 HUB: 1,050,000 in the treasury (timelock), 400,000 creator, 300,000 buyer,
    200,000 other, 50,000 curator; nobody has delegated yet. Attributes: one contract per name
    of the deployment (``.HubToken``, ``.AssetRegistry``...) and ``.deployment``.
    """
    from types import SimpleNamespace

    from cidhub.chain.deploy import deploy_suite
    from cidhub.chain.governance import GovernanceConfig

    deployment = deploy_suite(
        project, deployer, ecosystem="ethereum", network="local", chain_id=chain.chain_id,
        governance=GovernanceConfig(**GOVERNANCE_TEST_CONFIG),
        allocations=[(creator.address, 400_000 * HUB), (buyer.address, 300_000 * HUB),
                     (other.address, 200_000 * HUB), (curator.address, 50_000 * HUB)],
    )
    contracts = {name: getattr(project, name).at(rec.address) for name, rec in deployment.contracts.items()}
    return SimpleNamespace(deployment=deployment, **contracts)


@pytest.fixture(scope="module")
def hub_token(governance_suite):
    return governance_suite.HubToken


@pytest.fixture(scope="module")
def timelock(governance_suite):
    return governance_suite.HubTimelock


@pytest.fixture(scope="module")
def governor(governance_suite):
    return governance_suite.HubGovernor
