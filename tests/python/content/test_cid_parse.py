"""cidhub.content.cid: parsing, printing and conversions, with the errors users see."""

from __future__ import annotations

import pytest
from multiformats import CID

from cidhub.content.cid import (
    DAG_PB,
    RAW,
    SHA2_256,
    cid_from_bytes,
    cid_to_bytes,
    codec_name_of,
    codec_of,
    describe_cid,
    digest_of,
    format_cid,
    make_cid,
    multihash_code_of,
    multihash_of,
    parse_cid,
    to_base32_v1,
    to_v0,
)
from cidhub.errors import CidError, CidhubError

HELLO_V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
HELLO_V0_AS_V1 = "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa"
HELLO_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
# sha2-256("hello world"), the digest inside HELLO_RAW.
HELLO_SHA256 = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"


def test_parse_cid__v0__fields():
    cid = parse_cid(HELLO_V0)
    assert cid.version == 0
    assert codec_of(cid) == DAG_PB
    assert codec_name_of(cid) == "dag-pb"
    assert multihash_code_of(cid) == SHA2_256
    assert str(cid) == HELLO_V0


def test_parse_cid__raw_v1__digest_is_sha256_of_content():
    cid = parse_cid(HELLO_RAW)
    assert (cid.version, codec_of(cid)) == (1, RAW)
    assert digest_of(cid).hex() == HELLO_SHA256


@pytest.mark.parametrize(
    "text",
    [
        HELLO_RAW.upper(),  # base32 is case-insensitive ("B" prefix)
        f"  {HELLO_RAW}\n",  # pasted with whitespace
        "zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn",  # base58btc CIDv1
        "f01551220" + HELLO_SHA256,  # base16
    ],
)
def test_parse_cid__other_spellings__same_cid(text):
    assert cid_to_bytes(parse_cid(text)) == cid_to_bytes(HELLO_RAW)


def test_cid_to_bytes__v0__is_bare_multihash():
    raw = cid_to_bytes(HELLO_V0)
    assert len(raw) == 34
    assert raw[:2] == b"\x12\x20"
    assert raw == multihash_of(HELLO_V0)


def test_cid_to_bytes__v1__version_codec_multihash():
    assert cid_to_bytes(HELLO_RAW) == bytes.fromhex("01551220" + HELLO_SHA256)


def test_cid_from_bytes__round_trip_both_versions():
    assert str(cid_from_bytes(cid_to_bytes(HELLO_V0))) == HELLO_V0
    assert str(cid_from_bytes(cid_to_bytes(HELLO_RAW))) == HELLO_RAW


def test_to_base32_v1__v0__becomes_dag_pb_v1():
    assert str(to_base32_v1(HELLO_V0)) == HELLO_V0_AS_V1
    assert str(to_v0(HELLO_V0_AS_V1)) == HELLO_V0


def test_to_v0__raw_cid__raises():
    with pytest.raises(CidError, match="no CIDv0 form"):
        to_v0(HELLO_RAW)


def test_format_cid__v0_in_base32__refuses_silent_upgrade():
    with pytest.raises(CidError, match="only be written in base58btc"):
        format_cid(HELLO_V0, "base32")


def test_format_cid__v1_base58btc__round_trips():
    text = format_cid(HELLO_RAW, "base58btc")
    assert text.startswith("zb2")
    assert format_cid(text, "base32") == HELLO_RAW


def test_make_cid__matches_parsed():
    digest = bytes.fromhex(HELLO_SHA256)
    assert str(make_cid(1, "raw", digest)) == HELLO_RAW


def test_describe_cid__v1_raw__has_no_v0_form():
    info = describe_cid(HELLO_RAW)
    assert info["base58btc_v0"] is None
    assert info["codec"] == "raw"
    assert info["digest_hex"] == HELLO_SHA256


def test_parse_cid__existing_cid__returned_as_is():
    cid = CID.decode(HELLO_RAW)
    assert parse_cid(cid) is cid


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty input"),
        ("   \n", "empty input"),
        (b"", "empty input"),
        ("xafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "unknown multibase prefix 'x'"),
        ("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e1", "invalid base32 text"),
        ("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyf0", "invalid base58btc text"),
        ("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyf", "looks like a CIDv0 but is 45 characters"),
        ("bafyé", "invalid character 'é'"),
        ("b", "only a multibase prefix"),
        ("zQmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", "bare multihash"),
        (bytes.fromhex("01551220") + b"a" * 31, "truncated multihash"),
        (bytes.fromhex("1220") + b"a" * 3, "truncated multihash"),
        (bytes.fromhex("01551220") + b"a" * 33, "1 unexpected trailing byte after"),
        (bytes.fromhex("01ffff031220") + b"a" * 32, "unknown codec 0xffff"),
        (bytes.fromhex("0155999901") + b"\x20" + b"a" * 32, "unknown hash function 0x4c99"),
        (bytes.fromhex("01121220") + b"a" * 32, "not a content codec"),
        (bytes.fromhex("02551220") + b"a" * 32, "unsupported CID version 2"),
        (b"\x01", "the codec is missing"),
        (b"\x01\x80", "invalid varint"),
        (HELLO_RAW.encode(), "pass it as str"),
    ],
)
def test_parse_cid__malformed__raises_cid_error_with_reason(value, message):
    with pytest.raises(CidError, match=message) as excinfo:
        parse_cid(value)
    assert isinstance(excinfo.value, CidhubError)


def test_parse_cid__wrong_type__raises_cid_error():
    with pytest.raises(CidError, match="expected str or bytes"):
        parse_cid(12345)  # type: ignore[arg-type]
