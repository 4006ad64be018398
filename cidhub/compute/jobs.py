"""Compute attestations off-chain: the job type, its hash, attester signatures, proofs, and
re-running a job to check a claim.

The job hash is defined once, in ``contracts/ComputeAttestations.vy``, as the EIP-712 struct
hash of :data:`JOB_TYPE`. :meth:`Job.struct_hash` computes it by hand (the Solidity-style rule,
no library) and :func:`job_hash_eip712` through eth-account's EIP-712 encoder; the tests check
both against the contract. An attester signs ``Attestation(Job job,uint64 expiresAt)`` under the
SignedAttestationVerifier's domain (name, version, chain id, verifying contract).

Nothing is signed that cannot be reproduced: :func:`sign_attestation` takes the job's inputs
from the local block store, re-runs the job (:mod:`cidhub.compute.runner`) and refuses if the output
CID differs from the one claimed, or if an input is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from multiformats import CID

from cidhub.chain.registry import MAX_ROYALTY_BPS, asset_id_for
from cidhub.compute.runner import OUTPUT_FORMAT, ComputeError, ScoreParams, describe, score
from cidhub.content.cid import (
    DAG_PB,
    RAW,
    ChainCid,
    cid_to_bytes,
    format_cid,
    parse_chain_cid,
    parse_cid,
)
from cidhub.content.store import BlockStore, LocalPinTarget
from cidhub.content.unixfs import DEFAULT_PROFILE, import_bytes
from cidhub.errors import CidError, CidhubError, StoreError

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_INPUTS = 8
MIN_SHARE_BPS = 100
MAX_UPSTREAM_BPS = 5_000
MAX_LICENCE_ID = (1 << 16) - 1
JOB_FILE_FORMAT = "cidhub-job-v1"
RESULT_CARD_SCHEMA = "https://cidhub.dev/schemas/asset-card/v1"

JOB_TYPE = (
    "Job(uint256 modelId,uint256[] datasetIds,uint16 modelShareBps,uint16[] datasetSharesBps,bytes paramsCid,"
    "bytes outputCid,bytes metadataCid,uint16 licenceId,uint16 royaltyBps,address owner,address verifier,"
    "address consumer)"
)
JOB_TYPEHASH = keccak(text=JOB_TYPE)
ATTESTATION_TYPE = "Attestation(Job job,uint64 expiresAt)" + JOB_TYPE
ATTESTATION_TYPEHASH = keccak(text=ATTESTATION_TYPE)
DOMAIN_NAME = "cidhub compute attestations"
DOMAIN_VERSION = "1"

#: The EIP-712 types, as eth-account (and wallets) take them.
EIP712_TYPES: dict[str, list[dict[str, str]]] = {
    "Job": [
        {"name": "modelId", "type": "uint256"},
        {"name": "datasetIds", "type": "uint256[]"},
        {"name": "modelShareBps", "type": "uint16"},
        {"name": "datasetSharesBps", "type": "uint16[]"},
        {"name": "paramsCid", "type": "bytes"},
        {"name": "outputCid", "type": "bytes"},
        {"name": "metadataCid", "type": "bytes"},
        {"name": "licenceId", "type": "uint16"},
        {"name": "royaltyBps", "type": "uint16"},
        {"name": "owner", "type": "address"},
        {"name": "verifier", "type": "address"},
        {"name": "consumer", "type": "address"},
    ],
    "Attestation": [
        {"name": "job", "type": "Job"},
        {"name": "expiresAt", "type": "uint64"},
    ],
}

# SignedAttestationVerifier's packed proof: attester (20) | expiresAt (8) | r (32) | s (32) | v (1)
SIGNED_PROOF_LENGTH = 93
_U64 = (1 << 64) - 1
_LIMB = (1 << 128) - 1


class AttestError(CidhubError):
    """A job that cannot be attested, submitted or checked; nothing was sent."""


def format_id(value: int) -> str:
    return f"0x{value:064x}"


def _address(value: str, what: str) -> str:
    try:
        return to_checksum_address(value)
    except (ValueError, TypeError):
        raise AttestError(f"{what} {value!r} is not an address") from None


#: A job's CID: a ``multiformats.CID`` when its codes are in the multicodec table (and usable
#: here), else a :class:`~cidhub.content.cid.ChainCid`: the contracts take any codes, so must cidhub.
JobCid = CID | ChainCid


def chain_cid(value: CID | ChainCid | str | bytes) -> JobCid:
    """Parse a CID the way a job carries it: with the multicodec table when its codes are known,
    else with the contracts' own framing rules (any codec or multihash code below 2**21)."""
    if isinstance(value, (CID, ChainCid)):
        return value
    try:
        return parse_cid(value)
    except CidError as strict:
        try:
            return parse_chain_cid(value)
        except CidError:
            raise strict from None


def _cid(value: CID | ChainCid | str | bytes, what: str) -> JobCid:
    try:
        return chain_cid(value)
    except CidError as exc:
        raise AttestError(f"{what}: {exc}") from None


def _bytes(value: CID | ChainCid | str | bytes) -> bytes:
    return bytes(value) if isinstance(value, (CID, ChainCid)) else cid_to_bytes(value)


# ---------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class Job:
    """One compute job, field for field the contract's ``Job`` struct."""

    model_id: int
    dataset_ids: tuple[int, ...]
    model_share_bps: int
    dataset_shares_bps: tuple[int, ...]
    params_cid: JobCid
    output_cid: JobCid
    metadata_cid: JobCid
    owner: str
    verifier: str
    licence_id: int = 0
    royalty_bps: int = 0
    consumer: str = ZERO_ADDRESS

    @classmethod
    def build(cls, *, model_id: int, dataset_ids: Iterable[int], model_share_bps: int,
              dataset_shares_bps: Iterable[int], params_cid: JobCid | str | bytes, output_cid: JobCid | str | bytes,
              metadata_cid: JobCid | str | bytes, owner: str, verifier: str, licence_id: int = 0, royalty_bps: int = 0,
              consumer: str = ZERO_ADDRESS) -> Job:
        job = cls(int(model_id), tuple(int(d) for d in dataset_ids), int(model_share_bps),
                  tuple(int(s) for s in dataset_shares_bps), _cid(params_cid, "params CID"),
                  _cid(output_cid, "output CID"), _cid(metadata_cid, "metadata CID"), _address(owner, "owner"),
                  _address(verifier, "verifier"), int(licence_id), int(royalty_bps), _address(consumer, "consumer"))
        job.validate()
        return job

    def validate(self) -> None:
        """Raise AttestError for anything the hub refuses without looking at the chain."""
        count = len(self.dataset_ids)
        if not 1 <= count <= MAX_INPUTS:
            raise AttestError(f"a job has 1 to {MAX_INPUTS} input datasets, not {count}")
        if len(self.dataset_shares_bps) != count:
            raise AttestError(f"{count} datasets but {len(self.dataset_shares_bps)} shares: give one share per dataset")
        inputs = (self.model_id, *self.dataset_ids)
        if len(set(inputs)) != len(inputs):
            raise AttestError("the same asset is listed twice among the model and the datasets")
        shares = (self.model_share_bps, *self.dataset_shares_bps)
        if any(not MIN_SHARE_BPS <= s <= 0xFFFF for s in shares):
            raise AttestError(f"every input's upstream share must be at least {MIN_SHARE_BPS} bps (1 %)")
        if sum(shares) > MAX_UPSTREAM_BPS:
            raise AttestError(f"upstream shares add up to {sum(shares)} bps; the cap is {MAX_UPSTREAM_BPS} bps (50 %)")
        if not 0 <= self.licence_id <= MAX_LICENCE_ID:
            raise AttestError(f"licence id must be between 0 and {MAX_LICENCE_ID}")
        if not 0 <= self.royalty_bps <= MAX_ROYALTY_BPS:
            raise AttestError(f"royalty must be between 0 and {MAX_ROYALTY_BPS} bps")
        if int(self.owner, 16) == 0:
            raise AttestError("the job needs an owner (who receives the result asset)")
        for what, value in (("params", self.params_cid), ("output", self.output_cid), ("metadata", self.metadata_cid)):
            if len(_bytes(value)) > 72:
                raise AttestError(f"the {what} CID is longer than the 72 bytes the contracts take")

    # ---- identities

    @property
    def output_id(self) -> int:
        """The asset id the result will have (the registry's rule)."""
        return asset_id_for(self.output_cid)

    @property
    def params_key(self) -> int:
        return asset_id_for(self.params_cid)

    def struct_hash(self) -> bytes:
        """hashStruct(Job), written out the way ComputeAttestations' docstring defines it."""
        words = lambda values: keccak(b"".join(v.to_bytes(32, "big") for v in values))  # noqa: E731
        return keccak(abi_encode(
            ["bytes32", "uint256", "bytes32", "uint16", "bytes32", "bytes32", "bytes32", "bytes32", "uint16",
             "uint16", "address", "address", "address"],
            [JOB_TYPEHASH, self.model_id, words(self.dataset_ids), self.model_share_bps,
             words(self.dataset_shares_bps), keccak(_bytes(self.params_cid)),
             keccak(_bytes(self.output_cid)), keccak(_bytes(self.metadata_cid)), self.licence_id,
             self.royalty_bps, self.owner, self.verifier, self.consumer],
        ))

    @property
    def job_hash(self) -> str:
        return "0x" + self.struct_hash().hex()

    # ---- encodings

    def typed_message(self) -> dict[str, Any]:
        """The job as an EIP-712 message value (camelCase names of :data:`JOB_TYPE`)."""
        return {
            "modelId": self.model_id, "datasetIds": list(self.dataset_ids), "modelShareBps": self.model_share_bps,
            "datasetSharesBps": list(self.dataset_shares_bps), "paramsCid": _bytes(self.params_cid),
            "outputCid": _bytes(self.output_cid), "metadataCid": _bytes(self.metadata_cid),
            "licenceId": self.licence_id, "royaltyBps": self.royalty_bps, "owner": self.owner,
            "verifier": self.verifier, "consumer": self.consumer,
        }

    def as_args(self) -> tuple:
        """The struct in ABI order, for contract calls."""
        return (self.model_id, list(self.dataset_ids), self.model_share_bps, list(self.dataset_shares_bps),
                _bytes(self.params_cid), _bytes(self.output_cid), _bytes(self.metadata_cid),
                self.licence_id, self.royalty_bps, self.owner, self.verifier, self.consumer)

    def parents(self) -> list[tuple[int, int]]:
        """(asset id, share) of the result's parents, as the registry will record them."""
        return [(self.model_id, self.model_share_bps), *zip(self.dataset_ids, self.dataset_shares_bps, strict=True)]

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": format_id(self.model_id), "dataset_ids": [format_id(d) for d in self.dataset_ids],
            "model_share_bps": self.model_share_bps, "dataset_shares_bps": list(self.dataset_shares_bps),
            "params_cid": str(self.params_cid), "output_cid": str(self.output_cid),
            "metadata_cid": str(self.metadata_cid), "licence_id": self.licence_id,
            "royalty_bps": self.royalty_bps, "owner": self.owner, "verifier": self.verifier,
            "consumer": self.consumer,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        try:
            return cls.build(
                model_id=_int(data["model_id"]), dataset_ids=[_int(d) for d in data["dataset_ids"]],
                model_share_bps=data["model_share_bps"], dataset_shares_bps=data["dataset_shares_bps"],
                params_cid=data["params_cid"], output_cid=data["output_cid"], metadata_cid=data["metadata_cid"],
                owner=data["owner"], verifier=data["verifier"], licence_id=data.get("licence_id", 0),
                royalty_bps=data.get("royalty_bps", 0), consumer=data.get("consumer", ZERO_ADDRESS),
            )
        except KeyError as exc:
            raise AttestError(f"the job has no {exc.args[0]!r} field") from None

    @classmethod
    def from_chain(cls, value: Any) -> Job:
        """From a decoded contract struct (a Claimed event's `job`, a call's argument)."""
        if isinstance(value, (list, tuple)) and not hasattr(value, "model_id"):
            value = dict(zip(_ABI_FIELDS, value, strict=True))  # a plain tuple in ABI order
        get = (lambda k: value[k]) if isinstance(value, dict) else (lambda k: getattr(value, k))
        return cls.build(
            model_id=get("model_id"), dataset_ids=get("dataset_ids"), model_share_bps=get("model_share_bps"),
            dataset_shares_bps=get("dataset_shares_bps"), params_cid=bytes(get("params_cid")),
            output_cid=bytes(get("output_cid")), metadata_cid=bytes(get("metadata_cid")), owner=get("owner"),
            verifier=get("verifier"), licence_id=get("licence_id"), royalty_bps=get("royalty_bps"),
            consumer=get("consumer"),
        )


_ABI_FIELDS = ("model_id", "dataset_ids", "model_share_bps", "dataset_shares_bps", "params_cid", "output_cid",
               "metadata_cid", "licence_id", "royalty_bps", "owner", "verifier", "consumer")


def _int(value: int | str) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def job_hash_eip712(job: Job) -> bytes:
    """hashStruct(Job) through eth-account's EIP-712 encoder (an independent second computation)."""
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message={
        "types": {"EIP712Domain": [], "Job": EIP712_TYPES["Job"]},
        "primaryType": "Job", "domain": {}, "message": job.typed_message(),
    })
    return bytes(signable.body)


# ---------------------------------------------------------------------------- signed attestations


def typed_attestation(job: Job, expires_at: int, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The full EIP-712 document an attester signs (what a wallet would display)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
            ],
            **EIP712_TYPES,
        },
        "primaryType": "Attestation",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": _address(verifying_contract, "verifying contract")},
        "message": {"job": job.typed_message(), "expiresAt": expires_at},
    }


def attestation_digest(job: Job, expires_at: int, chain_id: int, verifying_contract: str) -> bytes:
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    return bytes(_hash_eip191_message(encode_typed_data(
        full_message=typed_attestation(job, expires_at, chain_id, verifying_contract))))


def pack_signed_proof(attester: str, expires_at: int, v: int, r: int, s: int) -> bytes:
    """SignedAttestationVerifier's 93-byte proof."""
    if not 0 <= expires_at <= _U64:
        raise AttestError("expires_at must fit in 64 bits")
    return (bytes.fromhex(_address(attester, "attester")[2:]) + expires_at.to_bytes(8, "big")
            + r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v]))


def unpack_signed_proof(proof: bytes) -> tuple[str, int, int, int, int]:
    if len(proof) != SIGNED_PROOF_LENGTH:
        raise AttestError(f"a signed proof is {SIGNED_PROOF_LENGTH} bytes, not {len(proof)}")
    return (to_checksum_address(proof[:20]), int.from_bytes(proof[20:28], "big"),
            proof[92], int.from_bytes(proof[28:60], "big"), int.from_bytes(proof[60:92], "big"))


@dataclass(frozen=True)
class SignedAttestation:
    job: Job
    attester: str
    expires_at: int
    chain_id: int
    verifier: str
    proof: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"job_hash": self.job.job_hash, "attester": self.attester, "expires_at": self.expires_at,
                "chain_id": self.chain_id, "verifier": self.verifier, "proof": "0x" + self.proof.hex()}


def sign_job(job: Job, private_key: Any, *, expires_at: int, chain_id: int) -> SignedAttestation:
    """Sign an attestation of `job` for the verifier it names. Checks nothing about the output:
    use :func:`sign_attestation`, which re-runs the job first."""
    from eth_account import Account

    account = Account.from_key(private_key)
    typed = typed_attestation(job, expires_at, chain_id, job.verifier)
    signed = Account.sign_typed_data(private_key, full_message=typed)
    proof = pack_signed_proof(account.address, expires_at, signed.v, signed.r, signed.s)
    return SignedAttestation(job, account.address, expires_at, chain_id, job.verifier, proof)


# ---------------------------------------------------------------------------- zk public inputs


def limbs(value: int) -> tuple[int, int]:
    """A 256-bit key as two 128-bit BN254 scalars (hi, lo)."""
    return value >> 128, value & _LIMB


ZK_JOB_BINDING_TYPE = "ZkJobBinding(uint256 chainId,address adapter,bytes32 jobHash)"
ZK_JOB_BINDING_TYPEHASH = keccak(text=ZK_JOB_BINDING_TYPE)


def zk_job_binding(job: Job, chain_id: int) -> bytes:
    """The value that ties a zk proof to exactly this job on this chain and adapter (``job.verifier``):
    keccak256(abi.encode(ZK_JOB_BINDING_TYPEHASH, chainId, adapter, jobHash)), as ZkVerifierAdapter's
    ``job_binding`` computes it. The job hash covers every term (owner, shares, licence, royalty,
    metadata, consumer...), so a proof made for one job cannot accept a copy with any field changed."""
    return keccak(abi_encode(["bytes32", "uint256", "address", "bytes32"],
                             [ZK_JOB_BINDING_TYPEHASH, chain_id, job.verifier, job.struct_hash()]))


def zk_instances(job: Job, chain_id: int, extra: Sequence[int] = ()) -> list[int]:
    """The public inputs ZkVerifierAdapter requires, as 128-bit limbs (hi, lo): the job binding
    (:func:`zk_job_binding`), the model, each dataset, the params and the output, then the circuit's own."""
    keys = [int.from_bytes(zk_job_binding(job, chain_id), "big"), job.model_id, *job.dataset_ids, job.params_key,
            job.output_id]
    return [limb for key in keys for limb in limbs(key)] + list(extra)


def encode_zk_proof(zk_proof: bytes, instances: Sequence[int]) -> bytes:
    """ZkVerifierAdapter's proof argument: abi.encode(bytes zkProof, uint256[] instances)."""
    return abi_encode(["bytes", "uint256[]"], [zk_proof, list(instances)])


# ---------------------------------------------------------------------------- running and checking jobs


def read_content(store: BlockStore, cid: CID | str) -> bytes:
    """A file's bytes from the local block store, every block verified as it is read."""
    from cidhub.errors import BlockNotFoundError
    from cidhub.ipfs.node.dagread import iter_file

    parsed = parse_cid(cid)
    try:
        return b"".join(iter_file(store, parsed))
    except BlockNotFoundError:
        raise AttestError(f"{format_cid(parsed)} is not in the local block store ({store.root}); "
                          "fetch it (cidhub car / ape run pins) or publish it from this machine") from None


def _add(store: BlockStore, data: bytes, label: str) -> CID:
    result = import_bytes(data, DEFAULT_PROFILE, store.put_block)
    LocalPinTarget(store).pin(result.cid, label=label)
    return result.cid


#: The params :func:`run_job` uses when given none (ScoreParams is frozen, so one instance serves every call).
DEFAULT_PARAMS = ScoreParams()


@dataclass(frozen=True)
class JobRun:
    """What running a job locally produced (all of it stored and pinned in the block store)."""

    model_cid: CID
    dataset_cids: tuple[CID, ...]
    params_cid: CID
    output_cid: CID
    output: bytes

    def summary(self) -> dict[str, Any]:
        return {**describe(self.output), "output_cid": format_cid(self.output_cid)}


def run_job(store: BlockStore, model_cid: CID | str, dataset_cids: Sequence[CID | str],
            params: ScoreParams | bytes = DEFAULT_PARAMS) -> JobRun:
    """Run the scoring job on content from the store; keep its params and output there too."""
    params_bytes = params if isinstance(params, bytes) else params.to_bytes()
    model = parse_cid(model_cid)
    datasets = tuple(parse_cid(c) for c in dataset_cids)
    try:
        output = score(read_content(store, model), [read_content(store, d) for d in datasets], params_bytes)
    except ComputeError as exc:
        raise AttestError(f"the job cannot run: {exc}") from None
    params_cid = _add(store, params_bytes, "job params")
    output_cid = _add(store, output, "job output")
    return JobRun(model, datasets, params_cid, output_cid, output)


def result_card(run: JobRun, *, model_id: int, dataset_ids: Sequence[int], verifier_kind: str,
                name: str | None = None) -> bytes:
    """The result's metadata card: deterministic, so the same job always names the same card."""
    card = {
        "$schema": RESULT_CARD_SCHEMA,
        "name": name or f"scores of {len(dataset_ids)} dataset(s) by model {format_id(model_id)[:18]}",
        "kind": "result",
        "content": {"cid": format_cid(run.output_cid), "size": len(run.output), "cid_profile": DEFAULT_PROFILE.name,
                    "type": "file", "format": OUTPUT_FORMAT},
        "job": {
            "model": {"asset_id": format_id(model_id), "cid": format_cid(run.model_cid)},
            "datasets": [{"asset_id": format_id(d), "cid": format_cid(c)}
                         for d, c in zip(dataset_ids, run.dataset_cids, strict=True)],
            "params_cid": format_cid(run.params_cid),
            "verified_by": verifier_kind,
        },
        "derived_from": [format_id(model_id), *(format_id(d) for d in dataset_ids)],
    }
    return (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()


def build_job(store: BlockStore, run: JobRun, *, model_id: int, dataset_ids: Sequence[int], model_share_bps: int,
              dataset_shares_bps: Sequence[int], owner: str, verifier: str, verifier_kind: str,
              licence_id: int = 0, royalty_bps: int = 0, consumer: str = ZERO_ADDRESS, name: str | None = None) -> Job:
    """The job describing `run`, with its result card stored in the block store."""
    card = result_card(run, model_id=model_id, dataset_ids=dataset_ids, verifier_kind=verifier_kind, name=name)
    metadata_cid = _add(store, card, "result card")
    return Job.build(model_id=model_id, dataset_ids=dataset_ids, model_share_bps=model_share_bps,
                     dataset_shares_bps=dataset_shares_bps, params_cid=run.params_cid, output_cid=run.output_cid,
                     metadata_cid=metadata_cid, owner=owner, verifier=verifier, licence_id=licence_id,
                     royalty_bps=royalty_bps, consumer=consumer)


@dataclass
class Verdict:
    """Whether a job's claimed output is what its inputs produce."""

    job_hash: str
    claimed_output: str
    recomputed_output: str | None
    holds: bool | None  # None: could not be checked (content missing, job cannot run)
    reason: str
    inputs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"job_hash": self.job_hash, "holds": self.holds, "claimed_output": self.claimed_output,
                "recomputed_output": self.recomputed_output, "reason": self.reason, "inputs": self.inputs}


#: Codecs of the files a cidhub job reads (its model, datasets and params are UnixFS files).
JOB_INPUT_CODECS = (RAW, DAG_PB)


def _unreadable(what: str, cid: JobCid) -> str | None:
    """Why no run of cidhub's job can read this input, or None."""
    if isinstance(cid, ChainCid):
        return (f"the {what} CID {cid} has codec 0x{cid.codec:x} and hash function 0x{cid.hash_code:x}, "
                "which cidhub can neither decode nor verify")
    if cid.codec.code not in JOB_INPUT_CODECS:
        return f"the {what} CID {cid} is {cid.codec.name}, not a file (raw or dag-pb)"
    return None


def reproduce(job: Job, store: BlockStore, content_cid_of: Callable[[int], JobCid]) -> Verdict:
    """Re-run `job` from its CIDs and compare outputs. `content_cid_of(asset_id)` gives an input's
    content CID (the registry's `cid_of`); the bytes come from the local block store.

    ``holds`` is True when the output is reproduced, False when it is not, or when no run of the
    job can produce any output (an input that is not a file cidhub can read, such as a params CID
    with a codec outside the multicodec table, or inputs the job cannot run on): a claim like that
    can, and should, be challenged. It is None only when the check cannot be made *here* (content
    missing from, or corrupt in, the local store; an input not registered).
    """
    claimed = str(job.output_cid)
    inputs: dict[str, str] = {}

    def verdict(holds: bool | None, reason: str, recomputed: str | None = None) -> Verdict:
        return Verdict(job.job_hash, claimed, recomputed, holds, reason, inputs)

    try:
        model_cid = content_cid_of(job.model_id)
        dataset_cids = [content_cid_of(d) for d in job.dataset_ids]
    except (AttestError, CidError) as exc:
        return verdict(None, f"cannot reproduce here: {exc}")
    inputs = {"model": str(model_cid), "params": str(job.params_cid),
              **{f"dataset {i}": str(c) for i, c in enumerate(dataset_cids)}}
    named = [("model", model_cid), *((f"dataset {i}", c) for i, c in enumerate(dataset_cids)),
             ("params", job.params_cid)]
    for what, cid in named:
        problem = _unreadable(what, cid)
        if problem:
            return verdict(False, f"cannot be reproduced by anyone: {problem}; cidhub's job reads its model, "
                                  "datasets and params as files, so no output is right for this job")
    try:
        params = read_content(store, job.params_cid)
        model = read_content(store, model_cid)
        datasets = [read_content(store, c) for c in dataset_cids]
    except (AttestError, StoreError) as exc:  # missing here, or this store's copy is damaged
        return verdict(None, f"cannot reproduce here: {exc}")
    except CidhubError as exc:  # the content is there but is not a file (a directory, a malformed node...)
        return verdict(False, f"cannot be reproduced by anyone: {exc}; no output is right for this job")
    try:
        output = score(model, datasets, params)
    except ComputeError as exc:
        return verdict(False, f"the job cannot run on its inputs ({exc}); no output is right for it")
    recomputed = import_bytes(output, DEFAULT_PROFILE).cid
    if _bytes(recomputed) == _bytes(job.output_cid):
        return verdict(True, "the output CID is what the model and data produce", str(recomputed))
    return verdict(False, f"the model and data produce {recomputed}, not the claimed output", str(recomputed))


def sign_attestation(job: Job, private_key: Any, store: BlockStore, content_cid_of: Callable[[int], JobCid], *,
                     expires_at: int, chain_id: int) -> SignedAttestation:
    """Re-run the job, and sign only if its output is exactly the claimed one."""
    verdict = reproduce(job, store, content_cid_of)
    if verdict.holds is not True:
        raise AttestError(f"refusing to sign job {job.job_hash}: {verdict.reason}")
    return sign_job(job, private_key, expires_at=expires_at, chain_id=chain_id)


# ---------------------------------------------------------------------------- job files


def job_document(job: Job, *, verifier_kind: str, chain_id: int | None = None, hub: str | None = None,
                 run: JobRun | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": JOB_FILE_FORMAT, "job_hash": job.job_hash, "verifier_kind": verifier_kind,
                           "chain_id": chain_id, "hub": hub, "job": job.to_json()}
    if run is not None:
        doc["run"] = run.summary()
    return doc


def load_job_document(data: dict[str, Any]) -> tuple[Job, dict[str, Any]]:
    if data.get("format") != JOB_FILE_FORMAT:
        raise AttestError(f"not a {JOB_FILE_FORMAT} job file")
    job = Job.from_json(data["job"])
    if data.get("job_hash") and data["job_hash"].lower() != job.job_hash:
        raise AttestError(f"the file's job_hash {data['job_hash']} does not match its job ({job.job_hash}); "
                          "it was edited by hand")
    return job, data


def with_verifier(job: Job, verifier: str) -> Job:
    return replace(job, verifier=_address(verifier, "verifier"))
