"""The embedded node's Trustless Gateway: content types, CARs checked by ipfs-car (npm), and
plain file / directory responses."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests

from cidhub.content.car import verify_car
from cidhub.content.unixfs import import_bytes


@pytest.fixture
def node_store(ipfs_node):
    return ipfs_node.server.store


def _get(node, path, **kwargs):
    return requests.get(f"{node.url}{path}", timeout=30, **kwargs)


def test_format_raw__one_block_with_raw_content_type(ipfs_node, node_store, write_file):
    result = node_store.add_file(write_file(3_000_000))
    response = _get(ipfs_node, f"/ipfs/{result.cid}?format=raw")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.ipld.raw"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.content == node_store.get(result.cid)


def test_accept_header_selects_raw(ipfs_node, node_store):
    result = import_bytes(b"accept me", "unixfs-v1-2025", node_store.put_block)
    response = _get(ipfs_node, f"/ipfs/{result.cid}", headers={"Accept": "application/vnd.ipld.raw"})
    assert response.headers["Content-Type"] == "application/vnd.ipld.raw"
    assert response.content == b"accept me"


def test_format_car__complete_verified_dag(ipfs_node, node_store, write_file):
    result = node_store.add_file(write_file(2_600_000))
    response = _get(ipfs_node, f"/ipfs/{result.cid}?format=car")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.ipld.car")
    assert "version=1" in response.headers["Content-Type"]
    assert response.headers["Cache-Control"].endswith("immutable")
    summary = verify_car(response.content, result.cid)
    assert summary.blocks == 4 and summary.complete


def test_format_car__unpacked_and_verified_by_ipfs_car(ipfs_node, node_store, tmp_path, ipfs_car):
    """An independent implementation (ipfs-car, npm) reads the gateway's CAR and gets the file back."""
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(2_200_000))
    result = node_store.add_file(source)
    car_path = tmp_path / "fetched.car"
    car_path.write_bytes(_get(ipfs_node, f"/ipfs/{result.cid}?format=car").content)
    roots = ipfs_car("roots", car_path).stdout.split()
    assert roots == [str(result.cid)]
    out = tmp_path / "unpacked.bin"
    ipfs_car("unpack", car_path, "--output", out)  # --verify is on by default
    assert out.read_bytes() == source.read_bytes()


def test_format_car__ipfs_car_rejects_a_tampered_car(ipfs_node, node_store, tmp_path, ipfs_car):
    """The control for the test above: ipfs-car's verification does fail on a bad block."""
    result = node_store.add_file(_write(tmp_path / "s.bin", 300_000))
    data = bytearray(_get(ipfs_node, f"/ipfs/{result.cid}?format=car").content)
    data[-10] ^= 0xFF
    car_path = tmp_path / "tampered.car"
    car_path.write_bytes(bytes(data))
    with pytest.raises(subprocess.CalledProcessError):
        ipfs_car("unpack", car_path, "--output", tmp_path / "out.bin")


def test_directory_car__ipfs_car_unpacks_the_tree(ipfs_node, node_store, tmp_path, ipfs_car):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("alpha")
    (tree / "sub" / "b.bin").write_bytes(os.urandom(1_200_000))
    result = node_store.add_file(tree)
    car_path = tmp_path / "tree.car"
    car_path.write_bytes(_get(ipfs_node, f"/ipfs/{result.cid}?format=car").content)
    out = tmp_path / "out"
    ipfs_car("unpack", car_path, "--output", out)
    assert (out / "a.txt").read_text() == "alpha"
    assert (out / "sub" / "b.bin").read_bytes() == (tree / "sub" / "b.bin").read_bytes()


def test_plain_file__bytes_and_content_type(ipfs_node, node_store, tmp_path):
    tree = tmp_path / "site"
    tree.mkdir()
    (tree / "notes.txt").write_text("hello, gateway")
    (tree / "data.json").write_text('{"a": 1}')
    result = node_store.add_file(tree)
    text = _get(ipfs_node, f"/ipfs/{result.cid}/notes.txt")
    assert text.status_code == 200
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.text == "hello, gateway"
    assert text.headers["X-Ipfs-Path"] == f"/ipfs/{result.cid}/notes.txt"
    assert _get(ipfs_node, f"/ipfs/{result.cid}/data.json").headers["Content-Type"] == "application/json"


def test_plain_file__large_file_streams_whole(ipfs_node, node_store, write_file):
    path = write_file(5_000_000)
    result = node_store.add_file(path)
    response = _get(ipfs_node, f"/ipfs/{result.cid}")
    assert int(response.headers["Content-Length"]) == 5_000_000
    assert response.content == path.read_bytes()
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_directory__html_listing_and_index_html(ipfs_node, node_store, tmp_path):
    tree = tmp_path / "d"
    tree.mkdir()
    (tree / "<b>.txt").write_text("x")
    listing = _get(ipfs_node, f"/ipfs/{node_store.add_file(tree).cid}")
    assert listing.headers["Content-Type"].startswith("text/html")
    assert "&lt;b&gt;.txt" in listing.text and "<b>.txt" not in listing.text
    (tree / "index.html").write_text("<h1>home</h1>")
    page = _get(ipfs_node, f"/ipfs/{node_store.add_file(tree).cid}/")
    assert page.text == "<h1>home</h1>"


def test_head__headers_without_body(ipfs_node, node_store):
    result = import_bytes(b"head", "unixfs-v1-2025", node_store.put_block)
    response = requests.head(f"{ipfs_node.url}/ipfs/{result.cid}?format=raw", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Length"] == "4" and response.content == b""


@pytest.mark.parametrize(("path", "status"), [
    ("/ipfs/not-a-cid", 400),
    ("/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", 404),
    ("/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e?format=tar", 400),
    ("/ipns/example.com", 404),
])
def test_bad_requests__clear_status(ipfs_node, path, status):
    assert _get(ipfs_node, path).status_code == status


def test_missing_path_inside_directory__404(ipfs_node, node_store, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    cid = node_store.add_file(tmp_path / "d").cid
    response = _get(ipfs_node, f"/ipfs/{cid}/nope")
    assert response.status_code == 404 and "no link named 'nope'" in response.text


def test_gateway_is_read_only(ipfs_node):
    response = requests.post(f"{ipfs_node.url}/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
                             timeout=10)
    assert response.status_code == 405


def _write(path, size):
    path.write_bytes(os.urandom(size))
    return path
