"""The Python mirror of the registry's rules (cidhub.chain.registry): checks made before sending."""

from __future__ import annotations

import hashlib

import pytest

from cidhub.chain.registry import (
    MAX_PARENTS,
    MAX_ROYALTY_BPS,
    AssetRecord,
    Kind,
    Registration,
    RegistrationError,
    asset_id_for,
)
from cidhub.content.cid import RAW, make_cid


def _cid(seed: bytes = b"x", version: int = 1, codec: int | str = RAW, hash_code="sha2-256", size: int = 32):
    digest = hashlib.sha256(seed).digest()[:size] if hash_code == "sha2-256" else hashlib.sha512(seed).digest()
    return make_cid(version, codec if version else "dag-pb", digest, hash_code)


def _registration(**overrides):
    args = dict(content_cid=_cid(b"content"), kind="model", metadata_cid=_cid(b"card"))
    args.update(overrides)
    return Registration.build(**args)


def test_kind_parse__names_numbers_and_errors():
    assert Kind.parse("Dataset") is Kind.DATASET
    assert Kind.parse(3) is Kind.RESULT
    with pytest.raises(RegistrationError, match="unknown asset kind 'weights'; use one of dataset, model"):
        Kind.parse("weights")
    with pytest.raises(RegistrationError, match="unknown asset kind 9"):
        Kind.parse(9)


def test_asset_id_for__sha256_is_the_digest_and_v0_v1_agree():
    digest = hashlib.sha256(b"dag").digest()
    v0 = make_cid(0, "dag-pb", digest)
    assert asset_id_for(v0) == int.from_bytes(digest, "big")
    assert asset_id_for(v0.set(version=1)) == asset_id_for(v0)


def test_asset_id_for__other_multihash_is_keccak_of_multihash():
    from eth_utils import keccak

    cid = _cid(b"big", hash_code="sha2-512")
    assert asset_id_for(cid) == int.from_bytes(keccak(bytes(cid.digest)), "big")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"royalty_bps": MAX_ROYALTY_BPS + 1}, "over the cap of 2500 bps"),
        ({"parents": [1, 2], "shares_bps": [1]}, "2 parents but 1 shares"),
        ({"parents": list(range(1, MAX_PARENTS + 2)), "shares_bps": [1] * (MAX_PARENTS + 1)}, "at most 16"),
        ({"parents": [5, 5], "shares_bps": [1, 1]}, "listed twice"),
        ({"parents": [1, 2], "shares_bps": [6_000, 4_001]}, "add up to 10001 bps, over 100 %"),
        ({"licence_id": 70_000}, "licence id 70000"),
        ({"metadata_cid": _cid(b"card", hash_code="sha2-512")}, "uses sha2-512"),
        ({"content_cid": make_cid(1, RAW, bytes(32))}, "all-zero digest"),
        ({"content_cid": "bafy-not-a-cid"}, "content CID:"),
        ({"metadata_cid": "Qmtooshort"}, "metadata CID:"),
        ({"kind": "weights"}, "unknown asset kind"),
    ],
)
def test_registration_validate__rejects_what_the_contract_would(overrides, message):
    with pytest.raises(RegistrationError, match=message):
        _registration(**overrides)


def test_registration_as_args__abi_order():
    reg = _registration(parents=[7], shares_bps=[250], royalty_bps=100, licence_id=3)
    content, kind, metadata, licence, parents, shares, royalty = reg.as_args()
    assert content == bytes(reg.content_cid) and metadata == bytes(reg.metadata_cid)
    assert (kind, licence, parents, shares, royalty) == (Kind.MODEL, 3, [7], [250], 100)


def test_asset_record_unpack__every_field():
    word = (
        int(Kind.CODE)
        | 1 << 4  # delisted
        | 1 << 5  # content v0
        | 1 << 7  # metadata v0
        | 3 << 8  # parents
        | 750 << 13
        | 0x70 << 27
        | 0x0129 << 48
        | 42 << 69
    )
    record = AssetRecord.unpack(word)
    assert record == AssetRecord(Kind.CODE, True, True, False, True, 3, 750, 0x70, 0x0129, 42)
    digest = hashlib.sha256(b"d").digest()
    assert record.content_cid(int.from_bytes(digest, "big")) == make_cid(0, "dag-pb", digest)
