"""The keystore (cidhub.content.keystore): data keys encrypted at rest, clear errors for a wrong
master key, a missing key, a moved or altered record, and a careless keyfile."""

from __future__ import annotations

import json
import os

import pytest

from cidhub.content.keystore import (
    Keystore,
    KeystoreError,
    MissingKeyError,
    WrongMasterKeyError,
    load_master_key,
)

CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


def test_put_get__round_trip__nothing_in_clear(tmp_path):
    master, data_key = os.urandom(32), os.urandom(32)
    store = Keystore(tmp_path, master)
    store.put(7, CID, data_key)
    assert Keystore(tmp_path, master).get(7).data_key == data_key
    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert data_key not in on_disk and data_key.hex().encode() not in on_disk and master not in on_disk
    assert oct((tmp_path / "assets" / f"{7:064x}.json").stat().st_mode & 0o777) == "0o600"


def test_open__wrong_master_key__clear_error(tmp_path):
    Keystore(tmp_path, os.urandom(32)).put(1, CID, os.urandom(32))
    with pytest.raises(WrongMasterKeyError, match="the master key does not open the keystore at .* master key id"):
        Keystore(tmp_path, os.urandom(32))


def test_get__missing_data_key__clear_error(tmp_path):
    with pytest.raises(MissingKeyError, match="holds no data key for asset 0x0+2a"):
        Keystore(tmp_path, os.urandom(32)).get(42)


def test_get__record_moved_to_another_asset__refused(tmp_path):
    store = Keystore(tmp_path, os.urandom(32))
    store.put(1, CID, os.urandom(32))
    (tmp_path / "assets" / f"{1:064x}.json").rename(tmp_path / "assets" / f"{2:064x}.json")
    with pytest.raises(WrongMasterKeyError, match="moved to another asset"):
        store.get(2)


def test_get__record_altered__refused(tmp_path):
    store = Keystore(tmp_path, os.urandom(32))
    store.put(1, CID, os.urandom(32))
    path = tmp_path / "assets" / f"{1:064x}.json"
    body = json.loads(path.read_text())
    body["cid"] = "bafkreie7amtu" + CID[13:]
    path.write_text(json.dumps(body))
    with pytest.raises(WrongMasterKeyError):
        store.get(1)


def test_copy_to__second_service_under_its_own_master_key(tmp_path):
    first = Keystore(tmp_path / "a", os.urandom(32))
    key = os.urandom(32)
    first.put(5, CID, key)
    second = Keystore(tmp_path / "b", os.urandom(32))
    assert first.copy_to(second) == 1
    assert second.get(5).data_key == key and second.master_key_id != first.master_key_id


def test_seal_params__same_plaintext_same_params(tmp_path):
    store = Keystore(tmp_path, os.urandom(32))
    digest = os.urandom(32)
    assert store.seal_params(digest) == store.seal_params(digest)
    assert store.seal_params(os.urandom(32)) != store.seal_params(digest)
    assert not any(digest.hex() in p.name for p in tmp_path.rglob("*"))


def test_load_master_key__env_keyfile_and_their_errors(tmp_path, monkeypatch):
    key = os.urandom(32)
    monkeypatch.setenv("CIDHUB_ACCESS_MASTER_KEY", key.hex())
    assert load_master_key() == key
    monkeypatch.delenv("CIDHUB_ACCESS_MASTER_KEY")
    with pytest.raises(KeystoreError, match=r"set \$CIDHUB_ACCESS_MASTER_KEY"):
        load_master_key()
    keyfile = tmp_path / "master.key"
    keyfile.write_text(key.hex() + "\n")
    keyfile.chmod(0o644)
    with pytest.raises(KeystoreError, match="chmod 600"):
        load_master_key(keyfile)
    keyfile.chmod(0o600)
    assert load_master_key(keyfile) == key
    keyfile.write_text("abcd")
    with pytest.raises(KeystoreError, match="2 bytes; expected 32"):
        load_master_key(keyfile)
