# pragma version ~=0.4.3
"""
@title MktLens
@notice Test-only batch reader of the Marketplace, so the state machine checks
        every pool, balance and licence after each step in a few calls.
"""

MAX_ITEMS: constant(uint256) = 256


interface IMarket:
    def pending(asset_id: uint256, token: address) -> uint256: view
    def balance_of(account: address, token: address) -> uint256: view
    def licence_of(asset_id: uint256, account: address) -> uint256: view
    def has_access(asset_id: uint256, account: address) -> bool: view


interface IBalance:
    def balanceOf(account: address) -> uint256: view


@external
@view
def pools(market: IMarket, token: address, asset_ids: DynArray[uint256, MAX_ITEMS]) -> DynArray[uint256, MAX_ITEMS]:
    result: DynArray[uint256, MAX_ITEMS] = []
    for asset_id: uint256 in asset_ids:
        result.append(staticcall market.pending(asset_id, token))
    return result


@external
@view
def balances(market: IMarket, token: address, accounts: DynArray[address, MAX_ITEMS]) -> DynArray[uint256, MAX_ITEMS]:
    result: DynArray[uint256, MAX_ITEMS] = []
    for account: address in accounts:
        result.append(staticcall market.balance_of(account, token))
    return result


@external
@view
def holdings(token: address, account: address) -> uint256:
    """@notice `account`'s ether (token == empty) or token balance."""
    if token == empty(address):
        return account.balance
    return staticcall IBalance(token).balanceOf(account)


@external
@view
def licences(market: IMarket, asset_ids: DynArray[uint256, MAX_ITEMS], accounts: DynArray[address, MAX_ITEMS]) \
        -> (DynArray[uint256, MAX_ITEMS], DynArray[bool, MAX_ITEMS], uint256):
    """@notice Expiry and access of each (asset, account) pair, and the timestamp they were read at."""
    expiries: DynArray[uint256, MAX_ITEMS] = []
    access: DynArray[bool, MAX_ITEMS] = []
    for i: uint256 in range(len(asset_ids), bound=MAX_ITEMS):
        expiries.append(staticcall market.licence_of(asset_ids[i], accounts[i]))
        access.append(staticcall market.has_access(asset_ids[i], accounts[i]))
    return expiries, access, block.timestamp
