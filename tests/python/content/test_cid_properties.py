"""Property tests for cidhub.content.cid (strategies in tests/hypothesis/strategies.py)."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from multiformats import CID
from strategies import (
    cids,
    cids_v0,
    cids_v1,
    malformed_cid_bytes,
    malformed_cid_text,
)

from cidhub.content.cid import (
    binary_multihash,
    cid_from_bytes,
    cid_text,
    cid_to_bytes,
    digest_of,
    format_cid,
    multihash_code_of,
    parse_cid,
    to_base32_v1,
)
from cidhub.errors import CidError


@given(cids())
def test_text_round_trip__any_cid__same_cid(cid: CID):
    parsed = parse_cid(str(cid))
    assert parsed == cid
    assert str(parsed) == str(cid)


@given(cids())
def test_binary_round_trip__any_cid__same_bytes(cid: CID):
    raw = cid_to_bytes(cid)
    assert cid_to_bytes(cid_from_bytes(raw)) == raw
    assert digest_of(cid_from_bytes(raw)) == bytes(cid.raw_digest)


@given(cids_v1(), st.sampled_from(["base32", "base58btc"]))
def test_rebase__v1__identity_preserved(cid: CID, base: str):
    text = format_cid(cid, base)
    assert cid_to_bytes(parse_cid(text)) == cid_to_bytes(cid)


@given(cids_v0())
def test_v0_to_v1__keeps_multihash(cid: CID):
    v1 = to_base32_v1(cid)
    assert v1.version == 1
    assert bytes(v1.digest) == cid_to_bytes(cid)
    assert multihash_code_of(v1) == 0x12


@given(malformed_cid_text())
@example("")
@example("Qm" + "1" * 44)
@example("b" + "a" * 3)
def test_parse_text__malformed__cid_error_or_valid(text: str):
    try:
        cid = parse_cid(text)
    except CidError:
        return
    # Some draws are valid by chance; then the parse must be faithful.
    assert cid_to_bytes(parse_cid(str(cid))) == cid_to_bytes(cid)


@given(malformed_cid_bytes())
@example(b"\x01\x55\x00")
@example(b"\xff" * 12)
def test_parse_bytes__malformed__cid_error_or_exact(data: bytes):
    try:
        cid = cid_from_bytes(data)
    except CidError:
        return
    assert cid_to_bytes(cid) == data


@given(cids(), st.data())
def test_parse_bytes__truncated_valid_cid__always_cid_error(cid: CID, data: st.DataObject):
    raw = cid_to_bytes(cid)
    cut = data.draw(st.integers(0, len(raw) - 1))
    try:
        cid_from_bytes(raw[:cut])
    except CidError:
        return
    raise AssertionError(f"truncated CID {raw[:cut].hex()} was accepted")


@given(cids())
def test_cid_text__binary_fast_path__same_text_and_multihash(cid: CID):
    """The store's and the listings' fast paths agree with multiformats on every CID."""
    raw = cid_to_bytes(cid)
    assert cid_text(raw) == str(cid_from_bytes(raw))
    assert binary_multihash(raw) == bytes(cid.digest)


@given(malformed_cid_bytes())
def test_binary_multihash__malformed__cid_error_or_agrees(data: bytes):
    try:
        expected = bytes(parse_cid(data).digest)
    except CidError:
        expected = None
    try:
        got = binary_multihash(data)
    except CidError:
        assert expected is None
    else:
        # structurally sound: parse_cid accepts it too, or rejects only a table entry
        assert expected is None or got == expected
