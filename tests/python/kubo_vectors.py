"""Kubo's deterministic test inputs, regenerated (imported by the tests; not a test module).

Kubo's ``test/cli/testutils/random_deterministic.go`` draws bytes from ChaCha20 (RFC 8439, zero
nonce, counter 0) keyed by ``sha256(seed)``; ``createDeterministicFiles`` in
``test/cli/add_test.go`` turns them into file names over ``AlphabetEasy``. IPIP-499's published
directory CIDs are built from these names, so the inputs are rebuilt here rather than stored.
"""

from __future__ import annotations

import hashlib
import struct

__all__ = ["chacha20_block", "chacha20_keystream", "kubo_names"]


def chacha20_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    def rotl(v: int, n: int) -> int:
        return ((v << n) & 0xFFFFFFFF) | (v >> (32 - n))

    def quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF
        s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF
        s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF
        s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF
        s[b] = rotl(s[b] ^ s[c], 7)

    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *struct.unpack("<8L", key), counter,
             *struct.unpack("<3L", nonce)]  # fmt: skip
    work = list(state)
    for _ in range(10):
        quarter(work, 0, 4, 8, 12)
        quarter(work, 1, 5, 9, 13)
        quarter(work, 2, 6, 10, 14)
        quarter(work, 3, 7, 11, 15)
        quarter(work, 0, 5, 10, 15)
        quarter(work, 1, 6, 11, 12)
        quarter(work, 2, 7, 8, 13)
        quarter(work, 3, 4, 9, 14)
    return struct.pack("<16L", *((w + s) & 0xFFFFFFFF for w, s in zip(work, state, strict=True)))


def chacha20_keystream(key: bytes, length: int, nonce: bytes = bytes(12)) -> bytes:
    blocks = (length + 63) // 64
    return b"".join(chacha20_block(key, i, nonce) for i in range(blocks))[:length]


_ALPHABET_EASY = "abcdefghijklmnopqrstuvwxyz01234567890-_"  # kubo test/cli/testutils/strings.go


def kubo_names(count: int, name_len: int, last_len: int, seed: str) -> list[str]:
    """The names ``createDeterministicFiles`` (kubo test/cli/add_test.go) gives ``count`` files."""
    total = name_len * (count - 1) + last_len
    stream = chacha20_keystream(hashlib.sha256(seed.encode()).digest(), total)
    names, pos = [], 0
    for i in range(count):
        n = last_len if i == count - 1 else name_len
        names.append("".join(_ALPHABET_EASY[b % len(_ALPHABET_EASY)] for b in stream[pos : pos + n]))
        pos += n
    return names
