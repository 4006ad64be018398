"""Hypothesis strategies for the AssetRegistry state machine (tests/hypothesis/test_registry_state.py).

Binary CIDs in every form the registry accepts (CIDv0, CIDv1 with one-, two- and three-byte
codecs, sha2-256 and the long multihashes whose id is keccak256(multihash)), built with the
multiformats library; parent lists with upstream shares; and the occasional value the contract
must refuse (unknown kind, royalty over the cap, zero digest, shares over 100 %), so that the
model's predicted reverts are exercised too.

Digests are derived from a drawn integer rather than drawn as raw bytes: hypothesis favours
small and repeated values, which would make most registrations collide. Repeats still happen
(and the model predicts the revert); duplicates on purpose come from `twin_cids`.
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st
from multiformats import CID

MAX_PARENTS = 16
MAX_BPS = 10_000
MAX_ROYALTY_BPS = 2_500
KIND_COUNT = 5  # KIND_DATASET .. KIND_OTHER

# (version, codec, hash function, digest size): every content form the registry takes.
CONTENT_FORMS: tuple[tuple[int, str | int, str, int], ...] = (
    (1, "raw", "sha2-256", 32),
    (1, "dag-pb", "sha2-256", 32),
    (0, "dag-pb", "sha2-256", 32),
    (1, "dag-cbor", "sha2-256", 32),
    (1, "dag-json", "sha2-256", 32),  # two-byte codec varint
    (1, "json-jcs", "sha2-256", 32),  # three-byte codec varint
    (1, "raw", "blake3", 32),
    (1, "raw", "sha2-512", 64),
    (1, "raw", "sha2-256", 20),  # truncated sha2-256: not the digest-as-id fast path
    (1, "dag-cbor", "blake2b-256", 32),  # three-byte hash code varint
)
METADATA_FORMS: tuple[tuple[int, str | int], ...] = ((1, "raw"), (1, "dag-pb"), (0, "dag-pb"), (1, "dag-json"))
TWIN_CODECS: tuple[str, ...] = ("raw", "dag-pb", "dag-cbor", "dag-json")


def build_cid(version: int, codec: str | int, hash_name: str, digest: bytes) -> bytes:
    if version == 0:
        return bytes(CID("base58btc", 0, "dag-pb", (hash_name, digest)))
    return bytes(CID("base32", 1, codec, (hash_name, digest)))


@st.composite
def digests(draw: st.DrawFn, size: int, zero_one_in: int = 25) -> bytes:
    """A digest of `size` bytes; all zero about once in `zero_one_in` draws."""
    # The rare branch is a middle value: hypothesis favours 0 and the bounds.
    if draw(st.integers(0, zero_one_in - 1)) == zero_one_in // 2:
        return bytes(size)
    seed = draw(st.integers(0, 2**64 - 1))
    return hashlib.shake_256(b"cidhub-registry-state:%d" % seed).digest(size)


@st.composite
def content_cids(draw: st.DrawFn) -> bytes:
    version, codec, hash_name, size = draw(st.sampled_from(CONTENT_FORMS))
    return build_cid(version, codec, hash_name, draw(digests(size)))


@st.composite
def metadata_cids(draw: st.DrawFn) -> bytes:
    version, codec = draw(st.sampled_from(METADATA_FORMS))
    return build_cid(version, codec, "sha2-256", draw(digests(32)))


@st.composite
def twin_cids(draw: st.DrawFn, registered: bytes) -> bytes:
    """A CID with the same multihash as `registered`: itself, another codec, or its v0/v1 twin."""
    cid = CID.decode(registered)
    forms = [registered] + [bytes(CID("base32", 1, codec, cid.digest)) for codec in TWIN_CODECS]
    if cid.hashfun.name == "sha2-256" and len(cid.raw_digest) == 32:
        forms.append(bytes(CID("base58btc", 0, "dag-pb", cid.digest)))
    return draw(st.sampled_from(forms))


@st.composite
def kinds(draw: st.DrawFn) -> int:
    """A valid kind most of the time; about one draw in twenty an unknown one."""
    if draw(st.integers(0, 19)) == 10:
        return draw(st.integers(KIND_COUNT, 255))
    return draw(st.integers(0, KIND_COUNT - 1))


@st.composite
def royalties(draw: st.DrawFn) -> int:
    """Royalty in bps, at most the cap except about one draw in twenty."""
    if draw(st.integers(0, 19)) == 10:
        return draw(st.integers(MAX_ROYALTY_BPS + 1, 2**16 - 1))
    return draw(st.integers(0, MAX_ROYALTY_BPS))


@st.composite
def parents_and_shares(draw: st.DrawFn, existing: list[int]) -> tuple[list[int], list[int]]:
    """Distinct existing assets (at most MAX_PARENTS) and their shares.

    The shares sum to at most MAX_BPS, except about one draw in ten where they exceed it.
    """
    if not existing:
        return [], []
    parents = draw(st.lists(st.sampled_from(existing), unique=True, max_size=min(len(existing), MAX_PARENTS)))
    if not parents:
        return [], []
    if draw(st.integers(0, 9)) == 5:
        shares = [draw(st.integers(0, MAX_BPS)) for _ in parents]
        bump = MAX_BPS + 1 - sum(shares)
        if bump > 0:
            shares[draw(st.integers(0, len(shares) - 1))] += bump
        return parents, shares
    budget = MAX_BPS
    shares = []
    for _ in parents:
        share = draw(st.integers(0, budget))
        budget -= share
        shares.append(share)
    return parents, shares
