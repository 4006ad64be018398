"""Unsigned LEB128 varints, as protobuf (dag-pb, UnixFS), multiformats and CAR use them.

One encoder and one buffer decoder for the whole package; each caller names the error type and
the thing being read, so a user is told "truncated protobuf varint" or "truncated CID varint"
rather than a generic message. (`cidhub.content.cid` parses CIDs with multiformats' own decoder, which
also checks minimality; `car.CarReader` reads section lengths from a stream.)
"""

from __future__ import annotations

from cidhub.errors import CidhubError

_MAX_SHIFT = 63  # a uint64 takes at most 10 bytes


def encode_uvarint(n: int) -> bytes:
    """The varint bytes of a non-negative integer."""
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def decode_uvarint(buf: bytes, pos: int, error: type[CidhubError], what: str) -> tuple[int, int]:
    """(value, position after it) of the varint at `pos`; raises `error` naming `what`."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise error(f"truncated {what}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > _MAX_SHIFT:
            raise error(f"{what} longer than 64 bits")
