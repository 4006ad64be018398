"""Publishing with pinning against the real AssetRegistry on anvil (run under `ape test`):
several targets, the minimum of confirmations, the CID check that stops publishing, and an
interruption around the transaction followed by a rerun."""

from __future__ import annotations

import os

import pytest
from psa_server import PinningServiceDouble

from cidhub.chain.registry import Kind
from cidhub.content.cid import cid_to_bytes
from cidhub.ipfs.node import NodeHandler
from cidhub.ipfs.pinning import (
    CidMismatchError,
    KuboPinTarget,
    LocalBackend,
    NotEnoughReplicasError,
    PinningServiceTarget,
    RetryPolicy,
)
from cidhub.publish import PinningPlan, PublishRequest, publish

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, timeout=10)


class WrongCidHandler(NodeHandler):
    def handle_rpc(self, command, query):
        if command == "dag/import":
            body = self._body()
            if body is not None:
                body.drain()
            other = b"bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
            self.send_bytes(200, b'{"Root":{"Cid":{"/":"%s"},"PinErrorMsg":""}}\n' % other, "application/json")
            return
        super().handle_rpc(command, query)


@pytest.fixture
def psa():
    server = PinningServiceDouble().start()
    yield server
    server.stop()
    assert server.violations == []


@pytest.fixture
def sample(tmp_path):
    counter = iter(range(1000))

    def make(size: int = 700_000):
        path = tmp_path / f"asset-{next(counter)}.bin"
        path.write_bytes(os.urandom(size))
        return path

    return make


@pytest.fixture
def targets(store, ipfs_node_factory, psa):
    """local + kubo (an embedded node) + psa (the double, fetching from our own node's gateway)."""
    origin = ipfs_node_factory(store)
    kubo = ipfs_node_factory()
    return [
        LocalBackend(store),
        KuboPinTarget(kubo.api_multiaddr, retry=FAST),
        PinningServiceTarget(psa.url, token="test-token", origins=[origin.gateway_multiaddr], poll_interval=0.02,
                             pin_timeout=20, retry=FAST),
    ]


def test_publish__three_replicas_all_confirm_then_register(registry, creator, store, sample, targets, psa):
    result = publish(PublishRequest(sample(), Kind.DATASET), registry, creator, store,
                     pinning=PinningPlan(targets, min_confirmations=3, p=0.9))
    assert registry.ownerOf(result.asset_id) == creator.address
    assert [t["target"] for t in result.pinning["targets"]] == ["local", "kubo", "psa"]
    assert result.pinning["confirmed"] == 3
    assert result.pinning["availability"] == pytest.approx(0.999)
    assert len(psa.pins) == 2  # content and card, each once
    assert all(p["status"] == "pinned" for p in psa.pins.values())


def test_publish__cid_mismatch__nothing_registered(registry, creator, store, sample, ipfs_node_factory):
    liar = ipfs_node_factory(handler=WrongCidHandler)
    path = sample()
    nonce = creator.nonce
    with pytest.raises(CidMismatchError, match="bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"):
        publish(PublishRequest(path, Kind.DATASET), registry, creator, store,
                pinning=PinningPlan([LocalBackend(store), KuboPinTarget(liar.api_multiaddr, retry=FAST)]))
    assert creator.nonce == nonce
    from cidhub.content.unixfs import import_file

    assert registry.asset_id_of(cid_to_bytes(import_file(path).cid)) == 0


def test_publish__too_few_confirmations__nothing_registered(registry, creator, store, sample):
    down = KuboPinTarget("/ip4/127.0.0.1/tcp/9/http", retry=RetryPolicy(attempts=1, timeout=2))
    nonce = creator.nonce
    message = "only 1 of 2 pin targets confirmed, 2 required.*kubo: .*cannot connect"
    with pytest.raises(NotEnoughReplicasError, match=message):
        publish(PublishRequest(sample(), Kind.DATASET), registry, creator, store,
                pinning=PinningPlan([LocalBackend(store), down]))
    assert creator.nonce == nonce


def test_publish__enough_with_one_target_down(registry, creator, store, sample):
    down = KuboPinTarget("/ip4/127.0.0.1/tcp/9/http", retry=RetryPolicy(attempts=1, timeout=2))
    result = publish(PublishRequest(sample(), Kind.DATASET), registry, creator, store,
                     pinning=PinningPlan([LocalBackend(store), down], min_confirmations=1))
    assert result.pinning["confirmed"] == 1 and "cannot connect" in result.pinning["targets"][1]["error"]


class InterruptingRegistry:
    """The real registry, with the process 'dying' (KeyboardInterrupt) around the transaction."""

    def __init__(self, registry, after_tx: bool) -> None:
        self._registry = registry
        self._after_tx = after_tx

    def __getattr__(self, name):
        return getattr(self._registry, name)

    def register(self, *args, **kwargs):
        if not self._after_tx:
            raise KeyboardInterrupt
        self._registry.register(*args, **kwargs)
        raise KeyboardInterrupt


@pytest.mark.parametrize("after_tx", [False, True], ids=["before-tx", "after-tx"])
def test_publish__interrupted_then_rerun__one_registration_no_repin(registry, creator, store, sample, targets, psa,
                                                                   after_tx):
    path = sample()
    request = PublishRequest(path, Kind.DATASET)
    plan = PinningPlan(targets, min_confirmations=3)
    nonce = creator.nonce
    with pytest.raises(KeyboardInterrupt):
        publish(request, InterruptingRegistry(registry, after_tx), creator, store, pinning=plan)
    assert creator.nonce == nonce + (1 if after_tx else 0)
    posts = psa.count("POST")

    result = publish(request, registry, creator, store, pinning=plan)
    assert creator.nonce == nonce + 1  # exactly one registration transaction in total
    assert psa.count("POST") == posts  # no pin requested again
    assert result.resumed is after_tx
    assert registry.ownerOf(result.asset_id) == creator.address
    if after_tx:
        assert result.tx_hash and result.block  # found from the AssetRegistered event


def test_publish__without_plan__original_behaviour(registry, creator, store, sample):
    result = publish(PublishRequest(sample(), Kind.DATASET), registry, creator, store)
    assert result.pinning is None and not result.resumed
    assert not (store.root / "journal").exists()
