"""Fixtures for private assets: a Marketplace, a keystore, the access node on loopback, and a
private asset published through ``cidhub.publish`` (real anvil, real contracts, real HTTP).

The service's clock is a :class:`FakeClock` (wall time plus an offset the tests move), so
sessions and SIWE messages expire without sleeping; chain time moves with ``chain.mine``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account

from cidhub.access.client import AccessClient
from cidhub.access.http import start_access_node
from cidhub.chain.licences import LicenceOracle
from cidhub.chain.market import ETH, buy, create_offer
from cidhub.chain.registry import Kind
from cidhub.content.keystore import Keystore
from cidhub.content.sealed import CHUNK_SIZE
from cidhub.content.store import BlockStore
from cidhub.publish import PublishRequest, publish

MASTER_KEY = bytes(range(32))
PRICE = 10**15
# Three full chunks and a bit: Range reads cross chunk boundaries, the last chunk is short.
PLAINTEXT_SIZE = 3 * CHUNK_SIZE + 12_345
SESSION_TTL = 120.0


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class PrivateAsset:
    asset_id: int
    cid: str
    card_cid: str
    plaintext: bytes
    path: Path
    offer_id: int  # perpetual
    timed_offer_id: int  # 1 hour


@pytest.fixture(scope="module")
def market(project, registry, deployer, dao):
    return project.Marketplace.deploy(registry, dao, 250, sender=deployer)


@pytest.fixture(scope="module")
def access_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("access")


@pytest.fixture(scope="module")
def access_store(access_dir) -> BlockStore:
    return BlockStore(access_dir / "blocks", fsync=False)


@pytest.fixture(scope="module")
def keystore(access_dir) -> Keystore:
    return Keystore(access_dir / "keystore", MASTER_KEY)


@pytest.fixture
def session_ttl() -> float:
    return SESSION_TTL


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def _reset_clock(clock):
    clock.offset = 0.0
    yield
    clock.offset = 0.0


@pytest.fixture(scope="module")
def oracle(chain, market) -> LicenceOracle:
    return LicenceOracle.connect(chain.provider.uri, market.address)


@pytest.fixture(scope="module")
def access_node(access_store, keystore, oracle, clock):
    node = start_access_node(access_store, keystore, oracle, clock=clock, session_ttl=SESSION_TTL)
    yield node
    node.stop()


@pytest.fixture(scope="module")
def private_asset(access_dir, access_store, keystore, access_node, registry, market, creator) -> PrivateAsset:
    plaintext = os.urandom(PLAINTEXT_SIZE)
    path = access_dir / "model.safetensors"
    path.write_bytes(plaintext)
    request = PublishRequest(path, kind=Kind.MODEL, private=True, access_endpoint=access_node.access_url,
                             name="tiny model")
    result = publish(request, registry, creator, access_store, keystore=keystore)
    offer = create_offer(market, registry, creator, result.asset_id, token=ETH, price=PRICE)
    timed = create_offer(market, registry, creator, result.asset_id, token=ETH, price=PRICE, duration=3_600)
    return PrivateAsset(result.asset_id, result.cid, result.metadata_cid, plaintext, path, offer.offer_id,
                        timed.offer_id)


@pytest.fixture(scope="module")
def buyer_key(buyer):
    """The buyer's key as an eth-account LocalAccount (the Python API's signer)."""
    return Account.from_key(buyer.private_key)


@pytest.fixture
def client_for(access_node):
    """Factory: an AccessClient for a signer (LocalAccount or Ape account)."""

    def make(account, **kwargs) -> AccessClient:
        return AccessClient(access_node.access_url, account, **kwargs)

    return make


@pytest.fixture
def buy_licence(market):
    """Factory: buy ``offer_id`` for ``licensee`` (default: the payer)."""

    def _buy(payer, offer_id: int, licensee: str | None = None):
        return buy(market, payer, offer_id, licensee)

    return _buy
