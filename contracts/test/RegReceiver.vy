# pragma version ~=0.4.3
"""
@title RegReceiver
@notice Test-only ERC-721 receiver with a configurable answer to
        `onERC721Received`: 0 accept (the right selector), 1 revert with a
        reason, 2 revert without data, 3 return a wrong selector. Records the
        last call it accepted (the data by length and hash: it may be as long as
        the registry's MAX_DATA_BYTES).
"""

# The registry's erc721_packed.MAX_DATA_BYTES, and one more so that a test can see the registry refuse it.
MAX_DATA_BYTES: constant(uint256) = 16_385


mode: public(uint256)
last_operator: public(address)
last_from: public(address)
last_token_id: public(uint256)
last_data_length: public(uint256)
last_data_hash: public(bytes32)
received: public(uint256)


@external
def configure(mode_: uint256):
    self.mode = mode_


@external
def onERC721Received(operator: address, owner: address, token_id: uint256, data: Bytes[MAX_DATA_BYTES]) -> bytes4:
    if self.mode == 1:
        raise "receiver: not today"
    elif self.mode == 2:
        raw_revert(b"")
    elif self.mode == 3:
        return 0xDEADBEEF
    self.last_operator = operator
    self.last_from = owner
    self.last_token_id = token_id
    self.last_data_length = len(data)
    self.last_data_hash = keccak256(data)
    self.received += 1
    return method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)
