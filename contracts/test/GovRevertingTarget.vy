# pragma version ~=0.4.3
"""
@title GovRevertingTarget (test only)
@notice A proposal target that records calls, reverts on demand and accepts
        ether, to check that a proposal's actions run in order, atomically,
        with their values, and with the timelock as the caller.
"""

calls: public(DynArray[uint256, 16])
callers: public(DynArray[address, 16])


@external
@payable
def record(tag: uint256):
    self.calls.append(tag)
    self.callers.append(msg.sender)


@external
def fail():
    raise "target: failed on purpose"


@external
@view
def call_count() -> uint256:
    return len(self.calls)
