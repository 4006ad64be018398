"""`register`: every accepted CID form, the ids it gets, and every reason it refuses."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.registry import MAX_ROYALTY_BPS, Kind

from . import cids

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _register(registry, sender, content, *, kind=Kind.MODEL, metadata=None, licence_id=3, royalty_bps=100):
    metadata = metadata or cids.metadata()
    return registry.register(content, int(kind), metadata, licence_id, [], [], royalty_bps, sender=sender)


@pytest.mark.parametrize("form", list(cids.CONTENT_FORMS))
def test_register__each_cid_form__mints_to_sender_under_documented_id(registry, creator, form):
    content = cids.CONTENT_FORMS[form]()
    balance_before = registry.balanceOf(creator)

    tx = _register(registry, creator, content)

    asset_id = cids.expected_id(content)
    (registered,) = tx.decode_logs(registry.AssetRegistered)
    assert registered.asset_id == asset_id
    (transfer,) = tx.decode_logs(registry.Transfer)
    assert (transfer.sender, transfer.receiver, transfer.token_id) == (ZERO_ADDRESS, creator.address, asset_id)
    assert registry.ownerOf(asset_id) == creator
    assert registry.balanceOf(creator) == balance_before + 1
    assert registry.cid_of(asset_id) == content
    assert registry.asset(asset_id).content_cid == content
    assert registry.asset_id_of(content) == asset_id


def test_register__sha2_256__returns_digest_as_id(registry, creator, register_asset):
    # Through the shared factory of tests/conftest.py, which returns `tx.return_value`.
    raw_digest = cids.digest()

    asset_id, tx = register_asset(cid=cids.sha256_v1(cids.RAW, raw_digest), sender=creator)

    assert asset_id == int.from_bytes(raw_digest, "big")
    (registered,) = tx.decode_logs(registry.AssetRegistered)
    assert registered.asset_id == asset_id


def test_register__long_multihash__returns_keccak_of_multihash(registry, creator):
    content = cids.CONTENT_FORMS["v1-blake3"]()

    tx = _register(registry, creator, content)

    assert tx.return_value == cids.expected_id(content)
    assert registry.cid_of(tx.return_value) == content


def test_register__same_content_twice__reverts(registry, creator, buyer, new_asset):
    content = cids.sha256_v1()
    new_asset(cid=content, sender=creator)

    with ape.reverts("registry: cid already registered"):
        _register(registry, buyer, content)


@pytest.mark.parametrize(
    "first, second",
    [
        (lambda d: cids.v0(d), lambda d: cids.sha256_v1(cids.DAG_PB, d)),
        (lambda d: cids.sha256_v1(cids.DAG_PB, d), lambda d: cids.v0(d)),
        (lambda d: cids.sha256_v1(cids.RAW, d), lambda d: cids.sha256_v1(cids.DAG_CBOR, d)),
        (lambda d: cids.v1(cids.RAW, cids.BLAKE3, d), lambda d: cids.v1(cids.DAG_PB, cids.BLAKE3, d)),
    ],
    ids=["v0-then-v1-dag-pb", "v1-dag-pb-then-v0", "raw-then-dag-cbor", "blake3-raw-then-dag-pb"],
)
def test_register__twin_of_registered_multihash__reverts(registry, creator, buyer, new_asset, first, second):
    raw_digest = cids.digest()
    asset_id = new_asset(cid=first(raw_digest), sender=creator)

    with ape.reverts("registry: cid already registered"):
        _register(registry, buyer, second(raw_digest))
    assert registry.asset_id_of(second(raw_digest)) == asset_id


def test_register__same_digest_other_hash_function__distinct_assets(registry, creator, new_asset):
    raw_digest = cids.digest()
    sha = new_asset(cid=cids.sha256_v1(cids.RAW, raw_digest))
    blake = new_asset(cid=cids.v1(cids.RAW, cids.BLAKE3, raw_digest))

    assert sha != blake
    assert registry.ownerOf(sha) == registry.ownerOf(blake) == creator


@pytest.mark.parametrize(
    "content",
    [
        cids.sha256_v1(cids.RAW, bytes(32)),
        cids.v0(bytes(32)),
        cids.v1(cids.RAW, cids.BLAKE3, bytes(32)),
        cids.v1(cids.RAW, cids.SHA2_512, bytes(64)),
        cids.v1(cids.RAW, cids.SHA2_256, bytes(20)),
    ],
    ids=["v1-sha2-256", "v0", "blake3", "sha2-512", "sha2-256-20"],
)
def test_register__zero_content_digest__reverts(registry, creator, content):
    with ape.reverts("registry: zero digest"):
        _register(registry, creator, content)


@pytest.mark.parametrize(
    "raw_digest",
    [
        b"\x01" + bytes(63),
        bytes(63) + b"\x01",
        bytes(31) + b"\x01" + bytes(32),
        bytes(32) + b"\x01" + bytes(31),
    ],
    ids=["first-byte", "last-byte", "byte-31", "byte-32"],
)
def test_register__64_byte_digest_with_one_non_zero_byte__accepted(registry, creator, raw_digest):
    content = cids.v1(cids.RAW, cids.SHA2_512, raw_digest)

    tx = _register(registry, creator, content)

    (registered,) = tx.decode_logs(registry.AssetRegistered)
    assert registered.asset_id == cids.expected_id(content)


@pytest.mark.parametrize("size, position", [(20, 0), (20, 19), (33, 0), (33, 32), (1, 0)])
def test_register__short_or_odd_digest_with_one_non_zero_byte__accepted(registry, creator, size, position):
    raw_digest = bytearray(size)
    raw_digest[position] = 0xFF
    content = cids.v1(cids.RAW, cids.SHA2_256, bytes(raw_digest))

    _register(registry, creator, content)

    assert registry.asset_id_of(content) == cids.expected_id(content)


def test_register__zero_metadata_digest__reverts(registry, creator):
    with ape.reverts("registry: zero digest"):
        _register(registry, creator, cids.sha256_v1(), metadata=cids.metadata(bytes(32)))


def test_register__zero_v0_metadata_digest__reverts(registry, creator):
    with ape.reverts("registry: zero digest"):
        _register(registry, creator, cids.sha256_v1(), metadata=cids.v0(bytes(32)))


@pytest.mark.parametrize(
    "metadata",
    [
        cids.v1(cids.RAW, cids.BLAKE3, cids.digest(32)),
    ],
    ids=["blake3"],
)
def test_register__metadata_not_sha2_256_32__reverts(registry, creator, metadata):
    with ape.reverts("registry: metadata cid must be sha2-256"):
        _register(registry, creator, cids.sha256_v1(), metadata=metadata)


@pytest.mark.parametrize("kind", list(Kind))
def test_register__each_kind__stored(registry, creator, kind):
    content = cids.sha256_v1()

    _register(registry, creator, content, kind=kind)

    assert registry.kind_of(cids.expected_id(content)) == kind


@pytest.mark.parametrize("kind", [5, 255])
def test_register__unknown_kind__reverts(registry, creator, kind):
    with ape.reverts("registry: unknown kind"):
        _register(registry, creator, cids.sha256_v1(), kind=kind)


def test_register__royalty_at_cap__stored(registry, creator):
    content = cids.sha256_v1()

    _register(registry, creator, content, royalty_bps=MAX_ROYALTY_BPS)

    assert registry.asset(cids.expected_id(content)).royalty_bps == MAX_ROYALTY_BPS


@pytest.mark.parametrize("royalty_bps", [MAX_ROYALTY_BPS + 1, 2**16 - 1])
def test_register__royalty_over_cap__reverts(registry, creator, royalty_bps):
    with ape.reverts("registry: royalty over cap"):
        _register(registry, creator, cids.sha256_v1(), royalty_bps=royalty_bps)


@pytest.mark.parametrize("licence_id", [0, 1, 2**16 - 1])
def test_register__licence_id__stored(registry, creator, licence_id):
    content = cids.sha256_v1()

    _register(registry, creator, content, licence_id=licence_id)

    assert registry.asset(cids.expected_id(content)).licence_id == licence_id


def test_register__kind_checked_before_cid(registry, creator):
    # The cheap scalar checks come first: a bad kind is reported even for garbage bytes.
    with ape.reverts("registry: unknown kind"):
        _register(registry, creator, b"\xff", kind=9)


def test_register__cid_over_72_bytes__reverts_without_reason(registry, creator):
    # 73 bytes exceed Bytes[MAX_CID_BYTES]: the ABI decoder rejects the call.
    content = cids.v1(cids.DAG_JSON, cids.SHA2_512, cids.digest(64)) + b"\x00\x00\x00\x00"
    assert len(content) == 73

    with ape.reverts():
        _register(registry, creator, content)


def test_register__72_byte_cid__accepted(registry, creator):
    # The longest CID that fits: three-byte codec, three-byte hash code, 64-byte digest.
    content = cids.v1(cids.JSON_JCS, cids.BLAKE2B_512, cids.digest(64))
    assert len(content) == 72

    _register(registry, creator, content)

    assert registry.cid_of(cids.expected_id(content)) == content

