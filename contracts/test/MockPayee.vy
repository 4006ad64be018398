# pragma version ~=0.4.3
"""
@title MockPayee
@notice Test-only payee with a configurable attitude to incoming ether:
        0 accept, 1 revert, 2 burn all gas, 3 re-enter the marketplace (calls
        `reenter_target` with `reenter_data` and records whether it succeeded).
        Also acts as a buyer for re-entrancy tests through `execute`.
"""

mode: public(uint256)
reenter_target: public(address)
reenter_data: public(Bytes[512])
reentry_succeeded: public(bool)
reentry_attempted: public(bool)


@external
def configure(mode_: uint256, target: address, data: Bytes[512]):
    self.mode = mode_
    self.reenter_target = target
    self.reenter_data = data


@external
@payable
def execute(target: address, data: Bytes[512], amount: uint256) -> Bytes[256]:
    return raw_call(target, data, value=amount, max_outsize=256)


@external
@payable
def __default__():
    if self.mode == 1:
        raise "payee: refusing ether"
    elif self.mode == 2:
        for i: uint256 in range(1_000_000):
            self.reentry_attempted = not self.reentry_attempted
    elif self.mode == 3:
        self.reentry_attempted = True
        success: bool = False
        response: Bytes[32] = b""
        success, response = raw_call(self.reenter_target, self.reenter_data, max_outsize=32, revert_on_failure=False)
        self.reentry_succeeded = success
