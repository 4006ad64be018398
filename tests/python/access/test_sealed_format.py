"""cidhub-sealed-v1 (cidhub.content.sealed): round trips, seekable ranges, and every way of
altering the ciphertext (flip, truncate, extend, reorder, splice, header edit) detected."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cidhub.content.sealed import (
    HEADER_SIZE,
    MAGIC,
    TAG_SIZE,
    Opener,
    SealedAuthError,
    SealedError,
    SealParams,
    ciphertext_size,
    digest_stream,
    open_bytes,
    seal_bytes,
    seal_stream,
)

SMALL = 1024  # chunk size for format tests: the format is the same at 1 MiB, just slower to test


def _chunks(sealed: bytes, size: int, chunk: int = SMALL) -> list[bytes]:
    """Split a sealed file's body into its sealed chunks."""
    body, out = sealed[HEADER_SIZE:], []
    while body:
        out.append(body[: chunk + TAG_SIZE])
        body = body[chunk + TAG_SIZE:]
    return out


def _reader(sealed: bytes, piece: int = 97):
    def read(offset: int, length: int):
        data = sealed[offset:offset + length]
        return [data[i:i + piece] for i in range(0, len(data), piece)]
    return read


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 3 * SMALL + 17])
def test_seal__round_trip_and_size(size):
    plain = os.urandom(size)
    params = SealParams.fresh()
    sealed = seal_bytes(plain, params, chunk_size=SMALL)
    assert sealed.startswith(MAGIC)
    assert len(sealed) == ciphertext_size(size, SMALL)
    assert open_bytes(params.key, sealed) == plain
    header = Opener(params.key, sealed[:HEADER_SIZE]).header
    assert (header.plaintext_size, header.plaintext_sha256) == (size, hashlib.sha256(plain).digest())


def test_seal__same_params_same_ciphertext__fresh_params_differ():
    plain = os.urandom(2 * SMALL + 5)
    params = SealParams.fresh()
    assert seal_bytes(plain, params, SMALL) == seal_bytes(plain, params, SMALL)
    assert seal_bytes(plain, SealParams.fresh(), SMALL) != seal_bytes(plain, params, SMALL)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(1, 5 * SMALL))
def test_open_range__any_range_matches_the_plaintext(data, size):
    plain = bytes(range(256)) * (size // 256 + 1)
    plain = plain[:size]
    params = SealParams(bytes(32), bytes(32), bytes(7))
    sealed = seal_bytes(plain, params, SMALL)
    start = data.draw(st.integers(0, size - 1))
    end = data.draw(st.integers(start + 1, size))
    opener = Opener(params.key, sealed[:HEADER_SIZE])
    assert b"".join(opener.open_range(_reader(sealed), start, end)) == plain[start:end]
    # One reused buffer: each piece is copied out before the next one is asked for.
    pieces = [bytes(p) for p in opener.open_range(_reader(sealed), start, end, reuse_buffer=True)]
    assert b"".join(pieces) == plain[start:end]


def test_open_range__reads_and_decrypts_only_the_chunks_touched():
    plain = os.urandom(5 * SMALL)
    params = SealParams.fresh()
    sealed = seal_bytes(plain, params, SMALL)
    opener = Opener(params.key, sealed[:HEADER_SIZE])
    asked: list[tuple[int, int]] = []

    def read(offset, length):
        asked.append((offset, length))
        return [sealed[offset:offset + length]]

    assert b"".join(opener.open_range(read, 2 * SMALL - 3, 2 * SMALL + 3)) == plain[2 * SMALL - 3:2 * SMALL + 3]
    assert asked == [(HEADER_SIZE + 1 * (SMALL + TAG_SIZE), 2 * (SMALL + TAG_SIZE))]


def test_open__wrong_key__header_fails():
    sealed = seal_bytes(b"secret weights", SealParams.fresh(), SMALL)
    with pytest.raises(SealedAuthError, match="wrong data key"):
        Opener(os.urandom(32), sealed[:HEADER_SIZE])


@pytest.mark.parametrize("offset", [16, 20, 52, 60, HEADER_SIZE - 1])
def test_open__header_edited__fails(offset):
    params = SealParams.fresh()
    sealed = bytearray(seal_bytes(os.urandom(100), params, SMALL))
    sealed[offset] ^= 1
    with pytest.raises(SealedError):
        Opener(params.key, bytes(sealed[:HEADER_SIZE]))


def _tamper_cases(sealed: bytes, other: bytes):
    chunks = _chunks(sealed, 0)
    head = sealed[:HEADER_SIZE]
    flipped = bytearray(sealed)
    flipped[HEADER_SIZE + SMALL + TAG_SIZE + 7] ^= 0x80
    return {
        "bit flipped in chunk 1": bytes(flipped),
        "last chunk dropped": head + b"".join(chunks[:-1]),
        "chunks 0 and 1 swapped": head + chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "chunk 1 from another file": head + chunks[0] + _chunks(other, 0)[1] + b"".join(chunks[2:]),
        "tail cut inside the last chunk": sealed[:-5],
        "bytes appended": sealed + b"\x00" * 16,
        "last chunk duplicated": sealed + chunks[-1],
    }


@pytest.mark.parametrize("case", ["bit flipped in chunk 1", "last chunk dropped", "chunks 0 and 1 swapped",
                                  "chunk 1 from another file", "tail cut inside the last chunk", "bytes appended",
                                  "last chunk duplicated"])
def test_open__altered_ciphertext__detected(case):
    plain = os.urandom(3 * SMALL + 100)
    params = SealParams.fresh()
    sealed = seal_bytes(plain, params, SMALL)
    other = seal_bytes(os.urandom(3 * SMALL + 100), SealParams(params.key, os.urandom(32), os.urandom(7)), SMALL)
    bad = _tamper_cases(sealed, other)[case]
    with pytest.raises(SealedAuthError):
        open_bytes(params.key, bad)


def test_open_range__truncated_stream__no_unauthenticated_bytes():
    """A chunk is released only whole and authenticated: a short read releases nothing of it."""
    plain = os.urandom(2 * SMALL + 10)
    params = SealParams.fresh()
    sealed = seal_bytes(plain, params, SMALL)
    opener = Opener(params.key, sealed[:HEADER_SIZE])
    released: list[bytes] = []
    with pytest.raises(SealedAuthError, match="ended early"):
        for piece in opener.open_range(lambda off, n: [sealed[off:off + n - 20]]):
            released.append(piece)
    assert b"".join(released) == plain[: 2 * SMALL]  # chunks 0 and 1 were whole; chunk 2 never released


def test_last_flag__a_prefix_of_whole_chunks_is_not_a_valid_file():
    """Cutting a file at a chunk boundary and fixing up the length still fails: the new last chunk
    was sealed with last=0."""
    plain = os.urandom(3 * SMALL)
    params = SealParams.fresh()
    sealed = seal_bytes(plain, params, SMALL)
    opener = Opener(params.key, sealed[:HEADER_SIZE])
    # Pretend chunk 1 is the last one, as a truncating attacker would need.
    nonce_last = opener.header.nonce_prefix + (1).to_bytes(4, "big") + b"\x01"
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from cidhub.content.sealed import _derive

    with pytest.raises(InvalidTag):
        AESGCM(_derive(params.key, params.salt, b"payload")).decrypt(nonce_last, _chunks(sealed, 0)[1], None)


def test_seal__plaintext_changed_between_passes__refused():
    original = os.urandom(2 * SMALL + 1)
    changed = bytearray(original)
    changed[SMALL + 3] ^= 1
    digest = digest_stream(io.BytesIO(original), SMALL)
    with pytest.raises(SealedError, match="changed while it was being sealed"):
        list(seal_stream(io.BytesIO(bytes(changed)), SealParams.fresh(), digest))
    with pytest.raises(SealedError, match=r"changed while it was being sealed \(chunk 2\)"):
        list(seal_stream(io.BytesIO(original + b"x"), SealParams.fresh(), digest))
    whole_chunks = os.urandom(2 * SMALL)
    with pytest.raises(SealedError, match="grew"):
        list(seal_stream(io.BytesIO(whole_chunks + b"x"), SealParams.fresh(),
                         digest_stream(io.BytesIO(whole_chunks), SMALL)))


def test_seal_params__repr_hides_the_key():
    params = SealParams.fresh()
    assert params.key.hex() not in repr(params) and "hidden" in repr(params)
