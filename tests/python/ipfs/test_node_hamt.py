"""HAMT-sharded directories through the embedded node: gateway paths and listings, CARs for
paths and scopes, RPC ``add``/``cat``/``dag/import`` and ``cidhub verify``.

The tree is written by cidhub's importer, whose shards are byte-identical to Kubo's (see
tests/python/content/test_hamt*.py); a lower threshold keeps it small without changing how a
HAMT is laid out or read.
"""

from __future__ import annotations

import io
import os
import warnings

import pytest
import requests

from cidhub.content.car import CarReader
from cidhub.content.store import BlockStore, LocalPinTarget
from cidhub.content.unixfs import UNIXFS_V0_2015, UNIXFS_V1_2025, import_directory
from cidhub.errors import BlockNotFoundError
from cidhub.ipfs.node import dagread
from cidhub.ipfs.verify import verify_gateway, verify_target

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import ipfshttpclient
    from ipfshttpclient.exceptions import ErrorResponse

#: unixfs-v1-2025 with an 8 KiB threshold: "dataset" (601 entries) and its "nested" directory
#: (203 entries) are HAMTs two levels deep; the top directory is a plain node.
PROFILE = UNIXFS_V1_2025.with_overrides(name="v1-small-threshold", hamt_threshold=8_192)
DATASET_FILES = 600


def _make_tree(root):
    data = root / "dataset"
    (data / "nested").mkdir(parents=True)
    for i in range(DATASET_FILES):
        (data / f"file-{i:05d}.txt").write_bytes(b"row %d\n" % i)
    for i in range(200):
        (data / "nested" / f"n{i}.bin").write_bytes(b"n" * (i % 50))
    (data / "nested" / "model.bin").write_bytes(os.urandom(2_500_000))  # 3 chunks under a shard
    (data / "nested" / "index.html").write_bytes(b"<html>nested index</html>")
    (root / "README.md").write_bytes(b"# release\n")
    return root


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One store holding the tree, shared by the tests that only read it."""
    base = tmp_path_factory.mktemp("hamt")
    store = BlockStore(base / "blocks", fsync=False)
    result = store.add_file(_make_tree(base / "release"), PROFILE)
    assert not result.sharded
    return store, result.cid


@pytest.fixture
def node_store(ipfs_node_factory, shared):
    store, root = shared
    return ipfs_node_factory(store), store, root


@pytest.fixture
def ipfs_node(node_store):
    return node_store[0]


class _CountingGets:
    def __init__(self, store: BlockStore, monkeypatch) -> None:
        self.reads = 0
        original = store.get

        def get(cid):
            self.reads += 1
            return original(cid)

        monkeypatch.setattr(store, "get", get)


def _get(node, path, **kwargs):
    return requests.get(f"{node.url}{path}", timeout=60, **kwargs)


def test_stat__hamt_is_a_sharded_directory(node_store):
    _, store, root = node_store
    dataset = dagread.resolve(store, root, "dataset")
    assert (dataset.kind, dataset.sharded) == ("directory", True)
    names = {name for name, _, _ in dagread.iter_directory(store, dataset.cid)}
    assert len(names) == DATASET_FILES + 1 and "nested" in names and "file-00123.txt" in names


def test_gateway_path_through_two_hamts__o_depth_block_reads(ipfs_node, node_store, monkeypatch):
    _, store, root = node_store
    counter = _CountingGets(store, monkeypatch)
    response = _get(ipfs_node, f"/ipfs/{root}/dataset/file-00123.txt")
    assert response.status_code == 200 and response.content == b"row 123\n"
    # root dir (stat + lookup), the HAMT root (stat + lookup) and its inner shards, the file
    # (stat + bytes): under ten reads for a directory of 601 entries, never one per entry
    assert counter.reads <= 9
    counter.reads = 0
    assert _get(ipfs_node, f"/ipfs/{root}/dataset/nested/n199.bin").content == b"n" * (199 % 50)
    assert counter.reads <= 13


def test_gateway_missing_name_in_hamt__404(ipfs_node, node_store):
    _, _, root = node_store
    response = _get(ipfs_node, f"/ipfs/{root}/dataset/file-99999.txt")
    assert response.status_code == 404
    assert "file-99999.txt" in response.text


def test_gateway_listing_of_a_hamt__streamed_every_entry(ipfs_node, node_store):
    _, _, root = node_store
    response = _get(ipfs_node, f"/ipfs/{root}/dataset")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Content-Length" not in response.headers  # chunked: rows are sent as shards are read
    for i in (0, 377, DATASET_FILES - 1):
        assert f'href="/ipfs/{root}/dataset/file-{i:05d}.txt"' in response.text
    assert response.text.count("<tr><td>") == DATASET_FILES + 1


def test_gateway_index_html_inside_a_hamt__served(ipfs_node, node_store):
    _, _, root = node_store
    response = _get(ipfs_node, f"/ipfs/{root}/dataset/nested")
    assert response.content == b"<html>nested index</html>"


def test_gateway_car_for_a_path__root_then_path_shards_then_file(ipfs_node, node_store):
    _, store, root = node_store
    response = _get(ipfs_node, f"/ipfs/{root}/dataset/nested/model.bin?format=car")
    reader = CarReader(io.BytesIO(response.content))  # verifies every block against its CID
    assert reader.roots == (root,)
    cids = [block.cid for block in reader]
    visited: list = []
    target = dagread.resolve(store, root, "dataset/nested/model.bin", visited)
    assert cids[: len(visited)] == visited  # the blocks a client needs to verify the path
    file_blocks = [b.cid for b in store.walk(target.cid)]
    assert cids[len(visited) - 1 :] == file_blocks
    sharded = [c for c in visited if dagread.stat(store, c).sharded]
    assert len(sharded) >= 3  # the two HAMT roots and at least one inner shard


def test_gateway_car_scopes_on_a_hamt(ipfs_node, node_store):
    _, store, root = node_store
    dataset = dagread.resolve(store, root, "dataset")
    entity = CarReader(io.BytesIO(_get(ipfs_node, f"/ipfs/{root}/dataset?format=car&dag-scope=entity").content))
    entity_cids = [b.cid for b in entity]
    shards = [dataset.cid] + [c for c, _ in dagread.iter_directory_blocks(store, dataset.cid)][1:]
    assert entity_cids[1:] == shards  # the root directory's block, then every shard, no entries
    assert all(dagread.stat(store, c).sharded for c in entity_cids[1:])
    block = CarReader(io.BytesIO(_get(ipfs_node, f"/ipfs/{root}/dataset?format=car&dag-scope=block").content))
    assert [b.cid for b in block] == [root, dataset.cid]


def test_rpc_cat_through_hamts(ipfs_node, node_store):
    _, _, root = node_store
    client = ipfshttpclient.Client(ipfs_node.api_multiaddr, timeout=60)
    try:
        assert client.cat(f"/ipfs/{root}/dataset/file-00042.txt") == b"row 42\n"
        with pytest.raises(ErrorResponse, match="is a directory"):
            client.cat(f"/ipfs/{root}/dataset")
    finally:
        client.close()


def test_rpc_add_of_a_directory_past_256_kib__sharded_like_kubo(ipfs_node_factory, tmp_path):
    ipfs_node = ipfs_node_factory()
    folder = tmp_path / "upload"
    folder.mkdir()
    pad = "-with-a-long-descriptive-suffix-for-sharding"
    for i in range(2900):  # 2,900 x (54 + 34) bytes of links > 256 KiB
        (folder / f"img-{i:05d}{pad}.png").write_bytes(b"%d" % i)
    client = ipfshttpclient.Client(ipfs_node.api_multiaddr, timeout=300)
    try:
        answers = client.add(str(folder), recursive=True)
    finally:
        client.close()
    by_name = {a["Name"]: a["Hash"] for a in answers}
    expected = import_directory(folder, UNIXFS_V0_2015)
    assert expected.sharded
    assert by_name["upload"] == str(expected.cid)
    store = ipfs_node.server.store
    assert not store.missing(expected.cid)
    entry = dagread.resolve(store, expected.cid, f"img-02899{pad}.png")
    assert b"".join(dagread.iter_file(store, entry.cid)) == b"2899"


def test_rpc_dag_import_of_a_hamt_car__pinned_and_resolvable(ipfs_node_factory, node_store):
    _, store, root = node_store
    car = io.BytesIO()
    store.export_car(root, car)
    second = ipfs_node_factory()  # over an empty store
    client = ipfshttpclient.Client(second.api_multiaddr, timeout=60)
    try:
        answer = client.dag.imprt(io.BytesIO(car.getvalue()))
    finally:
        client.close()
    assert answer["Root"]["Cid"]["/"] == str(root) and answer["Root"]["PinErrorMsg"] == ""
    assert _get(second, f"/ipfs/{root}/dataset/nested/n7.bin").content == b"n" * 7


def test_verify__gateway_car_and_local_walk_every_shard(ipfs_node, node_store):
    _, store, root = node_store
    total = sum(1 for _ in store.walk(root))
    report = verify_gateway(root, ipfs_node.url, mode="car")
    assert report.ok, report.error
    assert report.blocks == total
    assert verify_target(root, LocalPinTarget(store)).blocks == total


def test_verify__blocks_mode__missing_shard_named(ipfs_node_factory, tmp_path):
    store = BlockStore(tmp_path / "blocks", fsync=False)
    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(200):
        (folder / f"f{i}").write_bytes(b"%d" % i)
    result = store.add_file(folder, PROFILE)
    assert result.sharded
    node = ipfs_node_factory(store)
    report = verify_gateway(result.cid, node.url, mode="blocks")
    assert report.ok and report.blocks == sum(1 for _ in store.walk(result.cid))
    root = dagread.stat(store, result.cid)
    inner = [c for c, _ in dagread.iter_directory_blocks(store, root.cid)][1]
    store.delete(inner)
    report = verify_gateway(result.cid, node.url, mode="blocks")
    assert not report.ok and "404" in (report.error or "")
    assert not verify_target(result.cid, LocalPinTarget(store)).ok
    with pytest.raises(BlockNotFoundError, match=str(inner)):
        list(dagread.iter_directory(store, root.cid))
