# pragma version ~=0.4.3
"""
@title MockERC20
@notice Test-only ERC-20 with open minting; optionally takes a fee on every
        transfer (to test that the marketplace refuses fee-on-transfer tokens)
        or returns nothing from transfer/transferFrom (like USDT).
"""

from ethereum.ercs import IERC20
implements: IERC20

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
transfer_fee_bps: public(uint256)


@deploy
def __init__(name_: String[32], symbol_: String[8], transfer_fee_bps_: uint256):
    self.name = name_
    self.symbol = symbol_
    self.decimals = 18
    self.transfer_fee_bps = transfer_fee_bps_


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log IERC20.Transfer(sender=empty(address), receiver=to, value=amount)


@internal
def _move(owner: address, to: address, amount: uint256):
    fee: uint256 = amount * self.transfer_fee_bps // 10_000
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount - fee
    self.totalSupply -= fee
    log IERC20.Transfer(sender=owner, receiver=to, value=amount - fee)


@external
def transfer(to: address, amount: uint256) -> bool:
    self._move(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self._move(owner, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log IERC20.Approval(owner=msg.sender, spender=spender, value=amount)
    return True
