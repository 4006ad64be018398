"""Constants and small helpers of the governance tests."""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass

from eth_utils import keccak

from cidhub.content.cid import RAW, cid_to_bytes, make_cid

HUB = 10**18
AGAINST, FOR, ABSTAIN = 0, 1, 2
PENDING, ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXPIRED, EXECUTED = range(8)
GRACE_PERIOD = 14 * 86_400
ZERO = "0x0000000000000000000000000000000000000000"

_counter = itertools.count()


def cid() -> bytes:
    """A binary CIDv1 (raw, sha2-256) of fresh content."""
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(b"gov-%d-" % next(_counter) + os.urandom(8)).digest()))


@dataclass
class Proposal:
    proposal_id: int
    targets: list
    values: list
    calldatas: list
    description: str
    receipt: object = None

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    def args(self) -> tuple:
        """(targets, values, calldatas, description hash): what queue/execute/cancel take."""
        return self.targets, self.values, self.calldatas, self.description_hash
