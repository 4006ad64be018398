"""Hypothesis strategies for CIDs.

``cids()`` draws valid CIDs across versions, text bases, content codecs and hash functions, with
digests of the size each hash function produces. ``malformed_cid_text()`` and
``malformed_cid_bytes()`` draw inputs that must be rejected: random junk plus targeted damage
to valid CIDs (truncation, a flipped character, a wrong prefix, appended bytes).
"""

from __future__ import annotations

import string

from hypothesis import strategies as st
from multiformats import CID

#: (multihash name, digest size) pairs exercised by the properties.
HASH_FUNCTIONS: tuple[tuple[str, int], ...] = (
    ("sha2-256", 32),
    ("sha2-512", 64),
    ("sha3-256", 32),
    ("blake2b-256", 32),
    ("blake3", 32),
    ("identity", 0),  # identity: the "digest" is the content itself, any small length
)
CONTENT_CODECS: tuple[str, ...] = ("raw", "dag-pb", "dag-cbor", "dag-json", "libp2p-key", "git-raw")
TEXT_BASES: tuple[str, ...] = ("base32", "base58btc")


@st.composite
def multihash_parts(draw: st.DrawFn) -> tuple[str, bytes]:
    """A hash function name and a digest of the right size for it."""
    name, size = draw(st.sampled_from(HASH_FUNCTIONS))
    if name == "identity":
        return name, draw(st.binary(min_size=0, max_size=48))
    return name, draw(st.binary(min_size=size, max_size=size))


@st.composite
def cids_v0(draw: st.DrawFn) -> CID:
    """CIDv0: dag-pb, sha2-256, base58btc."""
    return CID("base58btc", 0, "dag-pb", ("sha2-256", draw(st.binary(min_size=32, max_size=32))))


@st.composite
def cids_v1(draw: st.DrawFn, bases: tuple[str, ...] = TEXT_BASES) -> CID:
    """CIDv1 with any of the tested codecs, hash functions and text bases."""
    hash_name, digest = draw(multihash_parts())
    codec = draw(st.sampled_from(CONTENT_CODECS))
    base = draw(st.sampled_from(bases))
    return CID(base, 1, codec, (hash_name, digest))


def cids() -> st.SearchStrategy[CID]:
    """Any valid CID (v0 or v1)."""
    return st.one_of(cids_v0(), cids_v1())


def _damage_text(text: str, data: st.DataObject) -> str:
    kind = data.draw(st.sampled_from(["truncate", "flip", "extend", "prefix"]))
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text) - 1))]
    if kind == "flip":
        i = data.draw(st.integers(0, len(text) - 1))
        ch = data.draw(st.sampled_from("0OIl!#-_/ +=é\x00"))
        return text[:i] + ch + text[i + 1 :]
    if kind == "extend":
        return text + data.draw(st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=4))
    return data.draw(st.sampled_from("xyQ!0 ")) + text[1:]


@st.composite
def malformed_cid_text(draw: st.DrawFn) -> str:
    """Strings that are mostly invalid CIDs (callers must not assume every draw is invalid:
    e.g. appending characters can still give a valid base58 CIDv1 of another digest length)."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.text(max_size=80))
    if choice == 1:
        return draw(st.text(alphabet="bafyQmz" + string.ascii_lowercase + "234567", max_size=80))
    return _damage_text(str(draw(cids())), draw(st.data()))


@st.composite
def malformed_cid_bytes(draw: st.DrawFn) -> bytes:
    """Byte strings that are mostly invalid binary CIDs."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.binary(max_size=80))
    raw = bytes(draw(cids()))
    if choice == 1:
        return raw[: draw(st.integers(0, len(raw) - 1))]
    return raw + draw(st.binary(min_size=1, max_size=8))
