"""The embedded node's Kubo RPC subset, driven by the unmodified ipfshttpclient 0.7.0.

ipfshttpclient.connect() would refuse the node (it refuses every Kubo newer than 0.7), so the
client is built with ipfshttpclient.Client(addr), exactly as cidhub's kubo backend does.
"""

from __future__ import annotations

import io
import os
import warnings

import pytest
import requests

from cidhub.content.car import CarWriter, pack_car
from cidhub.content.cid import parse_cid
from cidhub.content.unixfs import UNIXFS_V0_2015, import_bytes, import_directory, import_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import ipfshttpclient
    from ipfshttpclient.exceptions import ErrorResponse, StatusError, VersionMismatch

HELLO_V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
HELLO_V1 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


@pytest.fixture
def client(ipfs_node):
    c = ipfshttpclient.Client(ipfs_node.api_multiaddr, timeout=30)
    yield c
    c.close()


def test_version__kubo_shape_and_connect_refuses_as_documented(client, ipfs_node):
    info = client.version()
    assert set(info) >= {"Version", "Commit", "Repo", "System", "Golang"}
    assert info["Version"].split("-")[0].count(".") == 2
    # The reason cidhub constructs Client directly: connect() rejects any version >= 0.8.
    with pytest.raises(VersionMismatch):
        ipfshttpclient.connect(ipfs_node.api_multiaddr)


def test_add_bytes__kubo_defaults_and_cidv1_vectors(client):
    assert client.add_bytes(b"hello world") == HELLO_V0
    assert client.add_bytes(b"hello world", opts={"cid-version": 1}) == HELLO_V1
    assert client.cat(HELLO_V1) == b"hello world"


@pytest.mark.parametrize("size", [0, 1, 262_144, 262_145, 3_000_000])
def test_add_file__same_cid_as_local_importer_under_kubo_defaults(client, write_file, size):
    path = write_file(size)
    answer = client.add(str(path))
    expected = import_file(path, UNIXFS_V0_2015)
    assert answer["Hash"] == str(expected.cid)
    assert answer["Name"] == path.name
    assert answer["Size"] == str(expected.dag_size)  # Kubo sends the DAG size as a string
    assert client.cat(answer["Hash"]) == path.read_bytes()


def test_add_file__import_settings_are_honoured(client, write_file):
    path = write_file(2_500_000)
    answer = client.add(str(path), cid_version=1, raw_leaves=True, chunker="size-1048576",
                        opts={"max-file-links": 1024})
    assert answer["Hash"] == str(import_file(path, "unixfs-v1-2025").cid)


def test_add_directory__matches_local_directory_import(client, tmp_path):
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.bin").write_bytes(os.urandom(300_000))
    answers = client.add(str(root), recursive=True)
    by_name = {a["Name"]: a["Hash"] for a in answers}
    assert by_name["tree"] == str(import_directory(root, UNIXFS_V0_2015).cid)
    assert by_name["tree/sub/b.bin"] == str(import_file(root / "sub" / "b.bin", UNIXFS_V0_2015).cid)


def test_add__only_hash_stores_nothing(client, ipfs_node):
    cid = client.add_bytes(b"not stored", opts={"only-hash": "true"})
    assert not ipfs_node.server.store.has(cid)
    with pytest.raises(ErrorResponse, match="not found locally"):
        client.block.get(cid)


def test_cat__offset_and_length(client, write_file):
    path = write_file(700_000)
    cid = client.add(str(path))["Hash"]
    data = path.read_bytes()
    assert client.cat(cid, offset=262_000, length=5_000) == data[262_000:267_000]
    assert client.cat(cid, offset=699_990) == data[699_990:]


def test_cat__directory_is_an_error(client, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    answers = client.add(str(tmp_path / "d"), recursive=True)
    with pytest.raises(ErrorResponse, match="is a directory"):
        client.cat([a for a in answers if a["Name"] == "d"][0]["Hash"])


def test_block_get_and_stat(client):
    client.add_bytes(b"hello world", opts={"cid-version": 1})
    assert client.block.get(HELLO_V1) == b"hello world"
    stat = client.block.stat(HELLO_V1)
    assert stat["Key"] == HELLO_V1 and stat["Size"] == 11


def test_block_get__missing__kubo_offline_message(client):
    with pytest.raises(ErrorResponse, match="not found locally"):
        client.block.get(HELLO_V1)


def test_pin_add_ls_rm(client):
    cid = client.add_bytes(b"pin me", opts={"cid-version": 1, "pin": "false"})
    with pytest.raises(ErrorResponse, match="is not pinned"):
        client.pin.ls(cid)
    assert client.pin.add(cid)["Pins"] == [cid]
    assert client.pin.ls(cid, type="recursive")["Keys"] == {cid: {"Type": "recursive"}}
    assert cid in client.pin.ls(type="recursive")["Keys"]
    assert client.pin.rm(cid)["Pins"] == [cid]
    with pytest.raises(ErrorResponse, match="not pinned"):
        client.pin.rm(cid)


def test_pin_add__missing_blocks__refused(client):
    with pytest.raises(ErrorResponse, match="could not find"):
        client.pin.add(HELLO_V1)


def test_dag_import__our_car_roundtrips_and_is_pinned(client, write_file):
    path = write_file(1_500_000)
    car = io.BytesIO()
    result = pack_car(path, car)
    car.seek(0)
    answer = client.dag.imprt(car)
    assert answer["Root"]["Cid"]["/"] == str(result.cid)
    assert answer["Root"]["PinErrorMsg"] == ""
    assert client.cat(str(result.cid)) == path.read_bytes()
    assert str(result.cid) in client.pin.ls(type="recursive")["Keys"]


def test_dag_import__car_with_mismatched_block__refused(client, ipfs_node):
    good = import_bytes(b"genuine bytes", "unixfs-v1-2025")
    car = io.BytesIO()
    writer = CarWriter(car, [good.cid])
    writer.write_block(good.cid_bytes, b"forged bytes!")  # same CID, other content
    car.seek(0)
    with pytest.raises(ErrorResponse, match="corrupt"):
        client.dag.imprt(car)
    assert not ipfs_node.server.store.has(good.cid)


def test_dag_import__incomplete_dag__reports_pin_error(client, write_file):
    path = write_file(2_500_000)  # three 1 MiB leaves under one root
    full = io.BytesIO()
    result = pack_car(path, full)
    root_only = io.BytesIO()
    writer = CarWriter(root_only, [result.cid])
    from cidhub.content.car import CarReader

    full.seek(0)
    first = next(iter(CarReader(full)))  # the first block written is a leaf, not the root
    writer.write_block(first.cid_bytes, first.data)
    root_only.seek(0)
    answer = client.dag.imprt(root_only)
    assert "could not find" in answer["Root"]["PinErrorMsg"]


def test_rpc__get_is_refused_like_kubo(ipfs_node):
    response = requests.get(f"{ipfs_node.url}/api/v0/version", timeout=10)
    assert response.status_code == 405


def test_rpc__unknown_command__404(ipfs_node):
    response = requests.post(f"{ipfs_node.url}/api/v0/object/stat?arg={HELLO_V0}", timeout=10)
    assert response.status_code == 404


def test_rpc__cross_origin_browser_request__403(ipfs_node):
    response = requests.post(f"{ipfs_node.url}/api/v0/version", headers={"Origin": "https://evil.example"}, timeout=10)
    assert response.status_code == 403


def test_rpc__bearer_token_required_when_configured(ipfs_node_factory):
    node = ipfs_node_factory(api_token="s3cret")
    with pytest.raises(StatusError):
        ipfshttpclient.Client(node.api_multiaddr).version()
    authed = ipfshttpclient.Client(node.api_multiaddr, headers={"Authorization": "Bearer s3cret"})
    assert authed.version()["Version"]


def test_rpc__bad_arguments__kubo_error_object(ipfs_node):
    response = requests.post(f"{ipfs_node.url}/api/v0/block/get?arg=notacid", timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "error" and "invalid path" in body["Message"]


def test_node__refuses_non_loopback_without_allow_remote(store):
    from cidhub.errors import CidhubError
    from cidhub.ipfs.node import NodeServer

    with pytest.raises(CidhubError, match="refusing to listen"):
        NodeServer(store, "0.0.0.0", 0)


@pytest.mark.slow
def test_add__large_file_streams_through_chunked_upload(client, tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as out:
        for _ in range(64):
            out.write(os.urandom(1 << 20))
    answer = client.add(str(path), cid_version=1, raw_leaves=True, chunker="size-1048576",
                        opts={"max-file-links": 1024})
    assert parse_cid(answer["Hash"]) == import_file(path, "unixfs-v1-2025").cid


def test_cli_node__serves_until_interrupted(tmp_path):
    """`cidhub node --port 0` prints its RPC multiaddr; ipfshttpclient can use it; SIGINT stops it."""
    import re
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "cidhub.cli", "node", "--port", "0", "--data-dir", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True)
    try:
        api = None
        for _ in range(10):
            match = re.search(r"RPC API\s+(\S+)", proc.stderr.readline())
            if match:
                api = match.group(1)
                break
        assert api and api.startswith("/ip4/127.0.0.1/tcp/")
        assert ipfshttpclient.Client(api).add_bytes(b"hello world") == HELLO_V0
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
