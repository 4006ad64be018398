// Test entry point around src/record.ts (no graph-ts, no host functions): compiled on its own
// with the AssemblyScript compiler graph-cli ships, and driven from node by run_harness.mjs,
// so tests/python/test_subgraph.py can run the subgraph's decoder against cidhub's.
import {
  AssetRecord,
  KIND_NAMES,
  cidCodec,
  isV0,
  sha256Cid,
  toBytes32,
  withDelisted,
  withMetadata,
} from "../src/record";
import { operationPreimage, saltPreimage, titleOf } from "../src/operation";

// Input: a little-endian integer (a graph-ts BigInt's bytes) or a binary CID, byte by byte.
let input = new Uint8Array(0);
let output = new Uint8Array(0);
let record = new AssetRecord();

export function reset(length: i32): void {
  input = new Uint8Array(length);
}

export function setByte(index: i32, value: i32): void {
  input[index] = <u8>value;
}

export function outputLength(): i32 {
  return output.length;
}

export function outputByte(index: i32): i32 {
  return output[index];
}

export function kindCount(): i32 {
  return KIND_NAMES.length;
}

// Character `index` of KIND_NAMES[kind] (-1 past its end), to read the names from JS.
export function kindNameChar(kind: i32, index: i32): i32 {
  let name = KIND_NAMES[kind];
  return index < name.length ? name.charCodeAt(index) : -1;
}

// Decodes the input word; the fields are read with `field`.
export function unpack(): void {
  record = AssetRecord.unpack(input);
}

export function field(index: i32): i32 {
  switch (index) {
    case 0: return record.kind;
    case 1: return record.delisted ? 1 : 0;
    case 2: return record.contentV0 ? 1 : 0;
    case 3: return record.longMultihash ? 1 : 0;
    case 4: return record.metadataV0 ? 1 : 0;
    case 5: return record.parentCount;
    case 6: return record.royaltyBps;
    case 7: return record.contentCodec;
    case 8: return record.metadataCodec;
    case 9: return record.licenceId;
  }
  return -1;
}

// The input (an asset id, little-endian) as 32 big-endian bytes.
export function assetKey(): void {
  output = toBytes32(input);
}

// The content CID of the input asset id (little-endian), as the mapping builds it.
export function contentCid(v0: bool, codec: i32): void {
  output = sha256Cid(toBytes32(input), v0, <u64>codec);
}

export function delisted(flag: bool): void {
  output = withDelisted(input, flag);
}

export function metadata(v0: bool, codec: i32): void {
  output = withMetadata(input, v0, <u64>codec);
}

// Of the input CID: the codec (-1 if not a CID) and whether it is a CIDv0.
export function codecOf(): i32 {
  return <i32>cidCodec(input);
}

export function inputIsV0(): bool {
  return isV0(input);
}

// Further byte-string arguments, for src/operation.ts (the input is the last argument).
let args: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)];

export function resetArg(slot: i32, length: i32): void {
  args[slot] = new Uint8Array(length);
}

export function setArgByte(slot: i32, index: i32, value: i32): void {
  args[slot][index] = <u8>value;
}

// abi.encode(governor = arg 0, proposalId = arg 1 (little-endian), index).
export function salt(index: i32): void {
  output = saltPreimage(args[0], args[1], index);
}

// abi.encode(target = arg 0, value = arg 1 (little-endian), data = arg 2, predecessor = arg 3, salt = input).
export function operation(): void {
  output = operationPreimage(args[0], args[1], args[2], args[3], input);
}

// The title of the input (a UTF-8 description), as UTF-8.
export function title(): void {
  output = Uint8Array.wrap(String.UTF8.encode(titleOf(String.UTF8.decode(input.buffer))));
}
