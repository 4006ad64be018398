"""cidhub.content.hamt and the sharding rule of DirectoryBuilder.

Vectors from outside:

* IPIP-499 (ipfs/specs ``src/ipips/ipip-0499.md``, "Test fixtures") publishes the CIDs of four
  directories, one at and one a byte over the HAMT threshold for each profile. They are built
  by Kubo's ``test/cli/cid_profiles_test.go`` (``createDeterministicFiles``: names drawn from
  a ChaCha20 stream keyed by ``sha256(seed)``, each file holding ``"x"``) and reproduced by
  js-ipfs-unixfs's ``cid-profiles.spec.ts``. :func:`kubo_names` regenerates the names, so
  the inputs are rebuilt here rather than stored.
* gateway-conformance ``fixtures/trustless_gateway_car/single-layer-hamt-with-multi-block-files.car``
  (a Kubo-made HAMT of files ``0.txt`` .. ``999.txt``): its shard ``00`` holds ``6E470.txt`` and
  ``FF742.txt``, i.e. those names hash to slot 0x00 then 0x6E / 0xFF; ``tooling/car/unixfs_test.go``
  lists the shards a lookup of ``402.txt`` crosses. Checked against the CAR when this module was
  written (root bafybeidbclfqleg2uojchspzd4bob56dqetqjsj27gy2cq3klkkgxtpn4i rebuilt block for
  block from its entries); the facts that need no CAR are asserted below.
"""

from __future__ import annotations

import hashlib
import random

import mmh3
import pytest
from kubo_vectors import chacha20_block, kubo_names

from cidhub.content import hamt
from cidhub.content.dagpb import (
    DATA_DIRECTORY,
    DATA_HAMT_SHARD,
    PBLink,
    PBNode,
    UnixfsData,
    decode_pbnode,
    decode_unixfs_data,
    encode_pbnode,
    encode_unixfs_data,
)
from cidhub.content.hamt import ShardWriter, find, hamt_hash, iter_entries, iter_shard_blocks, parse_shard, shard_layout
from cidhub.content.unixfs import (
    UNIXFS_V0_2015,
    UNIXFS_V1_2025,
    Block,
    DirectoryBuilder,
    Profile,
    import_bytes,
    import_directory,
)
from cidhub.errors import UnixfsError


def test_chacha20__rfc8439_block_vector():
    # RFC 8439 section 2.3.2: key 00..1f, nonce 000000090000004a00000000, block counter 1.
    block = chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))
    assert block[:16].hex() == "10f1e7e4d13b5915500fdd1fa32071c4"
    assert block[-16:].hex() == "b5129cd1de164eb9cbd083e8a2503c4e"


# ---- IPIP-499 directory fixtures


def _x_file(profile: Profile) -> tuple[bytes, int]:
    x = import_bytes(b"x", profile)
    return x.cid_bytes, x.dag_size


IPIP_499_DIRECTORIES = [
    # (profile, files, name length, last name length, seed, published CID, sharded)
    (UNIXFS_V0_2015, 4096, 30, 30, "hamt-unixfs-v0-2015", "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN", False),
    (UNIXFS_V0_2015, 4033, 31, 31, "hamt-unixfs-v0-2015", "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP", True),
    (UNIXFS_V1_2025, 4766, 11, 21, "hamt-unixfs-v1-2025",
     "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4", False),
    (UNIXFS_V1_2025, 4766, 11, 22, "hamt-unixfs-v1-2025",
     "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "files", "name_len", "last_len", "seed", "expected", "sharded"),
    IPIP_499_DIRECTORIES,
    ids=["v0-at-threshold", "v0-one-byte-over", "v1-at-threshold", "v1-one-byte-over"],
)
def test_ipip499_directory__published_cid(profile, files, name_len, last_len, seed, expected, sharded):
    cid, tsize = _x_file(profile)
    builder = DirectoryBuilder(profile)
    for name in kubo_names(files, name_len, last_len, seed):
        builder.add(name, cid, tsize, 1)
    assert builder.estimate == (262_145 if sharded else 262_144)
    result = builder.finish()
    assert (str(result.cid), result.sharded) == (expected, sharded)


# ---- hash, layout and node format


def test_hamt_hash__is_murmur3_x64_128_h1_big_endian():
    for name in (b"", b"a", b"470.txt", "ü-unicode".encode()):
        h1, _ = mmh3.hash64(name, seed=0, x64arch=True, signed=False)
        assert hamt_hash(name) == h1.to_bytes(8, "big")


@pytest.mark.parametrize(("name", "slots"), [(b"470.txt", (0x00, 0x6E)), (b"742.txt", (0x00, 0xFF))])
def test_hamt_hash__slots_as_in_the_gateway_conformance_fixture(name, slots):
    layout = shard_layout(256)
    assert (layout.index(hamt_hash(name), 0), layout.index(hamt_hash(name), 1)) == slots


@pytest.mark.parametrize(("fanout", "bits", "pad", "depth"), [(8, 3, 1, 21), (256, 8, 2, 8), (1024, 10, 3, 6)])
def test_shard_layout__boxo_widths(fanout, bits, pad, depth):
    layout = shard_layout(fanout)
    assert (layout.bits, layout.pad, layout.max_depth) == (bits, pad, depth)
    assert layout.prefix(fanout - 1) == format(fanout - 1, "X")


@pytest.mark.parametrize("fanout", [0, 4, 12, 24, 2048])
def test_shard_layout__invalid_fanout__refused(fanout):
    with pytest.raises(UnixfsError, match="fanout"):
        shard_layout(fanout)


def test_shard_layout__index_reads_the_hash_msb_first():
    hash8 = bytes.fromhex("c3a5000000000000")  # 1100 0011 1010 0101 ...
    assert shard_layout(256).index(hash8, 0) == 0xC3
    assert shard_layout(256).index(hash8, 1) == 0xA5
    assert [shard_layout(8).index(hash8, d) for d in range(4)] == [0b110, 0b000, 0b111, 0b010]
    assert shard_layout(1024).index(hash8, 0) == 0b1100001110


class _Blocks(dict):
    """A dict of CID -> block that counts reads (find must stay O(depth))."""

    reads = 0

    def emit(self, block: bytes) -> bytes:
        cid = b"\x01\x70\x12\x20" + hashlib.sha256(block).digest()
        self[cid] = block
        return cid

    def get(self, cid: bytes) -> bytes:  # type: ignore[override]
        self.reads += 1
        return self[cid]


def _build(names: list[str], fanout: int = 256) -> tuple[_Blocks, bytes, ShardWriter]:
    blocks = _Blocks()
    writer = ShardWriter(blocks.emit, fanout)
    for i, name in enumerate(names):
        writer.add(name.encode(), hashlib.sha256(name.encode()).digest()[:4] + bytes(32), 100 + i)
    root, _ = writer.finish()
    return blocks, root, writer


def _names_sharing_first_slot(count: int) -> list[str]:
    wanted, found, i = None, [], 0
    while len(found) < count:
        name = f"name-{i}"
        slot = hamt_hash(name.encode())[0]
        if wanted is None:
            wanted = slot
        if slot == wanted:
            found.append(name)
        i += 1
    return found


def test_writer__node_layout_is_boxos():
    names = _names_sharing_first_slot(2) + ["alone"]
    blocks, root, writer = _build(names)
    node = decode_pbnode(blocks[root])
    fs = decode_unixfs_data(node.data or b"")
    assert (fs.type, fs.fanout, fs.hash_type) == (DATA_HAMT_SHARD, 256, 0x22)
    assert fs.filesize is None and not fs.blocksizes
    slots = sorted({hamt_hash(n.encode())[0] for n in names})
    # big-endian bitfield, leading zero bytes dropped (go-bitfield Bytes())
    assert fs.data == sum(1 << s for s in slots).to_bytes((max(slots) + 8) // 8, "big")
    assert [link.name for link in node.links] == [
        f"{s:02X}" if s == hamt_hash(names[0].encode())[0] else f"{s:02X}alone" for s in slots
    ]
    child = next(link for link in node.links if len(link.name or "") == 2)
    child_node = decode_pbnode(blocks[child.hash])
    assert child.tsize == len(blocks[child.hash]) + sum(link.tsize or 0 for link in child_node.links)
    assert sorted((link.name or "")[2:] for link in child_node.links) == sorted(names[:2])
    assert [(link.name or "")[:2] for link in child_node.links] == sorted(
        f"{hamt_hash(n.encode())[1]:02X}" for n in names[:2]
    )
    assert writer.blocks == 2


def test_writer__unixfs_fields_in_number_order():
    blocks, root, _ = _build(["only"])
    slot = hamt_hash(b"only")[0]
    bitfield = (1 << slot).to_bytes(slot // 8 + 1, "big")
    # Type=5, Data=bitfield, hashType=0x22, fanout=256: the bytes HAMTShardData writes
    data = b"\x08\x05\x12" + bytes((len(bitfield),)) + bitfield + b"\x28\x22\x30\x80\x02"
    assert blocks[root].endswith(b"\x0a" + bytes((len(data),)) + data)
    assert parse_shard(blocks[root]).bitfield == 1 << slot


def test_writer__any_insertion_order__same_root():
    names = [f"file-{i}.bin" for i in range(3000)]
    _, first, _ = _build(names)
    shuffled = list(names)
    random.Random(7).shuffle(shuffled)
    blocks = _Blocks()
    writer = ShardWriter(blocks.emit)
    index = {n: i for i, n in enumerate(names)}
    for name in shuffled:
        writer.add(name.encode(), hashlib.sha256(name.encode()).digest()[:4] + bytes(32), 100 + index[name])
    assert writer.finish()[0] == first


def test_writer__equal_64_bit_hashes__refused(monkeypatch):
    monkeypatch.setattr(hamt, "hamt_hash", lambda name: b"\x12" * 8)
    writer = ShardWriter(_Blocks().emit)
    writer.add(b"a", bytes(34), 1)
    writer.add(b"b", bytes(34), 1)
    with pytest.raises(UnixfsError, match="same 64-bit murmur3 hash"):
        writer.finish()


def test_writer__deepest_level_used_when_hashes_share_56_bits(monkeypatch):
    hashes = {b"a": bytes(7) + b"\x01", b"b": bytes(7) + b"\x02"}
    monkeypatch.setattr(hamt, "hamt_hash", hashes.__getitem__)
    blocks, root, writer = _build(["a", "b"])
    assert writer.blocks == 8  # one shard per byte of the hash
    assert find(blocks.get, blocks[root], "b").hash == hashlib.sha256(b"b").digest()[:4] + bytes(32)


# ---- reading


def test_find__every_name_and_only_those__o_depth_reads():
    names = [f"shard-me-{i:05d}" for i in range(5000)]
    blocks, root, _ = _build(names)
    depth_reads = []
    for name in names[::97]:
        blocks.reads = 0
        visited: list[bytes] = []
        link = find(blocks.get, blocks[root], name, visited)
        assert link is not None and link.name == name and link.tsize == 100 + names.index(name)
        assert blocks.reads == len(visited) <= 3
        depth_reads.append(blocks.reads)
    assert max(depth_reads) >= 1  # 5,000 names in 256 slots: every lookup crosses a child shard
    assert find(blocks.get, blocks[root], "absent") is None
    assert find(blocks.get, blocks[root], "shard-me-00001x") is None


def test_iter_entries__each_entry_once_streaming():
    names = [f"entry-{i}" for i in range(2000)]
    blocks, root, _ = _build(names)
    listed = list(iter_entries(blocks.get, blocks[root]))
    assert sorted(link.name for link in listed) == sorted(names)
    # hash order, as Kubo lists a HAMT
    assert [hamt_hash(link.name.encode()) for link in listed] == sorted(hamt_hash(n.encode()) for n in names)
    shard_cids = {cid for cid, _ in iter_shard_blocks(blocks.get, blocks[root])}
    assert shard_cids | {root} == set(blocks)


def _shard_block(links, *, data=b"\x01", hash_type=0x22, fanout=256):
    return encode_pbnode(PBNode(tuple(links), encode_unixfs_data(
        UnixfsData(DATA_HAMT_SHARD, data, hash_type=hash_type, fanout=fanout))))  # fmt: skip


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (_shard_block([PBLink(bytes(34), "00a", 1)], hash_type=0x12), "only murmur3"),
        (_shard_block([PBLink(bytes(34), "00a", 1)], fanout=12), "fanout"),
        (_shard_block([PBLink(bytes(34), "00a", 1), PBLink(bytes(34), "01b", 1)]), "1 occupied slots but 2 links"),
        (_shard_block([], data=b"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                      b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "wider than the fanout"),
        (encode_pbnode(PBNode((), encode_unixfs_data(UnixfsData(DATA_DIRECTORY)))), "not a HAMT shard"),
    ],
    ids=["sha256-hash", "fanout-12", "bitfield-vs-links", "bitfield-too-wide", "plain-directory"],
)
def test_parse_shard__malformed__refused(block, message):
    with pytest.raises(UnixfsError, match=message):
        parse_shard(block)


def test_find__link_prefix_disagrees_with_bitfield__refused():
    slot = hamt_hash(b"name")[0]
    block = _shard_block([PBLink(bytes(34), f"{(slot + 1) % 256:02X}name", 1)],
                         data=(1 << slot).to_bytes(32, "big").lstrip(b"\0"))  # fmt: skip
    with pytest.raises(UnixfsError, match="malformed HAMT shard"):
        find(lambda c: b"", block, "name")


# ---- DirectoryBuilder: the sharding rule at its edges


def _builder_at(profile: Profile, links_bytes: int, sink) -> DirectoryBuilder:
    """Entries whose links-bytes estimate is exactly ``links_bytes`` (CIDv0: 34 bytes each)."""
    cid, tsize = _x_file(profile)
    builder = DirectoryBuilder(profile, sink)
    n, rest = divmod(links_bytes, 34 + 10)
    for i in range(n - 1):
        builder.add(f"e{i:09d}", cid, tsize)
    builder.add("z" * (10 + rest), cid, tsize)
    return builder


@pytest.mark.parametrize(
    ("links_bytes", "switch", "sharded"),
    [(2999, ">", False), (3000, ">", False), (3001, ">", True), (2999, ">=", False), (3000, ">=", True)],
)
def test_links_bytes_rule__edges(links_bytes, switch, sharded):
    profile = UNIXFS_V0_2015.with_overrides(hamt_threshold=3000, hamt_switch=switch)
    blocks: list[Block] = []
    builder = _builder_at(profile, links_bytes, blocks.append)
    assert builder.links_bytes == links_bytes
    result = builder.finish()
    assert result.sharded is sharded
    root = decode_unixfs_data(decode_pbnode(blocks[-1].data).data or b"")
    assert root.type == (DATA_HAMT_SHARD if sharded else DATA_DIRECTORY)


@pytest.mark.parametrize("extra", [0, 1])
def test_block_bytes_rule__estimate_is_the_plain_node_size(extra):
    """unixfs-v1-2025 measures the plain node it would write; at the threshold it writes it."""
    cid, tsize = _x_file(UNIXFS_V1_2025)
    probe = DirectoryBuilder(UNIXFS_V1_2025.with_overrides(hamt_threshold=10**9))
    for i in range(40):
        probe.add(f"n{i:03d}", cid, tsize)
    size = probe.estimate
    blocks: list[Block] = []
    builder = DirectoryBuilder(UNIXFS_V1_2025.with_overrides(hamt_threshold=size - extra), blocks.append)
    for i in range(40):
        builder.add(f"n{i:03d}", cid, tsize)
    result = builder.finish()
    assert result.sharded is bool(extra)
    if not extra:
        assert len(blocks[-1].data) == size


def test_links_count_rule__ipfs_car_shards_above_1000():
    profile = UNIXFS_V1_2025.with_overrides(hamt_estimate="links-count", hamt_threshold=1000)
    cid, tsize = _x_file(profile)
    for count, sharded in ((1000, False), (1001, True)):
        builder = DirectoryBuilder(profile)
        for i in range(count):
            builder.add(str(i), cid, tsize)
        assert builder.finish().sharded is sharded


def test_directory__shrinks_below_threshold__plain_again(tmp_path):
    profile = UNIXFS_V0_2015.with_overrides(hamt_threshold=2000)
    for i in range(60):
        (tmp_path / f"file-{i:03d}").write_bytes(b"%d" % i)
    assert import_directory(tmp_path, profile).sharded
    for i in range(20, 60):
        (tmp_path / f"file-{i:03d}").unlink()
    shrunk = import_directory(tmp_path, profile)
    assert not shrunk.sharded
    assert shrunk.cid == import_directory(tmp_path, profile.with_overrides(hamt_threshold=10**9)).cid


def test_directory__nested_sharded_directories__tsize_and_blocks(tmp_path):
    profile = UNIXFS_V0_2015.with_overrides(hamt_threshold=500)
    for sub in ("a", "b"):
        (tmp_path / sub / "deeper").mkdir(parents=True)
        for i in range(40):
            (tmp_path / sub / f"f{i}").write_bytes(sub.encode() * i)
            (tmp_path / sub / "deeper" / f"g{i}").write_bytes(b"g" * i)
    blocks: list[Block] = []
    result = import_directory(tmp_path, profile, blocks.append)
    assert not result.sharded  # two entries
    by_cid = {b.cid_bytes: b.data for b in blocks}
    top = decode_pbnode(by_cid[result.cid_bytes])
    for link in top.links:
        sub = parse_shard(by_cid[link.hash])
        names = {entry.name for entry in iter_entries(by_cid.__getitem__, by_cid[link.hash])}
        assert names == {f"f{i}" for i in range(40)} | {"deeper"}
        deeper = find(by_cid.__getitem__, by_cid[link.hash], "deeper")
        assert deeper is not None
        assert parse_shard(by_cid[deeper.hash]).layout.fanout == 256
        assert sub.layout.fanout == 256
    assert result.dag_size == sum(len(b.data) for b in blocks)
    assert result.blocks == len(blocks)
    assert result.size == 2 * sum(range(40)) * 2


def test_directory_builder__bad_names_and_duplicates__refused():
    cid, tsize = _x_file(UNIXFS_V1_2025)
    builder = DirectoryBuilder(UNIXFS_V1_2025)
    for bad in ("", "a/b", "nul\0", ".", ".."):
        with pytest.raises(UnixfsError, match="invalid directory entry name"):
            builder.add(bad, cid, tsize)
    with pytest.raises(UnixfsError, match="not UTF-8"):
        builder.add(b"\xff", cid, tsize)
    builder.add("twice", cid, tsize)
    builder.add("twice", cid, tsize)
    with pytest.raises(UnixfsError, match="two entries named 'twice'"):
        builder.finish()
    sharded = DirectoryBuilder(UNIXFS_V1_2025.with_overrides(hamt_threshold=1))
    sharded.add("twice", cid, tsize)
    sharded.add("twice", cid, tsize)
    with pytest.raises(UnixfsError, match="two entries named 'twice'"):
        sharded.finish()


def test_threshold_zero__sharding_off_as_in_boxo():
    cid, tsize = _x_file(UNIXFS_V1_2025)
    builder = DirectoryBuilder(UNIXFS_V1_2025.with_overrides(hamt_threshold=0))
    for i in range(5000):
        builder.add(f"entry-{i}", cid, tsize)
    assert not builder.finish().sharded


def test_writer__empty_hamt__no_data_bytes_like_go_bitfield():
    blocks = _Blocks()
    root, _ = ShardWriter(blocks.emit).finish()
    assert decode_unixfs_data(decode_pbnode(blocks[root]).data or b"").data is None
    assert list(iter_entries(blocks.get, blocks[root])) == []


def test_profile__hamt_settings_validated():
    with pytest.raises(UnixfsError, match="fanout"):
        UNIXFS_V1_2025.with_overrides(hamt_fanout=100)
    with pytest.raises(UnixfsError, match="hamt_switch"):
        UNIXFS_V1_2025.with_overrides(hamt_switch="<")
    with pytest.raises(UnixfsError, match="hamt_estimate"):
        UNIXFS_V1_2025.with_overrides(hamt_estimate="guess")


def test_directory__fanout_16__smaller_shards_same_rules(tmp_path):
    profile = UNIXFS_V1_2025.with_overrides(hamt_threshold=10, hamt_estimate="links-count", hamt_fanout=16)
    for i in range(100):
        (tmp_path / f"{i}.txt").write_bytes(b"%d" % i)
    blocks: list[Block] = []
    result = import_directory(tmp_path, profile, blocks.append)
    by_cid = {b.cid_bytes: b.data for b in blocks}
    root = parse_shard(by_cid[result.cid_bytes])
    assert root.layout.pad == 1 and root.layout.fanout == 16
    listed = {e.name for e in iter_entries(by_cid.__getitem__, by_cid[result.cid_bytes])}
    assert listed == {f"{i}.txt" for i in range(100)}
