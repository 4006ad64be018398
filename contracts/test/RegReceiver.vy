# pragma version ~=0.4.3
"""
@title RegReceiver
@notice Test-only ERC-721 receiver with a configurable answer to
        `onERC721Received`: 0 accept (the right selector), 1 revert with a
        reason, 2 revert without data, 3 return a wrong selector. Records the
        last call it accepted.
"""

mode: public(uint256)
last_operator: public(address)
last_from: public(address)
last_token_id: public(uint256)
last_data: public(Bytes[1_024])
received: public(uint256)


@external
def configure(mode_: uint256):
    self.mode = mode_


@external
def onERC721Received(operator: address, owner: address, token_id: uint256, data: Bytes[1_024]) -> bytes4:
    if self.mode == 1:
        raise "receiver: not today"
    elif self.mode == 2:
        raw_revert(b"")
    elif self.mode == 3:
        return 0xDEADBEEF
    self.last_operator = operator
    self.last_from = owner
    self.last_token_id = token_id
    self.last_data = data
    self.received += 1
    return method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)
