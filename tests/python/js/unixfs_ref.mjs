// Independent UnixFS reference for cidhub's tests: imports a file or directory with
// @ipld/unixfs (the importer inside ipfs-car, written by web3.storage) under settings given on
// the command line, and prints {"root": CID, "blocks": [[CID, base64 bytes], ...]} as JSON.
// Unlike the ipfs-car CLI it can be told the chunk size, DAG width, leaf type and CID version,
// so tests can reproduce every cidhub profile (including CIDv0 with dag-pb leaves) and build
// multi-level trees from small inputs. Directories: names sorted by dag-pb, hidden entries
// skipped unless --hidden, empty directories kept, symlinks stored as UnixFS symlinks.
//
// Directories with more than --shard-above entries (default: never) are written as HAMTs with
// createShardedDirectoryWriter (@perma/map: murmur3-x64-64, fanout 256), as ipfs-car does above
// 1,000 entries; with it the tests compare cidhub's HAMTs under every profile's leaf and CID
// settings, including CIDv0.
//
// usage: node unixfs_ref.mjs PATH --chunk N --width N --raw-leaves 0|1 --cid-version 0|1
//                            [--hidden 0|1] [--shard-above N] [--no-blocks]
import fs from 'node:fs'
import path from 'node:path'
import * as UnixFS from '@ipld/unixfs'
import { withMaxChunkSize } from '@ipld/unixfs/file/chunker/fixed'
import { withWidth } from '@ipld/unixfs/file/layout/balanced'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

const argv = process.argv.slice(2)
const target = argv[0]
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? dflt : argv[i + 1]
}
const chunk = Number(opt('chunk', 1048576))
const width = Number(opt('width', 1024))
const rawLeaves = opt('raw-leaves', '1') === '1'
const cidVersion = Number(opt('cid-version', '1'))
const hidden = opt('hidden', '0') === '1'
const shardAbove = Number(opt('shard-above', Infinity))
const withBlocks = !argv.includes('--no-blocks')
// ipfs-car reads files in 64 KiB pieces, so each write holds at most one (1 MiB) chunk. Reading
// at most one chunk per write keeps that property for small test chunk sizes, which makes
// @ipld/unixfs emit blocks in the same order as with ipfs-car's defaults.
const readSize = Math.min(65536, chunk)

const createLink = cidVersion === 0
  ? (code, digest) => CID.createV0(digest)
  : (code, digest) => CID.createV1(code, digest)
const settings = UnixFS.configure({
  fileChunkEncoder: rawLeaves ? raw : UnixFS.UnixFSLeaf,
  smallFileEncoder: rawLeaves ? raw : UnixFS.UnixFSLeaf,
  chunker: withMaxChunkSize(chunk),
  fileLayout: withWidth(width),
  linker: { createLink }
})

const blocks = []
const { readable, writable } = new TransformStream({}, UnixFS.withCapacity())
const collected = (async () => {
  const reader = readable.getReader()
  while (true) {
    const { done, value } = await reader.read()
    if (done) return
    if (withBlocks) blocks.push([value.cid.toString(), Buffer.from(value.bytes).toString('base64')])
  }
})()
const writer = UnixFS.createWriter({ writable, settings })

async function addFile (file) {
  const fileWriter = UnixFS.createFileWriter(writer)
  for await (const piece of fs.createReadStream(file, { highWaterMark: readSize })) {
    await fileWriter.write(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength))
  }
  return fileWriter.close()
}

async function addSymlink (file) {
  const bytes = UnixFS.encode({ type: UnixFS.NodeType.Symlink, content: Buffer.from(fs.readlinkSync(file)) })
  const cid = createLink(UnixFS.code, await sha256.digest(bytes))
  await writer.writer.write({ cid, bytes })
  return { cid, dagByteLength: bytes.length }
}

async function addDirectory (dir) {
  const names = fs.readdirSync(dir).sort().filter(name => hidden || !name.startsWith('.'))
  const dirWriter = names.length > shardAbove
    ? UnixFS.createShardedDirectoryWriter(writer)
    : UnixFS.createDirectoryWriter(writer)
  for (const name of names) {
    const full = path.join(dir, name)
    const st = fs.lstatSync(full)
    const link = st.isSymbolicLink()
      ? await addSymlink(full)
      : st.isDirectory() ? await addDirectory(full) : await addFile(full)
    dirWriter.set(name, link)
  }
  return dirWriter.close()
}

const link = fs.statSync(target).isDirectory() ? await addDirectory(target) : await addFile(target)
await writer.close()
await collected
process.stdout.write(JSON.stringify({ root: link.cid.toString(), blocks }) + '\n')
