# pragma version ~=0.4.3
"""
@title ComputeAttestations
@notice The verifiable-compute hook of cidhub: one on-chain record for a
        compute result whatever proved it (a TEE or oracle signature, an
        optimistic claim that survived its challenge window, a zero-knowledge
        proof). A job binds a model asset, 1..MAX_INPUTS input datasets, a
        parameters/config CID and the claimed output CID. It is accepted only
        through the verifier the job names, which the DAO must have approved;
        on acceptance the output is registered in the AssetRegistry as a
        `result` asset owned by `job.owner` whose parents are the model and
        the datasets, so the Marketplace pays their owners a share of every
        sale of the result. Each output CID is accepted at most once.
@dev The job hash, defined once. It is the EIP-712 struct hash (hashStruct)
     of the type

       Job(uint256 modelId,uint256[] datasetIds,uint16 modelShareBps,
           uint16[] datasetSharesBps,bytes paramsCid,bytes outputCid,
           bytes metadataCid,uint16 licenceId,uint16 royaltyBps,
           address owner,address verifier,address consumer)

     (one line, no spaces after commas), i.e. in Solidity:

       keccak256(abi.encode(
           JOB_TYPEHASH, modelId,
           keccak256(abi.encodePacked(datasetIds)),        // 32 bytes each
           modelShareBps,
           keccak256(abi.encodePacked(datasetSharesBps)),  // padded to 32 bytes each
           keccak256(paramsCid), keccak256(outputCid), keccak256(metadataCid),
           licenceId, royaltyBps, owner, verifier, consumer))

     CIDs are binary CIDs; asset ids are the AssetRegistry's. The struct hash
     carries no domain, so it is the same on every chain; verifiers add
     their own domain where it matters (SignedAttestationVerifier signs
     `Attestation(Job job,uint64 expiresAt)` under an EIP-712 domain with
     chain id and verifying contract). `job_hash()` computes it on-chain and
     cidhub.attest.Job.struct_hash in Python.

     Upstream shares. The job proposes them (model_share_bps and one share
     per dataset, in basis points of the result's revenue); the verifier's
     evidence covers them, since they are part of the job hash. The hub
     enforces a floor of MIN_SHARE_BPS per input, so no input is written out
     of the provenance, and a cap of MAX_UPSTREAM_BPS in total, so the
     result keeps at least half of its revenue. They become the parents'
     shares in the registry, which the Marketplace pays on every sale.

     Gas. The hub writes no storage of its own on acceptance: replay
     protection is the registry's uniqueness of the output CID (a job hash
     commits to its output CID, so each job hash is accepted at most once),
     and the record is the registry's result asset (kind, parents, shares,
     metadata card) plus the JobAccepted event. The registration dominates:
     `register_for` with two parents writes three fresh slots (owner and
     packed fields, metadata digest, provenance commitment).
@custom:security Acceptance = approved verifier + its `verify` (STATICCALL,
                 so a verifier cannot change state during an acceptance) +
                 the registry's checks. The consumer callback runs last,
                 after every effect, with a gas cap and without bubbling its
                 failure; `submit` holds no lock because it keeps no state a
                 re-entrant call could observe half-written. Roles
                 (VERIFIER_MANAGER, DEFAULT_ADMIN) are meant for the DAO's
                 timelock. Output squatting: a claimed output is public for
                 the whole challenge window, so the optimistic verifier
                 reserves it (`reserve_output`) for the claim's job hash when
                 it takes the claim: in the registry only a registrar (this
                 hub) can then register it, and this hub accepts it only for
                 that job hash (so a copy of the claimed job with another
                 owner, vouched for by any other verifier, is refused). A CID
                 seen in the mempool (a signed submission) can still be
                 registered first by someone else; the job then fails with
                 "attest: output already registered".
"""

from snekmate.auth.interfaces import IAccessControl
implements: IAccessControl

from snekmate.auth import access_control
initializes: access_control

from .interfaces import IAssetRegistry
from .interfaces import IComputeVerifier
from .interfaces import IComputeAttestations
implements: IComputeAttestations

from .modules import cid

exports: (
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    access_control.supportsInterface,
)


VERIFIER_MANAGER_ROLE: public(constant(bytes32)) = keccak256("VERIFIER_MANAGER_ROLE")

# The bounds of IComputeVerifier (interface constants are not importable).
MAX_INPUTS: public(constant(uint256)) = 8
MAX_PROOF_BYTES: public(constant(uint256)) = 1_024
MAX_BPS: public(constant(uint256)) = 10_000
# Every input keeps at least 1 % of the result's revenue ...
MIN_SHARE_BPS: public(constant(uint256)) = 100
# ... and the inputs together take at most half of it.
MAX_UPSTREAM_BPS: public(constant(uint256)) = 5_000
# Gas the consumer callback receives; `submit` reverts if it cannot forward
# that much (after EIP-150's 63/64 rule and the call's own costs), so a
# submitter cannot starve the consumer on purpose.
CONSUMER_GAS: public(constant(uint256)) = 100_000
_CONSUMER_GAS_NEEDED: constant(uint256) = CONSUMER_GAS * 64 // 63 + 10_000

JOB_TYPEHASH: public(constant(bytes32)) = keccak256(
    "Job(uint256 modelId,uint256[] datasetIds,uint16 modelShareBps,uint16[] datasetSharesBps,bytes paramsCid,bytes outputCid,bytes metadataCid,uint16 licenceId,uint16 royaltyBps,address owner,address verifier,address consumer)"
)

# AssetRegistry kinds
_KIND_DATASET: constant(uint256) = 0
_KIND_MODEL: constant(uint256) = 1
_KIND_RESULT: constant(uint8) = 3
_SHA2_256: constant(uint256) = 18
# The registry's `register_for` takes one parent more than it allows (for a
# clear revert reason); the hub never sends more than 1 + MAX_INPUTS.
_PARENTS_ARG_BOUND: constant(uint256) = 17
# Room for a registry revert reason to pass on.
_REVERT_BYTES: constant(uint256) = 256


event JobAccepted:
    job_hash: indexed(bytes32)
    result_id: indexed(uint256)
    verifier: indexed(address)
    # Everything else of the job is in the registry's events of the same
    # transaction: parents and shares (ProvenanceRecorded), owner (Transfer),
    # licence, royalty and output codec (AssetRegistered.record).
    params_cid: Bytes[cid.MAX_CID_BYTES]
    metadata_cid: Bytes[cid.MAX_CID_BYTES]


event ConsumerNotified:
    job_hash: indexed(bytes32)
    consumer: indexed(address)
    success: bool


event VerifierApprovalChanged:
    verifier: indexed(address)
    approved: bool
    manager: indexed(address)


registry: public(immutable(IAssetRegistry))
verifier_approved: public(HashMap[address, bool])
# job hash of a pending optimistic claim -> the output id it reserved (0: none)
reserved_output: public(HashMap[bytes32, uint256])


@deploy
def __init__(registry_: IAssetRegistry):
    """
    @param registry_ The AssetRegistry results are registered in; the deploy
           grants this contract its REGISTRAR_ROLE.
    @dev The deployer receives DEFAULT_ADMIN_ROLE only.
    """
    access_control.__init__()
    registry = registry_


# ---------------------------------------------------------------- jobs


@external
@view
def job_hash(job: IComputeAttestations.Job) -> bytes32:
    """
    @notice The job's EIP-712 struct hash (see the module docstring).
    @param job The job.
    @return bytes32 hashStruct(job).
    """
    return self._job_hash(job)


@external
@view
def check_job(job: IComputeAttestations.Job) -> IComputeVerifier.JobRef:
    """
    @notice Runs every check `submit` runs except the verifier's own, and
            returns what the verifier would be asked about.
    @dev Reverts with the reason `submit` would give. The optimistic verifier
         calls it before taking a bond; scripts call it before sending.
    @param job The job.
    @return JobRef The job hash and the ids the verifier sees.
    """
    return self._check(job)


@external
def submit(job: IComputeAttestations.Job, proof: Bytes[MAX_PROOF_BYTES]) -> uint256:
    """
    @notice Accepts a job whose verifier vouches for it and registers its
            output as a `result` asset of `job.owner`, derived from the model
            and the datasets with the job's upstream shares.
    @dev Anyone may submit (a relayer, the attester, the owner): everything
         that matters is in the job and covered by the verifier's evidence.
         The result is registered before the inputs' kinds and listing are
         read and before the verifier is asked: the registry reads the same
         slots (it checks that parents exist), so the hub's reads are warm,
         and any failure reverts the registration with the rest. A failed
         registration is explained with the hub's own reason where it has
         one ("attest: unknown model", "attest: output already registered",
         ...), else with the registry's. The consumer, if any, is called last
         with CONSUMER_GAS; its failure is logged, not raised.
    @param job The job.
    @param proof The verifier's evidence: a signature for the signed
           verifier, nothing for the optimistic and zk verifiers (their
           evidence is taken in their own transactions).
    @return uint256 The result's asset id.
    """
    assert self.verifier_approved[job.verifier], "attest: verifier not approved"
    params_key: uint256 = self._check_terms(job)
    job_hash: bytes32 = self._job_hash(job)
    # A reserved output belongs to the job of the claim that reserved it: the
    # hub may register a reserved id, so it is the hub that refuses the rest.
    # (Asked before the registration, which clears the registry's flag; the
    # read warms the slot the registration reads anyway.)
    output_id: uint256 = self._output_id(job.output_cid)
    if staticcall registry.is_reserved(output_id):
        assert self.reserved_output[job_hash] == output_id, "attest: output reserved by a pending claim"
        self.reserved_output[job_hash] = 0
    result_id: uint256 = self._register(job)
    self._check_inputs(job.model_id, job.dataset_ids)
    ref: IComputeVerifier.JobRef = IComputeVerifier.JobRef(
        job_hash=job_hash,
        model_id=job.model_id,
        dataset_ids=job.dataset_ids,
        params_key=params_key,
        output_id=result_id,
    )
    assert staticcall IComputeVerifier(job.verifier).verify(ref, proof), "attest: verifier rejected the job"
    log JobAccepted(job_hash=ref.job_hash, result_id=result_id, verifier=job.verifier, params_cid=job.params_cid,
                    metadata_cid=job.metadata_cid)

    if job.consumer != empty(address):
        assert msg.gas >= _CONSUMER_GAS_NEEDED, "attest: not enough gas for the consumer"
        success: bool = raw_call(
            job.consumer,
            abi_encode(ref.job_hash, result_id, job.verifier, method_id=method_id("on_job_accepted(bytes32,uint256,address)")),
            gas=CONSUMER_GAS,
            revert_on_failure=False,
        )
        log ConsumerNotified(job_hash=ref.job_hash, consumer=job.consumer, success=success)
    return result_id


@internal
@view
def _check(job: IComputeAttestations.Job) -> IComputeVerifier.JobRef:
    """
    @dev Everything `submit` checks except the verifier, without writing.
    """
    assert self.verifier_approved[job.verifier], "attest: verifier not approved"
    params_key: uint256 = self._check_terms(job)
    output_id: uint256 = self._output_id(job.output_cid)
    assert not self._exists(output_id), "attest: output already registered"
    job_hash: bytes32 = self._job_hash(job)
    if staticcall registry.is_reserved(output_id):
        assert self.reserved_output[job_hash] == output_id, "attest: output reserved by a pending claim"
    self._check_inputs(job.model_id, job.dataset_ids)
    return IComputeVerifier.JobRef(
        job_hash=job_hash,
        model_id=job.model_id,
        dataset_ids=job.dataset_ids,
        params_key=params_key,
        output_id=output_id,
    )


@internal
@view
def _check_terms(job: IComputeAttestations.Job) -> uint256:
    """
    @dev The checks that need no registry read: counts, owner, consumer,
         shares, duplicates, the params CID's framing.
    @return uint256 The params CID's key.
    """
    count: uint256 = len(job.dataset_ids)
    assert count != 0, "attest: no input datasets"
    assert len(job.dataset_shares_bps) == count, "attest: datasets and shares differ in length"
    assert job.owner != empty(address), "attest: zero owner"
    if job.consumer != empty(address):
        assert job.consumer.is_contract, "attest: consumer is not a contract"
    total: uint256 = convert(job.model_share_bps, uint256)
    assert total >= MIN_SHARE_BPS, "attest: share below minimum"
    for i: uint256 in range(count, bound=MAX_INPUTS):
        dataset: uint256 = job.dataset_ids[i]
        assert dataset != job.model_id, "attest: duplicate input"
        for j: uint256 in range(i + 1, count, bound=MAX_INPUTS):
            assert job.dataset_ids[j] != dataset, "attest: duplicate input"
        share: uint256 = convert(job.dataset_shares_bps[i], uint256)
        assert share >= MIN_SHARE_BPS, "attest: share below minimum"
        total += share
    assert total <= MAX_UPSTREAM_BPS, "attest: upstream shares over cap"
    return self._key(job.params_cid, cid.parse(job.params_cid))


@internal
@view
def _check_inputs(model_id: uint256, dataset_ids: DynArray[uint256, MAX_INPUTS]):
    """
    @dev The model must be a listed model; each dataset a listed dataset, or
         a listed result of an earlier job (pipelines).
    """
    exists: bool = False
    kind: uint256 = 0
    exists, kind = self._lookup(model_id)
    assert exists, "attest: unknown model"
    assert kind == _KIND_MODEL, "attest: not a model"
    assert not staticcall registry.is_delisted(model_id), "attest: model delisted"
    for dataset: uint256 in dataset_ids:
        exists, kind = self._lookup(dataset)
        assert exists, "attest: unknown dataset"
        assert kind == _KIND_DATASET or kind == convert(_KIND_RESULT, uint256), "attest: input is not a dataset"
        assert not staticcall registry.is_delisted(dataset), "attest: dataset delisted"


@internal
def _register(job: IComputeAttestations.Job) -> uint256:
    parents: DynArray[uint256, _PARENTS_ARG_BOUND] = [job.model_id]
    shares: DynArray[uint16, _PARENTS_ARG_BOUND] = [job.model_share_bps]
    for i: uint256 in range(len(job.dataset_ids), bound=MAX_INPUTS):
        parents.append(job.dataset_ids[i])
        shares.append(job.dataset_shares_bps[i])
    success: bool = False
    response: Bytes[_REVERT_BYTES] = b""
    success, response = raw_call(
        registry.address,
        abi_encode(job.owner, job.output_cid, _KIND_RESULT, job.metadata_cid, job.licence_id, parents, shares,
                   job.royalty_bps, method_id=method_id(
                       "register_for(address,bytes,uint8,bytes,uint16,uint256[],uint16[],uint16)")),
        max_outsize=_REVERT_BYTES,
        revert_on_failure=False,
    )
    if not success:
        # Give the hub's reason if there is one, else pass the registry's on.
        self._check(job)
        raw_revert(response)
    return extract32(response, 0, output_type=uint256)


@internal
@view
def _output_id(output_cid: Bytes[cid.MAX_CID_BYTES]) -> uint256:
    return self._key(output_cid, cid.parse(output_cid))


@internal
@pure
def _job_hash(job: IComputeAttestations.Job) -> bytes32:
    # abi_encode of a dynamic array is (offset, length, elements): the
    # elements from byte 64 on are EIP-712's concatenated 32-byte encodings.
    datasets: uint256 = len(job.dataset_ids)
    shares: uint256 = len(job.dataset_shares_bps)
    return keccak256(abi_encode(
        JOB_TYPEHASH,
        job.model_id,
        keccak256(slice(abi_encode(job.dataset_ids), 64, 32 * datasets)),
        job.model_share_bps,
        keccak256(slice(abi_encode(job.dataset_shares_bps), 64, 32 * shares)),
        keccak256(job.params_cid),
        keccak256(job.output_cid),
        keccak256(job.metadata_cid),
        job.licence_id,
        job.royalty_bps,
        job.owner,
        job.verifier,
        job.consumer,
    ))


@internal
@pure
def _key(data: Bytes[cid.MAX_CID_BYTES], parsed: cid.ParsedCid) -> uint256:
    """
    @dev The registry's asset id rule: the sha2-256 digest itself, else
         keccak256(multihash).
    """
    if parsed.hash_code == _SHA2_256 and parsed.digest_len == 32:
        return convert(parsed.digest32, uint256)
    return convert(cid.multihash_key(data, parsed), uint256)


@internal
@view
def _lookup(asset_id: uint256) -> (bool, uint256):
    """
    @dev (exists, kind) without reverting: the registry's `kind_of` reverts
         for an unknown asset, and the hub wants its own reason.
    """
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        registry.address,
        abi_encode(asset_id, method_id=method_id("kind_of(uint256)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not success or len(response) != 32:
        return False, 0
    return True, convert(response, uint256)


@internal
@view
def _exists(asset_id: uint256) -> bool:
    exists: bool = False
    kind: uint256 = 0
    exists, kind = self._lookup(asset_id)
    return exists


# ---------------------------------------------------------------- output reservations


@external
def reserve_output(output_id: uint256, job_hash: bytes32):
    """
    @notice Reserves a claimed job's output for that job: until the
            reservation ends, only an acceptance of the job with this hash
            (through the verifier the job names) can register the output,
            and nobody can register it in the registry directly.
    @dev Approved verifiers only: the optimistic verifier calls it when it
         takes a claim (after `check_job`, so the output is not registered).
         The job hash commits to the job's verifier, owner, shares and every
         other term, so a copy of the claimed job with one field changed,
         vouched for by another verifier, is refused.
    @param output_id The output's asset id (JobRef.output_id).
    @param job_hash The claimed job's hash (JobRef.job_hash).
    """
    assert self.verifier_approved[msg.sender], "attest: caller is not an approved verifier"
    assert not staticcall registry.is_reserved(output_id), "attest: output reserved by a pending claim"
    # No event of its own: the registry logs AssetReserved, and the claim's
    # Claimed event of the same transaction names the job.
    self.reserved_output[job_hash] = output_id
    extcall registry.reserve(output_id)


@external
def release_output(job_hash: bytes32):
    """
    @notice Ends the reservation a rejected claim holds, so that anyone may
            register its output again.
    @dev Approved verifiers, and VERIFIER_MANAGER_ROLE (the DAO), which can
         release what a verifier it no longer approves left reserved. Does
         nothing if the job holds no reservation, and nothing in the
         registry if the id is no longer reserved there.
    @param job_hash The claimed job's hash.
    """
    assert self.verifier_approved[msg.sender] or access_control.hasRole[VERIFIER_MANAGER_ROLE][msg.sender], \
        "attest: caller may not release outputs"
    output_id: uint256 = self.reserved_output[job_hash]
    if output_id == 0:
        return
    self.reserved_output[job_hash] = 0
    if staticcall registry.is_reserved(output_id):
        extcall registry.release(output_id)


# ---------------------------------------------------------------- DAO levers


@external
def set_verifier(verifier: address, approved: bool):
    """
    @notice Approves a verifier contract (or withdraws the approval). Jobs
            naming a verifier that is not approved are refused, including
            jobs whose evidence the verifier already holds.
    @param verifier A contract implementing IComputeVerifier.
    @param approved True to approve, False to withdraw.
    """
    assert access_control.hasRole[VERIFIER_MANAGER_ROLE][msg.sender], "attest: caller is not a verifier manager"
    self._set_verifier(verifier, approved)


@internal
def _set_verifier(verifier: address, approved: bool):
    assert verifier != empty(address), "attest: zero verifier"
    if approved:
        assert verifier.is_contract, "attest: verifier is not a contract"
    assert self.verifier_approved[verifier] != approved, "attest: approval unchanged"
    self.verifier_approved[verifier] = approved
    log VerifierApprovalChanged(verifier=verifier, approved=approved, manager=msg.sender)
