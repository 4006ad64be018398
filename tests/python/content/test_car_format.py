"""cidhub.content.car: header bytes, writing, and the verifying reader."""

from __future__ import annotations

import io
import os

import pytest

from cidhub.content.car import (
    CarReader,
    CarWriter,
    _dag_cbor_decode,
    _dag_cbor_encode,
    encode_car_header,
    pack_car,
    read_car,
    verify_car,
)
from cidhub.content.cid import parse_cid
from cidhub.content.unixfs import UNIXFS_V0_2015, UNIXFS_V1_2025, Block, import_bytes
from cidhub.errors import CarError

HELLO_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
TINY = UNIXFS_V1_2025.with_overrides(name="tiny", chunk_size=8, max_links=3)


def _car_of(data: bytes, profile=TINY) -> tuple[bytes, list[Block]]:
    blocks: list[Block] = []
    result = import_bytes(data, profile, blocks.append)
    out = io.BytesIO()
    writer = CarWriter(out, [result.cid])
    for block in blocks:
        writer(block)
    return out.getvalue(), blocks


def test_header__known_bytes():
    # varint(58) + {"roots": [tag42(0x00 + cid)], "version": 1} in dag-cbor's key order
    expected = (
        b"\x3a\xa2\x65roots\x81\xd8\x2a\x58\x25\x00"
        + parse_cid(HELLO_RAW).__bytes__()
        + b"\x67version\x01"
    )
    assert encode_car_header([HELLO_RAW]) == expected


def test_header__v0_root__35_byte_link():
    header = encode_car_header([import_bytes(b"x", UNIXFS_V0_2015).cid])
    assert b"\xd8\x2a\x58\x23\x00\x12\x20" in header


def test_header__ipfs_car_bytes(ipfs_car, write_file, tmp_path):
    path = write_file(data=b"hello world")
    ipfs_car("pack", path, "--no-wrap", "--output", tmp_path / "x.car")
    theirs = (tmp_path / "x.car").read_bytes()
    header = encode_car_header([HELLO_RAW])
    assert theirs.startswith(header)


@pytest.mark.parametrize(
    "value",
    [0, 23, 24, 255, 256, 65_535, 65_536, 2**32, -1, -500, "", "ü", b"\x00" * 30, [], [1, [2]],
     {"b": 1, "aa": 2, "a": 3}, True, False, None],
)
def test_dag_cbor__round_trip(value):
    assert _dag_cbor_decode(_dag_cbor_encode(value)) == value


def test_dag_cbor__map_keys_length_first():
    assert _dag_cbor_encode({"version": 1, "roots": []}).index(b"roots") < _dag_cbor_encode(
        {"version": 1, "roots": []}
    ).index(b"version")


def test_dag_cbor__non_minimal_integer__rejected():
    with pytest.raises(CarError, match="not minimal"):
        _dag_cbor_decode(b"\x18\x05")


def test_reader__round_trip__roots_and_blocks():
    car, blocks = _car_of(os.urandom(100))
    roots, it = read_car(io.BytesIO(car))
    assert [str(r) for r in roots] == [str(blocks[-1].cid)]
    assert [(b.cid_bytes, b.data) for b in it] == [(b.cid_bytes, b.data) for b in blocks]


def test_writer__duplicate_blocks__written_once():
    car, blocks = _car_of(b"A" * 8 * 5)  # five identical chunks
    assert len(blocks) == 8
    assert len(list(CarReader(io.BytesIO(car)))) == 4  # one leaf, two nodes, root


def test_reader__tampered_block__raises_naming_cid():
    car, blocks = _car_of(os.urandom(40))
    target = blocks[2]
    pos = car.index(target.data)
    tampered = car[:pos] + bytes([car[pos] ^ 1]) + car[pos + 1 :]
    with pytest.raises(CarError, match=f"block {target.cid} is corrupt"):
        list(CarReader(io.BytesIO(tampered)))


def test_reader__verify_off__yields_tampered_block():
    car, blocks = _car_of(os.urandom(40))
    pos = car.index(blocks[0].data)
    tampered = car[:pos] + bytes([car[pos] ^ 1]) + car[pos + 1 :]
    assert len(list(CarReader(io.BytesIO(tampered), verify=False))) == len(blocks)


def test_reader__truncated__raises():
    car, _ = _car_of(os.urandom(40))
    with pytest.raises(CarError, match="truncated"):
        list(CarReader(io.BytesIO(car[:-3])))


def test_reader__oversized_section__refused_before_reading():
    header = encode_car_header([HELLO_RAW])
    huge = header + b"\xff\xff\xff\xff\x0f"  # claims ~4 GiB
    with pytest.raises(CarError, match="more than the 8388608-byte limit"):
        list(CarReader(io.BytesIO(huge)))


def test_reader__carv2__clear_error():
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    with pytest.raises(CarError, match="CARv2"):
        CarReader(io.BytesIO(pragma + b"\x00" * 40))


@pytest.mark.parametrize("junk", [b"", b"\x00", b"hello world, not a car", os.urandom(64)])
def test_reader__not_a_car__car_error(junk):
    with pytest.raises(CarError):
        reader = CarReader(io.BytesIO(junk))
        list(reader)


def test_verify_car__complete__summary():
    car, blocks = _car_of(os.urandom(100))
    summary = verify_car(car, root=blocks[-1].cid)
    assert summary.blocks == len(blocks)
    assert summary.complete


def test_verify_car__missing_block__incomplete():
    blocks: list[Block] = []
    result = import_bytes(os.urandom(100), TINY, blocks.append)
    out = io.BytesIO()
    writer = CarWriter(out, [result.cid])
    for block in blocks[1:]:
        writer(block)
    with pytest.raises(CarError, match=f"incomplete: 1 linked block.*{blocks[0].cid}"):
        verify_car(out.getvalue())


def test_verify_car__other_root__rejected():
    car, _ = _car_of(b"some content")
    with pytest.raises(CarError, match=f"do not include {HELLO_RAW}"):
        verify_car(car, root=HELLO_RAW)


def test_pack_car__non_seekable_output__same_bytes(write_file):
    path = write_file(5 * 8 * 3 + 1)

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    seekable, pipe = io.BytesIO(), Pipe()
    a = pack_car(path, seekable, TINY)
    b = pack_car(path, pipe, TINY)
    assert a.cid == b.cid
    assert seekable.getvalue() == pipe.getvalue()
    assert verify_car(seekable.getvalue(), a.cid).complete


@pytest.mark.parametrize("hash_function", ["sha2-512", "blake2b-256"])
def test_verify__other_hash_functions__verified_and_tamper_detected(write_file, hash_function):
    profile = TINY.with_overrides(name=f"tiny-{hash_function}", hash_function=hash_function)
    out = io.BytesIO()
    result = pack_car(write_file(100), out, profile)
    assert result.cid.hashfun.name == hash_function
    car = out.getvalue()
    assert verify_car(car, result.cid).complete
    pos = len(car) - 1  # last byte of the root block's data
    tampered = car[:pos] + bytes([car[pos] ^ 1])
    with pytest.raises(CarError, match=f"block {result.cid} is corrupt"):
        verify_car(tampered)
