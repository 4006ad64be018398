"""Constants and the reference arithmetic the Marketplace tests check the contract against."""

from __future__ import annotations

import hashlib
import itertools
import os

from cidhub.content.cid import RAW, cid_to_bytes, make_cid

ETH = "0x" + "00" * 20
ZERO_ADDRESS = ETH
MAX_BPS = 10_000
FEE_BPS = 250  # the fee the `market` fixture is deployed with
PERPETUAL = 2**256 - 1
U32 = 2**32 - 1
U64 = 2**64 - 1
U128 = 2**128 - 1
DAY = 86_400


def fee_of(price: int, fee_bps: int = FEE_BPS) -> int:
    return price * fee_bps // MAX_BPS


def upstream_parts(amount: int, shares_bps: list[int]) -> list[int]:
    """What each parent's pool receives when `amount` is distributed."""
    return [amount * share // MAX_BPS for share in shares_bps]


def split_credits(rest: int, weights_bps: list[int]) -> list[int]:
    """What each split recipient is credited from `rest`; the remainder goes to the first."""
    credits = [rest * weight // MAX_BPS for weight in weights_bps]
    credits[0] += rest - sum(credits)
    return credits


def sorted_addresses(accounts) -> list[str]:
    """Addresses in the strictly increasing order `set_split` requires."""
    return sorted((getattr(a, "address", a) for a in accounts), key=lambda a: int(a, 16))


def equal_weights(count: int) -> list[int]:
    """`count` weights summing to MAX_BPS, the remainder on the first."""
    weights = [MAX_BPS // count] * count
    weights[0] += MAX_BPS - sum(weights)
    return weights


_cid_counter = itertools.count()


def fresh_cid() -> bytes:
    """Binary CIDv1 (raw, sha2-256) of content nobody has registered."""
    payload = b"cidhub-market-test-%d-" % next(_cid_counter) + os.urandom(16)
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(payload).digest()))
