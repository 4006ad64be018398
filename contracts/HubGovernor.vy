# pragma version ~=0.4.3
"""
@title HubGovernor
@notice The cidhub DAO's voting contract. HUB holders (through their
        delegates) propose batches of calls, vote against / for / abstain
        with the votes they held at the proposal's snapshot, and a
        successful proposal is queued in the HubTimelock and executed by it
        after the minimum delay. The timelock holds every lever of the suite,
        so this is the only way they move.
@dev Compatible with OpenZeppelin's Governor (v5) where tools look:
     - proposal ids are keccak256(abi.encode(targets, values, calldatas,
       keccak256(description))) (`hash_proposal`);
     - events have the same names, field types and order (ProposalCreated,
       VoteCast, ProposalQueued, ProposalExecuted, ProposalCanceled and the
       settings events), so their topics and data decode with OZ's ABI;
       field *names* are snake_case;
     - `state` returns OZ's ProposalState ordinals: 0 Pending, 1 Active,
       2 Canceled, 3 Defeated, 4 Succeeded, 5 Queued, 6 Expired, 7 Executed;
     - counting is GovernorCountingSimple ("support=bravo&quorum=for,abstain"):
       0 against, 1 for, 2 abstain; quorum counts for + abstain; a proposal
       succeeds with quorum and more for than against votes;
     - a description ending in "#proposer=0x<address>" can only be proposed
       by that address (front-running protection, as in OZ);
     - OZ 5.1's IGovernor, GovernorSettings, GovernorCountingSimple and
       GovernorVotesQuorumFraction functions exist under their camelCase
       names beside the snake_case ones (castVote, proposalSnapshot,
       quorumNumerator(), quorumNumerator(timepoint), ...), with OZ's
       semantics; tests/oz/ checks them against an OZ governor on the same
       token. quorumDenominator() is 10,000: numerators and the
       QuorumNumeratorUpdated event are basis points.
     Where it differs: ballots signed for `cast_vote_by_sig` carry an
     expiry (Ballot(uint256 proposalId,uint8 support,address voter,uint256
     nonce,uint256 expiry)), so OZ's castVoteBySig and
     castVoteWithReasonAndParamsBySig (no expiry) are not offered, nor is
     IGovernor's ERC-165 id claimed; vote params (VoteCastWithParams) are
     not supported (castVoteWithReasonAndParams takes empty params only);
     no relay / token receivers / updateTimelock; queued proposals expire
     GRACE_PERIOD after their ETA (Compound's rule, giving "Expired" a
     meaning); anyone may cancel a proposal whose proposer's votes fell
     below the proposal threshold (Compound Bravo's rule); each proposal
     keeps the quorum fraction in force when it was created; and each
     action is its own timelock operation (OZ schedules one batch):
     snekmate's schedule_batch / execute_batch take 255 x 1 KiB arrays and
     their memory alone costs about 1.6M gas per call (measured on anvil),
     against tens of thousands for `schedule` / `execute`. The operations
     have no predecessor and salt keccak256(abi.encode(governor, proposalId,
     index)); the governor executes them in order in one transaction, so a
     proposal still takes effect atomically.
     Clock: the token's EIP-6372 "mode=timestamp" (checked at deployment),
     so snapshots, deadlines, delays and periods are unix seconds.
@custom:security Cancel rules: the proposer may cancel while the proposal
                 is Pending; anyone may cancel a proposal that is not yet
                 Canceled, Expired or Executed if its proposer's current
                 votes are below the proposal threshold (anti-spam and
                 "propose then sell" protection). A queued proposal's
                 timelock operation is cancelled with it.
                 Settings change only through a proposal executed by the
                 timelock. Every array is bounded by MAX_ACTIONS and every
                 loop by a constant.
"""

from snekmate.utils import eip712_domain_separator
initializes: eip712_domain_separator

from snekmate.utils import signature_checker

from snekmate.utils.interfaces import IERC5267
implements: IERC5267

from ethereum.ercs import IERC20

from .interfaces import IVotes
from .interfaces import ITimelockController

exports: eip712_domain_separator.eip712Domain


# Compound's proposalMaxOperations.
MAX_ACTIONS: public(constant(uint256)) = 10
# The timelock's payload bound.
MAX_CALLDATA_BYTES: public(constant(uint256)) = 1_024
MAX_DESCRIPTION_BYTES: public(constant(uint256)) = 8_192
MAX_REASON_BYTES: public(constant(uint256)) = 1_024
# The ABI admits one action more than allowed, so that one too many reverts
# with "governor: too many actions" rather than an ABI-decoding failure.
_ACTIONS_ARG_BOUND: constant(uint256) = MAX_ACTIONS + 1

QUORUM_DENOMINATOR: public(constant(uint256)) = 10_000
# A queued proposal not executed within this long after its ETA expires.
GRACE_PERIOD: public(constant(uint256)) = 14 * 86_400

# Bounds of the settings, so that no single vote can brick the DAO (every
# value inside them still lets the holders pass the proposal that changes it
# back). Compound Governor Bravo's, on a clock of seconds:
# - a delay of at most a week and a period of at most two weeks: a bad
#   setting is undone within 3 weeks plus the timelock delay;
# - a period of at least an hour: ballots need blocks to land in (a 1-second
#   period on a 12-second chain would defeat every proposal for good), and
#   voting opens at a time announced one voting delay ahead;
# - a threshold of at most 1 % of the total supply when it is set (Bravo's
#   100,000 of 10M COMP): a delegate with that many votes can always be
#   formed, and 2**255 can no longer stop every proposal;
# - a quorum of at most 20 % of the total supply at the snapshot. The base
#   counts tokens that never vote (the treasury in the timelock, 60 % of the
#   default deployment's supply; exchanges; lost keys), so a quorum near
#   100 % (or 50 %) defeats every later proposal. 20 % is 5x OpenZeppelin's
#   default of 4 % and half the supply outside the default treasury.
MAX_VOTING_DELAY: public(constant(uint256)) = 7 * 86_400
MIN_VOTING_PERIOD: public(constant(uint256)) = 3_600
MAX_VOTING_PERIOD: public(constant(uint256)) = 14 * 86_400
MAX_PROPOSAL_THRESHOLD_BPS: public(constant(uint256)) = 100
MAX_QUORUM_NUMERATOR: public(constant(uint256)) = 2_000

BALLOT_TYPEHASH: public(constant(bytes32)) = keccak256(
    "Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,uint256 expiry)"
)

# OpenZeppelin's ProposalState ordinals.
_PENDING: constant(uint8) = 0
_ACTIVE: constant(uint8) = 1
_CANCELED: constant(uint8) = 2
_DEFEATED: constant(uint8) = 3
_SUCCEEDED: constant(uint8) = 4
_QUEUED: constant(uint8) = 5
_EXPIRED: constant(uint8) = 6
_EXECUTED: constant(uint8) = 7

_AGAINST: constant(uint8) = 0
_FOR: constant(uint8) = 1
_ABSTAIN: constant(uint8) = 2

_CLOCK_MODE: constant(String[32]) = "mode=timestamp"

# Binary search bound of the quorum history (a history shorter than 2**32).
_QUORUM_SEARCH_STEPS: constant(uint256) = 32
# ERC-165 identifier of ERC-165 itself.
_ERC165_ID: constant(bytes4) = 0x01ffc9a7

# Proposal core word: vote start (snapshot) | vote end << 48 | eta << 96 |
# quorum numerator << 144 | flags << 160.
_TIME_MASK: constant(uint256) = (1 << 48) - 1
_END_SHIFT: constant(uint256) = 48
_ETA_SHIFT: constant(uint256) = 96
_QUORUM_SHIFT: constant(uint256) = 144
_QUORUM_MASK: constant(uint256) = (1 << 16) - 1
_EXECUTED_FLAG: constant(uint256) = 1 << 160
_CANCELED_FLAG: constant(uint256) = 1 << 161
# Tallies are written at proposal time with this bit set, so that no voter
# pays for a fresh slot except for their own receipt (tallies fit 208 bits).
_TALLY_MARK: constant(uint256) = 1 << 255
_TALLY_MASK: constant(uint256) = _TALLY_MARK - 1

# "#proposer=0x" as a 96-bit number, then the 40 hex digits of an address
_PROPOSER_MARKER: constant(uint256) = 10_967_915_441_013_376_328_457_334_904  # 0x2370726f706f7365723d3078
_SUFFIX_LENGTH: constant(uint256) = 52
# Byte-parallel ("SWAR") hex parsing: a constant byte in every byte of a word.
_BYTES_01: constant(uint256) = max_value(uint256) // 255
_BYTES_0F: constant(uint256) = _BYTES_01 * 15
_BYTES_19: constant(uint256) = _BYTES_01 * 25  # 0x7f - "f"
_BYTES_1F: constant(uint256) = _BYTES_01 * 31  # 0x80 - "a"
_BYTES_20: constant(uint256) = _BYTES_01 * 32
_BYTES_46: constant(uint256) = _BYTES_01 * 70  # 0x7f - "9"
_BYTES_50: constant(uint256) = _BYTES_01 * 80  # 0x80 - "0"
_BYTES_80: constant(uint256) = _BYTES_01 * 128
_LOW_8_BYTES: constant(uint256) = (1 << 64) - 1
_ZEROS_ABOVE_8_BYTES: constant(uint256) = (_BYTES_01 * 48) & ~_LOW_8_BYTES  # ASCII "0"s
_LANES_16: constant(uint256) = max_value(uint256) // 65_535 * 255
_LANES_32: constant(uint256) = max_value(uint256) // ((1 << 32) - 1) * 65_535
_LANES_64: constant(uint256) = max_value(uint256) // ((1 << 64) - 1) * ((1 << 32) - 1)
_LANES_128: constant(uint256) = max_value(uint256) // ((1 << 128) - 1) * ((1 << 64) - 1)
_LOW_128: constant(uint256) = (1 << 128) - 1


struct Receipt:
    has_voted: bool
    support: uint8
    votes: uint256


event ProposalCreated:
    proposal_id: uint256
    proposer: address
    targets: DynArray[address, _ACTIONS_ARG_BOUND]
    values: DynArray[uint256, _ACTIONS_ARG_BOUND]
    signatures: DynArray[String[1], _ACTIONS_ARG_BOUND]
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND]
    vote_start: uint256
    vote_end: uint256
    description: String[MAX_DESCRIPTION_BYTES]


event ProposalQueued:
    proposal_id: uint256
    eta_seconds: uint256


event ProposalExecuted:
    proposal_id: uint256


event ProposalCanceled:
    proposal_id: uint256


event VoteCast:
    voter: indexed(address)
    proposal_id: uint256
    support: uint8
    weight: uint256
    reason: String[MAX_REASON_BYTES]


event VotingDelaySet:
    old_voting_delay: uint256
    new_voting_delay: uint256


event VotingPeriodSet:
    old_voting_period: uint256
    new_voting_period: uint256


event ProposalThresholdSet:
    old_proposal_threshold: uint256
    new_proposal_threshold: uint256


event QuorumNumeratorUpdated:
    old_quorum_numerator: uint256
    new_quorum_numerator: uint256


event TimelockChange:
    old_timelock: address
    new_timelock: address


token: public(immutable(IVotes))
timelock: public(immutable(ITimelockController))

# Seconds between a proposal and the start of its vote (the snapshot).
voting_delay: public(uint256)
# Seconds the vote lasts.
voting_period: public(uint256)
# Votes (at clock() - 1) needed to propose.
proposal_threshold: public(uint256)
# Quorum, in basis points of the total supply at the snapshot.
quorum_numerator: public(uint256)
# Its history, for OpenZeppelin's quorumNumerator(timepoint) / quorum(timepoint):
# position -> timepoint << 16 | numerator, oldest first.
_quorum_history: HashMap[uint256, uint256]
_quorum_history_length: uint256
# Ballot signature nonces.
nonces: public(HashMap[address, uint256])

_core: HashMap[uint256, uint256]
_proposers: HashMap[uint256, address]
# [proposal][support] -> _TALLY_MARK | votes
_tallies: HashMap[uint256, HashMap[uint256, uint256]]
# [proposal][voter] -> votes << 8 | (support + 1); zero: has not voted
_receipts: HashMap[uint256, HashMap[address, uint256]]
# the timelock operation of a queued proposal
_timelock_ids: HashMap[uint256, bytes32]


@deploy
def __init__(
    token_: IVotes,
    timelock_: ITimelockController,
    voting_delay_: uint256,
    voting_period_: uint256,
    proposal_threshold_: uint256,
    quorum_numerator_: uint256,
):
    """
    @param token_ The votes token (HubToken); its clock must be
           "mode=timestamp".
    @param timelock_ The timelock that executes proposals; it must grant
           this governor PROPOSER_ROLE, CANCELLER_ROLE and EXECUTOR_ROLE.
    @param voting_delay_ Seconds from proposal to snapshot (at most 7 days).
    @param voting_period_ Seconds the vote lasts (1 hour to 14 days).
    @param proposal_threshold_ Votes needed to propose (at most 1 % of the
           token's total supply).
    @param quorum_numerator_ Quorum in basis points of the past total supply
           (at most 2,000).
    """
    assert keccak256(staticcall token_.CLOCK_MODE()) == keccak256(_CLOCK_MODE), "governor: token clock is not timestamp"
    eip712_domain_separator.__init__("cidhub governor", "1")
    token = token_
    timelock = timelock_
    log TimelockChange(old_timelock=empty(address), new_timelock=timelock_.address)
    self._set_voting_delay(voting_delay_)
    self._set_voting_period(voting_period_)
    self._set_proposal_threshold(proposal_threshold_)
    self._set_quorum_numerator(quorum_numerator_)


# ---------------------------------------------------------------- propose


@external
def propose(
    targets: DynArray[address, _ACTIONS_ARG_BOUND],
    values: DynArray[uint256, _ACTIONS_ARG_BOUND],
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND],
    description: String[MAX_DESCRIPTION_BYTES],
) -> uint256:
    """
    @notice Proposes that the timelock make these calls. Voting starts
            `voting_delay` seconds from now and lasts `voting_period`.
    @param targets Contracts to call, at most MAX_ACTIONS.
    @param values Ether to send with each call.
    @param calldatas ABI-encoded calls (selector and arguments).
    @param description Human-readable description (markdown); its hash is
           part of the proposal id.
    @return uint256 The proposal id.
    """
    count: uint256 = len(targets)
    assert count == len(values) and count == len(calldatas), "governor: invalid proposal length"
    assert count != 0, "governor: empty proposal"
    assert count <= MAX_ACTIONS, "governor: too many actions"
    # OpenZeppelin's front-running protection: a description ending in
    # "#proposer=0x" + 40 hex digits can only be proposed by that address (a
    # malformed suffix is no restriction). Inline, on two words of the tail:
    # an internal call would place its frame past this function's buffers.
    length: uint256 = len(description)
    if length >= _SUFFIX_LENGTH:
        tail: Bytes[_SUFFIX_LENGTH] = convert(slice(description, length - _SUFFIX_LENGTH, _SUFFIX_LENGTH), Bytes[_SUFFIX_LENGTH])
        if extract32(tail, 0, output_type=uint256) >> 160 == _PROPOSER_MARKER:
            # The 40 digits as two words of ASCII: characters 0-31, and 32-39
            # padded on the left with "0"s. Each word is checked and
            # converted byte-parallel (SWAR): no loop over characters.
            words: uint256[2] = [
                extract32(tail, 12, output_type=uint256),
                (extract32(tail, 20, output_type=uint256) & _LOW_8_BYTES) | _ZEROS_ABOVE_8_BYTES,
            ]
            named: uint256 = 0
            well_formed: bool = True
            for w: uint256 in words:
                lower: uint256 = w | _BYTES_20  # A-F -> a-f
                # The high bit of each byte is set iff the byte is in range
                # (every byte is < 0x80, so the per-byte sums cannot carry).
                digit: uint256 = unsafe_add(w, _BYTES_50) & ~unsafe_add(w, _BYTES_46) & _BYTES_80
                letter: uint256 = unsafe_add(lower, _BYTES_1F) & ~unsafe_add(lower, _BYTES_19) & _BYTES_80
                if w & _BYTES_80 != 0 or digit | letter != _BYTES_80:
                    well_formed = False
                    break
                # A nibble is the low 4 bits, + 9 for a letter; then pairs of
                # nibbles become bytes and the bytes close up: 32 digits ->
                # 128 bits (the padded word's "0"s give zeros above 32 bits).
                x: uint256 = unsafe_add(w & _BYTES_0F, unsafe_mul(letter >> 7, 9))
                x = (x | (x >> 4)) & _LANES_16
                x = (x | (x >> 8)) & _LANES_32
                x = (x | (x >> 16)) & _LANES_64
                x = (x | (x >> 32)) & _LANES_128
                x = (x | (x >> 64)) & _LOW_128
                named = (named << 32) | x
            assert not well_formed or named == convert(msg.sender, uint256), "governor: restricted proposer"
    now: uint256 = block.timestamp
    threshold: uint256 = self.proposal_threshold
    if threshold != 0:
        assert staticcall token.get_past_votes(msg.sender, now - 1) >= threshold, \
            "governor: proposer votes below threshold"

    # Inlined (as in queue/execute/cancel): an internal call would copy the arrays into
    # its own frame, past this one's, and pay for that memory.
    proposal_id: uint256 = convert(keccak256(abi_encode(targets, values, calldatas, keccak256(description))), uint256)
    assert self._core[proposal_id] == 0, "governor: proposal already exists"
    vote_start: uint256 = now + self.voting_delay
    vote_end: uint256 = vote_start + self.voting_period
    self._core[proposal_id] = vote_start | (vote_end << _END_SHIFT) | (self.quorum_numerator << _QUORUM_SHIFT)
    self._proposers[proposal_id] = msg.sender
    self._tallies[proposal_id][0] = _TALLY_MARK
    self._tallies[proposal_id][1] = _TALLY_MARK
    self._tallies[proposal_id][2] = _TALLY_MARK

    signatures: DynArray[String[1], _ACTIONS_ARG_BOUND] = []
    for _: uint256 in range(count, bound=MAX_ACTIONS):
        signatures.append("")
    log ProposalCreated(
        proposal_id=proposal_id,
        proposer=msg.sender,
        targets=targets,
        values=values,
        signatures=signatures,
        calldatas=calldatas,
        vote_start=vote_start,
        vote_end=vote_end,
        description=description,
    )
    return proposal_id


# ---------------------------------------------------------------- vote


@external
def cast_vote(proposal_id: uint256, support: uint8) -> uint256:
    """
    @notice Votes on an active proposal with the votes the caller held at
            its snapshot.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @return uint256 The weight of the vote.
    """
    return self._cast_vote(proposal_id, msg.sender, support, "")


@external
def cast_vote_with_reason(proposal_id: uint256, support: uint8, reason: String[MAX_REASON_BYTES]) -> uint256:
    """
    @notice `cast_vote` with a reason, published in the VoteCast event.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param reason Free text.
    @return uint256 The weight of the vote.
    """
    return self._cast_vote(proposal_id, msg.sender, support, reason)


@external
def cast_vote_by_sig(
    proposal_id: uint256, support: uint8, voter: address, expiry: uint256, signature: Bytes[65]
) -> uint256:
    """
    @notice Casts `voter`'s vote with its EIP-712 signature of
            Ballot(proposalId, support, voter, nonce, expiry); anyone may
            submit it (gasless voting).
    @dev The nonce is `nonces(voter)` and is consumed, so a ballot counts
         once; the domain (chain id, this governor) keeps it from counting
         anywhere else. Contract wallets sign through ERC-1271.
    @param proposal_id The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param voter The account whose votes are cast.
    @param expiry Last timestamp at which the ballot is accepted.
    @param signature 65-byte (r, s, v), 64-byte EIP-2098, or ERC-1271 bytes.
    @return uint256 The weight of the vote.
    @custom:security snekmate's signature_checker compares the claimed
                     signer with ecdsa's recovery, which returns the zero
                     address for a signature of any other length than 64 or
                     65 bytes: so the zero address is refused first.
    """
    assert voter != empty(address), "governor: invalid signer"
    assert block.timestamp <= expiry, "governor: signature expired"
    nonce: uint256 = self.nonces[voter]
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(BALLOT_TYPEHASH, proposal_id, support, voter, nonce, expiry))
    )
    assert signature_checker._is_valid_signature_now(voter, digest, signature), "governor: invalid signature"
    self.nonces[voter] = unsafe_add(nonce, 1)
    return self._cast_vote(proposal_id, voter, support, "")


@internal
def _cast_vote(proposal_id: uint256, voter: address, support: uint8, reason: String[MAX_REASON_BYTES]) -> uint256:
    core: uint256 = self._core[proposal_id]
    assert core != 0, "governor: unknown proposal"
    vote_start: uint256 = core & _TIME_MASK
    now: uint256 = block.timestamp
    assert core & (_EXECUTED_FLAG | _CANCELED_FLAG) == 0 and vote_start < now \
        and now <= (core >> _END_SHIFT) & _TIME_MASK, "governor: vote not currently active"
    assert support <= _ABSTAIN, "governor: invalid vote type"
    assert self._receipts[proposal_id][voter] == 0, "governor: vote already cast"
    weight: uint256 = staticcall token.get_past_votes(voter, vote_start)
    self._receipts[proposal_id][voter] = (weight << 8) | convert(support + 1, uint256)
    self._tallies[proposal_id][convert(support, uint256)] += weight
    log VoteCast(voter=voter, proposal_id=proposal_id, support=support, weight=weight, reason=reason)
    return weight


# ---------------------------------------------------------------- queue, execute, cancel


@external
def queue(
    targets: DynArray[address, _ACTIONS_ARG_BOUND],
    values: DynArray[uint256, _ACTIONS_ARG_BOUND],
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND],
    description_hash: bytes32,
) -> uint256:
    """
    @notice Schedules a succeeded proposal in the timelock; it becomes
            executable after the timelock's minimum delay (its ETA).
    @param targets As proposed.
    @param values As proposed.
    @param calldatas As proposed.
    @param description_hash keccak256 of the description.
    @return uint256 The proposal id.
    """
    proposal_id: uint256 = convert(keccak256(abi_encode(targets, values, calldatas, description_hash)), uint256)
    assert self._state(proposal_id) == _SUCCEEDED, "governor: proposal not successful"
    delay: uint256 = staticcall timelock.get_minimum_delay()
    eta: uint256 = block.timestamp + delay
    # The ETA has 48 bits of the core word; beyond them it would set the
    # quorum and flag bits (only a timelock delay of ~9 million years gets there).
    assert eta <= _TIME_MASK, "governor: timelock delay too long"
    self._core[proposal_id] |= eta << _ETA_SHIFT
    # The first action's operation stands for the proposal in `state`.
    self._timelock_ids[proposal_id] = self._operation_id(
        targets[0], values[0], calldatas[0], self._action_salt(proposal_id, 0)
    )
    for i: uint256 in range(len(targets), bound=MAX_ACTIONS):
        extcall timelock.schedule(targets[i], values[i], calldatas[i], empty(bytes32), self._action_salt(proposal_id, i), delay)
    log ProposalQueued(proposal_id=proposal_id, eta_seconds=eta)
    return proposal_id


@external
@payable
def execute(
    targets: DynArray[address, _ACTIONS_ARG_BOUND],
    values: DynArray[uint256, _ACTIONS_ARG_BOUND],
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND],
    description_hash: bytes32,
) -> uint256:
    """
    @notice Has the timelock make the calls of a queued proposal whose ETA
            has come. Anyone may call it; ether sent is forwarded.
    @param targets As proposed.
    @param values As proposed.
    @param calldatas As proposed.
    @param description_hash keccak256 of the description.
    @return uint256 The proposal id.
    """
    proposal_id: uint256 = convert(keccak256(abi_encode(targets, values, calldatas, description_hash)), uint256)
    state: uint8 = self._state(proposal_id)
    assert state != _EXPIRED, "governor: proposal expired"
    assert state == _QUEUED, "governor: proposal not queued"
    core: uint256 = self._core[proposal_id]
    assert block.timestamp >= (core >> _ETA_SHIFT) & _TIME_MASK, "governor: timelock delay not over"
    # Marked before the calls: a call that re-enters finds it executed.
    self._core[proposal_id] = core | _EXECUTED_FLAG
    forwarded: uint256 = msg.value
    for i: uint256 in range(len(targets), bound=MAX_ACTIONS):
        # Ether sent along goes to the timelock with the first call; every
        # call's value is paid from the timelock's balance (the treasury).
        extcall timelock.execute(
            targets[i], values[i], calldatas[i], empty(bytes32), self._action_salt(proposal_id, i), value=forwarded
        )
        forwarded = 0
    log ProposalExecuted(proposal_id=proposal_id)
    return proposal_id


@external
def cancel(
    targets: DynArray[address, _ACTIONS_ARG_BOUND],
    values: DynArray[uint256, _ACTIONS_ARG_BOUND],
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND],
    description_hash: bytes32,
) -> uint256:
    """
    @notice Cancels a proposal: by its proposer while it is Pending, or by
            anyone once the proposer's votes are below the proposal
            threshold (until it is executed).
    @param targets As proposed.
    @param values As proposed.
    @param calldatas As proposed.
    @param description_hash keccak256 of the description.
    @return uint256 The proposal id.
    """
    proposal_id: uint256 = convert(keccak256(abi_encode(targets, values, calldatas, description_hash)), uint256)
    state: uint8 = self._state(proposal_id)
    assert state != _CANCELED and state != _EXPIRED and state != _EXECUTED, "governor: proposal is final"
    proposer: address = self._proposers[proposal_id]
    if msg.sender != proposer or state != _PENDING:
        below: bool = staticcall token.get_past_votes(proposer, block.timestamp - 1) < self.proposal_threshold
        if msg.sender == proposer:
            assert below, "governor: voting has started"
        else:
            assert below, "governor: proposer above threshold"
    self._core[proposal_id] |= _CANCELED_FLAG
    if state == _QUEUED:
        for i: uint256 in range(len(targets), bound=MAX_ACTIONS):
            extcall timelock.cancel(
                self._operation_id(targets[i], values[i], calldatas[i], self._action_salt(proposal_id, i))
            )
    log ProposalCanceled(proposal_id=proposal_id)
    return proposal_id


# ---------------------------------------------------------------- settings (through proposals only)


@external
def set_voting_delay(new_voting_delay: uint256):
    """
    @notice Changes the delay between proposal and snapshot. Timelock only.
    @param new_voting_delay Seconds, at most MAX_VOTING_DELAY (7 days).
    """
    self._check_timelock()
    self._set_voting_delay(new_voting_delay)


@external
def set_voting_period(new_voting_period: uint256):
    """
    @notice Changes how long votes last. Timelock only.
    @param new_voting_period Seconds, MIN_VOTING_PERIOD (1 hour) to
           MAX_VOTING_PERIOD (14 days).
    """
    self._check_timelock()
    self._set_voting_period(new_voting_period)


@external
def set_proposal_threshold(new_proposal_threshold: uint256):
    """
    @notice Changes the votes needed to propose. Timelock only.
    @param new_proposal_threshold Votes (token units), at most
           MAX_PROPOSAL_THRESHOLD_BPS (1 %) of the token's total supply now.
    """
    self._check_timelock()
    self._set_proposal_threshold(new_proposal_threshold)


@external
def update_quorum_numerator(new_quorum_numerator: uint256):
    """
    @notice Changes the quorum of proposals made from now on. Timelock only.
    @param new_quorum_numerator Basis points of the past total supply, at
           most MAX_QUORUM_NUMERATOR (20 %).
    """
    self._check_timelock()
    self._set_quorum_numerator(new_quorum_numerator)


# ---------------------------------------------------------------- views


@external
@view
def state(proposal_id: uint256) -> uint8:
    """
    @notice The proposal's state, as OpenZeppelin's ProposalState ordinal:
            0 Pending, 1 Active, 2 Canceled, 3 Defeated, 4 Succeeded,
            5 Queued, 6 Expired, 7 Executed.
    @param proposal_id The proposal.
    @return uint8 The state.
    """
    return self._state(proposal_id)


@external
@pure
def hash_proposal(
    targets: DynArray[address, _ACTIONS_ARG_BOUND],
    values: DynArray[uint256, _ACTIONS_ARG_BOUND],
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND],
    description_hash: bytes32,
) -> uint256:
    """
    @notice The proposal id, computed as OpenZeppelin's Governor does.
    @return uint256 keccak256(abi.encode(targets, values, calldatas, description_hash)).
    """
    return convert(keccak256(abi_encode(targets, values, calldatas, description_hash)), uint256)


@external
@view
def proposal_snapshot(proposal_id: uint256) -> uint256:
    """
    @notice The timepoint at which votes are counted; voting opens after it.
    """
    return self._require_core(proposal_id) & _TIME_MASK


@external
@view
def proposal_deadline(proposal_id: uint256) -> uint256:
    """
    @notice The last timepoint at which votes are accepted.
    """
    return (self._require_core(proposal_id) >> _END_SHIFT) & _TIME_MASK


@external
@view
def proposal_eta(proposal_id: uint256) -> uint256:
    """
    @notice When a queued proposal becomes executable (0 if not queued).
    """
    return (self._require_core(proposal_id) >> _ETA_SHIFT) & _TIME_MASK


@external
@view
def proposal_proposer(proposal_id: uint256) -> address:
    """
    @notice Who proposed it.
    """
    return self._proposers[proposal_id]


@external
@view
def proposal_quorum(proposal_id: uint256) -> uint256:
    """
    @notice The votes (for + abstain) the proposal needs: its quorum
            fraction of the total supply at its snapshot. Only once voting
            has opened (the snapshot must be over).
    """
    core: uint256 = self._require_core(proposal_id)
    return self._quorum_at(core & _TIME_MASK, (core >> _QUORUM_SHIFT) & _QUORUM_MASK)


@external
@view
def proposal_votes(proposal_id: uint256) -> (uint256, uint256, uint256):
    """
    @notice The tallies, in OpenZeppelin's order.
    @return (against, for, abstain)
    """
    self._require_core(proposal_id)
    return (
        self._tallies[proposal_id][0] & _TALLY_MASK,
        self._tallies[proposal_id][1] & _TALLY_MASK,
        self._tallies[proposal_id][2] & _TALLY_MASK,
    )


@external
@view
def proposal_needs_queuing(proposal_id: uint256) -> bool:
    """
    @notice Always true: every proposal goes through the timelock.
    """
    return True


@external
@view
def has_voted(proposal_id: uint256, account: address) -> bool:
    """
    @notice Whether `account` has voted on the proposal.
    """
    return self._receipts[proposal_id][account] != 0


@external
@view
def get_receipt(proposal_id: uint256, voter: address) -> Receipt:
    """
    @notice How `voter` voted (Compound Bravo's receipt).
    @return Receipt (has voted, support, votes).
    """
    packed: uint256 = self._receipts[proposal_id][voter]
    if packed == 0:
        return empty(Receipt)
    return Receipt(has_voted=True, support=convert((packed & 255) - 1, uint8), votes=packed >> 8)


@external
@view
def quorum(timepoint: uint256) -> uint256:
    """
    @notice The quorum for a snapshot at `timepoint` (which must be over):
            the quorum fraction in force then, of the total supply then
            (OpenZeppelin's GovernorVotesQuorumFraction.quorum).
    @dev A proposal keeps the fraction in force when it was *made*
         (`proposal_quorum`); the two differ only if the fraction changed
         between a proposal and its snapshot.
    @param timepoint A unix time before the current block's.
    @return uint256 Votes (for + abstain) needed.
    """
    return self._quorum_at(timepoint, self._quorum_numerator_at(timepoint))


@external
@view
def get_votes(account: address, timepoint: uint256) -> uint256:
    """
    @notice `account`'s votes at `timepoint` (which must be over).
    """
    return staticcall token.get_past_votes(account, timepoint)


@external
@view
def clock() -> uint48:
    """
    @notice EIP-6372: the token's clock, unix seconds.
    """
    return convert(block.timestamp, uint48)


@external
@view
def CLOCK_MODE() -> String[32]:
    """
    @notice EIP-6372 clock mode ("mode=timestamp").
    """
    return _CLOCK_MODE


@external
@pure
def name() -> String[16]:
    """
    @notice The governor's name (also its EIP-712 domain name).
    """
    return "cidhub governor"


@external
@pure
def version() -> String[1]:
    """
    @notice The EIP-712 domain version.
    """
    return "1"


@external
@pure
def COUNTING_MODE() -> String[40]:
    """
    @notice OpenZeppelin's description of how votes are counted.
    """
    return "support=bravo&quorum=for,abstain"


@external
@view
def quorum_denominator() -> uint256:
    """
    @notice QUORUM_DENOMINATOR (basis points), as OpenZeppelin names it.
    """
    return QUORUM_DENOMINATOR


# ---------------------------------------------------------------- OpenZeppelin IGovernor names
# The camelCase names of OpenZeppelin 5.1's IGovernor, GovernorSettings,
# GovernorCountingSimple and GovernorVotesQuorumFraction, beside the
# snake_case ones (as HubToken does for EIP-5805), with OpenZeppelin's
# semantics: the proposal views answer 0 for an unknown id where OpenZeppelin
# does. Left out on purpose:
# - castVoteBySig / castVoteWithReasonAndParamsBySig: their Ballot has no
#   expiry; cast_vote_by_sig's ballots expire, and a weaker form is not added
#   just to match. So is supportsInterface(IGovernor): ERC-165 would claim
#   all 26 of IGovernor's functions;
# - relay, onERC721Received, onERC1155Received: the timelock, not the
#   governor, holds and receives the DAO's assets;
# - updateTimelock: the timelock is immutable.


@external
def castVote(proposalId: uint256, support: uint8) -> uint256:
    """
    @notice OpenZeppelin name of `cast_vote`.
    @param proposalId The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @return uint256 The weight of the vote.
    """
    return self._cast_vote(proposalId, msg.sender, support, "")


@external
def castVoteWithReason(proposalId: uint256, support: uint8, reason: String[MAX_REASON_BYTES]) -> uint256:
    """
    @notice OpenZeppelin name of `cast_vote_with_reason`.
    @param proposalId The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param reason Free text, published in VoteCast.
    @return uint256 The weight of the vote.
    """
    return self._cast_vote(proposalId, msg.sender, support, reason)


@external
def castVoteWithReasonAndParams(
    proposalId: uint256, support: uint8, reason: String[MAX_REASON_BYTES], params: Bytes[MAX_REASON_BYTES]
) -> uint256:
    """
    @notice OpenZeppelin's castVoteWithReasonAndParams, for empty params
            (a plain vote with a reason, logged as VoteCast as OpenZeppelin
            does for empty params).
    @dev Simple counting has no use for params; non-empty params revert
         rather than be silently dropped.
    @param proposalId The proposal.
    @param support 0 against, 1 for, 2 abstain.
    @param reason Free text, published in VoteCast.
    @param params Must be empty.
    @return uint256 The weight of the vote.
    """
    assert len(params) == 0, "governor: vote params not supported"
    return self._cast_vote(proposalId, msg.sender, support, reason)


@external
@view
def hasVoted(proposalId: uint256, account: address) -> bool:
    """
    @notice OpenZeppelin name of `has_voted`.
    @param proposalId The proposal.
    @param account The voter.
    @return bool Whether it has voted.
    """
    return self._receipts[proposalId][account] != 0


@external
@pure
def hashProposal(
    targets: DynArray[address, _ACTIONS_ARG_BOUND],
    values: DynArray[uint256, _ACTIONS_ARG_BOUND],
    calldatas: DynArray[Bytes[MAX_CALLDATA_BYTES], _ACTIONS_ARG_BOUND],
    descriptionHash: bytes32,
) -> uint256:
    """
    @notice OpenZeppelin name of `hash_proposal`.
    @return uint256 keccak256(abi.encode(targets, values, calldatas, descriptionHash)).
    """
    return convert(keccak256(abi_encode(targets, values, calldatas, descriptionHash)), uint256)


@external
@view
def proposalSnapshot(proposalId: uint256) -> uint256:
    """
    @notice The timepoint votes are counted at (0 for an unknown id).
    @param proposalId The proposal.
    @return uint256 Unix time.
    """
    return self._core[proposalId] & _TIME_MASK


@external
@view
def proposalDeadline(proposalId: uint256) -> uint256:
    """
    @notice The last timepoint of the vote (0 for an unknown id).
    @param proposalId The proposal.
    @return uint256 Unix time.
    """
    return (self._core[proposalId] >> _END_SHIFT) & _TIME_MASK


@external
@view
def proposalProposer(proposalId: uint256) -> address:
    """
    @notice Who proposed it (zero for an unknown id).
    @param proposalId The proposal.
    @return address The proposer.
    """
    return self._proposers[proposalId]


@external
@view
def proposalEta(proposalId: uint256) -> uint256:
    """
    @notice When a queued proposal becomes executable (0 if not queued).
    @param proposalId The proposal.
    @return uint256 Unix time.
    """
    return (self._core[proposalId] >> _ETA_SHIFT) & _TIME_MASK


@external
@view
def proposalNeedsQueuing(proposalId: uint256) -> bool:
    """
    @notice Always true: every proposal goes through the timelock.
    @param proposalId The proposal.
    @return bool True.
    """
    return True


@external
@view
def proposalVotes(proposalId: uint256) -> (uint256, uint256, uint256):
    """
    @notice GovernorCountingSimple's tallies (zeros for an unknown id).
    @param proposalId The proposal.
    @return (against, for, abstain)
    """
    return (
        self._tallies[proposalId][0] & _TALLY_MASK,
        self._tallies[proposalId][1] & _TALLY_MASK,
        self._tallies[proposalId][2] & _TALLY_MASK,
    )


@external
@view
def votingDelay() -> uint256:
    """
    @notice OpenZeppelin name of `voting_delay` (seconds).
    @return uint256 Seconds from proposal to snapshot.
    """
    return self.voting_delay


@external
@view
def votingPeriod() -> uint256:
    """
    @notice OpenZeppelin name of `voting_period` (seconds).
    @return uint256 Seconds the vote lasts.
    """
    return self.voting_period


@external
@view
def proposalThreshold() -> uint256:
    """
    @notice OpenZeppelin name of `proposal_threshold`.
    @return uint256 Votes needed to propose.
    """
    return self.proposal_threshold


@external
@view
def getVotes(account: address, timepoint: uint256) -> uint256:
    """
    @notice OpenZeppelin name of `get_votes`.
    @param account The voter.
    @param timepoint A unix time before the current block's.
    @return uint256 Votes.
    """
    return staticcall token.get_past_votes(account, timepoint)


@external
@view
def getVotesWithParams(account: address, timepoint: uint256, params: Bytes[MAX_REASON_BYTES]) -> uint256:
    """
    @notice As `getVotes`: params do not change votes here (nor in
            OpenZeppelin's GovernorVotes).
    @param account The voter.
    @param timepoint A unix time before the current block's.
    @param params Ignored.
    @return uint256 Votes.
    """
    return staticcall token.get_past_votes(account, timepoint)


@external
@view
def quorumNumerator(timepoint: uint256 = max_value(uint256)) -> uint256:
    """
    @notice The quorum numerator (basis points of QUORUM_DENOMINATOR) in
            force at `timepoint`; without it, the current one. Both of
            OpenZeppelin's overloads.
    @param timepoint A unix time (default: now).
    @return uint256 Basis points.
    """
    return self._quorum_numerator_at(timepoint)


@external
@pure
def quorumDenominator() -> uint256:
    """
    @notice QUORUM_DENOMINATOR: numerators are basis points.
    @return uint256 10,000.
    """
    return QUORUM_DENOMINATOR


@external
def setVotingDelay(newVotingDelay: uint48):
    """
    @notice OpenZeppelin name of `set_voting_delay`. Timelock only.
    @param newVotingDelay Seconds, at most MAX_VOTING_DELAY.
    """
    self._check_timelock()
    self._set_voting_delay(convert(newVotingDelay, uint256))


@external
def setVotingPeriod(newVotingPeriod: uint32):
    """
    @notice OpenZeppelin name of `set_voting_period`. Timelock only.
    @param newVotingPeriod Seconds, MIN_VOTING_PERIOD to MAX_VOTING_PERIOD.
    """
    self._check_timelock()
    self._set_voting_period(convert(newVotingPeriod, uint256))


@external
def setProposalThreshold(newProposalThreshold: uint256):
    """
    @notice OpenZeppelin name of `set_proposal_threshold`. Timelock only.
    @param newProposalThreshold Votes, at most 1 % of the total supply.
    """
    self._check_timelock()
    self._set_proposal_threshold(newProposalThreshold)


@external
def updateQuorumNumerator(newQuorumNumerator: uint256):
    """
    @notice OpenZeppelin name of `update_quorum_numerator`. Timelock only.
    @param newQuorumNumerator Basis points, at most MAX_QUORUM_NUMERATOR.
    """
    self._check_timelock()
    self._set_quorum_numerator(newQuorumNumerator)


@external
@pure
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165. Only ERC-165 itself: see the section comment for why
            not IGovernor's identifier.
    @param interface_id The identifier.
    @return bool Whether it is supported.
    """
    return interface_id == _ERC165_ID


# ---------------------------------------------------------------- internals


@internal
@view
def _require_core(proposal_id: uint256) -> uint256:
    core: uint256 = self._core[proposal_id]
    assert core != 0, "governor: unknown proposal"
    return core


@internal
@view
def _state(proposal_id: uint256) -> uint8:
    core: uint256 = self._require_core(proposal_id)
    if core & _EXECUTED_FLAG != 0:
        return _EXECUTED
    if core & _CANCELED_FLAG != 0:
        return _CANCELED
    vote_start: uint256 = core & _TIME_MASK
    now: uint256 = block.timestamp
    if vote_start >= now:
        return _PENDING
    if (core >> _END_SHIFT) & _TIME_MASK >= now:
        return _ACTIVE
    eta: uint256 = (core >> _ETA_SHIFT) & _TIME_MASK
    if eta != 0:
        operation: bytes32 = self._timelock_ids[proposal_id]
        # The governor is the timelock's only executor and canceller, but if
        # the DAO ever opens those roles the timelock's word is final (read
        # from the first action's operation).
        if staticcall timelock.is_operation_done(operation):
            return _EXECUTED
        if not staticcall timelock.is_operation_pending(operation):
            return _CANCELED
        if now > eta + GRACE_PERIOD:
            return _EXPIRED
        return _QUEUED
    against: uint256 = self._tallies[proposal_id][0] & _TALLY_MASK
    for_votes: uint256 = self._tallies[proposal_id][1] & _TALLY_MASK
    abstain: uint256 = self._tallies[proposal_id][2] & _TALLY_MASK
    if for_votes <= against:
        return _DEFEATED
    if for_votes + abstain < self._quorum_at(vote_start, (core >> _QUORUM_SHIFT) & _QUORUM_MASK):
        return _DEFEATED
    return _SUCCEEDED


@internal
@view
def _quorum_at(timepoint: uint256, numerator: uint256) -> uint256:
    return staticcall token.get_past_total_supply(timepoint) * numerator // QUORUM_DENOMINATOR


@internal
@view
def _action_salt(proposal_id: uint256, index: uint256) -> bytes32:
    """
    @dev Makes each action's timelock operation unique to this governor,
         the proposal and the action's position (the same call may appear
         twice in a proposal, or in two proposals).
    """
    return keccak256(abi_encode(self, proposal_id, index))


@internal
@pure
def _operation_id(target: address, amount: uint256, payload: Bytes[MAX_CALLDATA_BYTES], salt: bytes32) -> bytes32:
    """
    @dev The timelock's `hash_operation` (OpenZeppelin's hashOperation) with
         no predecessor.
    """
    return keccak256(abi_encode(target, amount, payload, empty(bytes32), salt))


@internal
@view
def _check_timelock():
    assert msg.sender == timelock.address, "governor: caller is not the timelock"


@internal
def _set_voting_delay(new_voting_delay: uint256):
    assert new_voting_delay <= MAX_VOTING_DELAY, "governor: voting delay too long"
    log VotingDelaySet(old_voting_delay=self.voting_delay, new_voting_delay=new_voting_delay)
    self.voting_delay = new_voting_delay


@internal
def _set_voting_period(new_voting_period: uint256):
    assert new_voting_period >= MIN_VOTING_PERIOD, "governor: voting period too short"
    assert new_voting_period <= MAX_VOTING_PERIOD, "governor: voting period too long"
    log VotingPeriodSet(old_voting_period=self.voting_period, new_voting_period=new_voting_period)
    self.voting_period = new_voting_period


@internal
def _set_proposal_threshold(new_proposal_threshold: uint256):
    supply: uint256 = staticcall IERC20(token.address).totalSupply()
    # Both sides are below 2**208 * 10_000 (the votes module caps the supply).
    assert new_proposal_threshold <= supply * MAX_PROPOSAL_THRESHOLD_BPS // QUORUM_DENOMINATOR, \
        "governor: proposal threshold too high"
    log ProposalThresholdSet(old_proposal_threshold=self.proposal_threshold, new_proposal_threshold=new_proposal_threshold)
    self.proposal_threshold = new_proposal_threshold


@internal
def _set_quorum_numerator(new_quorum_numerator: uint256):
    assert new_quorum_numerator <= MAX_QUORUM_NUMERATOR, "governor: quorum too high"
    log QuorumNumeratorUpdated(old_quorum_numerator=self.quorum_numerator, new_quorum_numerator=new_quorum_numerator)
    self.quorum_numerator = new_quorum_numerator
    # OpenZeppelin's Checkpoints.push: a second change at the same timepoint
    # replaces the first.
    length: uint256 = self._quorum_history_length
    entry: uint256 = (block.timestamp << 16) | new_quorum_numerator
    if length != 0 and self._quorum_history[length - 1] >> 16 == block.timestamp:
        self._quorum_history[length - 1] = entry
    else:
        # Fewer than 2**32 entries, so the search's 32 steps suffice: each
        # needs a passed proposal (a vote of an hour at least).
        self._quorum_history[length] = entry
        self._quorum_history_length = length + 1


@internal
@view
def _quorum_numerator_at(timepoint: uint256) -> uint256:
    """
    @dev The numerator of the last change at or before `timepoint` (0 before
         the deployment), newest first, then a bounded binary search.
    """
    length: uint256 = self._quorum_history_length
    if length == 0:
        return 0
    newest: uint256 = self._quorum_history[length - 1]
    if newest >> 16 <= timepoint:
        return newest & _QUORUM_MASK
    # The first position whose timepoint is after `timepoint` is in [0, length - 1].
    low: uint256 = 0
    high: uint256 = length - 1
    for _: uint256 in range(_QUORUM_SEARCH_STEPS):
        if low >= high:
            break
        mid: uint256 = (low + high) >> 1
        if self._quorum_history[mid] >> 16 > timepoint:
            high = mid
        else:
            low = mid + 1
    if high == 0:
        return 0
    return self._quorum_history[high - 1] & _QUORUM_MASK
