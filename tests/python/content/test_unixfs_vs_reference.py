"""cidhub.content.unixfs against implementations nobody here wrote.

* ipfs-car 3.1.0 (CLI, fixed settings: CIDv1, raw leaves, 1 MiB chunks, 1024 links, wraps
  files in a directory unless --no-wrap): compared with unixfs-v1-2025, root CID and CAR bytes.
* @ipld/unixfs (the importer inside ipfs-car) driven by js/unixfs_ref.mjs, which can be given
  any chunk size, width, leaf type and CID version: compared block by block for all three
  profiles, with small chunks so multi-level trees stay cheap, and at real sizes for v0.
* ipfs-car unpack (helia's ipfs-unixfs-exporter) reads our CARs back to the original bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from cidhub.content.car import CarReader, pack_car
from cidhub.content.unixfs import (
    KUBO_CIDV1_LEGACY,
    UNIXFS_V0_2015,
    UNIXFS_V1_2025,
    Block,
    Profile,
    import_directory,
    import_file,
)

MiB = 1024 * 1024


def _ours(path: Path, profile: Profile) -> tuple[str, list[tuple[str, bytes]]]:
    blocks: list[Block] = []
    if path.is_dir():
        result = import_directory(path, profile, blocks.append)
    else:
        result = import_file(path, profile, blocks.append)
    return str(result.cid), [(str(b.cid), b.data) for b in blocks]


def _car_blocks(path: Path) -> tuple[list[str], dict[str, bytes]]:
    with open(path, "rb") as stream:
        reader = CarReader(stream)
        return [str(r) for r in reader.roots], {str(b.cid): b.data for b in reader}


# ---- ipfs-car CLI defaults == unixfs-v1-2025


@pytest.mark.parametrize(
    "size", [0, 1, 11, MiB - 1, MiB, MiB + 1, 2 * MiB + 12_345], ids=lambda s: f"{s}B"
)
def test_file__ipfs_car_defaults__same_root_and_car_bytes(ipfs_car, write_file, tmp_path, size):
    path = write_file(size)
    theirs = tmp_path / "theirs.car"
    printed = ipfs_car("pack", path, "--no-wrap", "--output", theirs).stdout.strip()
    ours = tmp_path / "ours.car"
    with open(ours, "wb") as out:
        result = pack_car(path, out, UNIXFS_V1_2025)
    assert str(result.cid) == printed
    assert ours.read_bytes() == theirs.read_bytes()


def _tree_for_ipfs_car(root: Path) -> Path:
    """A tree ipfs-car and cidhub see alike: no empty directories, no symlinks."""
    (root / "docs" / "deeper").mkdir(parents=True)
    (root / "docs" / "readme.md").write_bytes(b"# readme\n")
    (root / "docs" / "deeper" / "model.bin").write_bytes(os.urandom(2 * MiB + 7))
    (root / "weights.bin").write_bytes(os.urandom(MiB))
    (root / "Capital.txt").write_bytes(b"sorted before lower case")
    (root / "ü-unicode.txt").write_bytes(b"utf-8 names")
    (root / ".git-like").mkdir()
    (root / ".git-like" / "config").write_bytes(b"hidden, skipped by both")
    return root


def test_directory__ipfs_car__same_root_and_blocks(ipfs_car, tmp_path):
    tree = _tree_for_ipfs_car(tmp_path / "tree")
    theirs = tmp_path / "theirs.car"
    printed = ipfs_car("pack", tree, "--output", theirs).stdout.strip()
    root, blocks = _ours(tree, UNIXFS_V1_2025)
    assert root == printed
    their_roots, their_blocks = _car_blocks(theirs)
    assert their_roots == [root]
    assert dict(blocks) == their_blocks


def test_file__ipfs_car_wraps_by_default__equals_one_entry_directory(ipfs_car, tmp_path):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "hello.txt"
    path.write_bytes(b"hello world")
    printed = ipfs_car("pack", path, "--output", tmp_path / "w.car").stdout.strip()
    assert printed == str(import_directory(tmp_path / "in", UNIXFS_V1_2025).cid)
    assert printed != str(import_file(path, UNIXFS_V1_2025).cid)


def test_directory__ipfs_car_drops_empty_dirs__unixfs_v1_2025_keeps_them(ipfs_car, tmp_path):
    """Documents a real difference: IPIP-499 includes empty directories, ipfs-car omits them."""
    tree = tmp_path / "tree"
    (tree / "empty").mkdir(parents=True)
    (tree / "file.txt").write_bytes(b"content")
    printed = ipfs_car("pack", tree, "--output", tmp_path / "t.car").stdout.strip()
    with_empty = str(import_directory(tree, UNIXFS_V1_2025).cid)
    (tree / "empty").rmdir()
    assert printed != with_empty
    assert printed == str(import_directory(tree, UNIXFS_V1_2025).cid)


def test_directory__ipfs_car_collapses_single_child_dirs__root_is_innermost(ipfs_car, tmp_path):
    """Documents a real difference: ipfs-car (files-from-path) strips the longest directory
    prefix common to all files, so a tree whose files share one subdirectory chain gets the
    CID of the innermost directory, not of the directory that was named."""
    (tmp_path / "one" / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "one" / "sub" / "deeper" / "only.txt").write_bytes(b"x\n")
    printed = ipfs_car("pack", tmp_path / "one", "--output", tmp_path / "o.car").stdout.strip()
    assert printed == str(import_directory(tmp_path / "one" / "sub" / "deeper", UNIXFS_V1_2025).cid)
    assert printed != str(import_directory(tmp_path / "one", UNIXFS_V1_2025).cid)


def test_directory__ipfs_car_skips_symlinks__unixfs_v1_2025_preserves_them(ipfs_car, tmp_path):
    """Documents a real difference: symlinks inside a directory are left out by ipfs-car;
    IPIP-499 profiles store them as UnixFS symlink nodes."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_bytes(b"a")
    (tree / "b.txt").write_bytes(b"b")
    (tree / "link").symlink_to("a.txt")
    printed = ipfs_car("pack", tree, "--output", tmp_path / "s.car").stdout.strip()
    with_link = str(import_directory(tree, UNIXFS_V1_2025).cid)
    (tree / "link").unlink()
    assert printed != with_link
    assert printed == str(import_directory(tree, UNIXFS_V1_2025).cid)


# ---- @ipld/unixfs configured like each profile, small chunks for deep trees


def _small(profile: Profile, chunk: int, width: int) -> Profile:
    return profile.with_overrides(name=f"{profile.name}-c{chunk}-w{width}", chunk_size=chunk, max_links=width)


CASES = [
    # (profile, chunk, width, sizes)
    (UNIXFS_V0_2015, 1024, 174, [0, 1, 1023, 1024, 1025, 174 * 1024, 174 * 1024 + 1, 175 * 1024 + 5]),
    (KUBO_CIDV1_LEGACY, 1024, 174, [1024, 174 * 1024, 174 * 1024 + 1, 400 * 1024]),
    (UNIXFS_V1_2025, 1024, 1024, [1024 * 1024, 1024 * 1024 + 1, 1030 * 1024 + 3]),
    (UNIXFS_V0_2015, 64, 4, [4**3 * 64, 4**3 * 64 + 1, 4**4 * 64 + 100]),
    (UNIXFS_V1_2025, 64, 4, [4**3 * 64, 4**3 * 64 + 1, 4**4 * 64 + 100]),
]


@pytest.mark.parametrize(
    ("profile", "chunk", "width", "size"),
    [(p, c, w, s) for p, c, w, sizes in CASES for s in sizes],
    ids=lambda v: v.name if isinstance(v, Profile) else str(v),
)
def test_file__ipld_unixfs_same_settings__identical_blocks(
    unixfs_ref, write_file, profile, chunk, width, size
):
    path = write_file(size)
    prof = _small(profile, chunk, width)
    root, blocks = _ours(path, prof)
    ref = unixfs_ref(
        path, chunk=chunk, width=width, raw_leaves=prof.raw_leaves, cid_version=prof.cid_version
    )
    assert root == ref.root
    # Same blocks, byte for byte. The order matches too except for a few nodes finished at
    # close in trees of depth >= 3, which @ipld/unixfs emits in async-completion order.
    assert sorted(blocks) == sorted(ref.blocks)
    assert blocks[-1][0] == ref.blocks[-1][0] == root


@pytest.mark.parametrize("profile", [UNIXFS_V0_2015, KUBO_CIDV1_LEGACY], ids=lambda p: p.name)
def test_directory__ipld_unixfs_same_settings__same_root(unixfs_ref, tmp_path, profile):
    tree = _tree_for_ipfs_car(tmp_path / "tree")
    (tree / "empty-dir").mkdir()
    (tree / "link-to-readme").symlink_to("docs/readme.md")
    root, blocks = _ours(tree, profile)
    ref = unixfs_ref(
        tree,
        chunk=profile.chunk_size,
        width=profile.max_links,
        raw_leaves=profile.raw_leaves,
        cid_version=profile.cid_version,
    )
    assert root == ref.root
    assert dict(blocks) == dict(ref.blocks)


def test_file__v0_real_settings_over_174_chunks__same_root_and_unpacks(
    unixfs_ref, ipfs_car, write_file, tmp_path
):
    """175 x 256 KiB + a bit: a two-level CIDv0 DAG at the real unixfs-v0-2015 settings."""
    path = write_file(175 * 256 * 1024 + 1000)
    car = tmp_path / "v0.car"
    with open(car, "wb") as out:
        result = pack_car(path, out, UNIXFS_V0_2015)
    ref = unixfs_ref(path, chunk=262_144, width=174, raw_leaves=False, cid_version=0, blocks=False)
    assert str(result.cid) == ref.root
    assert str(result.cid).startswith("Qm")
    unpacked = tmp_path / "unpacked.bin"
    ipfs_car("unpack", car, "--output", unpacked)
    assert hashlib.sha256(unpacked.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest()


def test_directory__our_car_unpacks_with_ipfs_car(ipfs_car, tmp_path):
    tree = _tree_for_ipfs_car(tmp_path / "tree")
    (tree / "empty-dir").mkdir()
    car = tmp_path / "tree.car"
    with open(car, "wb") as out:
        pack_car(tree, out, UNIXFS_V0_2015)
    ipfs_car("unpack", car, "--output", tmp_path / "out")
    for rel in ["docs/readme.md", "docs/deeper/model.bin", "weights.bin", "Capital.txt", "ü-unicode.txt"]:
        assert (tmp_path / "out" / rel).read_bytes() == (tree / rel).read_bytes()
    assert (tmp_path / "out" / "empty-dir").is_dir()
    assert not (tmp_path / "out" / ".git-like").exists()


# ---- full-size trees (slow)


def _random_file(path: Path, size: int) -> Path:
    block = os.urandom(MiB)
    with open(path, "wb") as out:
        remaining = size
        while remaining:
            piece = block[: min(MiB, remaining)]
            # vary every MiB so no two chunks dedupe
            out.write(hashlib.sha256(remaining.to_bytes(8, "big")).digest() + piece[32:])
            remaining -= len(piece)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("mib", [1024, 1025], ids=["1024-chunks", "1025-chunks"])
def test_file__over_1024_chunks__ipfs_car_same_root_and_car(ipfs_car, tmp_path, mib):
    if shutil.disk_usage(tmp_path).free < 4 * mib * MiB:
        pytest.skip("not enough free disk for a GiB-sized file and two CARs")
    path = _random_file(tmp_path / "big.bin", mib * MiB)
    theirs = tmp_path / "theirs.car"
    printed = ipfs_car("pack", path, "--no-wrap", "--output", theirs).stdout.strip()
    ours = tmp_path / "ours.car"
    with open(ours, "wb") as out:
        result = pack_car(path, out, UNIXFS_V1_2025)
    assert str(result.cid) == printed

    def summary(p: Path) -> tuple[list[str], dict[str, bytes], int]:
        with open(p, "rb") as stream:
            reader = CarReader(stream)  # verifies every block while reading
            hashes = {str(b.cid): hashlib.sha256(b.data).digest() for b in reader}
        return [str(r) for r in reader.roots], hashes, len(hashes)

    assert summary(ours) == summary(theirs)
