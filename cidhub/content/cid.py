"""Parsing, printing and converting CIDs (content identifiers), v0 and v1.

The bases and the multicodec / multihash tables come from the maintained ``multiformats``
library; this module adds what the rest of cidhub needs on top of it:

* :func:`parse_cid` turns any user-supplied text or binary CID into a ``multiformats.CID`` and
  turns every way that can go wrong into a :class:`~cidhub.errors.CidError` whose message says
  which part of the CID is broken (multibase, varint, codec, hash function, digest length).
  The library itself reports those cases with a mix of ``KeyError``, ``ValueError`` and
  ``binascii.Error`` and without saying where the problem is, so the binary form is walked
  here field by field before the library builds the object.
* :func:`cid_to_bytes` / :func:`cid_from_bytes` give the binary form that goes on-chain:
  CIDv0 is the bare 34-byte sha2-256 multihash, CIDv1 is ``0x01 || varint(codec) || multihash``.
* small accessors (:func:`digest_of`, :func:`codec_of`, :func:`multihash_code_of`) so callers
  never reach into library internals.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from multiformats import CID, multibase, multicodec, multihash, varint

from cidhub.content.varint import decode_uvarint
from cidhub.errors import CidError

__all__ = [
    "CID",
    "CidLike",
    "DAG_PB",
    "RAW",
    "DAG_CBOR",
    "SHA2_256",
    "parse_cid",
    "format_cid",
    "cid_to_bytes",
    "cid_from_bytes",
    "make_cid",
    "to_base32_v1",
    "to_v0",
    "digest_of",
    "codec_of",
    "codec_name_of",
    "multihash_code_of",
    "multihash_of",
    "binary_multihash",
    "cid_text",
    "describe_cid",
    "ChainCid",
    "parse_chain_cid",
]

#: Multicodec codes used throughout cidhub (the on-chain registry stores these integers).
DAG_PB: Final = 0x70
RAW: Final = 0x55
DAG_CBOR: Final = 0x71
SHA2_256: Final = 0x12

#: Anything cidhub functions accept where a CID is expected.
CidLike = CID | str | bytes | bytearray | memoryview

_V0_TEXT_LENGTH: Final = 46  # base58btc of 34 bytes, always starts with "Qm"
_V0_MULTIHASH_PREFIX: Final = b"\x12\x20"  # sha2-256, 32-byte digest
_V0_BINARY_LENGTH: Final = 34
# Codes of these tags are not content codecs: a CID whose "codec" is a hash function or a
# multibase is corrupt (usually a CIDv0 multihash mistaken for a CIDv1 body).
_NON_CONTENT_TAGS: Final = frozenset({"multihash", "multibase", "varint", "multiaddr"})
_TEXT_BASES: Final = ("base32", "base58btc")


def parse_cid(value: CidLike) -> CID:
    """Parse a CID from its text form (``str``) or its binary form (bytes-like).

    Text: a CIDv0 is 46 base58btc characters starting with ``Qm``; anything else must start
    with a multibase prefix (``b`` base32, ``z`` base58btc, ``f`` base16, ...). Surrounding
    whitespace (a pasted newline) is ignored. Binary: a 34-byte sha2-256 multihash is a CIDv0,
    otherwise ``version || codec || multihash``. An existing ``CID`` is returned unchanged.

    Raises:
        CidError: with a message naming the broken part; never any other exception type.
    """
    if isinstance(value, CID):
        return value
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _parse_binary(bytes(value), base="base32")
    raise CidError(f"cannot parse a CID from a {type(value).__name__}; expected str or bytes")


def format_cid(value: CidLike, base: str | None = None) -> str:
    """Return the text form of a CID, in ``base`` if given (``"base32"``, ``"base58btc"``...).

    A CIDv0 only has a base58btc text form; asking for another base raises ``CidError`` rather
    than silently upgrading it, because the v1 string is a different identifier on-chain. Use
    :func:`to_base32_v1` for that conversion.
    """
    cid = parse_cid(value)
    if base is None:
        return str(cid)
    if cid.version == 0:
        if base != "base58btc":
            raise CidError(
                f"CIDv0 {cid} can only be written in base58btc, not {base}; "
                "convert it with to_base32_v1() first"
            )
        return str(cid)
    try:
        return str(cid.set(base=base))
    except (KeyError, ValueError) as exc:
        raise CidError(f"cannot write a CID in base {base!r}: {_reason(exc)}") from None


def cid_to_bytes(value: CidLike) -> bytes:
    """Binary CID as stored on-chain: CIDv0 = 34-byte multihash, CIDv1 = 0x01+codec+multihash."""
    return bytes(parse_cid(value))


def cid_from_bytes(data: bytes | bytearray | memoryview) -> CID:
    """Inverse of :func:`cid_to_bytes`; a CIDv1 comes back in base32, a CIDv0 in base58btc."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CidError(f"cid_from_bytes expects bytes, got {type(data).__name__}")
    return _parse_binary(bytes(data), base="base32")


def make_cid(version: int, codec: int | str, digest: bytes, hash_code: int | str = SHA2_256) -> CID:
    """Build a CID from its parts (``digest`` is the raw hash output, not a multihash)."""
    try:
        if version == 0:
            return CID("base58btc", 0, "dag-pb", (hash_code, digest))
        return CID("base32", version, codec, (hash_code, digest))
    except (KeyError, ValueError, ImportError) as exc:
        raise CidError(f"cannot build a CIDv{version}: {_reason(exc)}") from None


def to_base32_v1(value: CidLike) -> CID:
    """Return the CIDv1 (base32) naming the same block; a CIDv0 becomes a dag-pb CIDv1."""
    cid = parse_cid(value)
    return cid.set(version=1, base="base32") if cid.version == 0 else cid.set(base="base32")


def to_v0(value: CidLike) -> CID:
    """Return the CIDv0 form of a dag-pb / sha2-256 / 32-byte-digest CID.

    Raises ``CidError`` for any other CID: CIDv0 cannot express other codecs or hashes.
    """
    cid = parse_cid(value)
    if cid.version == 0:
        return cid
    if cid.codec.code != DAG_PB or cid.hashfun.code != SHA2_256 or len(digest_of(cid)) != 32:
        raise CidError(
            f"{cid} has no CIDv0 form: CIDv0 requires codec dag-pb and a sha2-256 digest, "
            f"this is {cid.codec.name} / {cid.hashfun.name}"
        )
    return cid.set(version=0, base="base58btc")


def digest_of(value: CidLike) -> bytes:
    """Raw hash digest (e.g. the 32 sha2-256 bytes) with no multihash header.

    Read from the multihash bytes rather than ``CID.raw_digest``: that property raises and
    catches a TypeError inside multiformats, and the traceback keeps the caller's frame (and
    the block it was verifying) alive until the cycle collector runs, which made verifying a
    large DAG grow memory by tens of MiB.
    """
    cid = value if isinstance(value, CID) else parse_cid(value)
    multihash_bytes = bytes(cid.digest)
    try:
        return _digest(multihash_bytes, "")
    except CidError:
        # Printing a CID costs about a millisecond in multiformats: only an error pays for it.
        return _digest(multihash_bytes, str(cid))


def _digest(multihash_bytes: bytes, label: str) -> bytes:
    _, pos = _read_varint(multihash_bytes, 0, "hash function", label)
    size, pos = _read_varint(multihash_bytes, pos, "digest length", label)
    return multihash_bytes[pos : pos + size]


def binary_multihash(data: bytes | bytearray | memoryview) -> bytes:
    """The multihash inside a binary CID, read without building a ``CID`` object.

    The block store's hot path: ``multiformats`` validates every field of a CID it builds,
    which costs about half a millisecond, far more than hashing a small block. This checks
    the structure (a CIDv0 multihash, or ``0x01 || codec || code || length || digest`` with
    the declared length present) and leaves the tables to :func:`parse_cid`, which reports
    the precise problem when the structure is wrong.
    """
    raw = bytes(data)
    if len(raw) == _V0_BINARY_LENGTH and raw.startswith(_V0_MULTIHASH_PREFIX):
        return raw
    if raw[:1] == b"\x01":
        try:
            _, pos = decode_uvarint(raw, 1, CidError, "codec")
            start = pos
            _, pos = decode_uvarint(raw, pos, CidError, "hash function")
            size, pos = decode_uvarint(raw, pos, CidError, "digest length")
        except CidError:
            pass
        else:
            if len(raw) - pos == size:
                return raw[start:]
    return bytes(parse_cid(raw).digest)  # raises CidError naming the problem


def cid_text(data: bytes | bytearray | memoryview) -> str:
    """The default text form of a binary CID (base58btc for v0, base32 for v1), fast.

    Equal to ``str(cid_from_bytes(data))`` at a hundredth of its cost; a directory listing
    prints one CID per entry.
    """
    raw = bytes(data)
    binary_multihash(raw)  # structure check (raises CidError)
    if len(raw) == _V0_BINARY_LENGTH and raw.startswith(_V0_MULTIHASH_PREFIX):
        return _base58btc(raw)
    return "b" + base64.b32encode(raw).decode("ascii").rstrip("=").lower()


_BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    out = []
    while number:
        number, digit = divmod(number, 58)
        out.append(_BASE58_ALPHABET[digit])
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def multihash_of(value: CidLike) -> bytes:
    """Multihash bytes (``varint(code) || varint(len) || digest``), the block-store key."""
    return bytes(parse_cid(value).digest)


def codec_of(value: CidLike) -> int:
    """Multicodec code of the CID's content (0x70 dag-pb, 0x55 raw, ...)."""
    return int(parse_cid(value).codec.code)


def codec_name_of(value: CidLike) -> str:
    """Multicodec name of the CID's content (``"dag-pb"``, ``"raw"``, ...)."""
    return str(parse_cid(value).codec.name)


def multihash_code_of(value: CidLike) -> int:
    """Multihash function code (0x12 for sha2-256)."""
    return int(parse_cid(value).hashfun.code)


def describe_cid(value: CidLike) -> dict[str, object]:
    """Everything a person (or ``cidhub inspect --json``) wants to know about a CID."""
    cid = parse_cid(value)
    try:
        v0: str | None = str(to_v0(cid))
    except CidError:
        v0 = None
    return {
        "cid": str(cid),
        "version": cid.version,
        "multibase": cid.base.name,
        "codec": cid.codec.name,
        "codec_code": cid.codec.code,
        "multihash": cid.hashfun.name,
        "multihash_code": cid.hashfun.code,
        "digest_size": len(digest_of(cid)),
        "digest_hex": digest_of(cid).hex(),
        "binary_hex": bytes(cid).hex(),
        "base32_v1": str(to_base32_v1(cid)),
        "base58btc_v0": v0,
        "base58btc_v1": str(to_base32_v1(cid).set(base="base58btc")),
    }


# --------------------------------------------------------------------------------------------
# internals


def _reason(exc: BaseException) -> str:
    """Library message of an exception; KeyError would otherwise come back quoted."""
    return str(exc.args[0]) if exc.args else type(exc).__name__


def _parse_text(text: str) -> CID:
    text = text.strip()
    if not text:
        raise CidError("empty input: expected a CID such as Qm... (v0) or bafy... (v1)")
    if not text.isascii() or not text.isprintable():
        bad = next(c for c in text if not (c.isascii() and c.isprintable()))
        raise CidError(f"invalid character {bad!r} in CID {text[:80]!r}: CIDs are plain ASCII")
    if len(text) == _V0_TEXT_LENGTH and text.startswith("Qm"):
        data = _decode_base(text, "base58btc", text)
        if not data.startswith(_V0_MULTIHASH_PREFIX) or len(data) != _V0_BINARY_LENGTH:
            raise CidError(f"{text} looks like a CIDv0 but does not decode to a sha2-256 multihash")
        return _parse_binary(data, base="base58btc", original=text)
    if text.startswith("Qm"):
        raise CidError(
            f"{text[:80]!r} looks like a CIDv0 but is {len(text)} characters long; a CIDv0 is "
            f"exactly {_V0_TEXT_LENGTH} base58btc characters (truncated or extra characters?)"
        )
    try:
        base = multibase.from_str(text)
    except (KeyError, ValueError):
        raise CidError(
            f"unknown multibase prefix {text[0]!r} in {text[:80]!r}: a CIDv1 starts with 'b' "
            "(base32) or 'z' (base58btc); a CIDv0 is 46 characters starting with 'Qm'"
        ) from None
    if len(text) == 1:
        raise CidError(f"{text!r} is only a multibase prefix ({base.name}); the CID body is missing")
    data = _decode_base(text[1:], base.name, text)
    if data[:1] == b"\x12":
        raise CidError(
            f"{text[:80]} decodes to a bare multihash: a CIDv0 must be written as 46 base58btc "
            "characters without a multibase prefix"
        )
    return _parse_binary(data, base=base.name, original=text)


def _decode_base(body: str, base_name: str, original: str) -> bytes:
    # multiformats expects the multibase prefix; CIDv0 text has none, so add base58btc's "z".
    prefix = multibase.get(base_name).code
    try:
        return bytes(multibase.decode(prefix + body))
    except (ValueError, KeyError, binascii.Error, TypeError) as exc:
        raise CidError(
            f"invalid {base_name} text in CID {original[:80]!r}: {_reason(exc)}"
        ) from None


def _read_varint(data: bytes, pos: int, what: str, original: str) -> tuple[int, int]:
    """Decode the unsigned varint at ``pos``; return (value, next position)."""
    if pos >= len(data):
        raise CidError(f"CID {original} is truncated: {what} is missing")
    try:
        value, size, _ = varint.decode_raw(data[pos : pos + 9])
    except ValueError as exc:
        raise CidError(f"CID {original} has an invalid varint for {what}: {_reason(exc)}") from None
    return value, pos + size


def _parse_binary(data: bytes, base: str, original: str | None = None) -> CID:
    label = original[:80] if original is not None else f"0x{data[:48].hex()}"
    if not data:
        raise CidError("empty input: a binary CID needs at least a version and a multihash")
    if data[0] == 0x12:
        # CIDv0: the whole value is a sha2-256 multihash.
        if len(data) < _V0_BINARY_LENGTH and data.startswith(_V0_MULTIHASH_PREFIX):
            raise CidError(
                f"truncated multihash in CIDv0 {label}: sha2-256 declares a 32-byte digest, "
                f"only {len(data) - 2} bytes present"
            )
        if len(data) != _V0_BINARY_LENGTH or not data.startswith(_V0_MULTIHASH_PREFIX):
            raise CidError(
                f"invalid CIDv0 {label}: expected the 34-byte sha2-256 multihash 0x1220..., "
                f"got {len(data)} bytes"
            )
        version, codec_code, pos = 0, DAG_PB, 0
        if base != "base58btc":
            base = "base58btc"
    else:
        version, pos = _read_varint(data, 0, "the version", label)
        if version == 0:
            raise CidError(
                f"invalid CID {label}: version 0 is never written explicitly; a binary CIDv0 is "
                "the bare 34-byte multihash"
            )
        if version != 1:
            hint = ""
            if original is None and data.isascii() and bytes(data).decode("ascii").isalnum():
                hint = " (this looks like CID text: pass it as str, not bytes)"
            raise CidError(
                f"unsupported CID version {version} in {label}: only v0 and v1 exist{hint}"
            )
        codec_code, pos = _read_varint(data, pos, "the codec", label)
        try:
            codec = multicodec.get(code=codec_code)
        except KeyError:
            raise CidError(
                f"unknown codec 0x{codec_code:x} in CID {label}: not in the multicodec table "
                "(dag-pb is 0x70, raw 0x55, dag-cbor 0x71)"
            ) from None
        if codec.tag in _NON_CONTENT_TAGS:
            raise CidError(
                f"invalid codec 0x{codec_code:x} ({codec.name}) in CID {label}: that is a "
                f"{codec.tag} code, not a content codec"
            )
    hash_code, pos = _read_varint(data, pos, "the multihash function", label)
    try:
        hashfun = multihash.get(code=hash_code)
    except KeyError:
        raise CidError(
            f"unknown hash function 0x{hash_code:x} in CID {label}: not a multihash code "
            "(sha2-256 is 0x12)"
        ) from None
    except (ValueError, ImportError) as exc:
        # A multicodec that is not a hash function ("silverpine"), or a hash function whose
        # implementation needs a package that is not installed (keccak-256 needs pycryptodome).
        raise CidError(f"unsupported hash function 0x{hash_code:x} in CID {label}: {_reason(exc)}") from None
    length, pos = _read_varint(data, pos, "the digest length", label)
    digest = data[pos:]
    if len(digest) < length:
        raise CidError(
            f"truncated multihash in CID {label}: {hashfun.name} declares a {length}-byte digest, "
            f"only {len(digest)} bytes present"
        )
    if len(digest) > length:
        extra = len(digest) - length
        raise CidError(
            f"{extra} unexpected trailing byte{'s' if extra != 1 else ''} after the {length}-byte "
            f"{hashfun.name} digest in CID {label}"
        )
    try:
        max_size = hashfun.max_digest_size
    except ImportError as exc:  # the implementation is loaded lazily (keccak-256 needs pycryptodome)
        raise CidError(f"unsupported hash function 0x{hash_code:x} in CID {label}: {_reason(exc)}") from None
    if max_size is not None and length > max_size:
        raise CidError(
            f"digest of {length} bytes in CID {label} is longer than {hashfun.name} can produce "
            f"({max_size} bytes)"
        )
    try:
        return CID(base, version, codec_code, (hash_code, digest))
    except (KeyError, ValueError, ImportError) as exc:  # pragma: no cover - the checks above should cover it
        raise CidError(f"invalid CID {label}: {_reason(exc)}") from None


# --------------------------------------------------------------------------------------------
# CIDs as the contracts take them


#: The contracts' bounds (contracts/modules/cid.vy): binary CIDs up to 72 bytes, varints of at
#: most three bytes (codes below 2**21), digests of 1 to 64 bytes.
CHAIN_MAX_CID_BYTES: Final = 72
CHAIN_MAX_CODE: Final = (1 << 21) - 1
CHAIN_MAX_DIGEST_BYTES: Final = 64


class ChainCid:
    """A binary CID framed the way the contracts accept it, whatever its codes.

    The contracts (``contracts/modules/cid.vy``) take any codec and any multihash code below
    2**21; the multicodec table behind :func:`parse_cid` knows only the assigned ones (and
    multiformats cannot even build a keccak-256 CID without pycryptodome). Anything read from
    the chain (a claimed job, an accepted result) may carry such a CID, and cidhub must still
    load, hash, print and compare it: this type does that from the bytes alone. It has no
    codec or hash function *implementation*, so content behind it cannot be read or verified.

    ``bytes(c)`` is the binary CID, ``str(c)`` its multibase text (base32 ``b...`` for v1,
    base58btc for v0), the same strings ``CID`` prints for the CIDs it knows.
    """

    __slots__ = ("codec", "digest", "hash_code", "multihash_start", "raw", "version")

    def __init__(self, raw: bytes, version: int, codec: int, hash_code: int, digest: bytes, multihash_start: int):
        self.raw, self.version, self.codec, self.hash_code = raw, version, codec, hash_code
        self.digest, self.multihash_start = digest, multihash_start

    @property
    def multihash(self) -> bytes:
        """``varint(code) || varint(length) || digest``, the part of the CID the registry keys by."""
        return self.raw[self.multihash_start:]

    def __bytes__(self) -> bytes:
        return self.raw

    def __str__(self) -> str:
        if self.version == 0:
            return multibase.encode(self.raw, "base58btc")[1:]
        return multibase.encode(self.raw, "base32")

    def __repr__(self) -> str:
        return f"ChainCid({str(self)!r}, codec=0x{self.codec:x}, hash=0x{self.hash_code:x})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ChainCid, CID)):
            return bytes(self) == bytes(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.raw)


def parse_chain_cid(value: CidLike | ChainCid) -> ChainCid:
    """Parse a CID with the contracts' framing rules (``contracts/modules/cid.vy``): CIDv0 is
    the 34-byte sha2-256 multihash; CIDv1 is ``0x01 || varint codec || varint hash code ||
    varint length || digest`` with minimal varints of at most three bytes, a digest of 1 to 64
    bytes and nothing after it, 72 bytes at most. Codes need not be in the multicodec table.
    Text is any multibase the library decodes, or 46-character CIDv0 base58btc.

    Raises:
        CidError: the contracts would refuse it too ("cid: ..." reverts).
    """
    if isinstance(value, ChainCid):
        return value
    if isinstance(value, CID):
        value = bytes(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == _V0_TEXT_LENGTH and text.startswith("Qm"):
            data = _decode_base(text, "base58btc", text)
        else:
            try:
                data = bytes(multibase.decode(text))
            except (KeyError, ValueError, binascii.Error, TypeError) as exc:
                raise CidError(f"{text[:80]!r} is not a multibase CID: {_reason(exc)}") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise CidError(f"cannot parse a CID from a {type(value).__name__}; expected str or bytes")
    label = f"0x{data[:48].hex()}"
    if len(data) > CHAIN_MAX_CID_BYTES:
        raise CidError(f"CID {label}... is {len(data)} bytes; the contracts take at most {CHAIN_MAX_CID_BYTES}")
    if len(data) == _V0_BINARY_LENGTH and data.startswith(_V0_MULTIHASH_PREFIX):
        return ChainCid(data, 0, DAG_PB, SHA2_256, data[2:], 0)
    if len(data) < 4 or data[0] != 1:
        raise CidError(f"CID {label} is not a CIDv1 (0x01 ...) nor a 34-byte CIDv0 multihash")
    pos = 1
    fields = []
    for what in ("codec", "hash function", "digest length"):
        value_, pos = _read_chain_varint(data, pos, what, label)
        fields.append(value_)
    codec, hash_code, length = fields
    if not 1 <= length <= CHAIN_MAX_DIGEST_BYTES:
        raise CidError(f"CID {label} declares a {length}-byte digest; the contracts take 1 to {CHAIN_MAX_DIGEST_BYTES}")
    if len(data) != pos + length:
        raise CidError(f"CID {label} declares a {length}-byte digest but carries {len(data) - pos} bytes")
    multihash_start = 1 + len(varint.encode(codec))
    return ChainCid(data, 1, codec, hash_code, data[pos:], multihash_start)


def _read_chain_varint(data: bytes, pos: int, what: str, label: str) -> tuple[int, int]:
    """The contracts' varint: at most three bytes, minimal (no padding with 0x80 continuation bytes)."""
    value = 0
    for i in range(3):
        if pos >= len(data):
            raise CidError(f"CID {label} is truncated: {what} is missing")
        byte = data[pos]
        value |= (byte & 0x7F) << (7 * i)
        pos += 1
        if byte < 0x80:
            if byte == 0 and i:
                raise CidError(f"CID {label} has a non-minimal varint for the {what}")
            return value, pos
    raise CidError(f"CID {label} has a {what} varint longer than the contracts' three bytes (codes < 2**21)")
