# pragma version ~=0.4.3
"""
@title Lean ERC-721 core with 96 bits of per-token data packed beside the owner
@notice The owner of a token and 96 bits of data that belong to the token
        (the "aux" word) share one storage slot, the way ERC721A keeps its
        `extraData`. A contract built on this module reads and writes a
        token's owner and its small fields with one SLOAD/SSTORE.
@dev Why not snekmate's `erc721`: it is enumerable (owner and global index
     arrays) and stores a URI string per token. Measured on anvil, minting
     through it writes seven fresh slots, about 170k gas for a registration,
     against the registry's target of <= 100k. Enumeration is left to
     indexers (the subgraph reads `Transfer` events); the rest follows
     snekmate's erc721 function for function, including its error strings.
     Transfers keep the aux bits: they are facts about the token, not about
     its owner.
@custom:security No burn: a registered asset is part of other assets'
                 provenance and must never disappear. `_mint` does not call
                 `onERC721Received`; minting goes only to the caller or to an
                 account a REGISTRAR names.
"""

from ethereum.ercs import IERC165
from ethereum.ercs import IERC721


_OWNER_MASK: constant(uint256) = (1 << 160) - 1
_AUX_SHIFT: constant(uint256) = 160
# onERC721Received's selector as the receiver returns it: one ABI word, left-aligned.
_ON_ERC721_RECEIVED: constant(bytes32) = 0x150b7a0200000000000000000000000000000000000000000000000000000000
# Room for a receiver's revert reason to pass on.
_RECEIVER_RESPONSE_BYTES: constant(uint256) = 256
# The longest `data` that `safeTransferFrom` passes to `onERC721Received`. EIP-721 sets no bound;
# Vyper needs one, and a hook call pays memory gas in proportion to it (see `safeTransferFrom`).
# Marketplaces send none; 16 KiB is sixteen times what the module took before and room for
# any order, proof or instruction a receiver is sent in practice.
MAX_DATA_BYTES: constant(uint256) = 16_384


# owner (low 160 bits) | aux data (high 96 bits), keyed by token id
_token_data: HashMap[uint256, uint256]
_balances: HashMap[address, uint256]
_token_approvals: HashMap[uint256, address]
_operator_approvals: HashMap[address, HashMap[address, bool]]


@internal
@view
def _owner_of(token_id: uint256) -> address:
    return convert(self._token_data[token_id] & _OWNER_MASK, address)


@internal
@view
def _exists(token_id: uint256) -> bool:
    return self._token_data[token_id] & _OWNER_MASK != 0


@internal
@view
def _require_owner(token_id: uint256) -> address:
    owner: address = self._owner_of(token_id)
    assert owner != empty(address), "erc721: invalid token ID"
    return owner


@internal
@view
def _aux(token_id: uint256) -> uint256:
    return self._token_data[token_id] >> _AUX_SHIFT


@internal
def _set_aux(token_id: uint256, aux: uint256):
    """
    @dev The caller has checked that the token exists and that `aux` fits
         in 96 bits; a wider value would overwrite nothing but be cut off.
    """
    self._token_data[token_id] = (self._token_data[token_id] & _OWNER_MASK) | (aux << _AUX_SHIFT)


@internal
@view
def _balance_of(owner: address) -> uint256:
    assert owner != empty(address), "erc721: the zero address is not a valid owner"
    return self._balances[owner]


@internal
@view
def _is_approved_or_owner(spender: address, token_id: uint256) -> bool:
    owner: address = self._require_owner(token_id)
    return (
        spender == owner
        or self._operator_approvals[owner][spender]
        or self._token_approvals[token_id] == spender
    )


@internal
@view
def _require_approved_or_owner(spender: address, token_id: uint256):
    # Returns nothing on purpose: in `safeTransferFrom` a returned bool would get a buffer
    # above `data`, and every transfer would pay to expand memory past it.
    assert self._is_approved_or_owner(spender, token_id), "erc721: caller is not token owner or approved"


@internal
def _mint(owner: address, token_id: uint256, aux: uint256):
    """
    @dev One fresh slot for owner + aux, one balance update. The caller MUST
         have checked `not _exists(token_id)` (and reverted with its own
         reason): re-reading the slot here would cost every mint a second
         SLOAD for a check that has already been made.
    """
    assert owner != empty(address), "erc721: mint to the zero address"
    self._token_data[token_id] = convert(owner, uint256) | (aux << _AUX_SHIFT)
    # A balance cannot overflow: each increment is one 22k-gas mint.
    self._balances[owner] = unsafe_add(self._balances[owner], 1)
    log IERC721.Transfer(sender=empty(address), receiver=owner, token_id=token_id)


@internal
def _transfer(owner: address, to: address, token_id: uint256):
    data: uint256 = self._token_data[token_id]
    assert convert(data & _OWNER_MASK, address) == owner, "erc721: transfer from incorrect owner"
    assert to != empty(address), "erc721: transfer to the zero address"
    self._token_approvals[token_id] = empty(address)
    self._balances[owner] = unsafe_sub(self._balances[owner], 1)
    self._balances[to] = unsafe_add(self._balances[to], 1)
    self._token_data[token_id] = (data & ~_OWNER_MASK) | convert(to, uint256)
    log IERC721.Transfer(sender=owner, receiver=to, token_id=token_id)


@external
@view
def balanceOf(owner: address) -> uint256:
    """
    @notice Number of tokens `owner` holds.
    @param owner A non-zero address.
    @return uint256 The balance.
    """
    return self._balance_of(owner)


@external
@view
def ownerOf(token_id: uint256) -> address:
    """
    @notice The owner of `token_id`; reverts for a token that does not exist.
    @param token_id The token (asset) id.
    @return address The owner.
    """
    return self._require_owner(token_id)


@external
@view
def getApproved(token_id: uint256) -> address:
    """
    @notice The account approved to move `token_id`, if any.
    @param token_id The token (asset) id.
    @return address The approved account or the zero address.
    """
    self._require_owner(token_id)
    return self._token_approvals[token_id]


@external
@view
def isApprovedForAll(owner: address, operator: address) -> bool:
    """
    @notice Whether `operator` may move every token of `owner`.
    @param owner The token owner.
    @param operator The operator.
    @return bool The approval.
    """
    return self._operator_approvals[owner][operator]


@external
def approve(to: address, token_id: uint256):
    """
    @notice Approves `to` to move `token_id`.
    @dev Non-payable on purpose: ether sent here could never be returned.
    @param to The account to approve (the zero address clears it).
    @param token_id The token (asset) id.
    """
    owner: address = self._require_owner(token_id)
    assert to != owner, "erc721: approval to current owner"
    assert msg.sender == owner or self._operator_approvals[owner][msg.sender], \
        "erc721: approve caller is not token owner or approved for all"
    self._token_approvals[token_id] = to
    log IERC721.Approval(owner=owner, approved=to, token_id=token_id)


@external
def setApprovalForAll(operator: address, approved: bool):
    """
    @notice Approves or revokes `operator` for every token of the caller.
    @param operator The operator.
    @param approved True to approve, False to revoke.
    """
    assert operator != msg.sender, "erc721: approve to caller"
    self._operator_approvals[msg.sender][operator] = approved
    log IERC721.ApprovalForAll(owner=msg.sender, operator=operator, approved=approved)


@external
def transferFrom(owner: address, to: address, token_id: uint256):
    """
    @notice Moves `token_id` from `owner` to `to` without a receiver check.
    @param owner The current owner.
    @param to The new owner.
    @param token_id The token (asset) id.
    """
    self._require_approved_or_owner(msg.sender, token_id)
    self._transfer(owner, to, token_id)


@external
def safeTransferFrom(owner: address, to: address, token_id: uint256, data: Bytes[MAX_DATA_BYTES] = b""):
    """
    @notice Moves `token_id` and, if `to` is a contract, requires it to accept.
    @dev OpenZeppelin's rule for the receiver: an account without code
         accepts; a receiver's own revert reason is passed on; a contract
         without the hook (a revert without data, no answer, a wrong answer)
         fails with "erc721: transfer to non-ERC721Receiver implementer"
         instead of an empty revert.
         `data` may be up to MAX_DATA_BYTES long. Longer data is refused by
         the ABI decoder before this function runs, with an empty revert:
         Vyper 0.4 checks every `Bytes` argument against its bound on entry.
         Memory: Vyper gives `data`, the hook's calldata and its answer fixed
         places one after the other, and a call pays to expand memory up to
         the last place it touches, so calling a receiver costs gas in
         proportion to MAX_DATA_BYTES, whatever the data's length. The hook
         call is written out here, not in an internal function, because a
         callee's frame would hold a third copy of `data` and sit below this
         function's copy, so every transfer, to an account without code too,
         would pay for it. Here a transfer to an account without code returns
         before the memory past `data` is touched.
    @param owner The current owner.
    @param to The new owner.
    @param token_id The token (asset) id.
    @param data Passed to `onERC721Received`.
    """
    self._require_approved_or_owner(msg.sender, token_id)
    self._transfer(owner, to, token_id)
    if not to.is_contract:
        return
    success: bool = False
    response: Bytes[_RECEIVER_RESPONSE_BYTES] = b""
    success, response = raw_call(
        to,
        abi_encode(msg.sender, owner, token_id, data,
                   method_id=method_id("onERC721Received(address,address,uint256,bytes)")),
        max_outsize=_RECEIVER_RESPONSE_BYTES,
        revert_on_failure=False,
    )
    if not success and len(response) != 0:
        raw_revert(response)
    assert success and len(response) >= 32 and extract32(response, 0) == _ON_ERC721_RECEIVED, \
        "erc721: transfer to non-ERC721Receiver implementer"
