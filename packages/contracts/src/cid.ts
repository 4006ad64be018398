/** Binary CIDs (what the registry stores and returns) as the strings people and gateways use. */

type Bytes = Uint8Array | `0x${string}`;

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function toBytes(value: Bytes): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const hex = value.slice(2);
  if (hex.length % 2 || /[^0-9a-fA-F]/.test(hex)) throw new Error(`not a hex byte string: ${value}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  let out = "";
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = "1" + out;
  }
  return out;
}

/**
 * A binary CID as its canonical string: CIDv0 (a bare sha2-256 multihash, 0x1220...) in base58btc (`Qm...`),
 * CIDv1 in base32 (`bafy...`, `bafk...`), as Kubo and cidhub print them.
 */
export function cidToString(cid: Bytes): string {
  const bytes = toBytes(cid);
  if (bytes.length === 0) throw new Error("an empty byte string is not a CID");
  if (bytes.length === 34 && bytes[0] === 0x12 && bytes[1] === 0x20) return base58(bytes);
  if (bytes[0] !== 0x01) throw new Error(`unsupported CID version byte 0x${bytes[0].toString(16)}`);
  return "b" + base32(bytes);
}

/** `<gateway>/ipfs/<cid>`: a URL for the CID's content on an IPFS HTTP gateway. */
export function gatewayUrl(cid: Bytes | string, gateway: string): string {
  const text = typeof cid === "string" && !cid.startsWith("0x") ? cid : cidToString(cid as Bytes);
  return `${gateway.replace(/\/+$/, "")}/ipfs/${text}`;
}
