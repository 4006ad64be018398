"""Read-only functions: lookups by CID, the asset record, ERC-721 metadata, ERC-165 (ERC-2981:
test_royalty_info.py)."""

from __future__ import annotations

import base64
from functools import reduce

import ape
import pytest
from eth_utils import function_signature_to_4byte_selector, keccak
from multiformats import CID

from cidhub.chain.registry import MAX_BATCH, MAX_BPS, MAX_PARENTS, MAX_ROYALTY_BPS, Kind
from cidhub.content.cid import to_base32_v1

from . import cids


def _ipfs_uri(metadata: bytes) -> str:
    """tokenURI computed with the multiformats library alone."""
    return "ipfs://" + str(CID.decode(metadata).set(version=1, base="base32"))


# ---------------------------------------------------------------- asset_id_of


def test_asset_id_of__v0_and_v1_dag_pb_forms__same_id(registry, new_asset):
    raw_digest = cids.digest()
    asset_id = new_asset(cid=cids.v0(raw_digest))

    assert registry.asset_id_of(cids.v0(raw_digest)) == asset_id
    assert registry.asset_id_of(cids.sha256_v1(cids.DAG_PB, raw_digest)) == asset_id
    assert asset_id == int.from_bytes(raw_digest, "big")


def test_asset_id_of__registered_as_v1_dag_pb__v0_form_finds_it(registry, new_asset):
    raw_digest = cids.digest()
    asset_id = new_asset(cid=cids.sha256_v1(cids.DAG_PB, raw_digest))

    assert registry.asset_id_of(cids.v0(raw_digest)) == asset_id


def test_asset_id_of__other_codec_same_multihash__same_id(registry, new_asset):
    # Documented: identity is the multihash, so the codec does not name a different asset.
    raw_digest = cids.digest()
    asset_id = new_asset(cid=cids.sha256_v1(cids.RAW, raw_digest))

    assert registry.asset_id_of(cids.sha256_v1(cids.DAG_CBOR, raw_digest)) == asset_id
    assert registry.asset_id_of(cids.v0(raw_digest)) == asset_id


@pytest.mark.parametrize("form", sorted(cids.LONG_FORMS))
def test_asset_id_of__long_multihash_in_other_codec__same_id(registry, new_asset, form):
    content = cids.CONTENT_FORMS[form]()
    asset_id = new_asset(cid=content)
    other_codec = b"\x01" + cids.varint(cids.DAG_PB) + cids.multihash_of(content)

    assert registry.asset_id_of(other_codec) == asset_id


@pytest.mark.parametrize("form", list(cids.CONTENT_FORMS))
def test_asset_id_of__unregistered__zero(registry, form):
    assert registry.asset_id_of(cids.CONTENT_FORMS[form]()) == 0


def test_asset_id_of__zero_digest__zero_not_revert(registry):
    assert registry.asset_id_of(cids.sha256_v1(cids.RAW, bytes(32))) == 0
    assert registry.asset_id_of(cids.v0(bytes(32))) == 0


def test_asset_id_of__same_digest_other_hash_function__not_found(registry, new_asset):
    raw_digest = cids.digest()
    new_asset(cid=cids.sha256_v1(cids.RAW, raw_digest))

    assert registry.asset_id_of(cids.v1(cids.RAW, cids.BLAKE3, raw_digest)) == 0


# ---------------------------------------------------------------- metadata_cid_of (cid_of: test_register.py)


@pytest.mark.parametrize("form", list(cids.METADATA_FORMS))
def test_metadata_cid_of__returns_card_as_registered(registry, new_asset, form):
    metadata = cids.METADATA_FORMS[form]()
    asset_id = new_asset(metadata=metadata)

    assert registry.metadata_cid_of(asset_id) == metadata
    assert registry.asset(asset_id).metadata_cid == metadata


# ---------------------------------------------------------------- tokenURI


@pytest.mark.parametrize("form", list(cids.METADATA_FORMS))
def test_tokenURI__ipfs_uri_of_base32_v1_card(registry, new_asset, form):
    metadata = cids.METADATA_FORMS[form]()
    asset_id = new_asset(metadata=metadata)

    uri = registry.tokenURI(asset_id)

    assert uri == _ipfs_uri(metadata)
    assert uri == "ipfs://" + str(to_base32_v1(metadata))


def test_tokenURI__v0_card__printed_as_dag_pb_v1(registry, new_asset):
    raw_digest = cids.digest()
    asset_id = new_asset(metadata=cids.v0(raw_digest))

    assert registry.tokenURI(asset_id) == _ipfs_uri(cids.sha256_v1(cids.DAG_PB, raw_digest))
    assert registry.tokenURI(asset_id).startswith("ipfs://bafybei")


@pytest.mark.parametrize("codec", [0, 0x7F, 0x80, 0x3FFF, 0x4000, (1 << 21) - 1])
def test_tokenURI__codec_varint_boundaries__rfc4648_base32(registry, new_asset, codec):
    # Codecs outside the multicodec table too: checked against the RFC 4648 alphabet directly.
    metadata = cids.sha256_v1(codec)
    asset_id = new_asset(metadata=metadata)

    expected = "ipfs://b" + base64.b32encode(metadata).decode().lower().rstrip("=")
    assert registry.tokenURI(asset_id) == expected


def test_tokenURI__known_vector(registry, new_asset):
    # "hello world" as a raw-leaf CIDv1, the vector in TOOLCHAIN.md.
    text = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    asset_id = new_asset(metadata=bytes(CID.decode(text)))

    assert registry.tokenURI(asset_id) == "ipfs://" + text


# ---------------------------------------------------------------- asset / kind_of / is_delisted


def test_asset__every_field(registry, creator, new_asset):
    parents = [new_asset(), new_asset()]
    content, metadata = cids.v0(cids.digest()), cids.sha256_v1(cids.DAG_JSON)
    asset_id = new_asset(
        cid=content,
        kind=Kind.RESULT,
        metadata=metadata,
        licence_id=31_337,
        parents=parents,
        shares=[10, 20],
        royalty_bps=MAX_ROYALTY_BPS,
    )

    asset = registry.asset(asset_id)

    assert asset.owner == creator
    assert asset.kind == Kind.RESULT
    assert asset.content_cid == content
    assert asset.metadata_cid == metadata
    assert asset.licence_id == 31_337
    assert asset.royalty_bps == MAX_ROYALTY_BPS
    assert asset.parent_count == 2
    assert asset.delisted is False
    assert asset.previous_version == 0
    assert asset.latest_version == asset_id


@pytest.mark.parametrize("kind", list(Kind))
def test_kind_of__each_kind(registry, new_asset, kind):
    assert registry.kind_of(new_asset(kind=kind)) == kind


def test_is_delisted__fresh_asset__false(registry, new_asset):
    assert registry.is_delisted(new_asset()) is False


def test_previous_version__unknown__zero(registry):
    assert registry.previous_version(12345) == 0


VIEWS_OF_AN_ASSET = [
    ("cid_of", ()),
    ("metadata_cid_of", ()),
    ("provenance_of", ()),
    ("verify_parents", ([], [])),
    ("latest_version", ()),
    ("is_delisted", ()),
    ("kind_of", ()),
    ("asset", ()),
    ("tokenURI", ()),
]


@pytest.mark.parametrize("view, extra", VIEWS_OF_AN_ASSET, ids=[v[0] for v in VIEWS_OF_AN_ASSET])
def test_views__unknown_asset__revert(registry, view, extra):
    with ape.reverts("registry: unknown asset"):
        getattr(registry, view)(cids.expected_id(cids.sha256_v1()), *extra)


# ---------------------------------------------------------------- ERC-165, ERC-721 metadata, constants


def _interface_id(*signatures: str) -> str:
    selectors = (int.from_bytes(function_signature_to_4byte_selector(s), "big") for s in signatures)
    selector = reduce(lambda a, b: a ^ b, selectors)
    return "0x" + selector.to_bytes(4, "big").hex()


INTERFACES = {
    "0x01ffc9a7": ["supportsInterface(bytes4)"],
    "0x80ac58cd": [
        "balanceOf(address)",
        "ownerOf(uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
        "safeTransferFrom(address,address,uint256)",
        "transferFrom(address,address,uint256)",
        "approve(address,uint256)",
        "setApprovalForAll(address,bool)",
        "getApproved(uint256)",
        "isApprovedForAll(address,address)",
    ],
    "0x5b5e139f": ["name()", "symbol()", "tokenURI(uint256)"],
    "0x2a55205a": ["royaltyInfo(uint256,uint256)"],
    "0x7965db0b": [
        "hasRole(bytes32,address)",
        "getRoleAdmin(bytes32)",
        "grantRole(bytes32,address)",
        "revokeRole(bytes32,address)",
        "renounceRole(bytes32,address)",
    ],
}


@pytest.mark.parametrize(
    "interface_id",
    ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0x2a55205a", "0x49064906", "0x7965db0b"],
    ids=["erc165", "erc721", "erc721-metadata", "erc2981", "erc4906", "access-control"],
)
def test_supportsInterface__implemented__true(registry, interface_id):
    assert registry.supportsInterface(interface_id) is True


@pytest.mark.parametrize(
    "interface_id",
    ["0xffffffff", "0x00000000", "0x780e9d63", "0xd9b67a26", "0x80ac58cc"],
    ids=["invalid", "zero", "erc721-enumerable", "erc1155", "off-by-one"],
)
def test_supportsInterface__not_implemented__false(registry, interface_id):
    assert registry.supportsInterface(interface_id) is False


@pytest.mark.parametrize("interface_id", list(INTERFACES))
def test_supportsInterface__claimed_interface__every_function_in_abi(registry, interface_id):
    signatures = INTERFACES[interface_id]
    abi_signatures = {
        f"{abi.name}({','.join(i.canonical_type for i in abi.inputs)})"
        for abi in registry.contract_type.abi
        if abi.type == "function"
    }

    assert _interface_id(*signatures) == interface_id
    assert set(signatures) <= abi_signatures


def test_supportsInterface__erc4906__events_in_abi(registry):
    events = {abi.name: [i.type for i in abi.inputs] for abi in registry.contract_type.abi if abi.type == "event"}

    assert events["MetadataUpdate"] == ["uint256"]


def test_name_and_symbol(registry):
    assert registry.name() == "cidhub assets"
    assert registry.symbol() == "CIDHB"


def test_constants__match_cidhub_and_docs(registry):
    assert registry.MAX_PARENTS() == MAX_PARENTS
    assert registry.MAX_BATCH() == MAX_BATCH
    assert registry.MAX_BPS() == MAX_BPS
    assert registry.MAX_ROYALTY_BPS() == MAX_ROYALTY_BPS
    kinds = [registry.KIND_DATASET(), registry.KIND_MODEL(), registry.KIND_CODE(), registry.KIND_RESULT()]
    assert kinds + [registry.KIND_OTHER()] == [int(kind) for kind in Kind]
    assert registry.CURATOR_ROLE() == keccak(text="CURATOR_ROLE")
    assert registry.REGISTRAR_ROLE() == keccak(text="REGISTRAR_ROLE")
    assert registry.DEFAULT_ADMIN_ROLE() == bytes(32)
