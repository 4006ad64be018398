"""Constants and small builders for the compute-attestation tests."""

from __future__ import annotations

import hashlib
import itertools
import os

from eth_abi import encode as abi_encode
from eth_utils import keccak

from cidhub.content.cid import RAW, make_cid

ZERO_ADDRESS = "0x" + "00" * 20
BOND = 10**17
WINDOW = 3_600
TIMEOUT = 86_400
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

# OptimisticVerifier statuses
UNCLAIMED, PENDING, CHALLENGED, ACCEPTED, REJECTED = range(5)

_counter = itertools.count()


def fresh_cid():
    """A CIDv1 (raw, sha2-256) of content nobody has registered."""
    return make_cid(1, RAW, hashlib.sha256(b"attest-%d-" % next(_counter) + os.urandom(16)).digest())


def zk_test_proof(instances) -> bytes:
    """What AttZkVerifier accepts: keccak256(abi.encode(uint256[] instances))."""
    return keccak(abi_encode(["uint256[]"], [list(instances)]))
