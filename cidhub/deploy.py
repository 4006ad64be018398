"""Deploying the cidhub suite and recording where it went.

Ape does not record deployments on local networks, so every deployment writes its own file,
``deployments/<ecosystem>-<network>.json``: contract addresses, deploy block, chain id, the git
commit the bytecode came from, and who holds which role. Scripts and tests load it back with
:func:`load_deployment`; the subgraph config will be generated from it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cidhub.errors import CidhubError

DEPLOYMENTS_DIR = Path("deployments")
ROLE_NAMES = ("DEFAULT_ADMIN_ROLE", "CURATOR_ROLE", "REGISTRAR_ROLE")


class DeploymentError(CidhubError):
    """A deployment file is missing or does not describe this chain."""


@dataclass
class ContractRecord:
    address: str
    block: int
    tx_hash: str


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
    def from_json(cls, data: dict[str, Any]) -> "Deployment":
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


def write_deployment(deployment: Deployment, directory: Path = DEPLOYMENTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = deployment_path(deployment.ecosystem, deployment.network, directory)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    tmp.replace(path)
    return path


def load_deployment(ecosystem: str, network: str, chain_id: int | None = None,
                    directory: Path = DEPLOYMENTS_DIR) -> Deployment:
    path = deployment_path(ecosystem, network, directory)
    if not path.exists():
        raise DeploymentError(
            f"no deployment for {ecosystem}:{network} ({path} is missing); run `ape run deploy --network {ecosystem}:{network}` first"
        )
    deployment = Deployment.from_json(json.loads(path.read_text()))
    if chain_id is not None and deployment.chain_id != chain_id:
        raise DeploymentError(
            f"{path} was written for chain id {deployment.chain_id} but the connected chain is {chain_id}; "
            "the chain was reset or this is another network: deploy again"
        )
    return deployment


def role_holders(contract: Any, from_block: int) -> dict[str, list[str]]:
    """Who holds each role now, replayed from RoleGranted/RoleRevoked events (no enumeration on-chain)."""
    holders: dict[str, list[str]] = {}
    for role_name in ROLE_NAMES:
        role = getattr(contract, role_name)()
        seen: dict[str, None] = {}
        for log in contract.RoleGranted.range(from_block, contract.chain_manager.blocks.height + 1):
            if log.role == role:
                seen[log.account] = None
        holders[role_name] = [a for a in seen if contract.hasRole(role, a)]
    return holders


def deploy_suite(project: Any, deployer: Any, *, curator: str | None = None, registrar: str | None = None,
                 admin: str | None = None, ecosystem: str, network: str, chain_id: int) -> Deployment:
    """Deploy the registry, grant its working roles and, if asked, hand the admin role over.

    ``admin`` other than the deployer (e.g. the DAO's timelock) receives DEFAULT_ADMIN_ROLE and
    the deployer renounces it, so the deployer keeps no lever.
    """
    registry = project.AssetRegistry.deploy(sender=deployer)
    # Ape caches the creation receipt at deploy time, so this needs no special RPC.
    creation = registry.creation_metadata
    block, tx_hash = (creation.block, creation.txn_hash) if creation else (registry.chain_manager.blocks.height, "")
    if curator:
        registry.grantRole(registry.CURATOR_ROLE(), curator, sender=deployer)
    if registrar:
        registry.grantRole(registry.REGISTRAR_ROLE(), registrar, sender=deployer)
    if admin and admin.lower() != deployer.address.lower():
        registry.grantRole(registry.DEFAULT_ADMIN_ROLE(), admin, sender=deployer)
        registry.renounceRole(registry.DEFAULT_ADMIN_ROLE(), deployer, sender=deployer)
    deployment = Deployment(
        ecosystem=ecosystem,
        network=network,
        chain_id=chain_id,
        deployer=deployer.address,
        deploy_block=block,
        commit=git_commit(),
        contracts={"AssetRegistry": ContractRecord(address=registry.address, block=block, tx_hash=str(tx_hash))},
    )
    deployment.roles["AssetRegistry"] = role_holders(registry, block)
    return deployment
