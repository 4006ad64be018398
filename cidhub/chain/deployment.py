"""Deploying the cidhub suite and recording where it went.

Ape does not record deployments on local networks, so every deployment writes its own file, twice
with the same content: ``deployments/<ecosystem>-<network>.json`` (what the scripts read with
``--network``) and ``deployments/<chain id>.json`` (what integrators look up by chain id). It holds
contract addresses with their creation transaction, block and constructor arguments, the start
block and its hash, the compiler version and settings, a hash of every source file compiled in,
the git commit, and who holds which role. Scripts and tests load it back with
:func:`load_deployment`, which also checks that the chain still holds it (:func:`check_on_chain`);
the subgraph config is generated from it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cidhub.errors import CidhubError

DEPLOYMENTS_DIR = Path("deployments")
RESET_MESSAGE = "this chain does not hold that deployment (was it reset?)"
# Pseudo-roles of snekmate ownable/erc20 contracts (HubToken): its owner and its minters.
OWNER = "owner"
MINTER = "minter"


class DeploymentError(CidhubError):
    """A deployment file is missing or does not describe this chain."""


@dataclass
class ContractRecord:
    address: str
    block: int
    tx_hash: str
    source: str = ""  # contracts/X.vy
    constructor_args: str = ""  # ABI-encoded, 0x-hex


@dataclass
class Deployment:
    ecosystem: str
    network: str
    chain_id: int
    deployer: str
    deploy_block: int
    commit: str
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    roles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    deploy_block_hash: str = ""
    # {"name": "vyper", "version": "0.4.3+commit...", "settings": {...standard-JSON settings}}
    compiler: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # import path -> "sha256:<hex>"

    @property
    def key(self) -> str:
        return f"{self.ecosystem}-{self.network}"

    def address_of(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentError(f"{name} is not in the {self.key} deployment; run `ape run deploy` again") from None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        contracts = {name: ContractRecord(**rec) for name, rec in data.get("contracts", {}).items()}
        return cls(**{**data, "contracts": contracts})


def git_commit(repo: Path | None = None) -> str:
    """The commit the contracts were built from, with "-dirty" if the tree has changes."""
    try:
        cwd = repo or Path.cwd()
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "contracts"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def deployment_path(ecosystem: str, network: str, directory: Path = DEPLOYMENTS_DIR) -> Path:
    return directory / f"{ecosystem}-{network}.json"


def chain_deployment_path(chain_id: int, directory: Path = DEPLOYMENTS_DIR) -> Path:
    return directory / f"{chain_id}.json"


def write_deployment(deployment: Deployment, directory: Path = DEPLOYMENTS_DIR) -> Path:
    """Write the record under its network name and under its chain id; returns the first path."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(deployment.to_json(), indent=2) + "\n"
    paths = [deployment_path(deployment.ecosystem, deployment.network, directory),
             chain_deployment_path(deployment.chain_id, directory)]
    for path in paths:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return paths[0]


def read_deployment(path: Path, chain_id: int | None = None, check: bool = True) -> Deployment:
    """A deployment file, checked against the connected chain (id, and :func:`check_on_chain`)."""
    deployment = Deployment.from_json(json.loads(path.read_text()))
    if chain_id is not None and deployment.chain_id != chain_id:
        raise DeploymentError(
            f"{path} was written for chain id {deployment.chain_id} but the connected chain is {chain_id}; "
            "this is another network: pick the right --network, or deploy here"
        )
    if check:
        check_on_chain(deployment, path)
    return deployment


def load_deployment(ecosystem: str, network: str, chain_id: int | None = None,
                    directory: Path = DEPLOYMENTS_DIR, check: bool = True) -> Deployment:
    """The deployment of ``ecosystem:network``; every script loads it through here."""
    path = deployment_path(ecosystem, network, directory)
    if not path.exists():
        raise DeploymentError(
            f"no deployment for {ecosystem}:{network} ({path} is missing); "
            f"run `ape run deploy --network {ecosystem}:{network}` first"
        )
    return read_deployment(path, chain_id, check)


def check_on_chain(deployment: Deployment, path: Path | str = "the deployment file") -> None:
    """The connected chain holds this deployment: code at the registry (the first contract if there
    is none) and, when recorded, the same hash for the deploy block. Raises DeploymentError saying
    RESET_MESSAGE otherwise: a restarted anvil, a reset testnet, or another chain behind the URL."""
    from ape import chain
    from ape.exceptions import BlockNotFoundError

    if not deployment.contracts:
        raise DeploymentError(f"{path} lists no contracts; run `ape run deploy` again")
    name = "AssetRegistry" if "AssetRegistry" in deployment.contracts else next(iter(deployment.contracts))
    address = deployment.contracts[name].address
    problems = []
    if not chain.provider.get_code(address):
        problems.append(f"there is no code at {name} {address}")
    if deployment.deploy_block_hash:
        try:
            found = chain.provider.get_block(deployment.deploy_block).hash
            found_hex = "0x" + bytes(found).hex() if found is not None else None
        except BlockNotFoundError:
            found_hex = None
        if found_hex is None:
            problems.append(f"block {deployment.deploy_block} does not exist yet")
        elif found_hex.lower() != deployment.deploy_block_hash.lower():
            problems.append(f"block {deployment.deploy_block} has hash {found_hex[:12]}…, not "
                            f"{deployment.deploy_block_hash[:12]}… as recorded")
    if problems:
        raise DeploymentError(f"{RESET_MESSAGE}: {path} records cidhub on chain {deployment.chain_id} from block "
                              f"{deployment.deploy_block}, but {'; '.join(problems)}. Deploy again "
                              "(`ape run deploy --fresh`) or connect to the chain that holds it.")


def role_holders(contract: Any, role_names: Iterable[str], from_block: int) -> dict[str, list[str]]:
    """Who holds each role now, replayed from RoleGranted events (there is no enumeration on-chain).

    The pseudo-roles OWNER and MINTER read snekmate's ownable owner and erc20 minters (replayed
    from RoleMinterChanged) for contracts built that way (HubToken).
    """
    role_names = list(role_names)
    height = contract.chain_manager.blocks.height + 1
    granted = [] if set(role_names) <= {OWNER, MINTER} else list(contract.RoleGranted.range(from_block, height))
    holders: dict[str, list[str]] = {}
    for role_name in role_names:
        if role_name == OWNER:
            owner = contract.owner()
            holders[role_name] = [] if int(owner, 16) == 0 else [owner]
            continue
        if role_name == MINTER:
            seen = dict.fromkeys(log.minter for log in contract.RoleMinterChanged.range(from_block, height))
            holders[role_name] = [a for a in seen if contract.is_minter(a)]
            continue
        role = getattr(contract, role_name)()
        seen = dict.fromkeys(log.account for log in granted if log.role == role)
        holders[role_name] = [a for a in seen if contract.hasRole(role, a)]
    return holders


# Every privileged role of the suite, by contract. The deploy grants them, `ape run roles` lists
# them, and the DAO hand-over moves every one of them: a new contract adds one line here.
SUITE_ROLES: dict[str, tuple[str, ...]] = {
    "AssetRegistry": ("DEFAULT_ADMIN_ROLE", "CURATOR_ROLE", "REGISTRAR_ROLE"),
    "Marketplace": ("DEFAULT_ADMIN_ROLE", "FEE_MANAGER_ROLE", "TOKEN_MANAGER_ROLE"),
    "HubToken": (OWNER, MINTER),
    "HubTimelock": ("DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"),
    "ComputeAttestations": ("DEFAULT_ADMIN_ROLE", "VERIFIER_MANAGER_ROLE"),
    "SignedAttestationVerifier": ("DEFAULT_ADMIN_ROLE", "ATTESTER_MANAGER_ROLE"),
    "OptimisticVerifier": ("DEFAULT_ADMIN_ROLE", "ARBITER_ROLE", "PARAMS_MANAGER_ROLE"),
    "ZkVerifierAdapter": ("DEFAULT_ADMIN_ROLE", "CIRCUIT_MANAGER_ROLE"),
}

# Once the DAO runs the suite, every role above is the timelock's alone, except these, which make
# the timelock work and belong to the governor alone. (A role meant for another suite contract,
# e.g. REGISTRAR_ROLE for the attestation contract, gets its line here.)
DAO_CONTRACT = "HubTimelock"
ROLE_HOLDERS: dict[tuple[str, str], str] = {
    ("HubTimelock", "PROPOSER_ROLE"): "HubGovernor",
    ("HubTimelock", "CANCELLER_ROLE"): "HubGovernor",
    ("HubTimelock", "EXECUTOR_ROLE"): "HubGovernor",
    ("AssetRegistry", "REGISTRAR_ROLE"): "ComputeAttestations",
}


def expected_holder(contract_name: str, role_name: str) -> str:
    """The suite contract that alone should hold `role_name` of `contract_name`."""
    return ROLE_HOLDERS.get((contract_name, role_name), DAO_CONTRACT)
