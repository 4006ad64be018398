"""Range reads on the plaintext (only the chunks touched are decrypted) and resumable downloads."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests

from cidhub.access.client import CommitmentMismatchError
from cidhub.content import sealed
from cidhub.content.sealed import CHUNK_SIZE

C = CHUNK_SIZE


@pytest.fixture
def licensed(private_asset, client_for, buyer, buyer_key, buy_licence):
    """(url, auth headers) for a buyer holding a licence."""
    buy_licence(buyer, private_asset.offer_id)
    client = client_for(buyer_key)
    token = client.sign_in()["token"]
    return f"{client.endpoint}/assets/0x{private_asset.asset_id:064x}", {"Authorization": f"Bearer {token}"}


@pytest.fixture
def decrypted_chunks(monkeypatch):
    """The chunk indices the service decrypts, in order."""
    seen: list[int] = []
    original = sealed.Opener.decrypt_chunk

    def recording(self, index, *args):
        seen.append(index)
        return original(self, index, *args)

    monkeypatch.setattr(sealed.Opener, "decrypt_chunk", recording)
    return seen


@pytest.mark.parametrize("label, header, first, last, chunks", [
    ("start", "bytes=0-99", 0, 99, [0]),
    ("middle across a chunk boundary", f"bytes={C - 10}-{C + 9}", C - 10, C + 9, [0, 1]),
    ("middle across two boundaries", f"bytes={C - 1}-{2 * C}", C - 1, 2 * C, [0, 1, 2]),
    ("end, open-ended", f"bytes={3 * C + 12_000}-", 3 * C + 12_000, 3 * C + 12_344, [3]),
    ("end, suffix", "bytes=-1000", 3 * C + 12_345 - 1000, 3 * C + 12_344, [3]),
])
def test_range__exact_bytes_and_only_touched_chunks(private_asset, licensed, decrypted_chunks, label, header, first,
                                                    last, chunks):
    url, auth = licensed
    response = requests.get(url, headers={**auth, "Range": header}, timeout=30)
    size = len(private_asset.plaintext)
    assert response.status_code == 206, response.text
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response.content == private_asset.plaintext[first:last + 1]
    assert decrypted_chunks == chunks
    assert response.headers["Cache-Control"] == "private, no-store"


def test_range__whole_file__200_with_commitment_headers(private_asset, licensed):
    url, auth = licensed
    response = requests.get(url, headers=auth, timeout=30)
    assert response.status_code == 200 and response.content == private_asset.plaintext
    assert response.headers["X-Cidhub-Plaintext-Sha256"] == hashlib.sha256(private_asset.plaintext).hexdigest()
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=99999999-", "bytes=0-1,5-9", "bytes=-0"])
def test_range__unsatisfiable__416(private_asset, licensed, header):
    url, auth = licensed
    response = requests.get(url, headers={**auth, "Range": header}, timeout=30)
    assert response.status_code == 416 and response.json()["error"] == "range"
    assert response.headers["Content-Range"] == f"bytes */{len(private_asset.plaintext)}"


def test_range__if_range_for_other_content__whole_file(private_asset, licensed):
    url, auth = licensed
    response = requests.get(url, headers={**auth, "Range": "bytes=10-", "If-Range": '"bafyother"'}, timeout=30)
    assert response.status_code == 200 and len(response.content) == len(private_asset.plaintext)


def test_head__size_and_commitment_without_a_body(private_asset, licensed):
    url, auth = licensed
    response = requests.head(url, headers=auth, timeout=30)
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["Content-Length"]) == len(private_asset.plaintext)


def test_download__atomic_and_checked(tmp_path, private_asset, client_for, buyer, buyer_key, buy_licence):
    buy_licence(buyer, private_asset.offer_id)
    out = tmp_path / "model.bin"
    result = client_for(buyer_key).download(f"0x{private_asset.asset_id:064x}", out)
    assert out.read_bytes() == private_asset.plaintext and result.resumed_from == 0
    assert result.sha256 == hashlib.sha256(private_asset.plaintext).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_download__resumes_from_the_partial_file(tmp_path, private_asset, client_for, buyer, buyer_key, buy_licence,
                                                 decrypted_chunks):
    buy_licence(buyer, private_asset.offer_id)
    client = client_for(buyer_key)
    asset = f"0x{private_asset.asset_id:064x}"
    info = client.head(asset)
    out = tmp_path / "model.bin"
    have = 2 * C + 100  # an interrupted run got this far
    (tmp_path / "model.bin.part").write_bytes(private_asset.plaintext[:have])
    (tmp_path / "model.bin.part.json").write_text(json.dumps(
        {"asset": asset, "etag": info["etag"], "size": info["size"], "sha256": info["sha256"]}))
    result = client.download(asset, out)
    assert result.resumed_from == have and out.read_bytes() == private_asset.plaintext
    assert decrypted_chunks == [2, 3]  # only the rest was fetched and decrypted


def test_download__corrupt_partial_file__refused_nothing_written(tmp_path, private_asset, client_for, buyer,
                                                                 buyer_key, buy_licence):
    buy_licence(buyer, private_asset.offer_id)
    client = client_for(buyer_key)
    asset = f"0x{private_asset.asset_id:064x}"
    info = client.head(asset)
    out = tmp_path / "model.bin"
    (tmp_path / "model.bin.part").write_bytes(b"\x00" * 1000)
    (tmp_path / "model.bin.part.json").write_text(json.dumps(
        {"asset": asset, "etag": info["etag"], "size": info["size"], "sha256": info["sha256"]}))
    with pytest.raises(CommitmentMismatchError, match="does not match the commitment"):
        client.download(asset, out)
    assert not out.exists() and not (tmp_path / "model.bin.part").exists()
    assert client.download(asset, out).size == len(private_asset.plaintext)  # a clean rerun succeeds
