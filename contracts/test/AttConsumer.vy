# pragma version ~=0.4.3
"""
@title AttConsumer
@notice TEST ONLY. An IAttestationConsumer that records its calls, or
        misbehaves on demand: reverts, burns all its gas, or tries to submit
        another job from inside the callback.
"""

from ..interfaces import IAttestationConsumer
implements: IAttestationConsumer

MODE_RECORD: constant(uint256) = 0
MODE_REVERT: constant(uint256) = 1
MODE_BURN: constant(uint256) = 2

mode: public(uint256)
calls: public(uint256)
# keccak256(abi_encode(job_hash, result_id, verifier, msg.sender)) of the last call: one slot,
# so that recording fits in the hub's gas cap
last_call: public(bytes32)
gas_seen: public(uint256)
_sink: HashMap[uint256, uint256]


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@external
def on_job_accepted(job_hash: bytes32, result_id: uint256, verifier: address):
    if self.mode == MODE_REVERT:
        raise "consumer: refusing"
    if self.mode == MODE_BURN:
        for i: uint256 in range(1_000_000):
            self._sink[i] = i + 1
    self.gas_seen = msg.gas
    self.calls += 1
    self.last_call = keccak256(abi_encode(job_hash, result_id, verifier, msg.sender))
