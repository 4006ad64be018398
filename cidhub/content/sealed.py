"""Sealed content: a streaming, seekable AEAD format for private assets (``cidhub-sealed-v1``).

A private asset's bytes are published as a sealed file; its CID (the ciphertext's) is what is
pinned and registered. The construction is STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as
age and Tink's AES-GCM-HKDF streaming AEAD use it, with AES-256-GCM from ``cryptography``
(no cipher code of our own):

* A fresh 256-bit **data key** per asset. Per file, a random 32-byte **salt** and 7-byte
  **nonce prefix**; HKDF-SHA256(data key, salt) gives a header key and a payload key, so one
  data key may seal several files without ever repeating a (key, nonce) pair.
* The plaintext is cut in chunks of ``chunk_size`` bytes (1 MiB); chunk ``i`` is sealed under
  the payload key with the nonce ``prefix (7) || i (4, big-endian) || last (1)``, where
  ``last`` is 1 for the final chunk only. Reordering chunks breaks ``i``, dropping the tail
  breaks ``last`` (and the length check), splicing chunks of another file breaks the key.
  An empty plaintext is one empty final chunk.
* The **header** carries the plaintext size and its SHA-256 (the commitment a buyer checks),
  sealed under the header key with the public part of the header as associated data, so the
  chunk size, salt and prefix cannot be changed either.

Layout (``HEADER_SIZE`` = 115 bytes, then the chunks)::

    0   16  magic  b"cidhub-sealed-v1"
    16   4  chunk size (big-endian)
    20  32  salt
    52   7  nonce prefix
    59  56  AES-256-GCM(header key, nonce 0^12, plaintext size u64 || sha256 32, aad = bytes 0..58)
    115 ..  chunk 0 || chunk 1 || ...   each AES-256-GCM(payload key, nonce_i, chunk_i), +16 bytes tag

Chunk ``i`` of the ciphertext starts at ``HEADER_SIZE + i * (chunk_size + 16)``, so a byte range
of the plaintext maps to the chunks it touches and only those are read and decrypted
(:meth:`Opener.open_range`). Every byte handed out has passed its chunk's tag.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cidhub.errors import CidhubError

__all__ = [
    "SCHEME", "SCHEME_DESCRIPTION", "MAGIC", "CHUNK_SIZE", "TAG_SIZE", "KEY_SIZE", "HEADER_SIZE",
    "SealedError", "SealedAuthError", "SealParams", "PlaintextDigest", "SealedHeader", "Opener",
    "digest_stream", "seal_stream", "seal_bytes", "open_bytes", "ciphertext_size",
]

SCHEME: Final = "cidhub-sealed-v1"
SCHEME_DESCRIPTION: Final = ("AES-256-GCM STREAM (HKDF-SHA256 keys, 1 MiB chunks, counter and last-chunk flag "
                              "in the nonce)")
MAGIC: Final = SCHEME.encode()
CHUNK_SIZE: Final = 1 << 20
TAG_SIZE: Final = 16
KEY_SIZE: Final = 32
SALT_SIZE: Final = 32
PREFIX_SIZE: Final = 7
_PUBLIC: Final = struct.Struct(f">{len(MAGIC)}sI{SALT_SIZE}s{PREFIX_SIZE}s")
_SECRET: Final = struct.Struct(">Q32s")
HEADER_SIZE: Final = _PUBLIC.size + _SECRET.size + TAG_SIZE
# Readers accept what a writer may reasonably choose, and nothing that would make one chunk huge.
MIN_CHUNK_SIZE: Final = 1 << 10
MAX_CHUNK_SIZE: Final = 1 << 24
_MAX_CHUNKS: Final = 1 << 32
_HEADER_NONCE: Final = bytes(12)


class SealedError(CidhubError):
    """Sealed bytes are malformed, or cannot be sealed as asked."""


class SealedAuthError(SealedError):
    """A header or chunk failed authentication: wrong key, or the ciphertext was altered,
    truncated, extended or reordered. Nothing from the failing chunk was released."""


def _derive(key: bytes, salt: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"cidhub-sealed-v1 " + label).derive(key)


@dataclass(frozen=True)
class SealParams:
    """What makes a sealing unique: the data key and the per-file salt and nonce prefix.

    Sealing the same plaintext with the same params gives the same ciphertext (and CID), which
    is how an interrupted private publish resumes; never seal different plaintext with them.
    """

    key: bytes
    salt: bytes
    nonce_prefix: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_SIZE or len(self.salt) != SALT_SIZE or len(self.nonce_prefix) != PREFIX_SIZE:
            raise SealedError(f"seal params must be a {KEY_SIZE}-byte key, {SALT_SIZE}-byte salt and "
                              f"{PREFIX_SIZE}-byte nonce prefix")

    def __repr__(self) -> str:  # never print the key
        return f"SealParams(salt={self.salt.hex()[:12]}..., key=<hidden>)"

    @classmethod
    def fresh(cls) -> SealParams:
        return cls(os.urandom(KEY_SIZE), os.urandom(SALT_SIZE), os.urandom(PREFIX_SIZE))

    def pack(self) -> bytes:
        return self.key + self.salt + self.nonce_prefix

    @classmethod
    def unpack(cls, data: bytes) -> SealParams:
        if len(data) != KEY_SIZE + SALT_SIZE + PREFIX_SIZE:
            raise SealedError("packed seal params have the wrong length")
        return cls(data[:KEY_SIZE], data[KEY_SIZE:KEY_SIZE + SALT_SIZE], data[KEY_SIZE + SALT_SIZE:])


def _chunk_count(plaintext_size: int, chunk_size: int) -> int:
    return max(1, -(-plaintext_size // chunk_size))


def ciphertext_size(plaintext_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Size of the sealed file for a plaintext of ``plaintext_size`` bytes."""
    return HEADER_SIZE + plaintext_size + TAG_SIZE * _chunk_count(plaintext_size, chunk_size)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


@dataclass(frozen=True)
class PlaintextDigest:
    """The first pass over a plaintext: its size, SHA-256 and one SHA-256 per chunk.

    The per-chunk digests let the sealing pass prove it reads the very bytes it hashed, so a
    file that changes between the passes is refused before a single nonce is used twice.
    """

    size: int
    sha256: bytes
    chunk_size: int = CHUNK_SIZE
    chunk_digests: tuple[bytes, ...] = field(default=(), repr=False)


def digest_stream(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> PlaintextDigest:
    """Hash a plaintext stream chunk by chunk, in constant memory."""
    whole = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    buf = bytearray(chunk_size)
    while True:
        n = _read_full(stream, buf)
        if n == 0:
            break
        piece = memoryview(buf)[:n]
        whole.update(piece)
        chunks.append(hashlib.sha256(piece).digest())
        size += n
        if n < chunk_size:
            break
    if not chunks:  # the empty plaintext is one empty final chunk
        chunks.append(hashlib.sha256(b"").digest())
    return PlaintextDigest(size, whole.digest(), chunk_size, tuple(chunks))


def _read_full(stream: BinaryIO, buf: bytearray) -> int:
    """Fill ``buf`` from ``stream`` unless it ends first; returns the bytes read."""
    view = memoryview(buf)
    total = 0
    while total < len(buf):
        n = stream.readinto(view[total:])  # type: ignore[attr-defined]
        if not n:
            break
        total += n
    return total


def _public_header(params: SealParams, chunk_size: int) -> bytes:
    return _PUBLIC.pack(MAGIC, chunk_size, params.salt, params.nonce_prefix)


def seal_stream(stream: BinaryIO, params: SealParams, digest: PlaintextDigest) -> Iterator[bytes]:
    """Yield the sealed file (header, then one sealed chunk at a time) for the plaintext ``stream``.

    ``digest`` comes from :func:`digest_stream` over the same bytes; each chunk read here must
    hash to the digest recorded for it, or :class:`SealedError` stops the sealing at once.
    """
    chunk_size = digest.chunk_size
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise SealedError(f"chunk size {chunk_size} is outside [{MIN_CHUNK_SIZE}, {MAX_CHUNK_SIZE}]")
    count = _chunk_count(digest.size, chunk_size)
    if count > _MAX_CHUNKS:
        raise SealedError("plaintext too large for a 32-bit chunk counter")
    if digest.chunk_digests and len(digest.chunk_digests) != count:
        raise SealedError("the plaintext digest does not match its size")
    public = _public_header(params, chunk_size)
    header_key = _derive(params.key, params.salt, b"header")
    sealed_header = AESGCM(header_key).encrypt(_HEADER_NONCE, _SECRET.pack(digest.size, digest.sha256), public)
    yield public + sealed_header
    aead = AESGCM(_derive(params.key, params.salt, b"payload"))
    buf = bytearray(chunk_size)
    # With per-chunk digests every chunk is checked as it is read; without them, the whole.
    whole = None if digest.chunk_digests else hashlib.sha256()
    for index in range(count):
        n = _read_full(stream, buf)
        last = index == count - 1
        expected = digest.size - index * chunk_size if last else chunk_size
        piece = bytes(memoryview(buf)[:n])
        if n != expected or (digest.chunk_digests and hashlib.sha256(piece).digest() != digest.chunk_digests[index]):
            raise SealedError(f"the plaintext changed while it was being sealed (chunk {index}); nothing usable "
                              "was produced: publish again once the file is stable")
        if whole is not None:
            whole.update(piece)
        yield aead.encrypt(_nonce(params.nonce_prefix, index, last), piece, None)
    if stream.read(1):
        raise SealedError("the plaintext grew while it was being sealed; publish again once the file is stable")
    if whole is not None and whole.digest() != digest.sha256:
        raise SealedError("the plaintext changed while it was being sealed; publish again once the file is stable")


def seal_bytes(data: bytes, params: SealParams | None = None, chunk_size: int = CHUNK_SIZE) -> bytes:
    """Seal bytes in memory (small payloads and tests)."""
    import io

    params = params or SealParams.fresh()
    digest = digest_stream(io.BytesIO(data), chunk_size)
    return b"".join(seal_stream(io.BytesIO(data), params, digest))


@dataclass(frozen=True)
class SealedHeader:
    """The authenticated header of a sealed file."""

    chunk_size: int
    salt: bytes
    nonce_prefix: bytes
    plaintext_size: int
    plaintext_sha256: bytes

    @property
    def chunk_count(self) -> int:
        return _chunk_count(self.plaintext_size, self.chunk_size)

    @property
    def ciphertext_size(self) -> int:
        return ciphertext_size(self.plaintext_size, self.chunk_size)

    def chunk_offset(self, index: int) -> int:
        """Where chunk ``index`` starts in the sealed file."""
        return HEADER_SIZE + index * (self.chunk_size + TAG_SIZE)

    def chunk_plain_length(self, index: int) -> int:
        if index == self.chunk_count - 1:
            return self.plaintext_size - index * self.chunk_size
        return self.chunk_size


class Opener:
    """Decrypts a sealed file given its data key and its first :data:`HEADER_SIZE` bytes.

    Raises :class:`SealedAuthError` if the key is wrong or the header was altered.
    """

    def __init__(self, key: bytes, header: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise SealedError(f"a data key is {KEY_SIZE} bytes, got {len(key)}")
        if len(header) < HEADER_SIZE:
            raise SealedError(f"sealed content is shorter than its {HEADER_SIZE}-byte header: truncated")
        magic, chunk_size, salt, prefix = _PUBLIC.unpack_from(header)
        if magic != MAGIC:
            raise SealedError(f"not {SCHEME} content (magic {magic[:16]!r})")
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise SealedError(f"sealed header names a chunk size of {chunk_size} bytes, outside the allowed range")
        try:
            secret = AESGCM(_derive(key, salt, b"header")).decrypt(
                _HEADER_NONCE, bytes(header[_PUBLIC.size:HEADER_SIZE]), bytes(header[:_PUBLIC.size]))
        except InvalidTag:
            raise SealedAuthError("the sealed header failed authentication: wrong data key, or the header was "
                                  "altered") from None
        size, sha = _SECRET.unpack(secret)
        if _chunk_count(size, chunk_size) > _MAX_CHUNKS:
            raise SealedError("sealed header names an impossible plaintext size")
        self.header = SealedHeader(chunk_size, salt, prefix, size, sha)
        self._aead = AESGCM(_derive(key, salt, b"payload"))

    def decrypt_chunk(self, index: int, sealed: bytes | memoryview, into: bytearray | None = None
                      ) -> bytes | memoryview:
        """Authenticate and decrypt chunk ``index``; its position and finality are checked by the tag.

        With ``into`` (at least a chunk long) the plaintext is written there and a view of it returned.
        """
        h = self.header
        if not 0 <= index < h.chunk_count:
            raise SealedError(f"chunk {index} does not exist (the content has {h.chunk_count})")
        if len(sealed) != h.chunk_plain_length(index) + TAG_SIZE:
            raise SealedAuthError(f"chunk {index} of {h.chunk_count} has {len(sealed)} bytes, expected "
                                  f"{h.chunk_plain_length(index) + TAG_SIZE}: the ciphertext was truncated or extended")
        nonce = _nonce(h.nonce_prefix, index, index == h.chunk_count - 1)
        try:
            if into is None:
                return self._aead.decrypt(nonce, sealed, None)
            out = memoryview(into)[:len(sealed) - TAG_SIZE]
            self._aead.decrypt_into(nonce, sealed, None, out)
            return out
        except InvalidTag:
            raise SealedAuthError(f"chunk {index} of {h.chunk_count} failed authentication: the ciphertext was "
                                  "altered, reordered or spliced (nothing from it was released)") from None

    def ciphertext_range(self, start: int, end: int) -> tuple[int, int, int, int]:
        """For plaintext bytes ``[start, end)``: (first chunk, last chunk, ciphertext offset, length)."""
        h = self.header
        if not 0 <= start < end <= h.plaintext_size:
            raise SealedError(f"range [{start}, {end}) is outside the plaintext (size {h.plaintext_size})")
        first, last = start // h.chunk_size, (end - 1) // h.chunk_size
        offset = h.chunk_offset(first)
        stop = h.chunk_offset(last) + h.chunk_plain_length(last) + TAG_SIZE
        return first, last, offset, stop - offset

    def open_range(self, read: Callable[[int, int], Iterable[bytes]], start: int = 0, end: int | None = None,
                   *, reuse_buffer: bool = False) -> Iterator[bytes | memoryview]:
        """The plaintext bytes ``[start, end)``, decrypting only the chunks they touch.

        ``read(offset, length)`` returns the sealed file's bytes in that range, in pieces of any
        size. A chunk is released only after its tag verified; a short read is an error.
        ``reuse_buffer``: every piece is a view into one buffer, valid until the next piece is
        asked for (for a consumer that writes each piece out at once, like an HTTP response).
        """
        h = self.header
        end = h.plaintext_size if end is None else end
        if start == end:
            return
        first, last, offset, length = self.ciphertext_range(start, end)
        pieces = _exact_pieces(read(offset, length),
                               [h.chunk_plain_length(i) + TAG_SIZE for i in range(first, last + 1)])
        out = bytearray(h.chunk_size) if reuse_buffer else None
        for index, sealed in zip(range(first, last + 1), pieces, strict=True):
            plain = self.decrypt_chunk(index, sealed, out)
            base = index * h.chunk_size
            lo, hi = max(start - base, 0), min(end - base, len(plain))
            yield plain if (lo == 0 and hi == len(plain)) else plain[lo:hi]


def _exact_pieces(stream: Iterable[bytes], sizes: list[int]) -> Iterator[bytes | memoryview]:
    """Regroup a stream of byte pieces into pieces of exactly ``sizes``; a short stream raises.

    A piece that spans input pieces is assembled in one reused buffer and handed out as a view
    that is valid until the next one is asked for (the caller decrypts it at once): a fresh
    1 MiB allocation per chunk costs more than the decryption itself.
    """
    it = iter(stream)
    scratch = bytearray(max(sizes, default=0))
    pending = memoryview(b"")
    for want in sizes:
        if len(pending) >= want:
            out, pending = pending[:want], pending[want:]
            yield out
            continue
        view = memoryview(scratch)[:want]
        have = len(pending)
        view[:have] = pending
        while have < want:
            piece = next(it, None)
            if piece is None:
                raise SealedAuthError("the sealed content ended early: truncated")
            take = min(len(piece), want - have)
            view[have:have + take] = memoryview(piece)[:take]
            have += take
            pending = memoryview(piece)[take:]
        yield view


def open_bytes(key: bytes, sealed: bytes) -> bytes:
    """Open a whole sealed file held in memory, checking its length and its commitment."""
    opener = Opener(key, sealed[:HEADER_SIZE])
    if len(sealed) != opener.header.ciphertext_size:
        raise SealedAuthError(f"sealed content has {len(sealed)} bytes, its header says "
                              f"{opener.header.ciphertext_size}: truncated or extended")
    plain = b"".join(opener.open_range(lambda off, n: [sealed[off:off + n]]))
    if hashlib.sha256(plain).digest() != opener.header.plaintext_sha256:
        raise SealedAuthError("the plaintext does not match the commitment in the sealed header")
    return plain
