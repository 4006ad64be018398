// Runs record_harness.wasm on the cases given as JSON on stdin and prints the results as JSON.
// Integers travel as hex strings (little-endian bytes are made here, as graph-ts BigInts hold them).
//   node run_harness.mjs record_harness.wasm < cases.json
import fs from 'node:fs'

const [wasmPath] = process.argv.slice(2)
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {
  env: {
    abort (_msg, _file, line, column) {
      throw new Error(`AssemblyScript abort at ${line}:${column}`)
    },
  },
})
const h = instance.exports
const FIELDS = ['kind', 'delisted', 'content_v0', 'long_multihash', 'metadata_v0', 'parent_count',
  'royalty_bps', 'content_codec', 'metadata_codec', 'licence_id']

function arg (slot, bytes) {
  h.resetArg(slot, bytes.length)
  bytes.forEach((b, i) => h.setArgByte(slot, i, b))
}

function load (bytes) {
  h.reset(bytes.length)
  bytes.forEach((b, i) => h.setByte(i, b))
}

// A non-negative integer (hex string) as the little-endian bytes of a graph-ts BigInt.
function littleEndian (hex) {
  let n = BigInt('0x' + hex)
  const out = []
  while (n > 0n) {
    out.push(Number(n & 0xffn))
    n >>= 8n
  }
  if (out.length && out[out.length - 1] & 0x80) out.push(0) // two's complement sign byte
  return out
}

function output () {
  const out = []
  for (let i = 0; i < h.outputLength(); i++) out.push(h.outputByte(i))
  return Buffer.from(out).toString('hex')
}

function fromLittleEndianHex (hex) {
  const bytes = Buffer.from(hex, 'hex').reverse()
  return bytes.length ? BigInt('0x' + bytes.toString('hex')).toString(16) : '0'
}

const cases = JSON.parse(fs.readFileSync(0, 'utf8'))
const kinds = []
for (let k = 0; k < h.kindCount(); k++) {
  let name = ''
  for (let i = 0, c; (c = h.kindNameChar(k, i)) >= 0; i++) name += String.fromCharCode(c)
  kinds.push(name)
}
const results = {
  kinds,
  records: cases.records.map(word => {
    load(littleEndian(word))
    h.unpack()
    return Object.fromEntries(FIELDS.map((name, i) => [name, h.field(i)]))
  }),
  keys: cases.asset_ids.map(id => {
    load(littleEndian(id))
    h.assetKey()
    return output()
  }),
  content_cids: cases.content_cids.map(([id, v0, codec]) => {
    load(littleEndian(id))
    h.contentCid(v0 ? 1 : 0, codec)
    return output()
  }),
  delisted: cases.delisted.map(([word, flag]) => {
    load(littleEndian(word))
    h.delisted(flag ? 1 : 0)
    return fromLittleEndianHex(output())
  }),
  metadata: cases.metadata.map(([word, v0, codec]) => {
    load(littleEndian(word))
    h.metadata(v0 ? 1 : 0, codec)
    return fromLittleEndianHex(output())
  }),
  cid_codecs: cases.cids.map(hex => {
    load([...Buffer.from(hex, 'hex')])
    return [h.codecOf(), h.inputIsV0() === 1]
  }),
  salts: (cases.salts ?? []).map(([governor, proposalId, index]) => {
    arg(0, [...Buffer.from(governor, 'hex')])
    arg(1, littleEndian(proposalId))
    h.salt(index)
    return output()
  }),
  operations: (cases.operations ?? []).map(([target, value, data, predecessor, salt]) => {
    arg(0, [...Buffer.from(target, 'hex')])
    arg(1, littleEndian(value))
    arg(2, [...Buffer.from(data, 'hex')])
    arg(3, [...Buffer.from(predecessor, 'hex')])
    load([...Buffer.from(salt, 'hex')])
    h.operation()
    return output()
  }),
  titles: (cases.titles ?? []).map(text => {
    load([...Buffer.from(text, 'utf8')])
    h.title()
    return Buffer.from(output(), 'hex').toString('utf8')
  }),
}
process.stdout.write(JSON.stringify(results))
