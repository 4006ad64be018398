"""Publishing private assets (cidhub.publish with private=True) and the `cidhub get` / `cidhub node
--access` commands."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from click.testing import CliRunner

from cidhub.chain.registry import Kind
from cidhub.cli import main
from cidhub.content.cid import cid_from_bytes, parse_cid
from cidhub.content.keystore import Keystore
from cidhub.content.sealed import SCHEME
from cidhub.content.unixfs import import_bytes
from cidhub.ipfs.node.dagread import iter_file
from cidhub.publish import PublishError, PublishRequest, prepare


def test_publish_private__registers_the_ciphertext_card_leaks_nothing(private_asset, registry, access_store,
                                                                      access_node):
    registered = str(cid_from_bytes(bytes(registry.cid_of(private_asset.asset_id))))
    plaintext_cid = str(import_bytes(private_asset.plaintext).cid)
    assert registered == private_asset.cid != plaintext_cid
    card_bytes = b"".join(iter_file(access_store, parse_cid(private_asset.card_cid)))
    card = json.loads(card_bytes)
    assert card["access"]["private"] is True and card["access"]["scheme"] == SCHEME
    assert card["access"]["plaintext_size"] == len(private_asset.plaintext)
    assert card["access"]["endpoint"] == access_node.access_url
    text = card_bytes.decode()
    for secret in (hashlib.sha256(private_asset.plaintext).hexdigest(), plaintext_cid, "model.safetensors",
                   str(private_asset.path)):
        assert secret not in text
    assert card["content"]["cid"] == private_asset.cid and card["name"] == "tiny model"


def test_prepare_private__rerun_gives_the_same_cid__new_keystore_a_new_one(tmp_path, store):
    """An interrupted private publish resumes: the same plaintext seals to the same ciphertext."""
    path = tmp_path / "weights.bin"
    path.write_bytes(os.urandom(70_000))
    request = PublishRequest(path, Kind.MODEL, private=True, access_endpoint="https://access.example/access/v1")
    keystore = Keystore(tmp_path / "ks", os.urandom(32))
    first, again = prepare(request, store, keystore=keystore), prepare(request, store, keystore=keystore)
    assert first.content.cid == again.content.cid and first.card_cid == again.card_cid
    other = prepare(request, store, keystore=Keystore(tmp_path / "ks2", os.urandom(32)))
    assert other.content.cid != first.content.cid
    assert keystore.get(first.asset_id).cid == str(first.content.cid)


@pytest.mark.parametrize("change, message", [
    ({"access_endpoint": None}, "needs --access-endpoint"),
    ({"access_endpoint": "ftp://x"}, "not an http"),
    ({"keystore": None}, "needs the access service's keystore"),
])
def test_prepare_private__missing_pieces__clear_error(tmp_path, store, change, message):
    path = tmp_path / "w.bin"
    path.write_bytes(b"w")
    keystore = change.pop("keystore", Keystore(tmp_path / "ks", os.urandom(32)))
    request = PublishRequest(path, Kind.MODEL, private=True,
                             **{"access_endpoint": "http://127.0.0.1:1/access/v1", **change})
    with pytest.raises(PublishError, match=message):
        prepare(request, store, keystore=keystore)


def test_cli_get__no_licence_exit_3__after_buy_file_and_commitment(tmp_path, private_asset, access_node, buyer,
                                                                   buy_licence):
    asset = f"0x{private_asset.asset_id:064x}"
    out = tmp_path / "got.bin"
    args = ["get", asset, "--account", "TEST::4", "--endpoint", access_node.access_url, "-o", str(out), "--json"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 3 and "no licence" in refused.output and not out.exists()
    buy_licence(buyer, private_asset.offer_id)
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == private_asset.plaintext
    assert json.loads(done.output[done.output.index("{"):])["commitment"] == "checked"


def test_cli_node_access__wrong_master_key__clear_error(chain, market, keystore):
    result = CliRunner().invoke(main, ["node", "--access", "--port", "0", "--keystore", str(keystore.root),
                                       "--rpc", chain.provider.uri, "--market", market.address],
                                env={"CIDHUB_ACCESS_MASTER_KEY": os.urandom(32).hex()})
    assert result.exit_code == 2
    assert "the master key does not open the keystore" in result.output


def test_cli_node_access__no_chain__clear_error(keystore):
    result = CliRunner().invoke(main, ["node", "--access", "--port", "0", "--keystore", str(keystore.root)],
                                env={"CIDHUB_RPC_URL": "", "CIDHUB_MARKET": ""})
    assert result.exit_code == 2 and "--access needs the chain" in result.output
