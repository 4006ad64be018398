# pragma version ~=0.4.3
"""
@title HubToken
@notice cidhub's governance token (HUB): an ERC-20 with EIP-2612 permit
        (snekmate `erc20`) whose balances vote once delegated (EIP-5805,
        `contracts/modules/votes.vy`, EIP-6372 timestamp clock); signed
        delegations share the token's EIP-712 domain and `nonces` with
        `permit`, as in OpenZeppelin's ERC20Votes + ERC20Permit. The whole
        initial supply is minted at deployment to the accounts listed there
        (treasury, contributors); afterwards only the DAO mints.
@dev snekmate's erc20 calls its transfer hooks as no-ops that a contract
     cannot override in Vyper 0.4, so every balance-changing entry point is
     written here: it calls the erc20 internal that moves the balance, then
     `votes._transfer_voting_units`; delegation passes the balance as the
     voting units. The erc20 module's own `transfer`,
     `transferFrom`, `mint`, `burn` and `burn_from` are therefore *not*
     exported (they would move balances without moving votes).
@custom:security Minting: snekmate's owner + minter model. The constructor
                 hands ownership and the minter flag to `dao` (the suite's
                 timelock) in the deployment transaction itself, so the
                 deployer never holds either. Only the owner can add or
                 remove minters (`set_minter`); `renounce_ownership` fixes
                 the supply for good.
"""

from ethereum.ercs import IERC20
implements: IERC20

from ethereum.ercs import IERC20Detailed
implements: IERC20Detailed

from snekmate.tokens.interfaces import IERC20Permit
implements: IERC20Permit

from snekmate.utils.interfaces import IERC5267
implements: IERC5267

from .interfaces import IERC5805
implements: IERC5805

from .interfaces import IERC6372
implements: IERC6372

from .interfaces import IVotes
implements: IVotes

from snekmate.auth import ownable
initializes: ownable

from snekmate.tokens import erc20
initializes: erc20[ownable := ownable]

from .modules import votes
initializes: votes

from snekmate.utils import ecdsa
from snekmate.utils import signature_checker

exports: (
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.approve,
    erc20.permit,
    erc20.nonces,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    erc20.is_minter,
    erc20.set_minter,
    erc20.transfer_ownership,
    erc20.renounce_ownership,
    erc20.owner,
    # erc20.transfer / transferFrom / mint / burn / burn_from are replaced
    # below by versions that also move votes.
    votes.MAX_SUPPLY,
    votes.clock,
    votes.CLOCK_MODE,
    votes.delegates,
    votes.get_votes,
    votes.get_past_votes,
    votes.get_past_total_supply,
    votes.getVotes,
    votes.getPastVotes,
    votes.getPastTotalSupply,
    votes.num_checkpoints,
    votes.numCheckpoints,
    votes.checkpoints,
)


# Initial allocations listed at deployment (treasury, contributors, ...).
MAX_ALLOCATIONS: public(constant(uint256)) = 64


@deploy
def __init__(
    recipients: DynArray[address, MAX_ALLOCATIONS], amounts: DynArray[uint256, MAX_ALLOCATIONS], dao: address
):
    """
    @notice Mints the initial supply and makes `dao` the token's owner and
            only minter.
    @param recipients Who receives the initial supply (treasury,
           contributors...). Their tokens vote once they delegate.
    @param amounts Tokens (with 18 decimals) for each recipient.
    @param dao The DAO's timelock: it alone may mint later and manage
           minters.
    """
    assert len(recipients) == len(amounts), "token: recipients and amounts differ in length"
    assert dao != empty(address), "token: zero dao"
    ownable.__init__()
    erc20.__init__("cidhub", "HUB", 18, "cidhub", "1")
    for i: uint256 in range(len(recipients), bound=MAX_ALLOCATIONS):
        self._mint(recipients[i], amounts[i])
    if dao != msg.sender:
        # erc20.__init__ made the deployer owner and minter; hand both over.
        erc20.is_minter[msg.sender] = False
        log erc20.RoleMinterChanged(minter=msg.sender, status=False)
        ownable._transfer_ownership(dao)
        erc20.is_minter[dao] = True
        log erc20.RoleMinterChanged(minter=dao, status=True)


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` tokens from the caller to `to`, and the votes
            with them between the two delegatees.
    @param to The receiver.
    @param amount Tokens.
    @return bool True (reverts on failure).
    """
    erc20._transfer(msg.sender, to, amount)
    votes._transfer_voting_units(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` of `owner`'s tokens to `to` within the caller's
            allowance, and the votes with them.
    @param owner The sender.
    @param to The receiver.
    @param amount Tokens.
    @return bool True (reverts on failure).
    """
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    votes._transfer_voting_units(owner, to, amount)
    return True


@external
def mint(owner: address, amount: uint256):
    """
    @notice Creates `amount` tokens for `owner`. Minters only (the DAO).
    @param owner The receiver.
    @param amount Tokens.
    """
    assert erc20.is_minter[msg.sender], "erc20: access is denied"
    self._mint(owner, amount)


@external
def burn(amount: uint256):
    """
    @notice Destroys `amount` of the caller's tokens.
    @param amount Tokens.
    """
    erc20._burn(msg.sender, amount)
    votes._transfer_voting_units(msg.sender, empty(address), amount)


@external
def burn_from(owner: address, amount: uint256):
    """
    @notice Destroys `amount` of `owner`'s tokens within the caller's
            allowance.
    @param owner The holder.
    @param amount Tokens.
    """
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._burn(owner, amount)
    votes._transfer_voting_units(owner, empty(address), amount)


@external
def delegate(delegatee: address):
    """
    @notice Delegates the caller's votes, now and for every later balance
            change, to `delegatee` (the caller itself to vote in person;
            the zero address to stop counting them).
    @param delegatee The account that will hold the votes.
    """
    votes._delegate(msg.sender, delegatee, erc20.balanceOf[msg.sender])


@external
def delegate_by_sig(
    delegator: address, delegatee: address, nonce: uint256, expiry: uint256, signature: Bytes[65]
):
    """
    @notice Delegates `delegator`'s votes with its EIP-712 signature of
            Delegation(address delegatee,uint256 nonce,uint256 expiry),
            submitted by anyone (gasless delegation).
    @dev Unlike EIP-5805's `delegateBySig`, the delegator is named, so a
         signature made for another chain, another token or another nonce
         reverts instead of delegating for whatever address it happens to
         recover to, and contract wallets can delegate (ERC-1271). The
         signed message is the same as `delegateBySig`'s, and the nonce is
         the one `permit` uses (`nonces`).
    @param delegator The account whose votes move; it signed the message.
    @param delegatee The account that will hold the votes.
    @param nonce `nonces(delegator)` when signing; consumed here.
    @param expiry Last timestamp at which the signature is accepted.
    @param signature 65-byte (r, s, v), 64-byte EIP-2098, or ERC-1271 bytes.
    @custom:security snekmate's signature_checker compares the claimed
                     signer with ecdsa's recovery, which returns the zero
                     address for a signature of any other length than 64 or
                     65 bytes: so the zero address is refused first.
    """
    assert delegator != empty(address), "votes: invalid signer"
    votes._check_expiry(expiry)
    digest: bytes32 = erc20.eip712_domain_separator._hash_typed_data_v4(
        votes._delegation_struct_hash(delegatee, nonce, expiry)
    )
    assert signature_checker._is_valid_signature_now(delegator, digest, signature), "votes: invalid signature"
    self._use_nonce(delegator, nonce)
    votes._delegate(delegator, delegatee, erc20.balanceOf[delegator])


@external
def delegateBySig(delegatee: address, nonce: uint256, expiry: uint256, v: uint8, r: bytes32, s: bytes32):
    """
    @notice EIP-5805: delegates the votes of whoever signed
            Delegation(delegatee, nonce, expiry).
    @dev The standard form, for wallets and tools that call it. The signer
         is recovered, so a signature for another domain recovers some
         unrelated address and can only ever move that address's votes;
         `delegate_by_sig` names the delegator and reverts instead.
    @param delegatee The account that will hold the votes.
    @param nonce The signer's current nonce.
    @param expiry Last timestamp at which the signature is accepted.
    @param v The signature's v.
    @param r The signature's r.
    @param s The signature's s (lower half order only: no malleable forms).
    @dev snekmate's `_recover_vrs` reverts ("ecdsa: invalid signature")
         rather than return the zero address, and `votes._delegate` refuses
         it besides. `permit` (snekmate's erc20) recovers the same way.
    """
    votes._check_expiry(expiry)
    digest: bytes32 = erc20.eip712_domain_separator._hash_typed_data_v4(
        votes._delegation_struct_hash(delegatee, nonce, expiry)
    )
    signer: address = ecdsa._recover_vrs(digest, convert(v, uint256), convert(r, uint256), convert(s, uint256))
    self._use_nonce(signer, nonce)
    votes._delegate(signer, delegatee, erc20.balanceOf[signer])


@internal
def _use_nonce(owner: address, nonce: uint256):
    current: uint256 = erc20.nonces[owner]
    assert nonce == current, "votes: invalid nonce"
    erc20.nonces[owner] = unsafe_add(current, 1)


@internal
def _mint(owner: address, amount: uint256):
    erc20._mint(owner, amount)
    votes._transfer_voting_units(empty(address), owner, amount)
