# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title votes: vote delegation and checkpoints (EIP-5805, EIP-6372)
@notice Voting power with delegation, the way OpenZeppelin's Votes /
        ERC20Votes do it (snekmate 0.1.2 has no votes module). An account's
        voting units (a token balance) count as votes only once delegated,
        to itself or to someone else; `get_past_votes` and
        `get_past_total_supply` answer for any timepoint that is over, so a
        governor counts votes at a proposal's snapshot and tokens bought or
        borrowed after it do not vote.
        Token-agnostic, like OpenZeppelin's Votes: the contract that
        initializes it supplies the voting units and calls
        `_transfer_voting_units(sender, receiver, amount)` after every
        balance change (empty(address) as sender for a mint, as receiver for
        a burn), `_delegate(account, delegatee, units)` for delegation, and
        hashes `_delegation_struct_hash` into its own EIP-712 domain for
        signed delegations (HubToken is the ERC-20 binding). Keeping the
        module free of `uses:` also lets it compile on its own, which Ape
        does for every file under contracts/.
@dev Clock: EIP-6372 "mode=timestamp". Timepoints are unix seconds, so
     voting delays and periods are durations in seconds like the timelock's
     delay, and the token behaves the same on L2s whose block numbers do not
     track time. A timepoint is "over" once a block with a later timestamp
     exists: `get_past_*` accept only `timepoint < clock()`. (Consecutive
     blocks may share a timestamp; a checkpoint of the current timepoint is
     rewritten until the clock moves on, which is why it is not "past".)
     Storage. One word per account holds its delegatee (low 160 bits) and
     the number of checkpoints of its own voting power (next 32 bits), so a
     first self-delegation writes two fresh slots (that word and one
     checkpoint) where OpenZeppelin writes three. A checkpoint is one word:
     timepoint (high 48 bits) | votes (low 208 bits). The total supply's
     history lives under the zero address, which never holds votes: moving
     votes to or from the zero address means "not delegated".
     Lookups try the newest checkpoint first (the usual case for a vote
     cast soon after its snapshot), then probe sqrt(n) from the end, then
     binary search; every loop is bounded by _SEARCH_STEPS.
@custom:security Checkpoint values are bounded by MAX_SUPPLY = 2**208 - 1
                 (checked on mint), so no sum of votes can overflow 208
                 bits. Signed delegations carry a nonce (replay) and an
                 expiry; the binding contract's EIP-712 domain fixes chain
                 id and address. The zero address can never delegate
                 (`_delegate` refuses it), whatever the binding's signature
                 check lets through: its word is the total supply's.
"""

from ..interfaces import IERC5805


# The largest total supply (and so the largest vote count) a checkpoint holds.
MAX_SUPPLY: public(constant(uint256)) = (1 << 208) - 1
# Width of the per-account checkpoint counter; also the binary search bound.
MAX_CHECKPOINT_BITS: constant(uint256) = 32
MAX_CHECKPOINTS: constant(uint256) = (1 << MAX_CHECKPOINT_BITS) - 1
# Halving an interval of at most 2**32 - 1 positions empties it in 32 steps.
_SEARCH_STEPS: constant(uint256) = MAX_CHECKPOINT_BITS
# Below this many candidates the sqrt probe costs more than it saves.
_SQRT_PROBE_FROM: constant(uint256) = 6

_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_COUNT_SHIFT: constant(uint256) = 160
_COUNT_ONE: constant(uint256) = 1 << _COUNT_SHIFT
_KEY_SHIFT: constant(uint256) = 208
_VALUE_MASK: constant(uint256) = (1 << 208) - 1

_DELEGATION_TYPEHASH: constant(bytes32) = keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)")
_CLOCK_MODE: constant(String[32]) = "mode=timestamp"


struct Checkpoint:
    key: uint48
    votes: uint208


# delegatee (low 160 bits) | number of checkpoints of the account's own votes (next 32 bits)
_accounts: HashMap[address, uint256]
# key (timepoint, high 48 bits) | votes (low 208 bits), by account and position;
# the zero address's history is the total supply's
_checkpoints: HashMap[address, HashMap[uint256, uint256]]


# ---------------------------------------------------------------- EIP-6372


@external
@view
def clock() -> uint48:
    """
    @notice EIP-6372: the current timepoint, in unix seconds.
    @return uint48 block.timestamp.
    """
    return convert(block.timestamp, uint48)


@external
@view
def CLOCK_MODE() -> String[32]:
    """
    @notice EIP-6372: how the clock is read ("mode=timestamp").
    @return String The mode.
    """
    return _CLOCK_MODE


# ---------------------------------------------------------------- delegation


@external
@view
def delegates(account: address) -> address:
    """
    @notice The account `account` delegates its votes to (zero: none).
    @param account The delegator.
    @return address The delegatee.
    """
    return self._delegate_of(account)


# ---------------------------------------------------------------- votes


@external
@view
def get_votes(account: address) -> uint256:
    """
    @notice The votes `account` holds now (its delegators' balances).
    @param account The delegatee.
    @return uint256 Votes.
    """
    return self._current(account)


@external
@view
def get_past_votes(account: address, timepoint: uint256) -> uint256:
    """
    @notice The votes `account` held at the end of `timepoint`.
    @param account The delegatee.
    @param timepoint A unix time strictly before the current block's.
    @return uint256 Votes.
    """
    self._check_past(timepoint)
    return self._lookup(account, timepoint)


@external
@view
def get_past_total_supply(timepoint: uint256) -> uint256:
    """
    @notice The total supply at the end of `timepoint`, delegated or not
            (quorums are fractions of it).
    @param timepoint A unix time strictly before the current block's.
    @return uint256 Tokens.
    """
    self._check_past(timepoint)
    return self._lookup_total(timepoint)


@external
@view
def getVotes(account: address) -> uint256:
    """
    @notice EIP-5805 name of `get_votes`.
    """
    return self._current(account)


@external
@view
def getPastVotes(account: address, timepoint: uint256) -> uint256:
    """
    @notice EIP-5805 name of `get_past_votes`.
    """
    self._check_past(timepoint)
    return self._lookup(account, timepoint)


@external
@view
def getPastTotalSupply(timepoint: uint256) -> uint256:
    """
    @notice EIP-5805 name of `get_past_total_supply`.
    """
    self._check_past(timepoint)
    return self._lookup_total(timepoint)


@external
@view
def num_checkpoints(account: address) -> uint32:
    """
    @notice How many checkpoints `account`'s votes have.
    @param account The delegatee.
    @return uint32 The count.
    """
    if account == empty(address):
        return 0
    return convert(self._accounts[account] >> _COUNT_SHIFT, uint32)


@external
@view
def numCheckpoints(account: address) -> uint32:
    """
    @notice OpenZeppelin (ERC20Votes) name of `num_checkpoints`.
    @param account The delegatee.
    @return uint32 The count.
    """
    if account == empty(address):
        return 0
    return convert(self._accounts[account] >> _COUNT_SHIFT, uint32)


@external
@view
def checkpoints(account: address, pos: uint32) -> Checkpoint:
    """
    @notice The `pos`-th checkpoint of `account`'s votes, oldest first.
            Same ABI as OpenZeppelin ERC20Votes' checkpoints(address,uint32)
            (a Checkpoint208: uint48 key, uint208 value).
    @param account The delegatee.
    @param pos Position, below `num_checkpoints(account)`.
    @return Checkpoint (timepoint from which it holds, votes).
    """
    assert account != empty(address) and convert(pos, uint256) < self._accounts[account] >> _COUNT_SHIFT, \
        "votes: no such checkpoint"
    packed: uint256 = self._checkpoints[account][convert(pos, uint256)]
    return Checkpoint(key=convert(packed >> _KEY_SHIFT, uint48), votes=convert(packed & _VALUE_MASK, uint208))


# ---------------------------------------------------------------- hooks for the token


@internal
def _transfer_voting_units(sender: address, receiver: address, amount: uint256):
    """
    @dev Call after every balance change: sender is empty(address) for a
         mint, receiver for a burn. Moves votes between the two delegatees
         and keeps the total supply's history.
    """
    if sender == empty(address):
        new_total: uint256 = self._write_checkpoint(empty(address), amount, True)[1]
        assert new_total <= MAX_SUPPLY, "votes: total supply over the maximum"
    if receiver == empty(address):
        self._write_checkpoint(empty(address), amount, False)
    # The zero address's delegatee reads as empty: `_delegate` never sets
    # one, so a mint comes from, and a burn goes to, "not delegated".
    self._move_delegate_votes(self._delegate_of(sender), self._delegate_of(receiver), amount)


# ---------------------------------------------------------------- internals


@internal
@pure
def _delegation_struct_hash(delegatee: address, nonce: uint256, expiry: uint256) -> bytes32:
    """
    @dev EIP-712 struct hash of Delegation(address delegatee,uint256 nonce,
         uint256 expiry); the token hashes it into its own domain.
    """
    return keccak256(abi_encode(_DELEGATION_TYPEHASH, delegatee, nonce, expiry))


@internal
@view
def _check_expiry(expiry: uint256):
    assert block.timestamp <= expiry, "votes: signature expired"


@internal
@view
def _delegate_of(account: address) -> address:
    return convert(convert(self._accounts[account] & _ADDRESS_MASK, uint160), address)


@internal
def _delegate(account: address, delegatee: address, units: uint256):
    """
    @dev Makes `delegatee` the holder of `account`'s votes and moves its
         current `units` (its balance) from the previous delegatee.
         Never for the zero address: mints and burns move votes from and to
         "not delegated", and a delegatee recorded for address 0 would make
         every mint take votes from it (issue #10, finding 1).
    """
    assert account != empty(address), "votes: zero delegator"
    word: uint256 = self._accounts[account]
    previous: address = convert(convert(word & _ADDRESS_MASK, uint160), address)
    self._accounts[account] = (word & ~_ADDRESS_MASK) | convert(delegatee, uint256)
    log IERC5805.DelegateChanged(delegator=account, from_delegate=previous, to_delegate=delegatee)
    self._move_delegate_votes(previous, delegatee, units)


@internal
def _move_delegate_votes(source: address, destination: address, amount: uint256):
    if source == destination or amount == 0:
        return
    old: uint256 = 0
    new: uint256 = 0
    if source != empty(address):
        old, new = self._write_checkpoint(source, amount, False)
        log IERC5805.DelegateVotesChanged(delegate=source, previous_votes=old, new_votes=new)
    if destination != empty(address):
        old, new = self._write_checkpoint(destination, amount, True)
        log IERC5805.DelegateVotesChanged(delegate=destination, previous_votes=old, new_votes=new)


@internal
def _write_checkpoint(account: address, amount: uint256, increase: bool) -> (uint256, uint256):
    """
    @dev Adds (or subtracts) `amount` to the account's latest value at the
         current timepoint: rewrites the newest checkpoint if it is from
         this timepoint, appends one otherwise.
    @return (value before, value after)
    """
    word: uint256 = self._accounts[account]
    count: uint256 = word >> _COUNT_SHIFT
    key: uint256 = block.timestamp
    old: uint256 = 0
    last_key: uint256 = 0
    if count != 0:
        last: uint256 = self._checkpoints[account][unsafe_sub(count, 1)]
        old = last & _VALUE_MASK
        last_key = last >> _KEY_SHIFT
    new: uint256 = 0
    if increase:
        # Sums of votes never exceed the total supply, which is checked
        # against MAX_SUPPLY, so `new` fits 208 bits.
        new = old + amount
    else:
        new = old - amount
    if count != 0 and last_key == key:
        self._checkpoints[account][unsafe_sub(count, 1)] = (key << _KEY_SHIFT) | new
    else:
        assert count < MAX_CHECKPOINTS, "votes: too many checkpoints"
        self._checkpoints[account][count] = (key << _KEY_SHIFT) | new
        self._accounts[account] = unsafe_add(word, _COUNT_ONE)
    return old, new


@internal
@view
def _check_past(timepoint: uint256):
    assert timepoint < block.timestamp, "votes: future lookup"


@internal
@view
def _current(account: address) -> uint256:
    if account == empty(address):
        return 0
    count: uint256 = self._accounts[account] >> _COUNT_SHIFT
    if count == 0:
        return 0
    return self._checkpoints[account][unsafe_sub(count, 1)] & _VALUE_MASK


@internal
@view
def _lookup(account: address, timepoint: uint256) -> uint256:
    if account == empty(address):
        return 0
    return self._upper_lookup(account, timepoint)


@internal
@view
def _lookup_total(timepoint: uint256) -> uint256:
    return self._upper_lookup(empty(address), timepoint)


@internal
@view
def _upper_lookup(account: address, timepoint: uint256) -> uint256:
    """
    @dev The value of the last checkpoint whose key is <= timepoint (0 if
         there is none).
    """
    count: uint256 = self._accounts[account] >> _COUNT_SHIFT
    if count == 0:
        return 0
    newest: uint256 = self._checkpoints[account][unsafe_sub(count, 1)]
    if newest >> _KEY_SHIFT <= timepoint:
        return newest & _VALUE_MASK
    # The newest checkpoint is after `timepoint`: find the first position in
    # [0, count - 1] whose key is after it; the answer is the one before.
    low: uint256 = 0
    high: uint256 = unsafe_sub(count, 1)
    if high >= _SQRT_PROBE_FROM:
        mid: uint256 = unsafe_sub(high, isqrt(high))
        if self._checkpoints[account][mid] >> _KEY_SHIFT > timepoint:
            high = mid
        else:
            low = unsafe_add(mid, 1)
    for _: uint256 in range(_SEARCH_STEPS):
        if low >= high:
            break
        mid: uint256 = unsafe_add(low, high) >> 1
        if self._checkpoints[account][mid] >> _KEY_SHIFT > timepoint:
            high = mid
        else:
            low = unsafe_add(mid, 1)
    if high == 0:
        return 0
    return self._checkpoints[account][unsafe_sub(high, 1)] & _VALUE_MASK
