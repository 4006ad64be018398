# pragma version ~=0.4.3
"""
@title Binary CID parsing and printing
@notice Pure helpers for IPFS content identifiers as they travel on-chain:
        binary CIDv0 (a bare 34-byte sha2-256 multihash) and binary CIDv1
        (0x01 | varint codec | varint hash code | varint digest length | digest).
        `parse` checks the framing and extracts the parts; `encode_v1` and
        `to_base32` rebuild a CID and print it as the multibase 'b' string
        that `ipfs://` URIs and gateways use.
@dev The module has no storage, so any contract may `import` it without
     `initializes`. Varints are limited to three bytes (values < 2**21): that
     covers every codec and hash function in the multicodec table that content
     is addressed with today, and keeps every loop bound small.
@custom:security Every length is checked before bytes are read. Framing errors
                 revert with "cid: <reason>", the module's own prefix, the way
                 snekmate's modules revert with "erc721: ...".
"""

MAX_CID_BYTES: constant(uint256) = 72
MAX_DIGEST_BYTES: constant(uint256) = 64
MAX_CODEC: constant(uint256) = (1 << 21) - 1
SHA2_256: constant(uint256) = 18  # multicodec 0x12
DAG_PB: constant(uint256) = 112  # multicodec 0x70
# "b" + ceil(72 * 8 / 5) base32 characters
MAX_BASE32_CHARS: constant(uint256) = 117

# Hex literals are bytes in Vyper, so the fixed CID prefixes are spelled as numbers:
# 0x1220 (sha2-256, 32 bytes) and 0x01??1220 (CIDv1, one-byte codec, sha2-256).
_V0_PREFIX: constant(uint256) = 4_640
_V1_FAST_PATTERN: constant(uint256) = 16_781_856
_V1_FAST_MASK: constant(uint256) = 4_286_644_223  # 0xff80ffff: codec byte < 0x80


struct ParsedCid:
    version: uint256
    codec: uint256
    hash_code: uint256
    digest_len: uint256
    # offset of the multihash inside the CID bytes (0 for CIDv0)
    multihash_start: uint256
    # the digest when it is exactly 32 bytes, else empty
    digest32: bytes32


@internal
@pure
def _byte_at(data: Bytes[MAX_CID_BYTES], pos: uint256) -> uint256:
    return convert(slice(data, pos, 1), uint256)


@internal
@pure
def _read_varint(data: Bytes[MAX_CID_BYTES], start: uint256) -> (uint256, uint256):
    """
    @dev Unsigned LEB128, at most three bytes, minimal encoding required
         (the multiformats spec forbids padded varints, and accepting them
         would let one CID have two byte forms).
    @return (value, position after the varint)
    """
    value: uint256 = 0
    pos: uint256 = start
    for i: uint256 in range(3):
        assert pos < len(data), "cid: truncated"
        b: uint256 = self._byte_at(data, pos)
        value |= (b % 128) << (7 * i)
        pos += 1
        if b < 128:
            assert b != 0 or i == 0, "cid: non-minimal varint"
            return value, pos
    raise "cid: varint too long"


@internal
@pure
def _is_zero_tail(data: Bytes[MAX_CID_BYTES], count: uint256) -> bool:
    """
    @dev True when the last `count` (<= 64) bytes of `data` are all zero.
         Padding with 32 zero bytes makes every 32-byte window readable
         whatever the CID's length.
    """
    padded: Bytes[MAX_CID_BYTES + 32] = concat(empty(bytes32), data)
    end: uint256 = len(padded)
    first: uint256 = convert(extract32(padded, end - 32), uint256)
    if count <= 32:
        return first & ((1 << (8 * count)) - 1) == 0
    second: uint256 = convert(extract32(padded, end - count), uint256)
    return first == 0 and second == 0


@internal
@pure
def parse(data: Bytes[MAX_CID_BYTES]) -> ParsedCid:
    """
    @notice Splits a binary CID into its parts.
    @dev Reverts with "cid: ..." on any framing error; a zero digest is the
         caller's policy to reject (it is well-formed).
    """
    n: uint256 = len(data)
    # Fast paths, most common first: CIDv1 with a one-byte codec and a
    # sha2-256 multihash (36 bytes), then CIDv0 (34 bytes).
    if n == 36:
        head36: uint256 = convert(extract32(data, 0), uint256) >> 224
        if head36 & _V1_FAST_MASK == _V1_FAST_PATTERN:
            return ParsedCid(version=1, codec=(head36 >> 16) % 256, hash_code=SHA2_256, digest_len=32,
                             multihash_start=2, digest32=extract32(data, 4))
    elif n == 34:
        if convert(extract32(data, 0), uint256) >> 240 == _V0_PREFIX:
            return ParsedCid(version=0, codec=DAG_PB, hash_code=SHA2_256, digest_len=32, multihash_start=0,
                             digest32=extract32(data, 2))
    assert n >= 4, "cid: truncated"
    head: uint256 = convert(slice(data, 0, 4), uint256)
    assert head >> 24 == 1, "cid: unsupported version"
    codec: uint256 = 0
    pos: uint256 = 0
    codec, pos = self._read_varint(data, 1)
    multihash_start: uint256 = pos
    hash_code: uint256 = 0
    digest_len: uint256 = 0
    hash_code, pos = self._read_varint(data, pos)
    digest_len, pos = self._read_varint(data, pos)
    assert digest_len != 0 and digest_len <= MAX_DIGEST_BYTES, "cid: bad digest length"
    assert n == pos + digest_len, "cid: digest length mismatch"
    digest32: bytes32 = empty(bytes32)
    if digest_len == 32:
        digest32 = extract32(data, pos)
    return ParsedCid(version=1, codec=codec, hash_code=hash_code, digest_len=digest_len,
                     multihash_start=multihash_start, digest32=digest32)


@internal
@pure
def has_zero_digest(data: Bytes[MAX_CID_BYTES], parsed: ParsedCid) -> bool:
    if parsed.digest_len == 32:
        return parsed.digest32 == empty(bytes32)
    return self._is_zero_tail(data, parsed.digest_len)


@internal
@pure
def multihash_key(data: Bytes[MAX_CID_BYTES], parsed: ParsedCid) -> bytes32:
    """
    @notice keccak256 of the CID's multihash: a fixed-size key for digests
            that are not exactly one sha2-256 word.
    """
    return keccak256(slice(data, parsed.multihash_start, len(data) - parsed.multihash_start))


@internal
@pure
def _varint(number: uint256) -> Bytes[3]:
    # Left-align the 1-3 varint bytes in a word and cut them out.
    if number < 128:
        return slice(convert(number << 248, bytes32), 0, 1)
    if number < 16_384:
        word2: uint256 = (number % 128 + 128) << 8 | (number >> 7)
        return slice(convert(word2 << 240, bytes32), 0, 2)
    word3: uint256 = (number % 128 + 128) << 16 | ((number >> 7) % 128 + 128) << 8 | (number >> 14)
    return slice(convert(word3 << 232, bytes32), 0, 3)


@internal
@pure
def encode_sha256(version: uint256, codec: uint256, digest: bytes32) -> Bytes[MAX_CID_BYTES]:
    """
    @notice Binary CID for a sha2-256 digest: CIDv0 when `version` is 0.
    """
    if version == 0:
        return concat(b"\x12\x20", digest)
    return concat(b"\x01", self._varint(codec), b"\x12\x20", digest)


@internal
@pure
def to_base32(data: Bytes[MAX_CID_BYTES]) -> String[MAX_BASE32_CHARS]:
    """
    @notice Multibase base32 (RFC 4648, lower case, no padding, prefix 'b').
    @dev Vyper strings cannot grow in a loop, so characters are placed into
         four 32-byte words and cut to length at the end. Character codes:
         'a'..'z' for 0-25 and '2'..'7' for 26-31.
    """
    words: uint256[4] = empty(uint256[4])
    words[0] = 98 << 248  # 'b'
    count: uint256 = 1
    buffer: uint256 = 0
    bits: uint256 = 0
    for i: uint256 in range(len(data), bound=MAX_CID_BYTES):
        buffer = (buffer << 8) | convert(slice(data, i, 1), uint256)
        bits += 8
        for _: uint256 in range(2):
            if bits < 5:
                break
            bits -= 5
            words[count // 32] |= self._char_code((buffer >> bits) & 31) << (8 * (31 - count % 32))
            count += 1
        buffer &= (1 << bits) - 1
    if bits > 0:
        words[count // 32] |= self._char_code((buffer << (5 - bits)) & 31) << (8 * (31 - count % 32))
        count += 1
    joined: Bytes[128] = concat(
        convert(words[0], bytes32), convert(words[1], bytes32), convert(words[2], bytes32), convert(words[3], bytes32)
    )
    return convert(slice(joined, 0, count), String[MAX_BASE32_CHARS])


@internal
@pure
def _char_code(symbol: uint256) -> uint256:
    if symbol < 26:
        return 97 + symbol  # 'a'..'z'
    return 24 + symbol  # '2'..'7': '2' is 50 = 24 + 26
