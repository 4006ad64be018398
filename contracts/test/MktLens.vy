# pragma version ~=0.4.3
"""
@title MktLens
@notice Test-only batch reader of the Marketplace: the state machine reads every
        pool, balance, wallet and licence it checks after a step in one call.
"""

MAX_TOKENS: constant(uint256) = 4
MAX_ITEMS: constant(uint256) = 256


interface IMarket:
    def pending(asset_id: uint256, token: address) -> uint256: view
    def balance_of(account: address, token: address) -> uint256: view
    def licence_of(asset_id: uint256, account: address) -> uint256: view
    def has_access(asset_id: uint256, account: address) -> bool: view


interface IBalance:
    def balanceOf(account: address) -> uint256: view


struct MarketState:
    # per token: the market's own ether or token holdings
    held: DynArray[uint256, MAX_TOKENS]
    # token-major: pending[t * len(asset_ids) + i] is asset_ids[i]'s pool in tokens[t]
    pending: DynArray[uint256, MAX_ITEMS]
    # token-major: balance_of for each account
    balances: DynArray[uint256, MAX_ITEMS]
    # token-major: each account's own wallet (ether or token)
    wallets: DynArray[uint256, MAX_ITEMS]
    # asset-major: licence_of / has_access for asset_ids[i] and accounts[j] at [i * len(accounts) + j]
    expiries: DynArray[uint256, MAX_ITEMS]
    access: DynArray[bool, MAX_ITEMS]
    timestamp: uint256


@internal
@view
def _holding(token: address, account: address) -> uint256:
    if token == empty(address):
        return account.balance
    return staticcall IBalance(token).balanceOf(account)


@external
@view
def state(market: IMarket, tokens: DynArray[address, MAX_TOKENS], asset_ids: DynArray[uint256, MAX_ITEMS],
          accounts: DynArray[address, MAX_ITEMS]) -> MarketState:
    result: MarketState = empty(MarketState)
    for token: address in tokens:
        result.held.append(self._holding(token, market.address))
        for asset_id: uint256 in asset_ids:
            result.pending.append(staticcall market.pending(asset_id, token))
        for account: address in accounts:
            result.balances.append(staticcall market.balance_of(account, token))
            result.wallets.append(self._holding(token, account))
    for asset_id: uint256 in asset_ids:
        for account: address in accounts:
            result.expiries.append(staticcall market.licence_of(asset_id, account))
            result.access.append(staticcall market.has_access(asset_id, account))
    result.timestamp = block.timestamp
    return result


@external
@view
def holdings(tokens: DynArray[address, MAX_TOKENS], accounts: DynArray[address, MAX_ITEMS]) -> DynArray[uint256, MAX_ITEMS]:
    """
    @notice Token-major: what each account holds of each token (the royalty receivers, for the machine).
    """
    result: DynArray[uint256, MAX_ITEMS] = []
    for token: address in tokens:
        for account: address in accounts:
            result.append(self._holding(token, account))
    return result
