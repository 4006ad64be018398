"""The kubo backend against the embedded node (a Kubo RPC), including every fault it must survive
or report: node down, slow, 500 then recovering, a different CID, 401."""

from __future__ import annotations

import threading
import time

import pytest

from cidhub.content.store import PinState
from cidhub.content.unixfs import get_profile
from cidhub.ipfs.node import NodeHandler
from cidhub.ipfs.pinning import (
    BackendAuthError,
    BackendServerError,
    BackendUnavailableError,
    CidMismatchError,
    KuboPinTarget,
    PinJob,
    RetryPolicy,
    car_source,
)

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=5)


class FaultyHandler(NodeHandler):
    """Injects faults before the real node handles a request; counts RPC commands."""

    def handle_rpc(self, command, query):
        faults = self.server.faults  # type: ignore[attr-defined]
        with faults["lock"]:
            faults["calls"].append(command)
            plan = faults["plan"].get(command) or faults["plan"].get("*")
            action = plan.pop(0) if plan else None
        if action == "500":
            body = self._body()
            if body is not None:
                body.drain()
            self.send_bytes(500, b"upstream proxy error\n", "text/plain")
            return
        if action == "503":
            self.send_bytes(503, b"service unavailable\n", "text/plain")
            self.close_connection = True
            return
        if action == "401":
            self.send_bytes(401, b"unauthorized\n", "text/plain")
            self.close_connection = True
            return
        if action == "sleep":
            time.sleep(faults["sleep"])
        if action == "wrong-cid" and command == "dag/import":
            body = self._body()
            if body is not None:
                body.drain()
            other = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
            self.send_bytes(200, b'{"Root":{"Cid":{"/":"%s"},"PinErrorMsg":""}}\n' % other.encode(), "application/json")
            return
        super().handle_rpc(command, query)


@pytest.fixture
def faulty_node(ipfs_node_factory):
    node = ipfs_node_factory(handler=FaultyHandler)
    node.server.faults = {"lock": threading.Lock(), "calls": [], "plan": {}, "sleep": 0.0}
    return node


@pytest.fixture
def asset(store, write_file):
    """A file stored locally, as publish leaves it: (job, path)."""
    path = write_file(2_300_000)
    result = store.add_file(path)
    return PinJob(result.cid, car_source(store, result.cid), "asset", path, get_profile(None), result.size)


def test_pin__uploads_car_pins_and_serves_it_back(ipfs_node, asset, store):
    target = KuboPinTarget(ipfs_node.api_multiaddr, retry=FAST)
    status = target.pin_job(asset)
    assert status.state is PinState.PINNED and "dag/import" in status.detail
    assert target.status(asset.root).state is PinState.PINNED
    assert target.has(asset.root)
    assert target.get_block(asset.root) == store.get(asset.root)
    assert [p.cid for p in target.pins()] == [asset.root]
    assert ipfs_node.server.store.missing(asset.root) == []


def test_pin__already_pinned__nothing_uploaded_again(faulty_node, asset):
    target = KuboPinTarget(faulty_node.api_multiaddr, retry=FAST)
    target.pin_job(asset)
    calls = faulty_node.server.faults["calls"]
    assert calls.count("dag/import") == 1
    status = target.pin_job(asset)
    assert status.detail == "already pinned"
    assert calls.count("dag/import") == 1 and calls.count("pin/add") == 1


def test_pin__add_mode_with_same_import_settings(ipfs_node, asset):
    target = KuboPinTarget(ipfs_node.api_multiaddr, mode="add", retry=FAST)
    status = target.pin_job(asset)
    assert status.state is PinState.PINNED and "add" in status.detail


def test_pin__add_mode_with_other_settings__mismatch_shows_both_cids(ipfs_node, asset):
    target = KuboPinTarget(ipfs_node.api_multiaddr, mode="add", retry=FAST)
    profile = get_profile("unixfs-v1-2025").with_overrides(chunk_size=262_144)
    legacy = PinJob(asset.root, asset.car, "asset", asset.path, profile)
    with pytest.raises(CidMismatchError) as info:
        target.pin_job(legacy)
    assert str(asset.root) in str(info.value) and info.value.actual != info.value.expected
    assert info.value.actual in str(info.value)


def test_unpin(ipfs_node, asset):
    target = KuboPinTarget(ipfs_node.api_multiaddr, retry=FAST)
    target.pin_job(asset)
    target.unpin(asset.root)
    assert target.status(asset.root).state is PinState.UNPINNED
    target.unpin(asset.root)  # unknown root: not an error


def test_fault__node_down__clear_message_after_retries(asset):
    sleeps = []
    target = KuboPinTarget("/ip4/127.0.0.1/tcp/9/http", retry=FAST, sleep=sleeps.append)
    message = "cannot connect.*is the daemon running.*gave up after 4 attempts"
    with pytest.raises(BackendUnavailableError, match=message):
        target.pin_job(asset)
    assert len(sleeps) == 3 and all(0 <= s <= 0.05 for s in sleeps)


def test_fault__slow_node__timeout(faulty_node, asset):
    faulty_node.server.faults.update(sleep=1.5, plan={"pin/ls": ["sleep"] * 2})
    target = KuboPinTarget(faulty_node.api_multiaddr,
                           retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01, timeout=0.3))
    with pytest.raises(BackendUnavailableError, match=r"no answer to pin/ls within 0.3 s"):
        target.pin_job(asset)


def test_fault__500_then_recovery__retried_and_pinned(faulty_node, asset):
    faulty_node.server.faults["plan"] = {"dag/import": ["500", "503"]}
    target = KuboPinTarget(faulty_node.api_multiaddr, retry=FAST)
    assert target.pin_job(asset).state is PinState.PINNED
    assert faulty_node.server.faults["calls"].count("dag/import") == 3


def test_fault__500_forever__gives_up_with_status(faulty_node, asset):
    faulty_node.server.faults["plan"] = {"dag/import": ["500"] * 10}
    target = KuboPinTarget(faulty_node.api_multiaddr, retry=FAST)
    with pytest.raises(BackendServerError, match="HTTP 500 for dag/import.*gave up after 4 attempts"):
        target.pin_job(asset)


def test_fault__kubo_error_object_is_not_retried(ipfs_node):
    """Kubo reports failed commands as 500 + {"Message"}: a real answer, retrying cannot help."""
    target = KuboPinTarget(ipfs_node.api_multiaddr, retry=FAST)
    from cidhub.ipfs.pinning import BackendRequestError

    with pytest.raises(BackendRequestError, match="not found locally"):
        target.get_block("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")


def test_fault__different_cid__stops_with_both_cids(faulty_node, asset):
    faulty_node.server.faults["plan"] = {"dag/import": ["wrong-cid"]}
    target = KuboPinTarget(faulty_node.api_multiaddr, retry=FAST)
    with pytest.raises(CidMismatchError) as info:
        target.pin_job(asset)
    message = str(info.value)
    assert str(asset.root) in message and "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e" in message
    assert "pin/add" not in faulty_node.server.faults["calls"]


def test_fault__401__actionable_and_not_retried(faulty_node, asset):
    faulty_node.server.faults["plan"] = {"*": ["401"] * 10}
    target = KuboPinTarget(faulty_node.api_multiaddr, retry=FAST)
    with pytest.raises(BackendAuthError, match="CIDHUB_KUBO_AUTH.*API.Authorizations"):
        target.pin_job(asset)
    assert len(faulty_node.server.faults["calls"]) == 1


def test_auth__token_from_environment(ipfs_node_factory, asset, monkeypatch):
    node = ipfs_node_factory(api_token="tok")
    monkeypatch.setenv("CIDHUB_KUBO_AUTH", "Bearer tok")
    assert KuboPinTarget(node.api_multiaddr, retry=FAST).pin_job(asset).state is PinState.PINNED
    monkeypatch.setenv("CIDHUB_KUBO_AUTH", "Bearer wrong")
    with pytest.raises(BackendAuthError):
        KuboPinTarget(node.api_multiaddr, retry=FAST).status(asset.root)


def test_bad_address__clear_error():
    from cidhub.errors import PinError

    with pytest.raises(PinError, match="not a Kubo RPC multiaddr"):
        KuboPinTarget("localhost:5001")
