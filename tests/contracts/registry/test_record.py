"""The packed record of `AssetRegistered`, decoded with cidhub.chain.registry.AssetRecord."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cidhub.chain.registry import AssetRecord, Kind
from cidhub.content.cid import cid_to_bytes

from . import cids

MAX_CODEC = (1 << 21) - 1


@dataclass
class Case:
    content: bytes
    metadata: bytes
    kind: Kind
    royalty_bps: int
    licence_id: int
    parent_count: int = 0
    content_codec: int = cids.RAW
    metadata_codec: int = cids.RAW
    flags: dict = field(default_factory=dict)


CASES = {
    "v1-raw-minimal": lambda: Case(cids.sha256_v1(), cids.metadata(), Kind.DATASET, 0, 0),
    "v0-content-v0-card-all-max": lambda: Case(
        cids.v0(cids.digest()), cids.v0(cids.digest()), Kind.MODEL, 2_500, 2**16 - 1, parent_count=3,
        content_codec=cids.DAG_PB, metadata_codec=cids.DAG_PB, flags={"content_v0": True, "metadata_v0": True},
    ),
    "dag-json-content-json-jcs-card-16-parents": lambda: Case(
        cids.sha256_v1(cids.DAG_JSON), cids.sha256_v1(cids.JSON_JCS), Kind.OTHER, 1, 1, parent_count=16,
        content_codec=cids.DAG_JSON, metadata_codec=cids.JSON_JCS,
    ),
    "blake3-long-multihash": lambda: Case(
        cids.CONTENT_FORMS["v1-blake3"](), cids.sha256_v1(cids.DAG_PB), Kind.CODE, 1_234, 42,
        metadata_codec=cids.DAG_PB, flags={"long_multihash": True},
    ),
    "sha2-512-dag-json": lambda: Case(
        cids.v1(cids.DAG_JSON, cids.SHA2_512, cids.digest(64)), cids.metadata(), Kind.RESULT, 77, 0xA5A5,
        content_codec=cids.DAG_JSON, flags={"long_multihash": True},
    ),
    "largest-codecs": lambda: Case(
        cids.sha256_v1(MAX_CODEC), cids.sha256_v1(MAX_CODEC), Kind.DATASET, 2_500, 2**16 - 1, parent_count=1,
        content_codec=MAX_CODEC, metadata_codec=MAX_CODEC,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_asset_registered__record__unpacks_to_inputs(registry, creator, new_asset, name):
    case = CASES[name]()
    parents = [new_asset() for _ in range(case.parent_count)]

    tx = registry.register(
        case.content, int(case.kind), case.metadata, case.licence_id, parents, [1] * len(parents), case.royalty_bps,
        sender=creator,
    )

    (event,) = tx.decode_logs(registry.AssetRegistered)
    assert event.asset_id == cids.expected_id(case.content)
    assert event.record < 2**96  # the aux word beside the owner
    record = AssetRecord.unpack(event.record)
    assert record == AssetRecord(
        kind=case.kind,
        delisted=False,
        content_v0=case.flags.get("content_v0", False),
        long_multihash=case.flags.get("long_multihash", False),
        metadata_v0=case.flags.get("metadata_v0", False),
        parent_count=case.parent_count,
        royalty_bps=case.royalty_bps,
        content_codec=case.content_codec,
        metadata_codec=case.metadata_codec,
        licence_id=case.licence_id,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_asset_registered__record__agrees_with_asset_view(registry, creator, new_asset, name):
    case = CASES[name]()
    parents = [new_asset() for _ in range(min(case.parent_count, 2))]

    tx = registry.register(
        case.content, int(case.kind), case.metadata, case.licence_id, parents, [1] * len(parents), case.royalty_bps,
        sender=creator,
    )

    (event,) = tx.decode_logs(registry.AssetRegistered)
    record = AssetRecord.unpack(event.record)
    asset = registry.asset(event.asset_id)
    assert (record.kind, record.licence_id, record.royalty_bps, record.parent_count, record.delisted) == (
        asset.kind,
        asset.licence_id,
        asset.royalty_bps,
        asset.parent_count,
        asset.delisted,
    )


@pytest.mark.parametrize("form", list(cids.CONTENT_FORMS))
def test_asset_registered__record__rebuilds_content_cid(registry, creator, form):
    content = cids.CONTENT_FORMS[form]()

    tx = registry.register(content, 0, cids.metadata(), 0, [], [], 0, sender=creator)

    (event,) = tx.decode_logs(registry.AssetRegistered)
    rebuilt = AssetRecord.unpack(event.record).content_cid(event.asset_id)
    if form in cids.LONG_FORMS:
        # Not derivable from the id: the contract keeps these bytes, `cid_of` returns them.
        assert rebuilt is None
        assert registry.cid_of(event.asset_id) == content
    else:
        assert cid_to_bytes(rebuilt) == content
