# pragma version ~=0.4.3
"""
@title ZkVerifierAdapter
@notice Accepts a job proved in zero knowledge. Each model is compiled to a
        circuit with its own generated verifier contract (EZKL: one
        Halo2Verifier per circuit); the DAO records which verifier checks
        which model. `prove` checks that the proof's public inputs commit to
        the whole job (every term, through its hash, on this chain and this
        adapter) and to its model, datasets, parameters and output, forwards
        the proof and the public inputs to the model's verifier, and records
        the job as proved; `verify` then answers the hub. `prove_and_submit`
        does both in one transaction.
@dev Proofs are kilobytes, so they travel to `prove`, not through the hub
     (whose proof argument is kept small: every submission pays for its
     bound in memory). The public inputs are laid out as

       [ binding_hi, binding_lo,
         model_hi, model_lo,
         dataset_1_hi, dataset_1_lo, ..., dataset_n_hi, dataset_n_lo,
         params_hi, params_lo,
         output_hi, output_lo,
         ... any further instances the circuit has ]

     where x_hi = x >> 128 and x_lo = x & (2**128 - 1) for each 256-bit
     value, and

       binding = keccak256(abi.encode(JOB_BINDING_TYPEHASH, chainId, adapter,
                                      jobHash))
       JOB_BINDING_TYPEHASH = keccak256(
           "ZkJobBinding(uint256 chainId,address adapter,bytes32 jobHash)")

     with jobHash the hub's EIP-712 struct hash of the job (it commits to
     the owner, the upstream shares, the licence, royalty, metadata,
     consumer and verifier as well as the inputs and the output), chainId
     this chain's and adapter this contract (`job_binding(jobHash)`
     computes it). A proof is therefore a proof of exactly one job on
     exactly one deployment: a copy of an honest proof submitted for the
     same output with any field changed (another owner, shares cut to the
     floor, another consumer...) names another binding and is refused
     before the circuit is asked. The other keys are the AssetRegistry ids
     of the model and of each dataset, and the registry-style key of the
     params and output CIDs (the sha2-256 digest, or keccak256 of the
     multihash). For a file imported as one raw block (a `raw` CIDv1, files
     up to 1 MiB with cidhub's default profile) the key is sha256 of the
     file's bytes.
     Field size: every 256-bit value is split into two 128-bit limbs, each
     below the BN254 scalar field's modulus r (about 2**254), so no value is
     reduced or truncated and distinct values never collide as instances.
     What a circuit must commit to: (1) the model, datasets, params and
     output limbs must be constrained to the hashes of the weights it
     evaluates, the inputs it reads, the parameters it uses and the output it
     writes (in-circuit hashing), in this order; a circuit that merely copies
     them through proves nothing about them. (2) The binding limbs must be
     constrained instances too: the circuit need not compute anything from
     them, but each must appear in a constraint (e.g. a squaring gate, as
     Tornado Cash does with its recipient), because a public input that no
     constraint uses can be changed without invalidating the proof in
     Groth16 and PLONK-style systems, which would make a proof copyable to
     another job again. Its verifier contract must match IZkVerifier.
@custom:security The verifier is called with STATICCALL and a revert, a
                 false, or a malformed answer are all a rejection. Only
                 CIRCUIT_MANAGER_ROLE (the DAO) maps models to verifiers.
"""

from snekmate.auth.interfaces import IAccessControl
implements: IAccessControl

from snekmate.auth import access_control
initializes: access_control

from .interfaces import IComputeVerifier
implements: IComputeVerifier

from .interfaces import IComputeAttestations

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


CIRCUIT_MANAGER_ROLE: public(constant(bytes32)) = keccak256("CIRCUIT_MANAGER_ROLE")

# IComputeVerifier's bounds (interface constants are not importable).
MAX_INPUTS: constant(uint256) = 8
MAX_PROOF_BYTES: constant(uint256) = 1_024

MAX_ZK_PROOF_BYTES: public(constant(uint256)) = 12_288
MAX_INSTANCES: public(constant(uint256)) = 64
JOB_BINDING_TYPEHASH: public(constant(bytes32)) = keccak256(
    "ZkJobBinding(uint256 chainId,address adapter,bytes32 jobHash)"
)
# Instances the adapter reads: binding, model, params, output (two limbs each) ...
_FIXED_KEYS: constant(uint256) = 4
_LIMB_MASK: constant(uint256) = (1 << 128) - 1
_VERIFY_PROOF: constant(Bytes[4]) = method_id("verifyProof(bytes,uint256[])")


event ProofAccepted:
    job_hash: indexed(bytes32)
    model_id: indexed(uint256)
    circuit: indexed(address)
    prover: address


event CircuitSet:
    model_id: indexed(uint256)
    verifier: indexed(address)
    manager: indexed(address)


hub: public(immutable(IComputeAttestations))
circuit_of: public(HashMap[uint256, address])
# the circuit verifier that accepted each proved job
proven_by: public(HashMap[bytes32, address])


@deploy
def __init__(hub_: IComputeAttestations):
    """
    @param hub_ The ComputeAttestations this adapter serves (it checks jobs
           and computes their hashes).
    @dev The deployer receives DEFAULT_ADMIN_ROLE only.
    """
    access_control.__init__()
    hub = hub_


@external
def prove(job: IComputeAttestations.Job, zk_proof: Bytes[MAX_ZK_PROOF_BYTES],
          instances: DynArray[uint256, MAX_INSTANCES]) -> bytes32:
    """
    @notice Checks a zero-knowledge proof of `job` and records it; then
            ComputeAttestations.submit(job, b"") accepts the job.
    @param job A job naming this adapter as its verifier.
    @param zk_proof The proof, as the model's circuit verifier takes it.
    @param instances The public inputs; they must commit to the job (see the
           module docstring) and may carry the circuit's own after that.
    @return bytes32 The job hash.
    """
    return self._prove(job, zk_proof, instances)


@external
def prove_and_submit(job: IComputeAttestations.Job, zk_proof: Bytes[MAX_ZK_PROOF_BYTES],
                     instances: DynArray[uint256, MAX_INSTANCES]) -> uint256:
    """
    @notice `prove`, then ComputeAttestations.submit in the same transaction.
    @return uint256 The result's asset id.
    """
    self._prove(job, zk_proof, instances)
    return extcall hub.submit(job, b"")


@internal
def _prove(job: IComputeAttestations.Job, zk_proof: Bytes[MAX_ZK_PROOF_BYTES],
           instances: DynArray[uint256, MAX_INSTANCES]) -> bytes32:
    assert job.verifier == self, "attest: job names another verifier"
    # The hub checks the job (assets, output, shares) and computes its hash.
    ref: IComputeVerifier.JobRef = staticcall hub.check_job(job)
    zk: address = self.circuit_of[ref.model_id]
    assert zk != empty(address), "attest: no circuit for the model"

    count: uint256 = len(ref.dataset_ids)
    # ... and one key (two limbs) per dataset.
    assert len(instances) >= 2 * (count + _FIXED_KEYS), "attest: too few public inputs"
    # The binding first: it covers every field of the job, so a proof copied
    # to a job that differs in anything is refused here.
    self._check_limbs(instances, 0, convert(self._job_binding(ref.job_hash), uint256),
                      "attest: public inputs name another job")
    self._check_limbs(instances, 2, ref.model_id, "attest: public inputs name another model")
    for i: uint256 in range(count, bound=MAX_INPUTS):
        self._check_limbs(instances, 2 * (i + 2), ref.dataset_ids[i], "attest: public inputs name other data")
    self._check_limbs(instances, 2 * (count + 2), ref.params_key, "attest: public inputs name other params")
    self._check_limbs(instances, 2 * (count + 3), ref.output_id, "attest: public inputs name another output")

    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        zk,
        abi_encode(zk_proof, instances, method_id=_VERIFY_PROOF),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    assert success and len(response) == 32 and convert(response, uint256) == 1, "attest: proof rejected"
    self.proven_by[ref.job_hash] = zk
    log ProofAccepted(job_hash=ref.job_hash, model_id=ref.model_id, circuit=zk, prover=msg.sender)
    return ref.job_hash


@external
@view
def verify(ref: IComputeVerifier.JobRef, proof: Bytes[MAX_PROOF_BYTES]) -> bool:
    """
    @notice True if the job was proved with the circuit its model still has;
            reverts otherwise.
    @dev A circuit the DAO replaces or removes (e.g. found unsound) stops
         vouching for proofs recorded but not yet submitted. Answers its own
         hub only: another hub that approved this adapter would otherwise
         register the same proved job a second time.
    @param ref The job.
    @param proof Unused (the proof was checked by `prove`); send b"".
    @return bool True.
    """
    assert msg.sender == hub.address, "attest: caller is not the hub"
    circuit: address = self.proven_by[ref.job_hash]
    assert circuit != empty(address), "attest: job not proved"
    assert circuit == self.circuit_of[ref.model_id], "attest: circuit changed since the proof"
    return True


@external
@view
def job_binding(job_hash: bytes32) -> bytes32:
    """
    @notice The value a proof of the job with this hash must carry as its
            first two public inputs (as 128-bit limbs hi, lo).
    @param job_hash ComputeAttestations.job_hash(job).
    @return bytes32 keccak256(abi.encode(JOB_BINDING_TYPEHASH, chain.id, this, job_hash)).
    """
    return self._job_binding(job_hash)


@internal
@view
def _job_binding(job_hash: bytes32) -> bytes32:
    return keccak256(abi_encode(JOB_BINDING_TYPEHASH, chain.id, self, job_hash))


@internal
@pure
def _check_limbs(instances: DynArray[uint256, MAX_INSTANCES], at: uint256, key: uint256, reason: String[48]):
    if instances[at] != key >> 128 or instances[at + 1] != key & _LIMB_MASK:
        raise reason


@external
def set_circuit(model_id: uint256, verifier: address):
    """
    @notice Records the verifier contract of a model's circuit (the zero
            address removes it).
    @param model_id The model's asset id.
    @param verifier A contract exposing IZkVerifier.verifyProof.
    """
    assert access_control.hasRole[CIRCUIT_MANAGER_ROLE][msg.sender], "attest: caller is not a circuit manager"
    if verifier != empty(address):
        assert verifier.is_contract, "attest: verifier is not a contract"
    self.circuit_of[model_id] = verifier
    log CircuitSet(model_id=model_id, verifier=verifier, manager=msg.sender)
