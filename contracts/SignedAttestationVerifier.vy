# pragma version ~=0.4.3
"""
@title SignedAttestationVerifier
@notice Accepts a job attested by an approved key: how TEE enclaves (SGX,
        TDX, a ROFL app) and oracles vouch for a computation. The attester
        signs, with EIP-712,

          Attestation(Job job,uint64 expiresAt)Job(...)

        under the domain {name: "cidhub compute attestations", version: "1",
        chainId, verifyingContract: this contract}, where Job is
        ComputeAttestations' job type. hashStruct(Attestation) is
        keccak256(abi.encode(ATTESTATION_TYPEHASH, jobHash, expiresAt)) and
        the signed digest is keccak256(0x1901 ‖ domainSeparator ‖ it).
@dev The proof is 93 packed bytes: attester (20) ‖ expiresAt (8, big-endian)
     ‖ r (32) ‖ s (32) ‖ v (1), built by cidhub.attest.pack_signed_proof.
     Naming the attester lets a revoked or unknown key be told apart from a
     signature that does not match (a wrong key, a wrong domain, another job).
     Replays: a job hash commits to every term of the job (its output CID,
     owner, shares, licence, royalty, metadata, consumer and this verifier),
     the domain to this chain and this contract, and `verify` answers only
     the hub this verifier was deployed for; that hub accepts each output CID
     once, so an attestation is good for exactly one acceptance of exactly
     that job in exactly one hub. No nonce is stored, and verification stays
     a view. A key the DAO revokes takes its unsubmitted attestations with it.
     Signatures: snekmate's ecdsa, with `s` in the lower half of the curve
     order and v in {27, 28} checked first, so a malleated or EIP-2098 form
     of a signature is rejected with an "attest:" reason.
@custom:security ATTESTER_MANAGER_ROLE adds and revokes keys; a revoked key
                 stays revoked (a key is revoked because it may be
                 compromised, and its old signatures must not come back with
                 it). Rotate by adding a new key. Roles are meant for the DAO.
"""

from snekmate.auth.interfaces import IAccessControl
implements: IAccessControl

from snekmate.auth import access_control
initializes: access_control

from snekmate.utils import eip712_domain_separator as eip712
initializes: eip712

# Stateless: no `initializes` needed.
from snekmate.utils import ecdsa

from .interfaces import IComputeVerifier
implements: IComputeVerifier

from .interfaces import IComputeAttestations

exports: (
    eip712.eip712Domain,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    access_control.supportsInterface,
)


ATTESTER_MANAGER_ROLE: public(constant(bytes32)) = keccak256("ATTESTER_MANAGER_ROLE")

# IComputeVerifier's bounds (interface constants are not importable).
MAX_INPUTS: constant(uint256) = 8
MAX_PROOF_BYTES: constant(uint256) = 1_024

DOMAIN_NAME: public(constant(String[50])) = "cidhub compute attestations"
DOMAIN_VERSION: public(constant(String[20])) = "1"
ATTESTATION_TYPEHASH: public(constant(bytes32)) = keccak256(
    "Attestation(Job job,uint64 expiresAt)Job(uint256 modelId,uint256[] datasetIds,uint16 modelShareBps,uint16[] datasetSharesBps,bytes paramsCid,bytes outputCid,bytes metadataCid,uint16 licenceId,uint16 royaltyBps,address owner,address verifier,address consumer)"
)
PROOF_LENGTH: public(constant(uint256)) = 93

# secp256k1 order / 2: the largest `s` a canonical signature has (EIP-2).
_HALF_ORDER: constant(uint256) = 57_896_044_618_658_097_711_785_492_504_343_953_926_418_782_139_537_452_191_302_581_570_759_080_747_168

# Attester key states; a revoked key never returns to ACTIVE.
UNKNOWN: public(constant(uint8)) = 0
ACTIVE: public(constant(uint8)) = 1
REVOKED: public(constant(uint8)) = 2


event AttesterAdded:
    attester: indexed(address)
    manager: indexed(address)


event AttesterRevoked:
    attester: indexed(address)
    manager: indexed(address)


hub: public(immutable(IComputeAttestations))
attester_status: public(HashMap[address, uint8])


@deploy
def __init__(hub_: IComputeAttestations):
    """
    @param hub_ The ComputeAttestations this verifier answers (and no other).
    @dev The deployer receives DEFAULT_ADMIN_ROLE only; the deploy script
         grants ATTESTER_MANAGER_ROLE and hands the admin role to the DAO.
    """
    access_control.__init__()
    eip712.__init__(DOMAIN_NAME, DOMAIN_VERSION)
    hub = hub_


@external
@view
def verify(ref: IComputeVerifier.JobRef, proof: Bytes[MAX_PROOF_BYTES]) -> bool:
    """
    @notice True if `proof` is an unexpired attestation of `ref.job_hash` by
            an active attester key; reverts with the reason otherwise.
    @dev Answers its own hub only: another hub that approved this verifier
         could otherwise accept the same attestation a second time.
    @param ref The job (only its hash is signed; it commits to the rest).
    @param proof attester ‖ expiresAt (uint64) ‖ r ‖ s ‖ v, 93 bytes.
    @return bool True.
    """
    assert msg.sender == hub.address, "attest: caller is not the hub"
    assert len(proof) == PROOF_LENGTH, "attest: bad proof length"
    attester: address = convert(convert(slice(proof, 0, 20), bytes20), address)
    expires_at: uint256 = convert(slice(proof, 20, 8), uint256)
    r: uint256 = extract32(proof, 28, output_type=uint256)
    s: uint256 = extract32(proof, 60, output_type=uint256)
    v: uint256 = convert(slice(proof, 92, 1), uint256)

    status: uint8 = self.attester_status[attester]
    assert status != REVOKED, "attest: attester revoked"
    assert status == ACTIVE, "attest: unknown attester"
    assert block.timestamp <= expires_at, "attest: attestation expired"
    assert s <= _HALF_ORDER, "attest: malleable signature"
    assert v == 27 or v == 28, "attest: bad signature v"
    digest: bytes32 = self._digest(ref.job_hash, expires_at)
    assert ecdsa._recover_vrs(digest, v, r, s) == attester, "attest: wrong signer"
    return True


@external
@view
def attestation_digest(job_hash: bytes32, expires_at: uint64) -> bytes32:
    """
    @notice The EIP-712 digest an attester signs for `job_hash`.
    @param job_hash ComputeAttestations.job_hash(job).
    @param expires_at Last second (unix time) the attestation is good for.
    @return bytes32 keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(Attestation)).
    """
    return self._digest(job_hash, convert(expires_at, uint256))


@internal
@view
def _digest(job_hash: bytes32, expires_at: uint256) -> bytes32:
    return eip712._hash_typed_data_v4(keccak256(abi_encode(ATTESTATION_TYPEHASH, job_hash, expires_at)))


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    """
    @notice The EIP-712 domain separator (chain id and this address included).
    @return bytes32 The separator.
    """
    return eip712._domain_separator_v4()


# ---------------------------------------------------------------- DAO levers


@external
def add_attester(attester: address):
    """
    @notice Approves an attester key (e.g. the key a TEE enclave generated and
            proved with a remote-attestation quote, checked off-chain by the DAO).
    @param attester The key's address; never one that was revoked.
    """
    assert access_control.hasRole[ATTESTER_MANAGER_ROLE][msg.sender], "attest: caller is not an attester manager"
    assert attester != empty(address), "attest: zero attester"
    status: uint8 = self.attester_status[attester]
    assert status != REVOKED, "attest: attester was revoked"
    assert status != ACTIVE, "attest: attester already active"
    self.attester_status[attester] = ACTIVE
    log AttesterAdded(attester=attester, manager=msg.sender)


@external
def revoke_attester(attester: address):
    """
    @notice Revokes an attester key for good: its attestations, including
            unexpired ones not yet submitted, are refused from now on.
    @param attester An active key.
    """
    assert access_control.hasRole[ATTESTER_MANAGER_ROLE][msg.sender], "attest: caller is not an attester manager"
    assert self.attester_status[attester] == ACTIVE, "attest: not an active attester"
    self.attester_status[attester] = REVOKED
    log AttesterRevoked(attester=attester, manager=msg.sender)
