from __future__ import annotations

import pytest

from cidhub.access.client import AccessDeniedError


def test_get__no_licence__403_then_buy__200_exact_bytes(private_asset, client_for, buyer, buyer_key, buy_licence):
    client = client_for(buyer_key)
    with pytest.raises(AccessDeniedError) as refused:
        client.read(hex(private_asset.asset_id))
    assert refused.value.status == 403 and refused.value.reason == "no licence"
    buy_licence(buyer, private_asset.offer_id)
    assert client.read(hex(private_asset.asset_id)) == private_asset.plaintext
