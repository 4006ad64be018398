"""Deploying the cidhub suite: the DAO, the registry, the marketplace and the compute-attestation
hook, then handing every privileged lever to the DAO's timelock.

The records this writes (addresses, blocks, roles) are :mod:`cidhub.chain.deployment`'s; the
DAO's own contracts and the hand-over are :mod:`cidhub.chain.governance`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cidhub.chain.deployment import (
    DAO_CONTRACT,
    SUITE_ROLES,
    ContractRecord,
    Deployment,
    DeploymentError,
    git_commit,
    role_holders,
)
from cidhub.chain.governance import DAO_REACTION_TIME, GovernanceConfig, dao_decision_time, deploy_dao
from cidhub.chain.governance import hand_over as hand_over_levers

# OptimisticVerifier's bounds on the arbiter's resolution timeout.
MIN_RESOLUTION_TIMEOUT = 86_400
MAX_RESOLUTION_TIMEOUT = 90 * 86_400


@dataclass
class AttestationSetup:
    """Parameters of the attestation contracts; working roles besides the DAO are optional.

    The resolution timeout is how long the arbiter has to rule on a challenged claim. The DAO's
    timelock is always an arbiter, and a DAO ruling takes the governor's voting delay + voting
    period + the timelock delay (8 days with the defaults) plus time to notice the challenge and
    propose the ruling: the default, 14 days, leaves 6 days for that. :func:`check_arbiter_timing`
    refuses settings under which the DAO could not rule in time.
    """

    claim_bond: int = 10**17
    challenge_window: int = 86_400
    resolution_timeout: int = 14 * 86_400
    attesters: Sequence[str] = ()
    arbiter: str | None = None
    attester_manager: str | None = None


def check_arbiter_timing(setup: AttestationSetup, governance: Any, *, dao_arbitrates: bool = True) -> None:
    """Raise DeploymentError unless the arbiter can rule on a challenge before its deadline.

    ``governance`` is a :class:`cidhub.chain.governance.GovernanceConfig`. With ``dao_arbitrates`` (the
    suite's own timelock holds ARBITER_ROLE, as `deploy` leaves it), the timeout must cover a whole
    DAO decision (:func:`cidhub.chain.governance.dao_decision_time`) plus DAO_REACTION_TIME; otherwise
    every challenge would end in `expire_challenge`. Called before anything is sent.
    """
    days = lambda seconds: f"{seconds / 86_400:.4g} days"  # noqa: E731

    timeout = setup.resolution_timeout
    if not MIN_RESOLUTION_TIMEOUT <= timeout <= MAX_RESOLUTION_TIMEOUT:
        raise DeploymentError(f"the resolution timeout must be between {MIN_RESOLUTION_TIMEOUT:,} s (1 day) and "
                              f"{MAX_RESOLUTION_TIMEOUT:,} s (90 days), not {timeout:,} s")
    if not dao_arbitrates:
        return
    decision = dao_decision_time(governance.voting_delay, governance.voting_period, governance.timelock_delay)
    needed = decision + DAO_REACTION_TIME
    if timeout < needed:
        raise DeploymentError(
            f"the DAO could not rule on a challenged compute claim in time: a ruling takes the voting delay "
            f"({governance.voting_delay:,} s) + voting period ({governance.voting_period:,} s) + timelock delay "
            f"({governance.timelock_delay:,} s) = {decision:,} s ({days(decision)}), plus "
            f"{days(DAO_REACTION_TIME)} to notice the challenge and propose, i.e. {needed:,} s, but the "
            f"resolution timeout is {timeout:,} s ({days(timeout)}); every challenge would expire unjudged. "
            f"Raise --resolution-timeout to at least {needed} or shorten the governance delays")


def deploy_attestations(project: Any, deployer: Any, registry: Any, setup: AttestationSetup | None = None) -> dict[str, Any]:
    """Deploy the hub and the three verifiers, make the hub a REGISTRAR of the registry, approve
    the verifiers and the initial attester keys.

    The deployer grants itself each working role to do that (and keeps them if the suite is not
    handed over, as in the demo); the DAO hand-over in :func:`deploy_suite` moves
    every role listed in SUITE_ROLES to the timelock and the deployer renounces them.
    """
    setup = setup or AttestationSetup()
    hub = project.ComputeAttestations.deploy(registry, sender=deployer)
    signed = project.SignedAttestationVerifier.deploy(hub, sender=deployer)
    optimistic = project.OptimisticVerifier.deploy(hub, setup.claim_bond, setup.challenge_window,
                                                   setup.resolution_timeout, sender=deployer)
    zk = project.ZkVerifierAdapter.deploy(hub, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), hub, sender=deployer)
    bootstrap = [(hub, "VERIFIER_MANAGER_ROLE"), (signed, "ATTESTER_MANAGER_ROLE"), (optimistic, "ARBITER_ROLE"),
                 (optimistic, "PARAMS_MANAGER_ROLE"), (zk, "CIRCUIT_MANAGER_ROLE")]
    for contract, role in bootstrap:
        contract.grantRole(getattr(contract, role)(), deployer, sender=deployer)
    for verifier in (signed, optimistic, zk):
        hub.set_verifier(verifier, True, sender=deployer)
    for attester in setup.attesters:
        signed.add_attester(attester, sender=deployer)
    for contract, role, account in ((optimistic, "ARBITER_ROLE", setup.arbiter),
                                    (signed, "ATTESTER_MANAGER_ROLE", setup.attester_manager)):
        if account:
            contract.grantRole(getattr(contract, role)(), account, sender=deployer)
    return {"ComputeAttestations": hub, "SignedAttestationVerifier": signed, "OptimisticVerifier": optimistic,
            "ZkVerifierAdapter": zk}


def attest_options(command: Any) -> Any:
    """Click options for the attestation contracts; the command receives ``attestation``."""
    import click

    defaults = AttestationSetup()

    @click.option("--attester", "attesters", multiple=True, metavar="0xADDRESS",
                  help="An attester key (TEE enclave, oracle) to approve at deploy time (repeat).")
    @click.option("--claim-bond", default=defaults.claim_bond, show_default=True, type=int,
                  help="Optimistic claims' bond in wei (a challenge posts the same).")
    @click.option("--challenge-window", default=defaults.challenge_window, show_default=True, type=int,
                  help="Seconds an optimistic claim stays open to challenges.")
    @click.option("--resolution-timeout", default=defaults.resolution_timeout, show_default=True, type=int,
                  help="Seconds the arbiter has to rule on a challenged claim; must cover a whole DAO decision "
                  "(voting delay + period + timelock delay) plus a day to propose it.")
    @click.option("--arbiter", help="An arbitration council: address granted ARBITER_ROLE besides the DAO, which "
                  "rules faster than a vote and which the DAO can revoke (default: only the DAO).")
    @functools.wraps(command)
    def wrapper(*args: Any, attesters: tuple[str, ...], claim_bond: int, challenge_window: int,
                resolution_timeout: int, arbiter: str | None, **kwargs: Any) -> Any:
        setup = AttestationSetup(claim_bond=claim_bond, challenge_window=challenge_window,
                                 resolution_timeout=resolution_timeout, attesters=attesters, arbiter=arbiter)
        return command(*args, attestation=setup, **kwargs)

    return wrapper


DEFAULT_FEE_BPS = 250


def _record(contract: Any) -> ContractRecord:
    # Ape caches the creation receipt at deploy time (and the journal's replay), so this needs no special RPC.
    from cidhub.chain.bytecode import split_creation_input

    source = str(contract.contract_type.source_id or "")
    creation = contract.creation_metadata
    if creation:
        tx_hash = str(creation.txn_hash)
        tx = contract.provider.web3.eth.get_transaction(tx_hash)
        args = split_creation_input(contract.contract_type, bytes(tx["input"]))
        return ContractRecord(address=contract.address, block=creation.block, tx_hash=tx_hash, source=source,
                              constructor_args="0x" + args.hex())
    return ContractRecord(address=contract.address, block=contract.chain_manager.blocks.height, tx_hash="",
                          source=source)


def _build_metadata(project: Any, records: dict[str, ContractRecord]) -> tuple[dict[str, Any], dict[str, str]]:
    """(compiler, source hashes) for the deployment record: what an integrator or verifier checks."""
    from cidhub.chain.verify_source import compiler_settings, compiler_version, resolved_sources, source_hashes

    compilers = [c for c in (project.manifest.compilers or []) if c.name == "vyper"]
    settings = compiler_settings(dict(compilers[0].settings or {}) if compilers else None)
    sources: dict[str, str] = {}
    for record in records.values():
        if record.source:
            sources.update(resolved_sources(record.source))
    return {"name": "vyper", "version": compiler_version(), "settings": settings}, source_hashes(sources)


def deploy_suite(project: Any, deployer: Any, *, curator: str | None = None, registrar: str | None = None,
                 admin: str | None = None, treasury: str | None = None, fee_bps: int = DEFAULT_FEE_BPS,
                 fee_manager: str | None = None, token_manager: str | None = None,
                 ecosystem: str, network: str, chain_id: int, governance: Any = None,
                 allocations: Sequence[tuple[str, int]] | None = None, hand_over: bool = True,
                 attestation: Any = None, on_phase: Callable[[str], None] | None = None) -> Deployment:
    """Deploy the DAO (HubToken, HubTimelock, HubGovernor), the registry and the marketplace, and
    hand every lever of SUITE_ROLES to the DAO: the deployer keeps nothing.

    Working roles go to the addresses given (None: not granted) and stay; `ape run roles` lists
    them. ``admin`` takes the levers instead of the suite's timelock (an existing DAO's timelock,
    or the deployer itself for development); the governor still gets the timelock's operating
    roles. ``governance`` is a :class:`cidhub.chain.governance.GovernanceConfig`, ``allocations`` the
    initial HUB distribution besides the treasury (default: the contributors' share to the
    deployer). ``hand_over=False`` leaves the deployer admin with the working roles it was given
    (the demo does the hand-over later with :func:`cidhub.chain.governance.hand_over`).
    ``on_phase("handover")`` is called between the deployments and the hand-over (the deploy
    journal records it). Every transaction goes through ``deployer``, so a
    :mod:`cidhub.chain.deploy_journal` account makes the whole function resumable.
    """
    governance = governance or GovernanceConfig()
    attestation = attestation or AttestationSetup()
    # Before anything is sent: the suite's timelock (unless `admin` takes the levers) is the optimistic
    # verifier's arbiter, and must be able to rule on a challenge before it expires.
    check_arbiter_timing(attestation, governance, dao_arbitrates=admin is None)
    dao = deploy_dao(project, deployer, governance, allocations, lever_holder=admin)
    registry = project.AssetRegistry.deploy(sender=deployer)
    market = project.Marketplace.deploy(registry, treasury or admin or dao.timelock.address, fee_bps, sender=deployer)
    # ERC-2981 royalties go to per-asset receivers at this Marketplace; the link is set once, here,
    # while the deployer still holds the registry's admin role.
    registry.set_royalty_market(market, sender=deployer)
    contracts = {"HubTimelock": dao.timelock, "HubToken": dao.token, "HubGovernor": dao.governor,
                 "AssetRegistry": registry, "Marketplace": market}
    # The compute-attestation hook (hub + verifiers); `attestation` is a AttestationSetup.
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
    if on_phase is not None:
        on_phase("handover" if hand_over else "recorded")
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
    deployment.deploy_block_hash = "0x" + bytes(deployer.provider.get_block(first_block).hash).hex()
    deployment.compiler, deployment.sources = _build_metadata(project, records)
    for name, contract in contracts.items():
        deployment.roles[name] = role_holders(contract, SUITE_ROLES.get(name, ()), first_block)
    return deployment
