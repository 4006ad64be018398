"""`royaltyInfo` (ERC-2981): the royalty goes to the asset's receiver at the Marketplace, never the seller.

The money side (paying the receiver, sweeping it into the pool, distributing it upstream) is in
tests/contracts/marketplace/test_sweep_royalties.py and tests/oz/test_oz_marketplace.py.
"""

from __future__ import annotations

import pytest

from cidhub.chain.market import royalty_receiver_address
from cidhub.chain.registry import MAX_ROYALTY_BPS

from . import cids

ZERO_ADDRESS = "0x" + "00" * 20


@pytest.mark.parametrize(
    "royalty_bps, price, expected",
    [
        (500, 10_000, 500),
        (500, 19_999, 999),  # 999.95 rounds down
        (1, 9_999, 0),  # 0.9999 rounds down to nothing
        (MAX_ROYALTY_BPS, 4, 1),
        (MAX_ROYALTY_BPS, 3, 0),
        (0, 10**30, 0),
        (2_345, 10**30, 2_345 * 10**26),
        (250, 0, 0),
    ],
)
def test_royaltyInfo__asset_receiver_gets_rounded_down_share(registry, royalty_market, new_asset, royalty_bps,
                                                             price, expected):
    asset_id = new_asset(royalty_bps=royalty_bps)

    assert registry.royaltyInfo(asset_id, price) == (royalty_market.royalty_receiver_of(asset_id), expected)


def test_royaltyInfo__receiver_is_never_the_owner_and_stays_put_across_sales(registry, royalty_market, creator,
                                                                            buyer, other, new_asset):
    # A marketplace asks before it transfers: were the owner the receiver, every seller would be
    # paid its own royalty. The receiver is the asset's, whoever holds it.
    asset_id = new_asset(royalty_bps=1_000)
    receiver = royalty_market.royalty_receiver_of(asset_id)
    seen = []
    for seller, new_owner in ((creator, buyer), (buyer, other)):
        seen.append(registry.royaltyInfo(asset_id, 100))
        registry.transferFrom(seller, new_owner, asset_id, sender=seller)
    seen.append(registry.royaltyInfo(asset_id, 100))

    assert seen == [(receiver, 10)] * 3
    assert receiver not in (creator.address, buyer.address, other.address, royalty_market.address)


def test_royaltyInfo__receiver__one_per_asset_computable_off_chain(registry, royalty_market, new_asset):
    first, second = new_asset(), new_asset()

    receivers = [registry.royaltyInfo(a, 1)[0] for a in (first, second)]

    assert receivers == [royalty_receiver_address(royalty_market.address, a) for a in (first, second)]
    assert receivers[0] != receivers[1]


@pytest.mark.parametrize("price", [2**256 - 1, 2**256 - 10_001, 2**255 + 12_345, 2**256 // MAX_ROYALTY_BPS + 1])
def test_royaltyInfo__price_near_2_256__exact_without_overflow(registry, royalty_market, new_asset, price):
    # price * bps would overflow; the registry splits the price at MAX_BPS and stays exact.
    asset_id = new_asset(royalty_bps=MAX_ROYALTY_BPS)

    assert registry.royaltyInfo(asset_id, price)[1] == price * MAX_ROYALTY_BPS // 10_000


def test_royaltyInfo__unknown_token__default_royalty_without_revert(registry, royalty_market):
    # OpenZeppelin 5.1's ERC2981 answers any id with the default royalty instead of reverting;
    # ours is zero, paid to the id's receiver (where it would be swept once the id is registered).
    unknown = cids.expected_id(cids.sha256_v1())

    assert registry.royaltyInfo(unknown, 10**18) == (royalty_market.royalty_receiver_of(unknown), 0)


def test_royaltyInfo__reserved_token__default_royalty(registry, royalty_market, registrar):
    reserved = cids.expected_id(cids.sha256_v1())
    registry.reserve(reserved, sender=registrar)

    assert registry.royaltyInfo(reserved, 10**18) == (royalty_market.royalty_receiver_of(reserved), 0)


def test_royaltyInfo__no_market_linked__no_receiver_no_royalty(project, deployer, creator):
    unlinked = project.AssetRegistry.deploy(sender=deployer)
    tx = unlinked.register(cids.sha256_v1(), 0, cids.metadata(), 1, [], [], 2_000, sender=creator)
    (event,) = tx.decode_logs(unlinked.AssetRegistered)

    assert unlinked.royalty_market() == ZERO_ADDRESS
    assert unlinked.royaltyInfo(event.asset_id, 10_000) == (ZERO_ADDRESS, 0)
