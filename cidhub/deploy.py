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
from typing import Any, Iterable, Sequence

from cidhub.errors import CidhubError

DEPLOYMENTS_DIR = Path("deployments")
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


DEFAULT_FEE_BPS = 250


def _record(contract: Any) -> ContractRecord:
    # Ape caches the creation receipt at deploy time, so this needs no special RPC.
    creation = contract.creation_metadata
    if creation:
        return ContractRecord(address=contract.address, block=creation.block, tx_hash=str(creation.txn_hash))
    return ContractRecord(address=contract.address, block=contract.chain_manager.blocks.height, tx_hash="")


def deploy_suite(project: Any, deployer: Any, *, curator: str | None = None, registrar: str | None = None,
                 admin: str | None = None, treasury: str | None = None, fee_bps: int = DEFAULT_FEE_BPS,
                 fee_manager: str | None = None, token_manager: str | None = None,
                 ecosystem: str, network: str, chain_id: int, governance: Any = None,
                 allocations: Sequence[tuple[str, int]] | None = None, hand_over: bool = True,
                 attestation: Any = None) -> Deployment:
    """Deploy the DAO (HubToken, HubTimelock, HubGovernor), the registry and the marketplace, and
    hand every lever of SUITE_ROLES to the DAO: the deployer keeps nothing.

    Working roles go to the addresses given (None: not granted) and stay; `ape run roles` lists
    them. ``admin`` takes the levers instead of the suite's timelock (an existing DAO's timelock,
    or the deployer itself for development); the governor still gets the timelock's operating
    roles. ``governance`` is a :class:`cidhub.governance.GovernanceConfig`, ``allocations`` the
    initial HUB distribution besides the treasury (default: the contributors' share to the
    deployer). ``hand_over=False`` leaves the deployer admin with the working roles it was given
    (the demo does the hand-over later with :func:`cidhub.governance.hand_over`).
    """
    from cidhub.attest_chain import AttestationSetup, check_arbiter_timing, deploy_attestations
    from cidhub.governance import GovernanceConfig, deploy_dao
    from cidhub.governance import hand_over as hand_over_levers

    governance = governance or GovernanceConfig()
    attestation = attestation or AttestationSetup()
    # Before anything is sent: the suite's timelock (unless `admin` takes the levers) is the optimistic
    # verifier's arbiter, and must be able to rule on a challenge before it expires.
    check_arbiter_timing(attestation, governance, dao_arbitrates=admin is None)
    dao = deploy_dao(project, deployer, governance, allocations, lever_holder=admin)
    registry = project.AssetRegistry.deploy(sender=deployer)
    market = project.Marketplace.deploy(registry, treasury or admin or dao.timelock.address, fee_bps, sender=deployer)
    contracts = {"HubTimelock": dao.timelock, "HubToken": dao.token, "HubGovernor": dao.governor,
                 "AssetRegistry": registry, "Marketplace": market}
    # The compute-attestation hook (hub + verifiers); `attestation` is a cidhub.attest_chain.AttestationSetup.
    contracts.update(deploy_attestations(project, deployer, registry, attestation))
    grants = [
        (registry, "CURATOR_ROLE", curator),
        (registry, "REGISTRAR_ROLE", registrar),
        (market, "FEE_MANAGER_ROLE", fee_manager),
        (market, "TOKEN_MANAGER_ROLE", token_manager),
    ]
    for contract, role, account in grants:
        if account:
            contract.grantRole(getattr(contract, role)(), account, sender=deployer)
    records = {name: _record(c) for name, c in contracts.items()}
    first_block = min(r.block for r in records.values())
    if hand_over:
        holders = {DAO_CONTRACT: admin or dao.timelock.address, "HubGovernor": dao.governor.address}
        hand_over_levers(contracts, deployer, holders, from_block=first_block)
    deployment = Deployment(
        ecosystem=ecosystem,
        network=network,
        chain_id=chain_id,
        deployer=deployer.address,
        deploy_block=first_block,
        commit=git_commit(),
        contracts=records,
    )
    for name, contract in contracts.items():
        deployment.roles[name] = role_holders(contract, SUITE_ROLES.get(name, ()), first_block)
    return deployment
