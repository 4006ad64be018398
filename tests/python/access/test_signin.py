"""Sign-in (EIP-4361 through the siwe library): replay, nonce reuse, binding to the service's
domain, URI and chain id, expiry, wrong signer, and sessions that end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from eth_account import Account

from cidhub.access.client import SignInRefusedError, build_message, sign_text


@pytest.fixture
def signer(buyer_key):
    return buyer_key


def _message(client, signer, **changes):
    offered = client.nonce()
    fields = {"address": signer.address, "domain": client.domain, "uri": client.endpoint,
              "chain_id": offered["chain_id"], "nonce": offered["nonce"]}
    fields.update(changes)
    return build_message(**fields)


def _refused(client, message, signature) -> dict:
    with pytest.raises(SignInRefusedError) as refused:
        client.login(message, signature)
    assert refused.value.status == 401
    return refused.value.body


def test_login__valid__token_and_session(client_for, signer, access_node):
    client = client_for(signer)
    message = _message(client, signer)
    body = client.login(message, sign_text(signer, message))
    assert body["address"] == signer.address and body["token_type"] == "Bearer" and len(body["token"]) >= 40


def test_login__replayed_message__401(client_for, signer):
    client = client_for(signer)
    message = _message(client, signer)
    signature = sign_text(signer, message)
    client.login(message, signature)
    assert _refused(client, message, signature)["error"] == "nonce"


def test_login__reused_nonce_in_a_new_message__401(client_for, signer):
    client = client_for(signer)
    offered = client.nonce()
    first = build_message(address=signer.address, domain=client.domain, uri=client.endpoint,
                          chain_id=offered["chain_id"], nonce=offered["nonce"])
    client.login(first, sign_text(signer, first))
    second = build_message(address=signer.address, domain=client.domain, uri=client.endpoint,
                           chain_id=offered["chain_id"], nonce=offered["nonce"], statement="again")
    assert _refused(client, second, sign_text(signer, second))["error"] == "nonce"


def test_login__nonce_never_issued__401(client_for, signer):
    client = client_for(signer)
    message = _message(client, signer, nonce="abcdefgh12345678")
    assert _refused(client, message, sign_text(signer, message))["error"] == "nonce"


@pytest.mark.parametrize("field, value, code", [
    ("chain_id", 1, "chain_id"),
    ("domain", "evil.example", "domain"),
    ("uri", "https://evil.example/access/v1", "uri"),
])
def test_login__bound_to_chain_domain_uri__401(client_for, signer, field, value, code):
    client = client_for(signer)
    message = _message(client, signer, **{field: value})
    body = _refused(client, message, sign_text(signer, message))
    assert body["error"] == code


def test_login__a_used_up_nonce_stays_used_after_a_refusal(client_for, signer):
    """A refused attempt burns its nonce too: a corrected message must ask for a new one."""
    client = client_for(signer)
    offered = client.nonce()
    wrong = build_message(address=signer.address, domain="evil.example", uri=client.endpoint,
                          chain_id=offered["chain_id"], nonce=offered["nonce"])
    _refused(client, wrong, sign_text(signer, wrong))
    right = build_message(address=signer.address, domain=client.domain, uri=client.endpoint,
                          chain_id=offered["chain_id"], nonce=offered["nonce"])
    assert _refused(client, right, sign_text(signer, right))["error"] == "nonce"


def test_login__expired_message__401(client_for, signer):
    client = client_for(signer)
    issued = datetime.now(UTC) - timedelta(seconds=120)
    message = _message(client, signer, issued_at=issued, ttl=60)
    assert _refused(client, message, sign_text(signer, message))["error"] == "expired"


def test_login__message_valid_too_long__401(client_for, signer):
    client = client_for(signer)
    message = _message(client, signer, ttl=86_400)
    assert _refused(client, message, sign_text(signer, message))["error"] == "expiry"


def test_login__message_without_expiry__401(client_for, signer):
    from siwe import SiweMessage

    client = client_for(signer)
    message = SiweMessage.from_message(_message(client, signer))
    message.expiration_time = None
    text = message.prepare_message()
    assert _refused(client, text, sign_text(signer, text))["error"] == "expiry"


def test_login__signature_by_another_key__401(client_for, signer, attacker):
    client = client_for(signer)
    message = _message(client, signer)
    body = _refused(client, message, sign_text(Account.from_key(attacker.private_key), message))
    assert body["error"] == "signature" and signer.address in body["reason"]


def test_login__edited_after_signing__401(client_for, signer):
    client = client_for(signer)
    message = _message(client, signer)
    signature = sign_text(signer, message)
    edited = message.replace("Sign in to read", "Sign in to rEad")
    assert _refused(client, edited, signature)["error"] == "signature"


def test_login__not_siwe__400_or_401(client_for, signer, access_node):
    client = client_for(signer)
    assert _refused(client, "hello", "0x00")["error"] == "malformed"
    response = requests.post(f"{client.endpoint}/login", data=b"not json", timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_session__none__401_with_reason(private_asset, access_node):
    response = requests.get(f"{access_node.access_url}/assets/0x{private_asset.asset_id:064x}", timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "no_session"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session__unknown_token__401(private_asset, access_node):
    response = requests.get(f"{access_node.access_url}/assets/0x{private_asset.asset_id:064x}",
                            headers={"Authorization": "Bearer forged"}, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "unknown_session"


def test_session__used_after_it_expires__401(private_asset, client_for, signer, clock, session_ttl, buyer,
                                            buy_licence):
    buy_licence(buyer, private_asset.offer_id)
    client = client_for(signer)
    token = client.sign_in()["token"]
    url = f"{client.endpoint}/assets/0x{private_asset.asset_id:064x}"
    headers = {"Authorization": f"Bearer {token}", "Range": "bytes=0-9"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 206
    clock.offset = session_ttl + 1
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "session_expired"


def test_session__cookie_works_and_logout_ends_it(private_asset, client_for, signer, buyer, buy_licence):
    buy_licence(buyer, private_asset.offer_id)
    client = client_for(signer)
    message = _message(client, signer)
    response = requests.post(f"{client.endpoint}/login", json={"message": message,
                                                              "signature": sign_text(signer, message)}, timeout=10)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = response.json()["token"]
    url = f"{client.endpoint}/assets/0x{private_asset.asset_id:064x}"
    assert requests.get(url, cookies={"cidhub_access": token}, headers={"Range": "bytes=0-0"},
                        timeout=10).status_code == 206
    requests.post(f"{client.endpoint}/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert requests.get(url, cookies={"cidhub_access": token}, timeout=10).status_code == 401
