# pragma version ~=0.4.3
"""
@title MktReentrantToken
@notice Test-only ERC-20 that calls back into `target` with `data` from inside
        `transfer` / `transferFrom` (like an ERC-777 hook), once per `arm`, and
        records whether the nested call succeeded. The outer transfer goes on
        either way, so a test sees exactly what the re-entry achieved.
"""

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])

target: public(address)
data: public(Bytes[512])
armed: public(bool)
reentry_attempted: public(bool)
reentry_succeeded: public(bool)


@deploy
def __init__():
    self.name = "Reentrant Token"
    self.symbol = "REENT"
    self.decimals = 18


@external
def arm(target_: address, data_: Bytes[512]):
    self.target = target_
    self.data = data_
    self.armed = True


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount
    self.totalSupply += amount


@internal
def _hook():
    if not self.armed:
        return
    self.armed = False
    self.reentry_attempted = True
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(self.target, self.data, max_outsize=32, revert_on_failure=False)
    self.reentry_succeeded = success


@external
def transfer(to: address, amount: uint256) -> bool:
    self._hook()
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self._hook()
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True
