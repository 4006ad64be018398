"""The publish flow (cidhub.publish) against the registry on a real anvil chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import Kind
from cidhub.content.cid import cid_to_bytes, to_base32_v1
from cidhub.content.store import BlockStore, LocalPinTarget, PinState
from cidhub.content.unixfs import import_file
from cidhub.publish import (
    AlreadyRegisteredError,
    PublishError,
    PublishRequest,
    default_card,
    format_asset_id,
    prepare,
    publish,
)

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


@pytest.fixture
def store(tmp_path):
    return BlockStore(tmp_path / "blocks", fsync=False)


@pytest.fixture
def sample(tmp_path):
    """A file with unique content, so each test registers something new."""

    def _make(name: str = "data.bin", body: bytes | None = None) -> Path:
        path = tmp_path / name
        path.write_bytes(body if body is not None else name.encode() + tmp_path.name.encode())
        return path

    return _make


def test_publish__registers_stores_and_pins(registry, creator, store, sample):
    path = sample()
    result = publish(PublishRequest(path, Kind.DATASET, royalty_bps=300, licence_id=2), registry, creator, store)

    assert result.cid == str(import_file(path).cid)
    assert registry.ownerOf(result.asset_id) == creator.address
    assert registry.asset_id_of(cid_to_bytes(result.cid)) == result.asset_id
    assert registry.tokenURI(result.asset_id) == f"ipfs://{to_base32_v1(result.metadata_cid)}"
    assert result.gas_used and result.gas_used < 100_000
    # Content and card are in the local store and pinned before registration.
    pins = LocalPinTarget(store)
    assert pins.status(result.cid).state is PinState.PINNED
    card = json.loads(store.get(result.metadata_cid))
    assert card["content"]["cid"] == result.cid and card["kind"] == "dataset"


def test_publish__parents_by_cid_and_by_id(registry, creator, store, sample):
    a = publish(PublishRequest(sample("a"), Kind.DATASET), registry, creator, store)
    b = publish(PublishRequest(sample("b"), Kind.MODEL), registry, creator, store)
    child = publish(
        PublishRequest(sample("c"), Kind.MODEL, parents=[a.cid, format_asset_id(b.asset_id)], shares_bps=[100, 200]),
        registry, creator, store,
    )
    assert [(p.asset_id, p.share_bps) for p in parents_of(registry, child.asset_id)] == [
        (a.asset_id, 100), (b.asset_id, 200)]


def test_publish__duplicate__raises_and_sends_nothing(creator, buyer, registry, store, sample):
    path = sample()
    first = publish(PublishRequest(path, Kind.DATASET), registry, creator, store)
    nonce = buyer.nonce
    with pytest.raises(AlreadyRegisteredError) as info:
        publish(PublishRequest(path, Kind.DATASET), registry, buyer, store)
    assert info.value.asset_id == first.asset_id and info.value.owner == creator.address
    assert format_asset_id(first.asset_id) in str(info.value)
    assert buyer.nonce == nonce


def test_publish__unknown_parent__raises_before_sending(registry, creator, store, sample):
    nonce = creator.nonce
    with pytest.raises(PublishError, match="is not registered on this chain"):
        publish(PublishRequest(sample(), Kind.MODEL, parents=["0x1234"], shares_bps=[10]), registry, creator, store)
    assert creator.nonce == nonce


def test_publish__previous__registers_a_version(registry, creator, store, sample):
    v1 = publish(PublishRequest(sample("v1"), Kind.MODEL), registry, creator, store)
    v2 = publish(PublishRequest(sample("v2"), Kind.MODEL, previous=v1.cid), registry, creator, store)
    assert registry.latest_version(v1.asset_id) == v2.asset_id
    assert registry.previous_version(v2.asset_id) == v1.asset_id
    with pytest.raises(PublishError, match="already has a newer version"):
        publish(PublishRequest(sample("v3"), Kind.MODEL, previous=v1.cid), registry, creator, store)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r, tmp: setattr(r, "path", tmp / "missing.csv"), "does not exist"),
        (lambda r, tmp: setattr(r, "metadata_path", SAMPLES / "datasets/sensor-readings.csv"), "not valid JSON"),
        (lambda r, tmp: setattr(r, "profile", "unixfs-v9"), "unknown"),
        (lambda r, tmp: setattr(r, "parents", ["not a cid"]), "neither an asset id"),
        (lambda r, tmp: setattr(r, "royalty_bps", 2_501), "over the cap"),
    ],
)
def test_prepare__bad_input__clear_error(tmp_path, store, sample, change, message):
    request = PublishRequest(sample(), Kind.DATASET)
    change(request, tmp_path)
    with pytest.raises(Exception, match=message) as info:
        prepare(request, store)
    from cidhub.errors import CidhubError

    assert isinstance(info.value, CidhubError)


def test_prepare__unreadable_file__clear_error(store, sample):
    import os

    path = sample()
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root reads anything: nothing to test then
            pytest.skip("running as root; permissions are not enforced")
        with pytest.raises(PublishError, match="not readable"):
            prepare(PublishRequest(path, Kind.DATASET), store)
    finally:
        path.chmod(0o644)


def test_default_card__deterministic(store, sample):
    path = sample()
    first = prepare(PublishRequest(path, Kind.DATASET), store)
    second = prepare(PublishRequest(path, Kind.DATASET), store)
    assert first.card_cid == second.card_cid
    assert json.loads(first.card) == default_card(first.request, first.content, [])
