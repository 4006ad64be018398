// The governor's timelock operations, in plain AssemblyScript: the ABI encodings whose keccak256
// are an action's salt and its operation id, so a queued proposal can be linked to the
// operations the timelock scheduled for it.
//
// No graph-ts here on purpose (like record.ts): the mappings hash these byte strings with
// graph-ts's crypto.keccak256, and tests/record_harness.ts runs the same functions in node for
// tests/subgraph/test_subgraph.py, which compares them with eth_abi's encodings of
//   salt      = keccak256(abi.encode(governor, proposalId, index))     HubGovernor._action_salt
//   operation = keccak256(abi.encode(target, value, data, bytes32(0), salt))
//                                                     HubGovernor._operation_id / the timelock's hash_operation
// Integers arrive as graph-ts BigInts (little-endian bytes), addresses as 20 bytes.

import { toBytes32 } from "./record";

// HubGovernor.GRACE_PERIOD: a queued proposal not executed this long after its ETA expires.
export const GRACE_PERIOD: i64 = 14 * 86400;

function put(out: Uint8Array, at: i32, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i];
}

// An address as an ABI word: 12 zero bytes, then its 20 bytes.
export function addressWord(address: Uint8Array): Uint8Array {
  let out = new Uint8Array(32);
  put(out, 32 - address.length, address);
  return out;
}

// A small non-negative integer as an ABI word.
export function intWord(value: i64): Uint8Array {
  let out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 24; i--) {
    out[i] = <u8>(v & 0xff);
    v >>= 8;
  }
  return out;
}

// abi.encode(governor, proposalId, index): three static words.
export function saltPreimage(governor: Uint8Array, proposalIdLE: Uint8Array, index: i32): Uint8Array {
  let out = new Uint8Array(96);
  put(out, 0, addressWord(governor));
  put(out, 32, toBytes32(proposalIdLE));
  put(out, 64, intWord(index));
  return out;
}

// abi.encode(target, value, data, predecessor, salt): five head words (data's is its offset,
// 0xa0), then data's length and its bytes padded to a multiple of 32.
export function operationPreimage(target: Uint8Array, valueLE: Uint8Array, data: Uint8Array, predecessor: Uint8Array,
                                  salt: Uint8Array): Uint8Array {
  let padded = (data.length + 31) / 32 * 32;
  let out = new Uint8Array(5 * 32 + 32 + padded);
  put(out, 0, addressWord(target));
  put(out, 32, toBytes32(valueLE));
  put(out, 64, intWord(5 * 32));
  put(out, 96, predecessor);
  put(out, 128, salt);
  put(out, 160, intWord(data.length));
  put(out, 192, data);
  return out;
}

// The first line of a proposal's description without Markdown heading marks ("# Title" -> "Title").
export function titleOf(description: string): string {
  let end = description.indexOf("\n");
  let line = end < 0 ? description : description.substring(0, end);
  let start = 0;
  while (start < line.length && (line.charAt(start) == "#" || line.charAt(start) == " ")) start++;
  return line.substring(start).trim();
}
