# pragma version ~=0.4.3
"""
@title MktFalseToken
@notice Test-only ERC-20 that, once `set_failing(True)`, answers `transfer` and
        `transferFrom` with `False` and moves nothing (old tokens signal failure
        that way instead of reverting). Open minting.
"""

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
failing: public(bool)


@deploy
def __init__():
    self.name = "False Token"
    self.symbol = "FALSE"
    self.decimals = 18


@external
def set_failing(failing_: bool):
    self.failing = failing_


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount


@external
def transfer(to: address, amount: uint256) -> bool:
    if self.failing:
        return False
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    if self.failing:
        return False
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True
