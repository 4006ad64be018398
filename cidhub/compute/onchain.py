"""Compute attestations on-chain: deploying the hook, submitting, claiming, challenging,
finalizing, and reading back what happened to a job.

Every action checks first (the hub's `check_job` as a call, the claim's state, the bond, the
clock) and raises :class:`~cidhub.compute.jobs.AttestError` with the contract's reason, so a mistake
costs no gas. Jobs are found again from the chain alone: an optimistic claim's `Claimed` event
carries the whole job; an accepted job is rebuilt from `JobAccepted` and the registry's events of
the same transaction (parents and shares, owner, licence, royalty), and checked against its hash.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import AssetRecord
from cidhub.compute.jobs import (
    ZERO_ADDRESS,
    AttestError,
    Job,
    SignedAttestation,
    chain_cid,
    encode_zk_proof,
    format_id,
    sign_attestation,
    zk_instances,
)
from cidhub.errors import CidError

VERIFIER_KINDS = ("signed", "optimistic", "zk")
CONTRACT_OF_KIND = {"signed": "SignedAttestationVerifier", "optimistic": "OptimisticVerifier",
                    "zk": "ZkVerifierAdapter"}
CLAIM_STATUS = ("unclaimed", "pending", "challenged", "accepted", "rejected")
ATTESTER_KEY_ENV = "CIDHUB_ATTESTER_KEY"


# ---------------------------------------------------------------------------- contracts


@dataclass
class AttestContracts:
    registry: Any
    hub: Any
    signed: Any
    optimistic: Any
    zk: Any
    deploy_block: int = 0

    @classmethod
    def load(cls, deployment: Any = None) -> AttestContracts:
        from ape import project

        from cidhub.chain.assets import current_deployment

        deployment = deployment or current_deployment()
        at = lambda name: getattr(project, name).at(deployment.address_of(name))  # noqa: E731
        return cls(at("AssetRegistry"), at("ComputeAttestations"), at("SignedAttestationVerifier"),
                   at("OptimisticVerifier"), at("ZkVerifierAdapter"), deployment.deploy_block)

    def verifier(self, kind: str) -> Any:
        try:
            return {"signed": self.signed, "optimistic": self.optimistic, "zk": self.zk}[kind]
        except KeyError:
            raise AttestError(f"unknown verifier {kind!r}; use one of {', '.join(VERIFIER_KINDS)}") from None

    def kind_of(self, verifier: str) -> str:
        for kind in VERIFIER_KINDS:
            if self.verifier(kind).address.lower() == verifier.lower():
                return kind
        return "other"

    def content_cid_of(self, asset_id: int) -> Any:
        """The content CID the registry holds for an asset (what `reproduce` fetches)."""
        from ape.exceptions import ContractLogicError

        try:
            raw = bytes(self.registry.cid_of(asset_id))
        except ContractLogicError:
            raise AttestError(f"asset {format_id(asset_id)} is not registered") from None
        try:
            return chain_cid(raw)  # any codes the registry took, known to multiformats or not
        except CidError as exc:
            raise AttestError(f"asset {format_id(asset_id)} has a CID cidhub cannot parse: {exc}") from None


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "revert_message", None) or exc)


def check_job(contracts: AttestContracts, job: Job) -> None:
    """The hub's own checks, as a call: raises AttestError with its reason."""
    from ape.exceptions import ContractLogicError

    job.validate()
    try:
        contracts.hub.check_job(job.as_args())
    except ContractLogicError as exc:
        raise AttestError(f"the hub would refuse job {job.job_hash}: {_reason(exc)}") from None


def _send(method: Any, *args: Any, **kwargs: Any) -> Any:
    from ape.exceptions import ContractLogicError

    try:
        return method(*args, **kwargs)
    except ContractLogicError as exc:
        raise AttestError(_reason(exc)) from None


# ---------------------------------------------------------------------------- acting


@dataclass
class Acceptance:
    job_hash: str
    result_id: int
    verifier: str
    tx_hash: str
    gas_used: int
    consumer_notified: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"job_hash": self.job_hash, "result_id": format_id(self.result_id), "verifier": self.verifier,
                "tx_hash": self.tx_hash, "gas_used": self.gas_used, "consumer_notified": self.consumer_notified}


def _acceptance(contracts: AttestContracts, receipt: Any) -> Acceptance:
    (event,) = receipt.decode_logs(contracts.hub.JobAccepted)
    notified = receipt.decode_logs(contracts.hub.ConsumerNotified)
    return Acceptance("0x" + bytes(event.job_hash).hex(), event.result_id, event.verifier, str(receipt.txn_hash),
                      receipt.gas_used, bool(notified[0].success) if notified else None)


def sign_for_chain(contracts: AttestContracts, job: Job, private_key: Any, store: Any, *,
                   valid_for: int = 3_600) -> SignedAttestation:
    """Re-run the job from the store and sign it for this chain (refuses if the output differs)."""
    from ape import chain

    if job.verifier.lower() != contracts.signed.address.lower():
        raise AttestError("the job does not name this deployment's SignedAttestationVerifier")
    return sign_attestation(job, private_key, store, contracts.content_cid_of,
                            expires_at=chain.pending_timestamp + valid_for, chain_id=chain.chain_id)


def submit_signed(contracts: AttestContracts, attestation: SignedAttestation, sender: Any) -> Acceptance:
    from ape import chain

    job = attestation.job
    check_job(contracts, job)
    status = contracts.signed.attester_status(attestation.attester)
    if status != 1:
        raise AttestError(f"attester {attestation.attester} is {'revoked' if status == 2 else 'not approved'} "
                          "on the SignedAttestationVerifier")
    if attestation.expires_at < chain.pending_timestamp:
        raise AttestError(f"the attestation expired at {attestation.expires_at} (unix time); sign it again")
    return _acceptance(contracts, _send(contracts.hub.submit, job.as_args(), attestation.proof, sender=sender))


def claim(contracts: AttestContracts, job: Job, sender: Any) -> dict[str, Any]:
    """Post an optimistic claim with the bond the verifier asks."""
    if job.verifier.lower() != contracts.optimistic.address.lower():
        raise AttestError("the job does not name this deployment's OptimisticVerifier")
    check_job(contracts, job)
    state = contracts.optimistic.claim_of(job.struct_hash())
    if state.status:
        raise AttestError(f"job {job.job_hash} was already claimed (status {CLAIM_STATUS[state.status]})")
    bond = contracts.optimistic.bond()
    if sender.balance < bond:
        raise AttestError(f"the bond is {bond} wei but {sender.address} holds {sender.balance}")
    receipt = _send(contracts.optimistic.claim, job.as_args(), value=bond, sender=sender)
    (event,) = receipt.decode_logs(contracts.optimistic.Claimed)
    return {"job_hash": job.job_hash, "claimant": event.claimant, "bond": event.bond, "deadline": event.deadline,
            "tx_hash": str(receipt.txn_hash), "gas_used": receipt.gas_used}


def _claim_state(contracts: AttestContracts, job_hash: bytes) -> Any:
    state = contracts.optimistic.claim_of(job_hash)
    if not state.status:
        raise AttestError(f"no optimistic claim for job 0x{job_hash.hex()}")
    return state


def challenge(contracts: AttestContracts, job_hash: bytes, sender: Any) -> dict[str, Any]:
    from ape import chain

    state = _claim_state(contracts, job_hash)
    if state.status != 1:
        raise AttestError(f"the claim is {CLAIM_STATUS[state.status]}; only a pending claim can be challenged")
    if chain.pending_timestamp >= state.deadline:
        raise AttestError(f"the challenge window closed at {state.deadline} (unix time)")
    if state.claimant.lower() == sender.address.lower():
        raise AttestError("a claimant cannot challenge its own claim")
    receipt = _send(contracts.optimistic.challenge, job_hash, value=state.bond, sender=sender)
    (event,) = receipt.decode_logs(contracts.optimistic.Challenged)
    return {"job_hash": "0x" + job_hash.hex(), "challenger": event.challenger, "bond": event.bond,
            "resolve_by": event.resolve_by, "tx_hash": str(receipt.txn_hash), "gas_used": receipt.gas_used}


def finalize(contracts: AttestContracts, job: Job, sender: Any, *, submit: bool = True) -> dict[str, Any]:
    """Finalize an unchallenged claim after its window (bond back), then submit it to the hub."""
    from ape import chain

    job_hash = job.struct_hash()
    state = _claim_state(contracts, job_hash)
    out: dict[str, Any] = {"job_hash": job.job_hash}
    if state.status == 1:
        if chain.pending_timestamp < state.deadline:
            raise AttestError(f"the challenge window is open until {state.deadline} (unix time, "
                              f"{state.deadline - chain.pending_timestamp} s from now)")
        receipt = _send(contracts.optimistic.finalize, job_hash, sender=sender)
        out["finalize"] = {"tx_hash": str(receipt.txn_hash), "gas_used": receipt.gas_used, "bond_returned": state.bond}
    elif state.status != 3:
        raise AttestError(f"the claim is {CLAIM_STATUS[state.status]}; it cannot be accepted")
    if submit:
        check_job(contracts, job)
        receipt = _send(contracts.hub.submit, job.as_args(), b"", sender=sender)
        out["accepted"] = _acceptance(contracts, receipt).as_dict()
    return out


def resolve(contracts: AttestContracts, job_hash: bytes, upheld: bool, sender: Any) -> dict[str, Any]:
    state = _claim_state(contracts, job_hash)
    if state.status != 2:
        raise AttestError(f"the claim is {CLAIM_STATUS[state.status]}; only a challenged claim is resolved")
    receipt = _send(contracts.optimistic.resolve, job_hash, upheld, sender=sender)
    (event,) = receipt.decode_logs(contracts.optimistic.Resolved)
    return {"job_hash": "0x" + job_hash.hex(), "claim_upheld": upheld, "winner": event.winner,
            "amount": event.amount, "tx_hash": str(receipt.txn_hash)}


def withdraw_bonds(contracts: AttestContracts, sender: Any) -> int:
    owed = contracts.optimistic.owed(sender)
    if not owed:
        raise AttestError(f"{sender.address} is owed nothing by the OptimisticVerifier")
    _send(contracts.optimistic.withdraw, sender=sender)
    return owed


def zk_public_inputs(contracts: AttestContracts, job: Job) -> list[int]:
    """The public inputs a proof of `job` must start with on this chain (what the prover feeds the circuit)."""
    from ape import chain

    if job.verifier.lower() != contracts.zk.address.lower():
        raise AttestError("the job does not name this deployment's ZkVerifierAdapter")
    return zk_instances(job, chain.chain_id)


def submit_zk(contracts: AttestContracts, job: Job, zk_proof: bytes, instances: Sequence[int],
              sender: Any) -> Acceptance:
    from ape import chain

    expected = zk_public_inputs(contracts, job)
    check_job(contracts, job)
    if not int(contracts.zk.circuit_of(job.model_id), 16):
        raise AttestError(f"model {format_id(job.model_id)} has no circuit verifier on the ZkVerifierAdapter")
    if list(instances[:len(expected)]) != expected:
        raise AttestError(f"the proof's public inputs do not commit to job {job.job_hash} on chain "
                          f"{chain.chain_id}: they must start with the {len(expected)} values "
                          "`ape run attest zk-inputs` prints (job binding, model, datasets, params, output); "
                          "a proof made for another job, chain or adapter cannot accept this one")
    receipt = _send(contracts.zk.prove_and_submit, job.as_args(), zk_proof, list(instances), sender=sender)
    return _acceptance(contracts, receipt)


# ---------------------------------------------------------------------------- reading back


def _hash_bytes(job_hash: str | bytes) -> bytes:
    if isinstance(job_hash, bytes):
        return job_hash
    text = job_hash[2:] if job_hash.lower().startswith("0x") else job_hash
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise AttestError(f"{job_hash!r} is not a job hash (32 bytes of hex)") from None
    if len(value) != 32:
        raise AttestError(f"{job_hash!r} is not a job hash (32 bytes of hex)")
    return value


def _head() -> int:
    from ape import chain

    return chain.blocks.height


def accepted_event(contracts: AttestContracts, job_hash: bytes) -> Any | None:
    events = list(contracts.hub.JobAccepted.range(contracts.deploy_block, _head() + 1,
                                                  search_topics={"job_hash": job_hash}))
    return events[0] if events else None


def claimed_event(contracts: AttestContracts, job_hash: bytes) -> Any | None:
    events = list(contracts.optimistic.Claimed.range(contracts.deploy_block, _head() + 1,
                                                     search_topics={"job_hash": job_hash}))
    return events[0] if events else None


def job_from_acceptance(contracts: AttestContracts, event: Any) -> Job:
    """Rebuild an accepted job from its JobAccepted event and the registry's events of that transaction."""
    from ape import chain

    receipt = chain.provider.get_receipt(event.transaction_hash)
    registry = contracts.registry
    (provenance,) = [p for p in receipt.decode_logs(registry.ProvenanceRecorded) if p.asset_id == event.result_id]
    (registered,) = [r for r in receipt.decode_logs(registry.AssetRegistered) if r.asset_id == event.result_id]
    (mint,) = [t for t in receipt.decode_logs(registry.Transfer) if t.token_id == event.result_id]
    notified = [n for n in receipt.decode_logs(contracts.hub.ConsumerNotified)
                if bytes(n.job_hash) == bytes(event.job_hash)]
    record = AssetRecord.unpack(registered.record)
    try:
        output = record.content_cid(event.result_id)
    except CidError:  # a codec outside the multicodec table: the registry prints it
        output = None
    if output is None:  # not a sha2-256 CID: the registry stores it
        output = contracts.content_cid_of(event.result_id)
    parents, shares = list(provenance.parents), list(provenance.shares_bps)
    job = Job.build(model_id=parents[0], dataset_ids=parents[1:], model_share_bps=shares[0],
                    dataset_shares_bps=shares[1:], params_cid=bytes(event.params_cid), output_cid=output,
                    metadata_cid=bytes(event.metadata_cid), owner=mint.receiver, verifier=event.verifier,
                    licence_id=record.licence_id, royalty_bps=record.royalty_bps,
                    consumer=notified[0].consumer if notified else ZERO_ADDRESS)
    if job.struct_hash() != bytes(event.job_hash):
        raise AttestError("the job rebuilt from the chain does not hash to its JobAccepted job_hash")
    return job


def find_job(contracts: AttestContracts, job_hash: str | bytes) -> Job:
    """A job from the chain alone: its optimistic claim, or its acceptance."""
    digest = _hash_bytes(job_hash)
    claimed = claimed_event(contracts, digest)
    if claimed is not None:
        return Job.from_chain(claimed.job)
    accepted = accepted_event(contracts, digest)
    if accepted is not None:
        return job_from_acceptance(contracts, accepted)
    raise AttestError(f"no job 0x{digest.hex()} on this chain (neither claimed nor accepted); give the job file")


def job_hash_of_result(contracts: AttestContracts, result_id: int) -> bytes:
    events = list(contracts.hub.JobAccepted.range(contracts.deploy_block, _head() + 1,
                                                  search_topics={"result_id": result_id}))
    if not events:
        raise AttestError(f"asset {format_id(result_id)} was not registered by an accepted job")
    return bytes(events[0].job_hash)


@dataclass
class JobStatus:
    job_hash: str
    verifier_kind: str
    accepted: bool
    result_id: int | None = None
    claim: dict[str, Any] | None = None
    zk_proved: bool | None = None
    provenance: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"job_hash": self.job_hash, "verifier": self.verifier_kind, "accepted": self.accepted,
                "result_id": format_id(self.result_id) if self.result_id is not None else None,
                "claim": self.claim, "zk_proved": self.zk_proved, "provenance": self.provenance}


def job_status(contracts: AttestContracts, job: Job) -> JobStatus:
    from ape import chain

    digest = job.struct_hash()
    kind = contracts.kind_of(job.verifier)
    event = accepted_event(contracts, digest)
    status = JobStatus(job.job_hash, kind, event is not None, event.result_id if event is not None else None)
    if kind == "optimistic":
        state = contracts.optimistic.claim_of(digest)
        status.claim = {"status": CLAIM_STATUS[state.status], "claimant": state.claimant,
                        "challenger": None if int(state.challenger, 16) == 0 else state.challenger,
                        "bond": state.bond, "deadline": state.deadline or None,
                        "seconds_left": (max(0, state.deadline - chain.pending_timestamp)
                                         if state.status in (1, 2) else None)}
    if kind == "zk":
        status.zk_proved = bool(int(contracts.zk.proven_by(digest), 16))
    if status.result_id is not None:
        status.provenance = [{"asset_id": format_id(p.asset_id), "share_bps": p.share_bps,
                              "owner": contracts.registry.ownerOf(p.asset_id)}
                             for p in parents_of(contracts.registry, status.result_id)]
    return status


def list_jobs(contracts: AttestContracts) -> list[dict[str, Any]]:
    """Every job the chain knows: claims and acceptances, in block order."""
    rows: dict[str, dict[str, Any]] = {}
    head = _head() + 1
    for log in contracts.optimistic.Claimed.range(contracts.deploy_block, head):
        key = "0x" + bytes(log.job_hash).hex()
        rows[key] = {"job_hash": key, "verifier": "optimistic", "claimed_by": log.claimant, "accepted": False,
                     "result_id": None, "block": log.block_number}
    for log in contracts.hub.JobAccepted.range(contracts.deploy_block, head):
        key = "0x" + bytes(log.job_hash).hex()
        row = rows.setdefault(key, {"job_hash": key, "verifier": contracts.kind_of(log.verifier), "claimed_by": None,
                                    "block": log.block_number})
        row.update(accepted=True, result_id=format_id(log.result_id))
    for key, row in rows.items():
        if row["verifier"] == "optimistic":
            row["claim_status"] = CLAIM_STATUS[contracts.optimistic.claim_of(bytes.fromhex(key[2:])).status]
    return sorted(rows.values(), key=lambda r: r["block"])


# ---------------------------------------------------------------------------- attester keys


def attester_key(alias: str | None) -> Any:
    """The attester's private key: an Ape test account (``TEST::N``, local chains) or, for real
    keys, the environment variable CIDHUB_ATTESTER_KEY (never a file in the repository)."""
    if alias:
        if not alias.upper().startswith("TEST::"):
            raise AttestError("--attester takes a test account (TEST::N); give a real key in "
                              f"${ATTESTER_KEY_ENV} instead")
        from ape import accounts

        try:
            return accounts.test_accounts[int(alias.split("::", 1)[1])].private_key
        except (ValueError, IndexError):
            raise AttestError(f"{alias} is not a test account") from None
    key = os.environ.get(ATTESTER_KEY_ENV)
    if not key:
        raise AttestError(f"no attester key: pass --attester TEST::N on a local chain or set ${ATTESTER_KEY_ENV}")
    return key


def attester_address(key: Any) -> str:
    from eth_account import Account

    return to_checksum_address(Account.from_key(key).address)


__all__ = [
    "AttestContracts", "Acceptance", "JobStatus", "attester_address",
    "attester_key", "challenge", "check_job", "claim", "encode_zk_proof", "finalize",
    "find_job", "job_hash_of_result", "job_status", "list_jobs", "resolve", "sign_for_chain", "submit_signed",
    "submit_zk", "withdraw_bonds", "zk_public_inputs",
]
