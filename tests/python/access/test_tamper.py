"""Ciphertext that is not what was sealed (altered, truncated, reordered, a corrupt block on disk),
and a data key that is missing: the service answers with an error and releases no plaintext it
has not authenticated."""

from __future__ import annotations

import os

import pytest
import requests

from cidhub.chain.market import ETH, buy, create_offer
from cidhub.content.cid import cid_to_bytes
from cidhub.content.sealed import CHUNK_SIZE, HEADER_SIZE, TAG_SIZE, SealParams, seal_bytes
from cidhub.content.unixfs import import_bytes

C = CHUNK_SIZE
SEALED_CHUNK = C + TAG_SIZE


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def _chunk(sealed: bytes, i: int) -> bytes:
    return sealed[HEADER_SIZE + i * SEALED_CHUNK:HEADER_SIZE + (i + 1) * SEALED_CHUNK]


MUTATIONS = {
    "bit flipped in chunk 1": lambda s: _flip(s, HEADER_SIZE + SEALED_CHUNK + 100),
    "bit flipped in the header": lambda s: _flip(s, HEADER_SIZE - 3),
    "last chunk dropped": lambda s: s[:HEADER_SIZE + 2 * SEALED_CHUNK],
    "chunks 0 and 1 swapped":
        lambda s: s[:HEADER_SIZE] + _chunk(s, 1) + _chunk(s, 0) + s[HEADER_SIZE + 2 * SEALED_CHUNK:],
    "tail cut": lambda s: s[:-7],
}


@pytest.fixture
def crafted(access_store, keystore, register_asset, registry, market, creator, buyer, client_for, buyer_key):
    """Factory: register ``mutate(sealed)`` as a private asset, licensed to the buyer; returns
    (plaintext, url, auth headers, cid)."""

    def make(mutate=lambda s: s, *, deposit_key: bool = True):
        plaintext = os.urandom(2 * C + 500)
        params = SealParams.fresh()
        stored = mutate(seal_bytes(plaintext, params))
        cid = import_bytes(stored, "unixfs-v1-2025", access_store.put_block).cid
        asset_id, _ = register_asset(cid=cid_to_bytes(cid))
        if deposit_key:
            keystore.put(asset_id, str(cid), params.key)
        offer = create_offer(market, registry, creator, asset_id, token=ETH, price=1)
        buy(market, buyer, offer.offer_id)
        client = client_for(buyer_key)
        token = client.sign_in()["token"]
        return plaintext, f"{client.endpoint}/assets/0x{asset_id:064x}", {"Authorization": f"Bearer {token}"}, cid

    return make


@pytest.mark.parametrize("case", ["bit flipped in the header", "last chunk dropped", "chunks 0 and 1 swapped",
                                  "tail cut"])
def test_get__altered_before_the_first_byte__500_json_no_plaintext(crafted, case):
    plaintext, url, auth, _ = crafted(MUTATIONS[case])
    response = requests.get(url, headers=auth, timeout=30)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"] == "corrupt_content"
    assert plaintext[:16] not in response.content


def test_get__chunk_altered_mid_stream__only_authenticated_chunks_then_cut(crafted):
    """Headers are gone when chunk 1 fails: chunk 0 (authenticated) was sent, then the connection
    is closed short of Content-Length, so no client can take the body for complete."""
    plaintext, url, auth, _ = crafted(MUTATIONS["bit flipped in chunk 1"])
    received = bytearray()
    with requests.get(url, headers=auth, stream=True, timeout=30) as response:
        assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(plaintext)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for piece in response.iter_content(65_536):
                received += piece
    assert bytes(received) == plaintext[:C]


def test_get__range_on_the_altered_chunk__500_json(crafted):
    plaintext, url, auth, _ = crafted(MUTATIONS["bit flipped in chunk 1"])
    response = requests.get(url, headers={**auth, "Range": f"bytes={C + 5}-{C + 50}"}, timeout=30)
    assert response.status_code == 500 and "chunk 1" in response.json()["reason"]
    ok = requests.get(url, headers={**auth, "Range": "bytes=0-99"}, timeout=30)  # chunk 0 is intact
    assert ok.status_code == 206 and ok.content == plaintext[:100]


def test_download__altered_chunk__error_and_no_file(tmp_path, crafted, client_for, buyer_key):
    from cidhub.access.client import AccessError

    _, url, _, _ = crafted(MUTATIONS["bit flipped in chunk 1"])
    out = tmp_path / "model.bin"
    with pytest.raises(AccessError) as failed:
        client_for(buyer_key).download(url.rsplit("/", 1)[1], out)
    assert failed.value.status == 500 and not out.exists()


def test_get__corrupt_block_on_disk__500_json(crafted, access_store):
    from cidhub.ipfs.node import dagread

    plaintext, url, auth, cid = crafted()
    first_leaf = dagread.list_directory(access_store, cid)[0][1]  # links of the root: the leaves
    path = access_store.path_for(first_leaf)
    path.write_bytes(_flip(path.read_bytes(), 5_000))
    response = requests.get(url, headers=auth, timeout=30)
    assert response.status_code == 500 and response.json()["error"] == "corrupt_content"
    assert plaintext[:16] not in response.content


def test_get__missing_data_key__404_clear_reason(crafted):
    _, url, auth, _ = crafted(deposit_key=False)
    response = requests.get(url, headers=auth, timeout=30)
    assert response.status_code == 404
    assert response.json()["error"] == "no_key" and "holds no data key" in response.json()["reason"]


def test_gateway__serves_only_the_ciphertext(private_asset, access_node):
    body = requests.get(f"{access_node.url}/ipfs/{private_asset.cid}", timeout=30).content
    assert body.startswith(b"cidhub-sealed-v1") and private_asset.plaintext[:64] not in body
    assert len(body) == HEADER_SIZE + len(private_asset.plaintext) + TAG_SIZE * 4
