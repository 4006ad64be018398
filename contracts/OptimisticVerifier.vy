# pragma version ~=0.4.3
"""
@title OptimisticVerifier
@notice Accepts a job that nobody disproved in time. A claimant posts the
        job with a bond; during the challenge window anyone who recomputed
        the job and got another output may challenge it with an equal
        counter-bond; an arbiter (the DAO) then rules, and the winner takes
        both bonds. An unchallenged claim finalizes once the window is over.
        A finalized claim, or one upheld by the arbiter, is what `verify`
        accepts; ComputeAttestations.submit then registers the result.
@dev Claim life cycle (status):
       PENDING    --challenge (now < deadline)-->      CHALLENGED
       PENDING    --finalize (now >= deadline)-->      ACCEPTED   bond back to the claimant
       CHALLENGED --resolve(true), arbiter-->          ACCEPTED   both bonds to the claimant
       CHALLENGED --resolve(false), arbiter-->         REJECTED   both bonds to the challenger
       CHALLENGED --expire (arbiter silent)-->         REJECTED   each bond back to its owner
     After a challenge, `deadline` is the arbiter's deadline. A job hash is
     claimed at most once; a rejected job stays rejected.
     Outputs: a claim reserves its output for its job hash through the hub,
     so nobody can register the (now public) output CID during the window,
     directly or through another job (a copy with another owner, vouched for
     by any verifier); a rejected claim releases it. Two open claims cannot
     name the same output.
     Arbiter timing: the arbiter must be able to rule within
     `resolution_timeout` of a challenge. When the arbiter is the DAO's
     timelock, that is the governor's voting delay + voting period + the
     timelock delay, plus time to notice the challenge and propose: the
     deploy refuses a timeout shorter than that (cidhub.attest_chain).
     Bonds are conserved and paid by pull: settling credits `owed`, and
     `withdraw` sends it. At all times
       self.balance == total_bonded + total_owed
     where total_bonded is the sum of bonds of PENDING and CHALLENGED claims
     and total_owed the sum of credits not yet withdrawn.
     Bond size, window and arbiter timeout are DAO parameters; each claim
     keeps the bond and window in force when it was made, and a challenge
     the timeout in force when it is made.
@custom:security Value moves only in `withdraw` / `withdraw_to` (nonreentrant,
                 state zeroed before the call). A claimant cannot challenge
                 its own claim. The arbiter cannot rule after its deadline,
                 and nobody can expire a challenge before it, so the two
                 never race. ARBITER_ROLE and PARAMS_MANAGER_ROLE are for the DAO.
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


ARBITER_ROLE: public(constant(bytes32)) = keccak256("ARBITER_ROLE")
PARAMS_MANAGER_ROLE: public(constant(bytes32)) = keccak256("PARAMS_MANAGER_ROLE")

# IComputeVerifier's bounds (interface constants are not importable).
MAX_INPUTS: constant(uint256) = 8
MAX_PROOF_BYTES: constant(uint256) = 1_024

UNCLAIMED: public(constant(uint8)) = 0
PENDING: public(constant(uint8)) = 1
CHALLENGED: public(constant(uint8)) = 2
ACCEPTED: public(constant(uint8)) = 3
REJECTED: public(constant(uint8)) = 4

MIN_WINDOW: public(constant(uint256)) = 3_600
MAX_WINDOW: public(constant(uint256)) = 30 * 86_400
MIN_TIMEOUT: public(constant(uint256)) = 86_400
MAX_TIMEOUT: public(constant(uint256)) = 90 * 86_400
MAX_BOND: public(constant(uint256)) = (1 << 96) - 1
# Gas for the hub's release of a rejected claim's output (measured ~15k), and
# what must be left before the call (EIP-150 keeps back 1/64).
_RELEASE_GAS: constant(uint256) = 60_000
_RELEASE_GAS_NEEDED: constant(uint256) = _RELEASE_GAS * 64 // 63 + 5_000

# Claim word A: claimant (160) | deadline (64) | status (8)
_DEADLINE_SHIFT: constant(uint256) = 160
_STATUS_SHIFT: constant(uint256) = 224
# Claim word B: challenger (160) | bond (96)
_BOND_SHIFT: constant(uint256) = 160
# Params word: bond (96) | window (64) | timeout (64)
_WINDOW_SHIFT: constant(uint256) = 96
_TIMEOUT_SHIFT: constant(uint256) = 160
_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_U64: constant(uint256) = (1 << 64) - 1


struct Claim:
    claimant: address
    challenger: address
    bond: uint256
    deadline: uint256
    status: uint8


event Claimed:
    job_hash: indexed(bytes32)
    claimant: indexed(address)
    bond: uint256
    deadline: uint256
    # the whole job, so that anyone can recompute it and challenge
    job: IComputeAttestations.Job


event Challenged:
    job_hash: indexed(bytes32)
    challenger: indexed(address)
    bond: uint256
    resolve_by: uint256


event Finalized:
    job_hash: indexed(bytes32)
    claimant: indexed(address)
    bond: uint256


event Resolved:
    job_hash: indexed(bytes32)
    winner: indexed(address)
    claim_upheld: bool
    amount: uint256
    arbiter: indexed(address)


event ChallengeExpired:
    job_hash: indexed(bytes32)
    claimant: indexed(address)
    challenger: indexed(address)
    bond: uint256


event Withdrawn:
    account: indexed(address)
    recipient: indexed(address)
    amount: uint256


event ParamsChanged:
    bond: uint256
    challenge_window: uint256
    resolution_timeout: uint256


hub: public(immutable(IComputeAttestations))

_claim_a: HashMap[bytes32, uint256]
_claim_b: HashMap[bytes32, uint256]
_params: uint256

owed: public(HashMap[address, uint256])
total_bonded: public(uint256)
total_owed: public(uint256)


@deploy
def __init__(hub_: IComputeAttestations, bond_: uint256, challenge_window_: uint256, resolution_timeout_: uint256):
    """
    @param hub_ The ComputeAttestations this verifier serves (it checks jobs
           before a bond is taken).
    @param bond_ Claim bond in wei (a challenge posts the same amount).
    @param challenge_window_ Seconds a claim stays open to challenges.
    @param resolution_timeout_ Seconds the arbiter has to rule on a challenge.
    @dev The deployer receives DEFAULT_ADMIN_ROLE only.
    """
    access_control.__init__()
    hub = hub_
    self._set_params(bond_, challenge_window_, resolution_timeout_)


# ---------------------------------------------------------------- claims


@external
@payable
def claim(job: IComputeAttestations.Job) -> bytes32:
    """
    @notice Claims that `job` ran and produced `job.output_cid`, posting the
            claim bond (exactly `bond()` wei).
    @dev The hub checks the job first (assets known and listed, output not
         registered, shares in range, this verifier approved), so a bond is
         never locked behind a job that could not be accepted anyway.
    @param job A job naming this contract as its verifier.
    @return bytes32 The job hash, which names the claim.
    """
    assert job.verifier == self, "attest: job names another verifier"
    ref: IComputeVerifier.JobRef = staticcall hub.check_job(job)
    assert self._claim_a[ref.job_hash] == 0, "attest: job already claimed"
    params: uint256 = self._params
    bond: uint256 = params & MAX_BOND
    assert msg.value == bond, "attest: wrong bond"
    deadline: uint256 = block.timestamp + ((params >> _WINDOW_SHIFT) & _U64)
    self._claim_a[ref.job_hash] = self._word_a(msg.sender, deadline, PENDING)
    self._claim_b[ref.job_hash] = bond << _BOND_SHIFT
    self.total_bonded += bond
    log Claimed(job_hash=ref.job_hash, claimant=msg.sender, bond=bond, deadline=deadline, job=job)
    # The output is public from now on: hold it for this job until the claim settles.
    extcall hub.reserve_output(ref.output_id, ref.job_hash)
    return ref.job_hash


@external
@payable
def challenge(job_hash: bytes32):
    """
    @notice Disputes a pending claim, posting the same bond as the claimant.
    @param job_hash The claim; its challenge window must still be open.
    """
    word: uint256 = self._claim_a[job_hash]
    status: uint8 = self._status(word)
    assert status != UNCLAIMED, "attest: no such claim"
    assert status != CHALLENGED, "attest: already challenged"
    assert status == PENDING, "attest: claim settled"
    assert block.timestamp < (word >> _DEADLINE_SHIFT) & _U64, "attest: challenge window closed"
    claimant: address = convert(word & _ADDRESS_MASK, address)
    assert msg.sender != claimant, "attest: claimant cannot challenge"
    bond: uint256 = self._claim_b[job_hash] >> _BOND_SHIFT
    assert msg.value == bond, "attest: wrong bond"
    resolve_by: uint256 = block.timestamp + ((self._params >> _TIMEOUT_SHIFT) & _U64)
    self._claim_a[job_hash] = self._word_a(claimant, resolve_by, CHALLENGED)
    self._claim_b[job_hash] = bond << _BOND_SHIFT | convert(msg.sender, uint256)
    self.total_bonded += bond
    log Challenged(job_hash=job_hash, challenger=msg.sender, bond=bond, resolve_by=resolve_by)


@external
def finalize(job_hash: bytes32):
    """
    @notice Accepts an unchallenged claim once its window is over and credits
            the claimant's bond back. Anyone may call it.
    @param job_hash The claim.
    """
    word: uint256 = self._claim_a[job_hash]
    status: uint8 = self._status(word)
    assert status != UNCLAIMED, "attest: no such claim"
    assert status != CHALLENGED, "attest: claim under challenge"
    assert status == PENDING, "attest: claim settled"
    assert block.timestamp >= (word >> _DEADLINE_SHIFT) & _U64, "attest: challenge window open"
    claimant: address = convert(word & _ADDRESS_MASK, address)
    bond: uint256 = self._claim_b[job_hash] >> _BOND_SHIFT
    self._claim_a[job_hash] = self._word_a(claimant, (word >> _DEADLINE_SHIFT) & _U64, ACCEPTED)
    self._pay(claimant, bond, bond)
    log Finalized(job_hash=job_hash, claimant=claimant, bond=bond)


@external
def resolve(job_hash: bytes32, claim_upheld: bool):
    """
    @notice Rules on a challenged claim: the winner is credited both bonds.
    @param job_hash The claim.
    @param claim_upheld True if the output is right (the claimant wins and
           the claim is accepted), False if it is wrong (the challenger wins).
    """
    assert access_control.hasRole[ARBITER_ROLE][msg.sender], "attest: caller is not an arbiter"
    word: uint256 = self._claim_a[job_hash]
    assert self._status(word) == CHALLENGED, "attest: claim not challenged"
    assert block.timestamp < (word >> _DEADLINE_SHIFT) & _U64, "attest: resolution deadline passed"
    claimant: address = convert(word & _ADDRESS_MASK, address)
    word_b: uint256 = self._claim_b[job_hash]
    bond: uint256 = word_b >> _BOND_SHIFT
    winner: address = claimant
    status: uint8 = ACCEPTED
    if not claim_upheld:
        winner = convert(word_b & _ADDRESS_MASK, address)
        status = REJECTED
    self._claim_a[job_hash] = self._word_a(claimant, (word >> _DEADLINE_SHIFT) & _U64, status)
    self._pay(winner, 2 * bond, 2 * bond)
    log Resolved(job_hash=job_hash, winner=winner, claim_upheld=claim_upheld, amount=2 * bond, arbiter=msg.sender)
    if not claim_upheld:
        self._release_output(job_hash)


@external
def expire_challenge(job_hash: bytes32):
    """
    @notice Ends a challenge the arbiter did not rule on in time: each side
            gets its bond back and the claim is rejected (it was never
            shown to hold). Anyone may call it.
    @dev Who wins when nobody rules. Accepting by default would let any
         false claim through whenever the arbiter is slow or absent, and an
         accepted result is permanent: it is registered, sold, and pays its
         owner and "parents" on every sale. Rejecting by default lets a
         cheap challenge kill an honest claim, but only when the arbiter
         fails, and the loss is recoverable: the claimant loses time and
         gas, keeps its bond, and can claim again (another job hash) or use
         another verifier. So a silent arbiter fails closed, and neither
         side is paid for a ruling that never came (slashing the challenger
         would reward false claims; slashing the claimant, cheap challenges).
         What deters cheap challenges is a ruling: the arbiter gives the
         challenger's bond to an honest claimant, and the deploy makes sure
         the DAO can rule within the timeout (see the module docstring).
    @param job_hash The claim.
    """
    word: uint256 = self._claim_a[job_hash]
    assert self._status(word) == CHALLENGED, "attest: claim not challenged"
    assert block.timestamp >= (word >> _DEADLINE_SHIFT) & _U64, "attest: resolution pending"
    claimant: address = convert(word & _ADDRESS_MASK, address)
    word_b: uint256 = self._claim_b[job_hash]
    bond: uint256 = word_b >> _BOND_SHIFT
    challenger: address = convert(word_b & _ADDRESS_MASK, address)
    self._claim_a[job_hash] = self._word_a(claimant, (word >> _DEADLINE_SHIFT) & _U64, REJECTED)
    self._pay(claimant, bond, 0)
    self._pay(challenger, bond, 2 * bond)
    log ChallengeExpired(job_hash=job_hash, claimant=claimant, challenger=challenger, bond=bond)
    self._release_output(job_hash)


@internal
def _release_output(job_hash: bytes32):
    """
    @dev A rejected claim gives its output back. Settling never depends on
         the hub: if the release fails (the DAO withdrew this verifier's
         approval), the DAO releases the output through the hub itself. The
         gas check stops a caller from making the release fail on purpose by
         sending just enough gas for the rest.
    """
    assert msg.gas >= _RELEASE_GAS_NEEDED, "attest: not enough gas to release the output"
    success: bool = raw_call(
        hub.address,
        abi_encode(job_hash, method_id=method_id("release_output(bytes32)")),
        gas=_RELEASE_GAS,
        revert_on_failure=False,
    )


@external
@view
def verify(ref: IComputeVerifier.JobRef, proof: Bytes[MAX_PROOF_BYTES]) -> bool:
    """
    @notice True if the job's claim was finalized or upheld; reverts with the
            claim's state otherwise.
    @dev Answers its own hub only: another hub that approved this verifier
         would otherwise register the same claim's result a second time.
    @param ref The job.
    @param proof Unused (the evidence is the claim's history); send b"".
    @return bool True.
    """
    assert msg.sender == hub.address, "attest: caller is not the hub"
    word: uint256 = self._claim_a[ref.job_hash]
    status: uint8 = self._status(word)
    assert status != UNCLAIMED, "attest: no such claim"
    if status == PENDING:
        if block.timestamp < (word >> _DEADLINE_SHIFT) & _U64:
            raise "attest: challenge window open"
        raise "attest: claim not finalized"
    assert status != CHALLENGED, "attest: claim under challenge"
    assert status != REJECTED, "attest: claim rejected"
    return True


@external
@view
def claim_of(job_hash: bytes32) -> Claim:
    """
    @notice A claim's state (all zero for a job never claimed).
    @param job_hash The job hash.
    @return Claim claimant, challenger, bond (each side's), deadline (the
            window's end, or the arbiter's deadline once challenged), status.
    """
    word: uint256 = self._claim_a[job_hash]
    word_b: uint256 = self._claim_b[job_hash]
    return Claim(
        claimant=convert(word & _ADDRESS_MASK, address),
        challenger=convert(word_b & _ADDRESS_MASK, address),
        bond=word_b >> _BOND_SHIFT,
        deadline=(word >> _DEADLINE_SHIFT) & _U64,
        status=self._status(word),
    )


# ---------------------------------------------------------------- payouts


@internal
def _pay(account: address, amount: uint256, released: uint256):
    """
    @dev Credits `amount` to `account` and moves `released` from the bonded
         total to the owed total (settlements credit in one or two steps).
    """
    self.owed[account] += amount
    if released != 0:
        self.total_bonded -= released
        self.total_owed += released


@external
@nonreentrant
def withdraw() -> uint256:
    """
    @notice Sends the caller everything it is owed.
    @return uint256 The amount sent.
    """
    return self._withdraw(msg.sender)


@external
@nonreentrant
def withdraw_to(recipient: address) -> uint256:
    """
    @notice Sends what the caller is owed to `recipient` (for claimants that
            cannot receive ether themselves).
    @param recipient Where the ether goes.
    @return uint256 The amount sent.
    """
    assert recipient != empty(address), "attest: zero recipient"
    return self._withdraw(recipient)


@internal
def _withdraw(recipient: address) -> uint256:
    amount: uint256 = self.owed[msg.sender]
    assert amount != 0, "attest: nothing to withdraw"
    self.owed[msg.sender] = 0
    self.total_owed -= amount
    log Withdrawn(account=msg.sender, recipient=recipient, amount=amount)
    raw_call(recipient, b"", value=amount)
    return amount


# ---------------------------------------------------------------- parameters


@external
@view
def bond() -> uint256:
    """
    @notice The bond a new claim (and a challenge of it) posts, in wei.
    """
    return self._params & MAX_BOND


@external
@view
def challenge_window() -> uint256:
    """
    @notice Seconds a new claim stays open to challenges.
    """
    return (self._params >> _WINDOW_SHIFT) & _U64


@external
@view
def resolution_timeout() -> uint256:
    """
    @notice Seconds the arbiter has to rule once a claim is challenged.
    """
    return (self._params >> _TIMEOUT_SHIFT) & _U64


@external
def set_params(bond_: uint256, challenge_window_: uint256, resolution_timeout_: uint256):
    """
    @notice Sets the bond, the challenge window and the arbiter's timeout for
            claims made from now on.
    @param bond_ Wei, at most MAX_BOND.
    @param challenge_window_ Seconds, MIN_WINDOW..MAX_WINDOW.
    @param resolution_timeout_ Seconds, MIN_TIMEOUT..MAX_TIMEOUT.
    """
    assert access_control.hasRole[PARAMS_MANAGER_ROLE][msg.sender], "attest: caller is not a params manager"
    self._set_params(bond_, challenge_window_, resolution_timeout_)


@internal
def _set_params(bond_: uint256, window: uint256, timeout: uint256):
    # A zero bond would make challenges free and claims spam: refuse it.
    assert bond_ != 0 and bond_ <= MAX_BOND, "attest: bond out of range"
    assert window >= MIN_WINDOW and window <= MAX_WINDOW, "attest: window out of range"
    assert timeout >= MIN_TIMEOUT and timeout <= MAX_TIMEOUT, "attest: timeout out of range"
    self._params = bond_ | window << _WINDOW_SHIFT | timeout << _TIMEOUT_SHIFT
    log ParamsChanged(bond=bond_, challenge_window=window, resolution_timeout=timeout)


@internal
@pure
def _word_a(claimant: address, deadline: uint256, status: uint8) -> uint256:
    return convert(claimant, uint256) | deadline << _DEADLINE_SHIFT | convert(status, uint256) << _STATUS_SHIFT


@internal
@pure
def _status(word: uint256) -> uint8:
    return convert(word >> _STATUS_SHIFT, uint8)
