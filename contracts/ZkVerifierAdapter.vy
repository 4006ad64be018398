# pragma version ~=0.4.3
"""
@title ZkVerifierAdapter
@notice Accepts a job proved in zero knowledge. Each model is compiled to a
        circuit with its own generated verifier contract (EZKL: one
        Halo2Verifier per circuit); the DAO records which verifier checks
        which model. The adapter checks that the proof's public inputs commit
        to the job's model, datasets, parameters and output, then forwards
        the proof and the public inputs to the model's verifier.
@dev Proof = abi.encode(bytes zkProof, uint256[] instances), with the
     instances laid out as

       [ model_hi, model_lo,
         dataset_1_hi, dataset_1_lo, ..., dataset_n_hi, dataset_n_lo,
         params_hi, params_lo,
         output_hi, output_lo,
         ... any further instances the circuit has ]

     where x_hi = x >> 128 and x_lo = x & (2**128 - 1) for each 256-bit key:
     the AssetRegistry id of the model and of each dataset, and the
     registry-style key of the params and output CIDs (the sha2-256 digest,
     or keccak256 of the multihash). 128-bit limbs are valid BN254 scalars
     and lose nothing. A real circuit must expose these hashes as public
     inputs in this order (e.g. by hashing its model file, input files and
     output in-circuit, or by taking them as public instances the prover
     commits to), and its verifier must match IZkVerifier.
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
MAX_PROOF_BYTES: constant(uint256) = 16_384

# Within the hub's MAX_PROOF_BYTES once abi-encoded with the instances.
MAX_ZK_PROOF_BYTES: public(constant(uint256)) = 12_288
MAX_INSTANCES: public(constant(uint256)) = 64
_LIMB_MASK: constant(uint256) = (1 << 128) - 1
_VERIFY_PROOF: constant(Bytes[4]) = method_id("verifyProof(bytes,uint256[])")


event CircuitSet:
    model_id: indexed(uint256)
    verifier: indexed(address)
    manager: indexed(address)


circuit_of: public(HashMap[uint256, address])


@deploy
def __init__():
    """
    @dev The deployer receives DEFAULT_ADMIN_ROLE only.
    """
    access_control.__init__()


@external
@view
def verify(ref: IComputeVerifier.JobRef, proof: Bytes[MAX_PROOF_BYTES]) -> bool:
    """
    @notice True if `proof` is a valid proof, for the job's model circuit, of
            public inputs that commit to the job; reverts otherwise.
    @param ref The job's hash and ids.
    @param proof abi.encode(bytes zkProof, uint256[] instances).
    @return bool True.
    """
    zk: address = self.circuit_of[ref.model_id]
    assert zk != empty(address), "attest: no circuit for the model"
    zk_proof: Bytes[MAX_ZK_PROOF_BYTES] = b""
    instances: DynArray[uint256, MAX_INSTANCES] = []
    zk_proof, instances = abi_decode(proof, (Bytes[MAX_ZK_PROOF_BYTES], DynArray[uint256, MAX_INSTANCES]))

    count: uint256 = len(ref.dataset_ids)
    assert len(instances) >= 2 * (count + 3), "attest: too few public inputs"
    self._check_limbs(instances, 0, ref.model_id, "attest: public inputs name another model")
    for i: uint256 in range(count, bound=MAX_INPUTS):
        self._check_limbs(instances, 2 * (i + 1), ref.dataset_ids[i], "attest: public inputs name other data")
    self._check_limbs(instances, 2 * (count + 1), ref.params_key, "attest: public inputs name other params")
    self._check_limbs(instances, 2 * (count + 2), ref.output_id, "attest: public inputs name another output")

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
    return True


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
