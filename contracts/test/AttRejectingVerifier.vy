# pragma version ~=0.4.3
"""
@title AttRejectingVerifier
@notice TEST ONLY. An IComputeVerifier that answers False instead of reverting, to check that
        the hub reads a False as a rejection.
"""

from ..interfaces import IComputeVerifier
implements: IComputeVerifier


@external
@view
def verify(ref: IComputeVerifier.JobRef, proof: Bytes[1_024]) -> bool:
    return False
