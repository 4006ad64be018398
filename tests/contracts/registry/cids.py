"""Binary CIDs for the registry tests, built byte by byte.

The valid forms are assembled here from the multiformats specs (varint, multihash, CIDv0/v1
framing) rather than with cidhub.content.cid, so that the contract, cidhub's Python mirror and these
bytes are three independent statements of the same format. Malformed CIDs are spelled out
next to the revert reason they must produce.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable

from eth_utils import keccak

RAW = 0x55
DAG_PB = 0x70
DAG_CBOR = 0x71
DAG_JSON = 0x0129  # two-byte varint: a9 02
SHA2_256 = 0x12
SHA2_512 = 0x13
BLAKE3 = 0x1E
BLAKE2B_256 = 0xB220  # three-byte varint: a0 e4 02
BLAKE2B_512 = 0xB240
JSON_JCS = 0xB601  # three-byte varint codec: 81 ec 02

_counter = itertools.count()


def varint(value: int) -> bytes:
    """Unsigned LEB128, minimal, as multiformats requires."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def digest(size: int = 32) -> bytes:
    """A fresh, non-zero digest of `size` bytes."""
    out = b""
    seed = b"registry-test-%d-" % next(_counter) + os.urandom(16)
    while len(out) < size:
        out += hashlib.sha512(seed + out).digest()
    return out[:size]


def multihash(hash_code: int, raw_digest: bytes) -> bytes:
    return varint(hash_code) + varint(len(raw_digest)) + raw_digest


def v1(codec: int, hash_code: int, raw_digest: bytes) -> bytes:
    return b"\x01" + varint(codec) + multihash(hash_code, raw_digest)


def v0(raw_digest: bytes) -> bytes:
    assert len(raw_digest) == 32
    return multihash(SHA2_256, raw_digest)


def sha256_v1(codec: int = RAW, raw_digest: bytes | None = None) -> bytes:
    return v1(codec, SHA2_256, raw_digest or digest())


def metadata(raw_digest: bytes | None = None) -> bytes:
    """A metadata card CID: CIDv1 raw sha2-256 (what `cidhub publish` writes)."""
    return sha256_v1(RAW, raw_digest)


def expected_id(cid: bytes) -> int:
    """The id the registry documents, computed from the bytes alone: the digest of a
    32-byte sha2-256 multihash, otherwise keccak256 of the multihash."""
    mh = multihash_of(cid)
    if mh[:2] == b"\x12\x20" and len(mh) == 34:
        return int.from_bytes(mh[2:], "big")
    return int.from_bytes(keccak(mh), "big")


def multihash_of(cid: bytes) -> bytes:
    """The multihash inside a binary CID (all of it for a CIDv0)."""
    if cid[0] == SHA2_256:
        return cid
    assert cid[0] == 1
    pos = 1
    while cid[pos] & 0x80:
        pos += 1
    return cid[pos + 1 :]


# Every content CID form the registry accepts, by name: digest -> binary CID.
# Long forms (non sha2-256 or not 32 bytes) get keccak256(multihash) as their id.
CONTENT_FORMS: dict[str, Callable[[], bytes]] = {
    "v1-raw": lambda: sha256_v1(RAW),
    "v1-dag-pb": lambda: sha256_v1(DAG_PB),
    "v1-dag-cbor": lambda: sha256_v1(DAG_CBOR),
    "v0": lambda: v0(digest()),
    "v1-dag-json-2-byte-codec": lambda: sha256_v1(DAG_JSON),
    "v1-json-jcs-3-byte-codec": lambda: sha256_v1(JSON_JCS),
    "v1-blake3": lambda: v1(RAW, BLAKE3, digest(32)),
    "v1-sha2-512": lambda: v1(RAW, SHA2_512, digest(64)),
    "v1-sha2-256-truncated-20": lambda: v1(RAW, SHA2_256, digest(20)),
    "v1-blake2b-256-3-byte-hash-code": lambda: v1(DAG_CBOR, BLAKE2B_256, digest(32)),
    "v1-dag-json-sha2-512-69-bytes": lambda: v1(DAG_JSON, SHA2_512, digest(64)),
}
LONG_FORMS = frozenset(
    {
        "v1-blake3",
        "v1-sha2-512",
        "v1-sha2-256-truncated-20",
        "v1-blake2b-256-3-byte-hash-code",
        "v1-dag-json-sha2-512-69-bytes",
    }
)

# Metadata card forms the registry accepts (sha2-256 with a 32-byte digest, any codec, v0 or v1).
METADATA_FORMS: dict[str, Callable[[], bytes]] = {
    "v1-raw": lambda: sha256_v1(RAW),
    "v1-dag-pb": lambda: sha256_v1(DAG_PB),
    "v0": lambda: v0(digest()),
    "v1-dag-json-2-byte-codec": lambda: sha256_v1(DAG_JSON),
    "v1-json-jcs-3-byte-codec": lambda: sha256_v1(JSON_JCS),
}
