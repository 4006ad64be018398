"""The cid module's framing checks, reached through the registry's entry points.

Each malformed CID names the one rule it breaks; the same bytes are refused as content, as a
metadata card, by the `asset_id_of` view and as a curation reason.
"""

from __future__ import annotations

import ape
import pytest

from . import cids

DIGEST = bytes(range(1, 33))

MALFORMED = [
    # (id, bytes, reason)
    ("empty", b"", "cid: truncated"),
    ("three-bytes", b"\x01\x55\x12", "cid: truncated"),
    ("digest-length-varint-cut", b"\x01\x55\x12\x80", "cid: truncated"),
    ("codec-three-continuation-bytes", b"\x01\x80\x80\x80", "cid: varint too long"),
    ("hash-varint-cut", b"\x01\x55\x92\x80", "cid: truncated"),
    ("version-2", b"\x02\x55\x12\x20" + DIGEST, "cid: unsupported version"),
    ("v0-one-byte-short", b"\x12\x20" + DIGEST[:31], "cid: unsupported version"),
    ("v0-one-byte-long", b"\x12\x20" + DIGEST + b"\x01", "cid: unsupported version"),
    ("text-not-binary", b"bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "cid: unsupported version"),
    ("zero-digest-length", b"\x01\x55\x12\x00", "cid: bad digest length"),
    ("digest-length-65", b"\x01\x55\x13\x41" + bytes(range(1, 66)), "cid: bad digest length"),
    ("digest-one-short", b"\x01\x55\x12\x20" + DIGEST[:31], "cid: digest length mismatch"),
    ("digest-one-long", b"\x01\x55\x12\x20" + DIGEST + b"\x01", "cid: digest length mismatch"),
    ("digest-missing", b"\x01\x55\x12\x20", "cid: digest length mismatch"),
    ("codec-4-byte-varint", b"\x01\x80\x80\x80\x01\x12\x20" + DIGEST, "cid: varint too long"),
    ("length-4-byte-varint", b"\x01\x55\x12\xa0\x80\x80\x00" + DIGEST, "cid: varint too long"),
    ("codec-padded-varint", b"\x01\xd5\x00\x12\x20" + DIGEST, "cid: non-minimal varint"),
    ("hash-padded-varint", b"\x01\x55\x92\x00\x20" + DIGEST, "cid: non-minimal varint"),
    ("length-padded-3-byte-varint", b"\x01\x55\x12\xa0\x80\x00" + DIGEST, "cid: non-minimal varint"),
]
IDS = [case[0] for case in MALFORMED]
# The whole table runs through `asset_id_of` (the cheapest entry point: each revert costs Ape a
# trace analysis); the content CID of `register` gets one case per reason and the metadata card
# one, since every entry point calls the same `cid.parse`.
ONE_PER_REASON = list({reason: (name, data, reason) for name, data, reason in MALFORMED}.values())
METADATA_CASES = [case for case in MALFORMED if case[0] == "digest-one-short"]


@pytest.mark.parametrize("_name, data, reason", ONE_PER_REASON, ids=[case[0] for case in ONE_PER_REASON])
def test_register__malformed_content_cid__reverts(registry, creator, _name, data, reason):
    with ape.reverts(reason):
        registry.register(data, 0, cids.metadata(), 0, [], [], 0, sender=creator)


@pytest.mark.parametrize("_name, data, reason", METADATA_CASES, ids=[case[0] for case in METADATA_CASES])
def test_register__malformed_metadata_cid__reverts(registry, creator, _name, data, reason):
    with ape.reverts(reason):
        registry.register(cids.sha256_v1(), 0, data, 0, [], [], 0, sender=creator)


@pytest.mark.parametrize("_name, data, reason", MALFORMED, ids=IDS)
def test_asset_id_of__malformed_cid__reverts(registry, _name, data, reason):
    with ape.reverts(reason):
        registry.asset_id_of(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x01\x00\x12\x20" + DIGEST,  # codec 0 (identity) is one minimal byte
        b"\x01\x7f\x12\x20" + DIGEST,  # largest one-byte codec
        b"\x01\x80\x01\x12\x20" + DIGEST,  # smallest two-byte codec
        b"\x01\xff\xff\x7f\x12\x20" + DIGEST,  # largest three-byte codec, 2**21 - 1
        b"\x01\x55\x13\x40" + bytes(range(1, 65)),  # 64-byte digest, the maximum
        b"\x01\x55\x12\x01\x01",  # one-byte digest
    ],
    ids=["codec-0", "codec-127", "codec-128", "codec-max", "digest-64", "digest-1"],
)
def test_register__framing_edge_cases__accepted(registry, creator, data):
    registry.register(data, 0, cids.metadata(), 0, [], [], 0, sender=creator)

    asset_id = cids.expected_id(data)
    assert registry.asset_id_of(data) == asset_id
    assert registry.cid_of(asset_id) == data
