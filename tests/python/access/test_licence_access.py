"""Who may read a private asset: decided by Marketplace.has_access on chain, per request."""

from __future__ import annotations

import pytest
from eth_account import Account

from cidhub.access.client import AccessDeniedError, SignInRefusedError
from cidhub.content.cid import cid_to_bytes


def _asset(private_asset) -> str:
    return f"0x{private_asset.asset_id:064x}"


def test_get__no_licence__403_with_reason(private_asset, client_for, buyer_key):
    with pytest.raises(AccessDeniedError) as refused:
        client_for(buyer_key).read(_asset(private_asset))
    assert refused.value.status == 403
    assert refused.value.body["error"] == "forbidden" and refused.value.reason == "no licence"
    assert refused.value.body["account"] == buyer_key.address


def test_get__after_buy__200_exact_bytes(private_asset, client_for, buyer, buyer_key, buy_licence):
    client = client_for(buyer_key)
    buy_licence(buyer, private_asset.offer_id)
    assert client.read(_asset(private_asset)) == private_asset.plaintext


def test_get__timed_licence_after_time_travel__403_expired(chain, private_asset, client_for, buyer, buyer_key,
                                                           buy_licence):
    client = client_for(buyer_key)
    buy_licence(buyer, private_asset.timed_offer_id)
    assert client.read(_asset(private_asset), 0, 10) == private_asset.plaintext[:10]
    chain.mine(deltatime=3_601)
    with pytest.raises(AccessDeniedError) as refused:
        client.read(_asset(private_asset), 0, 10)
    assert refused.value.reason == "licence expired" and refused.value.body["expires_at"] > 0


def test_get__delisted__403__relisted__200(private_asset, registry, curator, client_for, buyer, buyer_key,
                                          buy_licence):
    client = client_for(buyer_key)
    buy_licence(buyer, private_asset.offer_id)
    registry.delist(private_asset.asset_id, cid_to_bytes(private_asset.card_cid), sender=curator)
    with pytest.raises(AccessDeniedError) as refused:
        client.read(_asset(private_asset), 0, 10)
    assert refused.value.reason == "asset delisted"
    registry.relist(private_asset.asset_id, cid_to_bytes(private_asset.card_cid), sender=curator)
    assert client.read(_asset(private_asset), 0, 10) == private_asset.plaintext[:10]


def test_get__licence_of_another_account__403(private_asset, client_for, buyer, other, buy_licence):
    buy_licence(buyer, private_asset.offer_id)  # bought for the buyer, not for `other`
    with pytest.raises(AccessDeniedError, match="no licence"):
        client_for(Account.from_key(other.private_key)).read(_asset(private_asset), 0, 10)


def test_get__licence_bought_for_someone_else__200(private_asset, client_for, buyer, other, buy_licence):
    buy_licence(buyer, private_asset.offer_id, other.address)
    assert client_for(Account.from_key(other.private_key)).read(_asset(private_asset), 0, 10) == \
        private_asset.plaintext[:10]


def test_get__by_cid__same_answer(private_asset, client_for, buyer, buyer_key, buy_licence):
    buy_licence(buyer, private_asset.offer_id)
    assert client_for(buyer_key).read(private_asset.cid, 0, 5) == private_asset.plaintext[:5]


def test_get__ape_account_signer(private_asset, client_for, buyer, buy_licence):
    """Scripts sign with Ape accounts (MessageSignature), the Python API with eth-account."""
    buy_licence(buyer, private_asset.offer_id)
    assert client_for(buyer).read(_asset(private_asset), 0, 5) == private_asset.plaintext[:5]


# ---------------------------------------------------------------- ERC-1271 contract wallets


class WalletSigner:
    """A contract wallet's signer: the wallet's address, signatures by its owner key."""

    def __init__(self, wallet_address: str, owner: Account) -> None:
        self.address = wallet_address
        self._owner = owner

    def sign_message(self, message):
        return self._owner.sign_message(message)


@pytest.fixture(scope="module")
def wallet_owner(other):
    return Account.from_key(other.private_key)


@pytest.fixture(scope="module")
def wallet(project, deployer, wallet_owner):
    return project.AccWallet.deploy(wallet_owner.address, sender=deployer)


def test_erc1271_wallet__licensed__200(private_asset, wallet, wallet_owner, client_for, buyer, buy_licence):
    buy_licence(buyer, private_asset.offer_id, wallet.address)
    client = client_for(WalletSigner(wallet.address, wallet_owner))
    assert client.sign_in()["address"] == wallet.address
    assert client.read(_asset(private_asset)) == private_asset.plaintext


def test_erc1271_wallet__not_licensed__403(private_asset, wallet, wallet_owner, client_for, buyer, buy_licence):
    buy_licence(buyer, private_asset.offer_id, wallet_owner.address)  # the owner's EOA, not the wallet
    with pytest.raises(AccessDeniedError, match="no licence"):
        client_for(WalletSigner(wallet.address, wallet_owner)).read(_asset(private_asset), 0, 10)


def test_erc1271_wallet__signed_by_a_stranger__401(private_asset, wallet, attacker, client_for):
    with pytest.raises(SignInRefusedError) as refused:
        client_for(WalletSigner(wallet.address, Account.from_key(attacker.private_key))).sign_in()
    assert refused.value.body["error"] == "signature"


def test_get__chain_unreachable__503_refused_not_guessed(private_asset, access_node, client_for, buyer, buyer_key,
                                                         buy_licence, monkeypatch):
    from cidhub.access.client import AccessError
    from cidhub.chain.licences import LicenceOracle

    buy_licence(buyer, private_asset.offer_id)
    client = client_for(buyer_key)
    client.sign_in()
    dead = LicenceOracle("http://127.0.0.1:9", access_node.service.oracle.market_address, timeout=2)
    monkeypatch.setattr(access_node.service, "oracle", dead)
    with pytest.raises(AccessError) as refused:
        client.read(_asset(private_asset), 0, 10)
    assert refused.value.status == 503 and refused.value.body["error"] == "chain_unavailable"


def test_get__unknown_asset__403_unknown(access_node, client_for, buyer_key):
    with pytest.raises(AccessDeniedError) as refused:
        client_for(buyer_key).read("0x" + "ab" * 32, 0, 10)
    assert refused.value.reason == "unknown asset"
