# pragma version ~=0.4.3
"""
@title MktLyingToken
@notice Test-only ERC-20 whose `balanceOf` can be made to report any figure
        for one account (`lie`), while transfers move only real balances (and
        revert past them). Open minting.
"""

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
allowance: public(HashMap[address, HashMap[address, uint256]])
real_balance: public(HashMap[address, uint256])
lying_about: public(address)
reported: public(uint256)


@deploy
def __init__():
    self.name = "Lying Token"
    self.symbol = "LIE"
    self.decimals = 18


@external
def lie(account: address, reported_: uint256):
    self.lying_about = account
    self.reported = reported_


@external
@view
def balanceOf(account: address) -> uint256:
    if account == self.lying_about:
        return self.reported
    return self.real_balance[account]


@external
def mint(to: address, amount: uint256):
    self.real_balance[to] += amount
    self.totalSupply += amount


@external
def transfer(to: address, amount: uint256) -> bool:
    self.real_balance[msg.sender] -= amount
    self.real_balance[to] += amount
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self.real_balance[owner] -= amount
    self.real_balance[to] += amount
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True
