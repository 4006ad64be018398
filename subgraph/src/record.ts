// The AssetRegistry's packed record and binary CIDs, in plain AssemblyScript.
//
// No graph-ts here on purpose: the mappings compile this file, and so does the test harness
// (subgraph/tests/record_harness.ts), which tests/python/test_subgraph.py runs in node against
// cidhub.registry.AssetRecord and cidhub.cid. Keep every constant below equal to its twin in
// cidhub/registry.py and contracts/AssetRegistry.vy; the tests read this file and compare.
//
// Record layout (bit offsets; the registry's 96-bit "aux" word):
//   0-3 kind | 4 delisted | 5 content CIDv0 | 6 long multihash | 7 metadata CIDv0 |
//   8-12 parent count | 13-26 royalty bps | 27-47 content codec | 48-68 metadata codec |
//   69-84 licence id
// Words arrive as graph-ts BigInts, which are little-endian byte arrays; they are read here
// as two 64-bit limbs (bits 0-63 and 64-127), which hold every field.

export const KIND_MASK: u64 = 0xf;
export const DELISTED: u64 = 1 << 4;
export const CONTENT_V0: u64 = 1 << 5;
export const LONG_MULTIHASH: u64 = 1 << 6;
export const METADATA_V0: u64 = 1 << 7;
export const PARENT_COUNT_SHIFT: i32 = 8;
export const PARENT_COUNT_MASK: u64 = 0x1f;
export const ROYALTY_SHIFT: i32 = 13;
export const ROYALTY_MASK: u64 = 0x3fff;
export const CONTENT_CODEC_SHIFT: i32 = 27;
export const METADATA_CODEC_SHIFT: i32 = 48;
export const CODEC_MASK: u64 = (1 << 21) - 1;
export const LICENCE_SHIFT: i32 = 69;
export const LICENCE_MASK: u64 = 0xffff;

// cidhub.registry.Kind, by value.
export const KIND_NAMES: string[] = ["DATASET", "MODEL", "CODE", "RESULT", "OTHER"];

export const SHA2_256: u64 = 0x12;
export const DAG_PB: u64 = 0x70;

// Limb `index` (0: bits 0-63, 1: bits 64-127) of a little-endian unsigned integer.
export function limb(le: Uint8Array, index: i32): u64 {
  let value: u64 = 0;
  for (let i = 0; i < 8; i++) {
    let at = index * 8 + i;
    if (at < le.length) {
      value |= (<u64>le[at]) << (<u64>(8 * i));
    }
  }
  return value;
}

// `(word >> shift) & mask` for a word given as limbs; `mask` is at most 64 bits wide.
export function field(lo: u64, hi: u64, shift: i32, mask: u64): u64 {
  let value: u64;
  if (shift >= 64) {
    value = hi >> (<u64>(shift - 64));
  } else if (shift == 0) {
    value = lo;
  } else {
    value = (lo >> (<u64>shift)) | (hi << (<u64>(64 - shift)));
  }
  return value & mask;
}

// cidhub.registry.AssetRecord: the decoded fields of a record.
export class AssetRecord {
  kind: i32 = 0;
  delisted: bool = false;
  contentV0: bool = false;
  longMultihash: bool = false;
  metadataV0: bool = false;
  parentCount: i32 = 0;
  royaltyBps: i32 = 0;
  contentCodec: i32 = 0;
  metadataCodec: i32 = 0;
  licenceId: i32 = 0;

  static unpack(le: Uint8Array): AssetRecord {
    let lo = limb(le, 0);
    let hi = limb(le, 1);
    let r = new AssetRecord();
    r.kind = <i32>(lo & KIND_MASK);
    r.delisted = (lo & DELISTED) != 0;
    r.contentV0 = (lo & CONTENT_V0) != 0;
    r.longMultihash = (lo & LONG_MULTIHASH) != 0;
    r.metadataV0 = (lo & METADATA_V0) != 0;
    r.parentCount = <i32>field(lo, hi, PARENT_COUNT_SHIFT, PARENT_COUNT_MASK);
    r.royaltyBps = <i32>field(lo, hi, ROYALTY_SHIFT, ROYALTY_MASK);
    r.contentCodec = <i32>field(lo, hi, CONTENT_CODEC_SHIFT, CODEC_MASK);
    r.metadataCodec = <i32>field(lo, hi, METADATA_CODEC_SHIFT, CODEC_MASK);
    r.licenceId = <i32>field(lo, hi, LICENCE_SHIFT, LICENCE_MASK);
    return r;
  }
}

// Two limbs back to a 16-byte little-endian word (for BigInt.fromUnsignedBytes).
function toLittleEndian(lo: u64, hi: u64): Uint8Array {
  let out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i] = <u8>((lo >> (<u64>(8 * i))) & 0xff);
    out[8 + i] = <u8>((hi >> (<u64>(8 * i))) & 0xff);
  }
  return out;
}

// The record after delist (true) or relist (false): the registry sets or clears bit 4.
export function withDelisted(le: Uint8Array, delisted: bool): Uint8Array {
  let lo = limb(le, 0);
  lo = delisted ? lo | DELISTED : lo & ~DELISTED;
  return toLittleEndian(lo, limb(le, 1));
}

// The record after set_metadata: the metadata CIDv0 flag and codec replaced (AssetRegistry's
// `aux & ~_METADATA_FIELDS | bits`). The codec spans both limbs (bits 48-68).
export function withMetadata(le: Uint8Array, v0: bool, codec: u64): Uint8Array {
  let lo = limb(le, 0);
  let hi = limb(le, 1);
  let c = codec & CODEC_MASK;
  lo = (lo & ~METADATA_V0 & ~(CODEC_MASK << (<u64>METADATA_CODEC_SHIFT))) | (c << (<u64>METADATA_CODEC_SHIFT));
  hi = (hi & ~(CODEC_MASK >> (<u64>(64 - METADATA_CODEC_SHIFT)))) | (c >> (<u64>(64 - METADATA_CODEC_SHIFT)));
  if (v0) lo |= METADATA_V0;
  return toLittleEndian(lo, hi);
}

// A uint256 as a little-endian integer -> its 32-byte big-endian form (the asset id as the
// registry hashes and prints it; for a sha2-256 CID, the digest itself).
export function toBytes32(le: Uint8Array): Uint8Array {
  let out = new Uint8Array(32);
  let n = le.length < 32 ? le.length : 32;
  for (let i = 0; i < n; i++) {
    out[31 - i] = le[i];
  }
  return out;
}

function varintLength(value: u64): i32 {
  let n = 1;
  while (value >= 0x80) {
    value >>= 7;
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, at: i32, value: u64): i32 {
  while (value >= 0x80) {
    out[at++] = <u8>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out[at++] = <u8>value;
  return at;
}

// The binary content CID of an asset whose id is a sha2-256 digest (the registry's `cid_of`
// for assets without the long-multihash flag): CIDv0 is the bare multihash, CIDv1 is
// 0x01 | varint codec | 0x12 0x20 | digest.
export function sha256Cid(digest: Uint8Array, v0: bool, codec: u64): Uint8Array {
  let header = v0 ? 0 : 1 + varintLength(codec);
  let out = new Uint8Array(header + 34);
  let at = 0;
  if (!v0) {
    out[at++] = 1;
    at = writeVarint(out, at, codec);
  }
  out[at++] = <u8>SHA2_256;
  out[at++] = 32;
  for (let i = 0; i < 32; i++) {
    out[at + i] = digest[i];
  }
  return out;
}

// Version and codec of a binary CID the registry accepted (CIDv0: a bare 34-byte sha2-256
// multihash, codec dag-pb; CIDv1: 0x01 then the codec varint). Returns the codec; `isV0`
// tells the version. Returns -1 for bytes that are neither.
export function cidCodec(cid: Uint8Array): i64 {
  if (isV0(cid)) return <i64>DAG_PB;
  if (cid.length < 2 || cid[0] != 1) return -1;
  let value: u64 = 0;
  for (let i = 0; i < 3 && 1 + i < cid.length; i++) {
    let b = <u64>cid[1 + i];
    value |= (b & 0x7f) << (<u64>(7 * i));
    if ((b & 0x80) == 0) return <i64>value;
  }
  return -1;
}

export function isV0(cid: Uint8Array): bool {
  return cid.length == 34 && cid[0] == 0x12 && cid[1] == 0x20;
}
