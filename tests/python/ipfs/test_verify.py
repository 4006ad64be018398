"""cidhub verify: content fetched back from gateways and nodes is re-hashed block by block, and a
truncated or corrupted answer is detected."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cidhub.content.unixfs import import_bytes
from cidhub.ipfs.node import NodeHandler
from cidhub.ipfs.node.gateway import gateway_get
from cidhub.ipfs.pinning import KuboPinTarget, LocalBackend, RetryPolicy
from cidhub.ipfs.verify import verify_gateway, verify_target


class LyingGateway(NodeHandler):
    """A gateway that damages what it sends, the way a faulty or hostile one would."""

    def handle_gateway(self, path, query):
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "other-root":
            path = str(self.server.other)  # type: ignore[attr-defined]
        response = gateway_get(self.server.store, path, query, self.headers.get("Accept"))
        body = b"".join(response.body)
        if mode == "flip-raw" and "raw" in response.headers.get("Content-Type", ""):
            body = bytes([body[0] ^ 1]) + body[1:]
        elif mode == "flip-car" and "car" in response.headers.get("Content-Type", ""):
            body = body[:-100] + bytes([body[-100] ^ 1]) + body[-99:]
        elif mode == "truncate-car" and "car" in response.headers.get("Content-Type", ""):
            # Announce the full length, send half, hang up: a transfer cut short.
            self.send_response(200)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        elif mode == "drop-block" and "car" in response.headers.get("Content-Type", ""):
            body = body[: len(body) - self.server.last_section]  # type: ignore[attr-defined]
        self._stream(response.status, response.headers, iter((body,)), len(body))


@pytest.fixture
def content(store, write_file):
    path = write_file(2_300_000)
    return store.add_file(path)


@pytest.fixture
def honest(ipfs_node_factory, store):
    """A correct node serving the store the content was added to."""
    return ipfs_node_factory(store)


@pytest.fixture
def liar(ipfs_node_factory, store):
    node = ipfs_node_factory(store, handler=LyingGateway)
    node.server.mode = "honest"
    return node


def test_gateway_car__every_block_checked(honest, content):
    report = verify_gateway(content.cid, honest.url)
    assert report.ok, report.error
    assert report.blocks == 4 and report.bytes == content.dag_size


def test_gateway_blocks_mode__every_block_checked(honest, content):
    report = verify_gateway(content.cid, honest.url, mode="blocks")
    assert report.ok and report.blocks == 4


def test_fault__corrupted_raw_block_from_gateway__detected(liar, content):
    liar.server.mode = "flip-raw"
    report = verify_gateway(content.cid, liar.url, mode="blocks")
    assert not report.ok and "is corrupt" in report.error and str(content.cid) in report.error


def test_fault__corrupted_block_inside_car__detected(liar, content):
    liar.server.mode = "flip-car"
    report = verify_gateway(content.cid, liar.url)
    assert not report.ok and "is corrupt" in report.error


def test_fault__truncated_car__detected(liar, content):
    liar.server.mode = "truncate-car"
    report = verify_gateway(content.cid, liar.url)
    assert not report.ok
    assert "truncated" in report.error or "ended early" in report.error


def test_fault__car_missing_a_block__incomplete(liar, content, store):
    last = list(store.walk(content.cid))[-1]
    liar.server.last_section = len(last.cid_bytes) + len(last.data) + 3  # varint of ~1 MiB is 3 bytes
    liar.server.mode = "drop-block"
    report = verify_gateway(content.cid, liar.url)
    assert not report.ok and "incomplete" in report.error


def test_fault__gateway_answers_with_a_car_for_another_root(liar, content, store):
    liar.server.other = import_bytes(b"something else", "unixfs-v1-2025", store.put_block).cid
    liar.server.mode = "other-root"
    report = verify_gateway(content.cid, liar.url)
    assert not report.ok and f"not for {content.cid}" in report.error


def test_gateway_down__reported(content):
    report = verify_gateway(content.cid, "http://127.0.0.1:9")
    assert not report.ok and "cannot connect" in report.error


def test_verify_target__kubo_and_local(honest, content, store):
    kubo = KuboPinTarget(honest.api_multiaddr, retry=RetryPolicy(attempts=1, timeout=10))
    assert verify_target(content.cid, kubo).ok
    assert verify_target(content.cid, LocalBackend(store)).ok


def test_verify_target__corrupt_block_on_disk__detected(content, store):
    leaf = list(store.walk(content.cid))[-1]
    path = store.path_for(leaf.cid)
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    report = verify_target(content.cid, LocalBackend(store))
    assert not report.ok and "corrupt" in report.error


def _cidhub(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cidhub.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_cli_verify__ok_json_and_exit_status(honest, content):
    proc = _cidhub("verify", str(content.cid), "--gateway", honest.url, "--kubo", honest.api_multiaddr, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and [s["method"] for s in report["sources"]] == ["gateway-car", "blocks"]


def test_cli_verify__bad_gateway__exit_1_and_names_the_block(liar, content):
    liar.server.mode = "flip-car"
    proc = _cidhub("verify", str(content.cid), "--gateway", liar.url)
    assert proc.returncode == 1
    assert proc.stdout.startswith("BAD") and "is corrupt" in proc.stdout


def test_cli_verify__asset_id_needs_a_network():
    proc = _cidhub("verify", "0x" + "ab" * 32, "--gateway", "http://127.0.0.1:9")
    assert proc.returncode == 2 and "add --network" in proc.stderr


def test_cli_verify__no_source__usage_error(content):
    proc = _cidhub("verify", str(content.cid), env={"CIDHUB_GATEWAY": ""})
    assert proc.returncode == 2 and "--gateway" in proc.stderr
