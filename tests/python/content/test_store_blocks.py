"""cidhub.content.store: block store durability, DAG export, and the local pin target."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cidhub.content.car import CarReader, verify_car
from cidhub.content.cid import parse_cid
from cidhub.content.store import (
    DATA_DIR_ENV,
    BlockStore,
    LocalPinTarget,
    PinState,
    PinTarget,
    default_data_dir,
)
from cidhub.content.unixfs import UNIXFS_V0_2015, UNIXFS_V1_2025, Block, import_bytes, import_file
from cidhub.errors import BlockNotFoundError, CorruptBlockError, PinError, StoreError

HELLO_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
SMALL = UNIXFS_V1_2025.with_overrides(name="small", chunk_size=1024, max_links=8)


def test_put_get_has_delete(store: BlockStore):
    assert not store.has(HELLO_RAW)
    assert store.put(HELLO_RAW, b"hello world") is True
    assert store.put(HELLO_RAW, b"hello world") is False  # already there
    assert store.has(HELLO_RAW)
    assert store.get(HELLO_RAW) == b"hello world"
    assert store.delete(HELLO_RAW) is True
    assert store.delete(HELLO_RAW) is False
    with pytest.raises(BlockNotFoundError, match=f"block {HELLO_RAW} is not in the store"):
        store.get(HELLO_RAW)


def test_layout__kubo_flatfs_style_key(store: BlockStore):
    store.put(HELLO_RAW, b"hello world")
    path = store.path_for(HELLO_RAW)
    key = path.name.removesuffix(".data")
    assert key.startswith("CIQ")  # base32 of 0x1220...: every sha2-256 key in Kubo looks so
    assert path.parent.name == key[-3:-1]
    assert path.parent.parent == store.root


def test_put__wrong_bytes__refused(store: BlockStore):
    with pytest.raises(StoreError, match="refusing to store block"):
        store.put(HELLO_RAW, b"hello world!")
    assert not store.has(HELLO_RAW)


def test_get__corrupted_on_disk__detected(store: BlockStore):
    store.put(HELLO_RAW, b"hello world")
    store.path_for(HELLO_RAW).write_bytes(b"hellO world")
    with pytest.raises(CorruptBlockError, match=f"block {HELLO_RAW} .* is corrupt"):
        store.get(HELLO_RAW)


def test_put__crash_before_rename__no_block_and_no_temp(store: BlockStore, monkeypatch):
    def crash(src, dst):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.put(HELLO_RAW, b"hello world")
    monkeypatch.undo()
    assert not store.has(HELLO_RAW)
    assert list((store.root / ".tmp").iterdir()) == []


def test_put__crash_mid_write__never_visible_under_real_key(store: BlockStore, monkeypatch):
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self._f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

        def write(self, data):
            self._f.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self._f, name)

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space left"):
        store.put(HELLO_RAW, b"hello world")
    monkeypatch.undo()
    assert not store.has(HELLO_RAW)
    store.put(HELLO_RAW, b"hello world")  # a retry works normally
    assert store.get(HELLO_RAW) == b"hello world"


def test_clean_tmp__removes_stale_temp_files(store: BlockStore):
    tmp = store.root / ".tmp"
    tmp.mkdir(parents=True)
    stale = tmp / "put-x.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))
    assert store.clean_tmp() == 1
    assert not stale.exists()


def test_default_data_dir__env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    assert BlockStore().root == tmp_path / "elsewhere"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert default_data_dir() == Path.home() / ".cidhub" / "blocks"


def test_add_file__stores_every_block_in_one_pass(store: BlockStore, write_file, monkeypatch):
    import cidhub.content.unixfs

    path = write_file(20 * 1024 + 5)
    expected = import_file(path, SMALL).cid
    opened: list[str] = []

    def counting_open(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return open(file, *args, **kwargs)

    monkeypatch.setattr(cidhub.content.unixfs, "open", counting_open, raising=False)
    result = store.add_file(path, SMALL)
    assert opened == [os.fspath(path)]
    assert result.cid == expected
    assert result.blocks == 21 + 3 + 1  # 21 leaves, 3 parents of <= 8, the root
    assert store.missing(result.cid) == []


def test_export_car__multi_block_file__verifies_and_is_dfs_ordered(store: BlockStore, write_file):
    path = write_file(20 * 1024 + 5)
    result = store.add_file(path, SMALL)
    out = io.BytesIO()
    count = store.export_car(result.cid, out)
    assert count == result.blocks
    summary = verify_car(out.getvalue(), root=result.cid)
    assert summary.complete and summary.blocks == count
    blocks = list(CarReader(io.BytesIO(out.getvalue())))
    assert blocks[0].cid == result.cid  # root first (depth-first, parents before children)
    leaves = b"".join(b.data for b in blocks if b.cid.codec.name == "raw")
    assert leaves == path.read_bytes()  # DFS visits leaves in file order


@pytest.mark.parametrize("profile", [UNIXFS_V1_2025, UNIXFS_V0_2015], ids=lambda p: p.name)
def test_export_car__ipfs_car_reads_it_back(store: BlockStore, write_file, ipfs_car, tmp_path, profile):
    path = write_file(3 * 1024 * 1024 + 77)
    result = store.add_file(path, profile)
    car = tmp_path / "export.car"
    with open(car, "wb") as out:
        store.export_car(result.cid, out)
    assert ipfs_car("roots", car).stdout.split() == [str(result.cid)]
    ipfs_car("unpack", car, "--output", tmp_path / "unpacked.bin")
    assert (tmp_path / "unpacked.bin").read_bytes() == path.read_bytes()


def test_export_car__missing_block__names_it(store: BlockStore):
    blocks: list[Block] = []
    result = import_bytes(os.urandom(3000), SMALL, blocks.append)
    for block in blocks:
        store.put_block(block)
    store.delete(blocks[1].cid)
    with pytest.raises(BlockNotFoundError, match=str(blocks[1].cid)):
        store.export_car(result.cid, io.BytesIO())
    assert store.missing(result.cid) == [blocks[1].cid]


def test_import_car__round_trip_into_empty_store(store: BlockStore, tmp_path, write_file):
    path = write_file(5000)
    source = BlockStore(tmp_path / "source", fsync=False)
    result = source.add_file(path, SMALL)
    car = io.BytesIO()
    source.export_car(result.cid, car)
    roots = store.import_car(io.BytesIO(car.getvalue()))
    assert roots == (result.cid,)
    assert store.missing(result.cid) == []


# ---- pin targets


def test_local_pin_target__is_a_pin_target(store: BlockStore):
    target = LocalPinTarget(store)
    assert isinstance(target, PinTarget)
    assert target.name == "local"


def test_local_pin__stored_dag__pinned_then_unpinned(store: BlockStore, write_file):
    target = LocalPinTarget(store)
    result = store.add_file(write_file(5000), SMALL)
    status = target.pin(result.cid, label="model weights")
    assert (status.state, status.name) == (PinState.PINNED, "model weights")
    assert target.status(str(result.cid)).state is PinState.PINNED
    assert [p.cid for p in target.pins()] == [result.cid]
    assert target.has(result.cid)
    target.unpin(result.cid)
    target.unpin(result.cid)  # idempotent
    assert target.status(result.cid).state is PinState.UNPINNED


def test_local_pin__incomplete_dag__refused(store: BlockStore):
    target = LocalPinTarget(store)
    with pytest.raises(PinError, match=f"cannot pin {HELLO_RAW}: 1 block"):
        target.pin(HELLO_RAW)
    assert target.status(HELLO_RAW).state is PinState.UNPINNED


def test_local_pin__from_car__imports_then_pins(store: BlockStore, tmp_path, write_file):
    source = BlockStore(tmp_path / "source", fsync=False)
    result = source.add_file(write_file(5000), SMALL)
    car_path = tmp_path / "dag.car"
    with open(car_path, "wb") as out:
        source.export_car(result.cid, out)
    status = LocalPinTarget(store).pin(result.cid, car=lambda: open(car_path, "rb"))
    assert status.state is PinState.PINNED
    assert store.missing(result.cid) == []


def test_local_pin__v0_root__recorded_under_v1_name(store: BlockStore, write_file):
    result = store.add_file(write_file(data=b"hello world"), UNIXFS_V0_2015)
    target = LocalPinTarget(store)
    target.pin(result.cid)
    v1 = parse_cid(str(result.cid)).set(version=1, base="base32")
    assert target.status(v1).state is PinState.PINNED


# ---- batched durability


def test_batch__blocks_durable_at_exit_with_few_syncs(tmp_path, monkeypatch):
    from cidhub.content import store as store_module

    syncs: list[int] = []
    real = store_module._sync_filesystem
    monkeypatch.setattr(store_module, "_sync_filesystem", lambda root, paths: syncs.append(1) or real(root, paths))
    durable = BlockStore(tmp_path / "blocks", fsync=True)
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd) or real_fsync(fd))
    blocks = [import_bytes(b"block %d" % i, "unixfs-v1-2025") for i in range(10)]
    with durable.batch(flush_every=4):
        for i, result in enumerate(blocks):
            assert durable.put(result.cid, b"block %d" % i)
        assert not durable.put(blocks[0].cid, b"block 0")  # pending: not written twice
        assert durable.has(blocks[0].cid)  # flushed at the 4th block
        assert not durable.has(blocks[9].cid)  # still a temporary file: not visible yet
    assert all(durable.get(r.cid) == b"block %d" % i for i, r in enumerate(blocks))
    assert len(syncs) == 2 * 3  # flushes after 4, 8 and at exit; each syncs data, then renames
    assert fsyncs == []  # no per-block fsync inside the batch
    assert not list((tmp_path / "blocks" / ".tmp").iterdir())


def test_batch__exception__unflushed_temporaries_removed(tmp_path):
    durable = BlockStore(tmp_path / "blocks", fsync=True)
    result = import_bytes(b"never durable", "unixfs-v1-2025")
    with pytest.raises(RuntimeError), durable.batch():
        durable.put(result.cid, b"never durable")
        raise RuntimeError("import failed")
    assert not durable.has(result.cid)
    assert not list((tmp_path / "blocks" / ".tmp").iterdir())


def test_batch__other_threads_write_through(tmp_path):
    import threading

    durable = BlockStore(tmp_path / "blocks", fsync=True)
    mine = import_bytes(b"mine", "unixfs-v1-2025")
    theirs = import_bytes(b"theirs", "unixfs-v1-2025")
    with durable.batch():
        durable.put(mine.cid, b"mine")
        worker = threading.Thread(target=durable.put, args=(theirs.cid, b"theirs"))
        worker.start()
        worker.join()
        assert durable.has(theirs.cid) and not durable.has(mine.cid)
    assert durable.has(mine.cid)


def test_add_file__directory_into_durable_store__one_batch(tmp_path, monkeypatch):
    from cidhub.content import store as store_module

    syncs: list[int] = []
    monkeypatch.setattr(store_module, "_sync_filesystem", lambda root, paths: syncs.append(1))
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(50):
        (tree / f"f{i}").write_bytes(b"%d" % i)
    durable = BlockStore(tmp_path / "blocks", fsync=True)
    result = durable.add_file(tree, "unixfs-v1-2025")
    assert syncs == [1, 1]
    assert not durable.missing(result.cid)
