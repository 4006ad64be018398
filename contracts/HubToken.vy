# pragma version ~=0.4.3
"""
@title HubToken
@notice cidhub's governance token (HUB): an ERC-20 with EIP-2612 permit
        (snekmate `erc20`) whose balances vote once delegated (EIP-5805,
        `contracts/modules/votes.vy`, EIP-6372 timestamp clock). The whole
        initial supply is minted at deployment to the accounts listed there
        (treasury, contributors); afterwards only the DAO mints.
@dev snekmate's erc20 calls its transfer hooks as no-ops that a contract
     cannot override in Vyper 0.4, so every balance-changing entry point is
     written here: it calls the erc20 internal that moves the balance, then
     `votes._transfer_voting_units`. The erc20 module's own `transfer`,
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
initializes: votes[erc20 := erc20]

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
    votes.delegate,
    votes.delegate_by_sig,
    votes.delegateBySig,
    votes.delegates,
    votes.get_votes,
    votes.get_past_votes,
    votes.get_past_total_supply,
    votes.getVotes,
    votes.getPastVotes,
    votes.getPastTotalSupply,
    votes.num_checkpoints,
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


@internal
def _mint(owner: address, amount: uint256):
    erc20._mint(owner, amount)
    votes._transfer_voting_units(empty(address), owner, amount)
