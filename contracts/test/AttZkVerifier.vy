# pragma version ~=0.4.3
"""
@title AttZkVerifier
@notice TEST ONLY. Stands in for an EZKL-generated Halo2Verifier: the same
        entry point, and a "proof" that only the holder of the instances can
        make: keccak256 of the abi-encoded instances. Like EZKL's verifier it
        reverts on a bad proof; `mode` makes it answer false or garbage.
"""

from ..interfaces import IZkVerifier
implements: IZkVerifier

MODE_REVERT_ON_INVALID: constant(uint256) = 0
MODE_FALSE_ON_INVALID: constant(uint256) = 1
MODE_ALWAYS_FALSE: constant(uint256) = 2

mode: public(uint256)


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@external
@view
def verifyProof(proof: Bytes[12_288], instances: DynArray[uint256, 64]) -> bool:
    if self.mode == MODE_ALWAYS_FALSE:
        return False
    valid: bool = len(proof) == 32 and extract32(proof, 0) == keccak256(abi_encode(instances))
    if not valid and self.mode == MODE_REVERT_ON_INVALID:
        raise
    return valid
