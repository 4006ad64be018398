"""ERC-2981 royalties paid by a real client: a Solidity marketplace built on OpenZeppelin 5.1.

`OzRoyaltyMarket` settles a secondary sale the way deployed marketplaces do: it asks
`IERC2981.royaltyInfo` before the NFT moves, pays the royalty receiver (ether with `transfer`, i.e.
only the 2,300-gas stipend, as older marketplaces do; ERC-20 through SafeERC20), pays the seller
the rest, then `safeTransferFrom`s the NFT. The royalty must reach the asset's Marketplace pool
and, through `distribute`, its ancestors, and be withdrawn by them to the wei; the seller must
never get its own royalty back.
"""

from __future__ import annotations

import hashlib
import os
from types import SimpleNamespace

import pytest

from cidhub.chain.registry import Kind
from cidhub.content.cid import RAW, cid_to_bytes, make_cid

from .solc import compile_solidity, container

ETH = "0x" + "00" * 20
MAX_BPS = 10_000
PRICE = {"eth": 3 * 10**18, "erc20": 2_500 * 10**18}
CHILD_ROYALTY_BPS = 1_000
PARENT_SHARE_BPS = 3_000  # child -> parent
GRANDPARENT_SHARE_BPS = 1_000  # parent -> grandparent

SOURCE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// A fixed-price secondary market that honours ERC-2981 the usual way.
contract OzRoyaltyMarket is ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Listing { address seller; address currency; uint256 price; }
    mapping(address => mapping(uint256 => Listing)) public listings;

    event Sold(address indexed nft, uint256 indexed tokenId, address seller, address buyer,
               address royaltyReceiver, uint256 royalty);

    function list(address nft, uint256 tokenId, address currency, uint256 price) external {
        require(IERC721(nft).ownerOf(tokenId) == msg.sender, "OzRoyaltyMarket: not the owner");
        listings[nft][tokenId] = Listing(msg.sender, currency, price);
    }

    function buy(address nft, uint256 tokenId) external payable nonReentrant {
        Listing memory l = listings[nft][tokenId];
        require(l.seller != address(0), "OzRoyaltyMarket: not listed");
        delete listings[nft][tokenId];
        address receiver;
        uint256 royalty;
        if (IERC165(nft).supportsInterface(type(IERC2981).interfaceId)) {
            (receiver, royalty) = IERC2981(nft).royaltyInfo(tokenId, l.price);
        }
        require(royalty <= l.price, "OzRoyaltyMarket: royalty above price");
        if (l.currency == address(0)) {
            require(msg.value == l.price, "OzRoyaltyMarket: wrong payment");
            if (royalty > 0) payable(receiver).transfer(royalty);
            Address.sendValue(payable(l.seller), l.price - royalty);
        } else {
            require(msg.value == 0, "OzRoyaltyMarket: ether sent");
            if (royalty > 0) IERC20(l.currency).safeTransferFrom(msg.sender, receiver, royalty);
            IERC20(l.currency).safeTransferFrom(msg.sender, l.seller, l.price - royalty);
        }
        IERC721(nft).safeTransferFrom(l.seller, msg.sender, tokenId);
        emit Sold(nft, tokenId, l.seller, msg.sender, receiver, royalty);
    }
}

contract OzUsd is ERC20 {
    constructor() ERC20("OZ USD", "OUSD") {}
    function mint(address to, uint256 amount) external { _mint(to, amount); }
}
"""


def _cid() -> bytes:
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(b"oz-market-" + os.urandom(16)).digest()))


@pytest.fixture(scope="module")
def oz_types():
    return compile_solidity({"OzRoyaltyMarket.sol": SOURCE})


@pytest.fixture(scope="module")
def world(project, registry, oz_types, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    """The registry linked to a cidhub Marketplace, an OZ market, an OZ ERC-20 the DAO allowed, and
    grandparent (curator's) <- parent (registrar's) <- child (creator's, 10 % royalty)."""
    market = project.Marketplace.deploy(registry, dao, 250, sender=deployer)
    market.grantRole(market.TOKEN_MANAGER_ROLE(), dao, sender=deployer)
    registry.set_royalty_market(market, sender=deployer)
    oz_market = container(oz_types["OzRoyaltyMarket"]).deploy(sender=deployer)
    usd = container(oz_types["OzUsd"]).deploy(sender=deployer)
    market.set_token_allowed(usd, True, sender=dao)
    for person in (buyer, other):
        usd.mint(person, 10**24, sender=deployer)
        usd.approve(oz_market, 2**256 - 1, sender=person)

    def register(owner, parents=(), shares=(), royalty_bps=0):
        tx = registry.register(_cid(), int(Kind.MODEL), _cid(), 1, list(parents), list(shares), royalty_bps,
                               sender=owner)
        return tx.decode_logs(registry.AssetRegistered)[0].asset_id

    grandparent = register(curator)
    parent = register(registrar, [grandparent], [GRANDPARENT_SHARE_BPS])
    child = register(creator, [parent], [PARENT_SHARE_BPS], CHILD_ROYALTY_BPS)
    return SimpleNamespace(market=market, oz_market=oz_market, usd=usd, grandparent=grandparent, parent=parent,
                           child=child, owners={grandparent: curator, parent: registrar, child: creator})


def _wallet(chain, token, account) -> int:
    address = getattr(account, "address", account)
    return chain.provider.get_balance(address) if token == ETH else token.balanceOf(address)


def _holds_what_it_owes(chain, world, token, people) -> bool:
    market = world.market
    key = ETH if token == ETH else token.address
    held = chain.provider.get_balance(market.address) if token == ETH else token.balanceOf(market)
    pools = sum(market.pending(a, key) for a in (world.grandparent, world.parent, world.child))
    return held == pools + sum(market.balance_of(p, key) for p in people)


def _resell(chain, registry, world, seller, new_owner, token, price) -> tuple[str, int]:
    """List on the OZ market and buy; returns (royalty receiver, royalty) from its Sold event and
    checks the seller got exactly price - royalty."""
    registry.setApprovalForAll(world.oz_market, True, sender=seller)
    world.oz_market.list(registry, world.child, token, price, sender=seller)
    seller_before = _wallet(chain, token, seller)
    value = price if token == ETH else 0
    tx = world.oz_market.buy(registry, world.child, value=value, sender=new_owner)
    (sold,) = tx.decode_logs(world.oz_market.Sold)
    assert registry.ownerOf(world.child) == new_owner.address
    assert _wallet(chain, token, seller) - seller_before == price - sold.royalty
    return sold.royaltyReceiver, sold.royalty


@pytest.mark.parametrize("currency", ["eth", "erc20"])
def test_oz_market_resale__royalty_reaches_pool_then_ancestors_and_is_withdrawn(
        chain, registry, world, currency, creator, buyer, other, curator, registrar, attacker):
    token = ETH if currency == "eth" else world.usd
    key = ETH if currency == "eth" else world.usd.address
    market, price = world.market, PRICE[currency]
    people = [creator, buyer, other, curator, registrar, attacker]
    receiver = market.royalty_receiver_of(world.child)

    # First resale: creator -> buyer. The receiver has no code yet.
    paid_to, royalty = _resell(chain, registry, world, creator, buyer, token, price)
    assert paid_to == receiver and paid_to not in (creator.address, buyer.address)
    assert royalty == price * CHILD_ROYALTY_BPS // MAX_BPS
    assert _wallet(chain, token, receiver) == royalty

    market.sweep_royalties(world.child, token, sender=attacker)
    assert market.pending(world.child, key) == royalty
    assert _holds_what_it_owes(chain, world, token, people)

    # Second resale: buyer -> other, now paying a deployed forwarder (2,300 gas for ether).
    paid_to, royalty_2 = _resell(chain, registry, world, buyer, other, token, price)
    assert paid_to == receiver
    market.sweep_royalties(world.child, token, sender=attacker)
    total = royalty + royalty_2
    assert market.pending(world.child, key) == total

    # Up the provenance graph, one level per distribute, paid by a keeper.
    to_parent = total * PARENT_SHARE_BPS // MAX_BPS
    market.distribute(world.child, token, [world.parent], [PARENT_SHARE_BPS], [], [], sender=attacker)
    to_grandparent = to_parent * GRANDPARENT_SHARE_BPS // MAX_BPS
    market.distribute(world.parent, token, [world.grandparent], [GRANDPARENT_SHARE_BPS], [], [], sender=attacker)
    market.distribute(world.grandparent, token, [], [], [], [], sender=attacker)
    # The child's share goes to its owner at distribution time (default split): `other` now.
    expected = {other: total - to_parent, registrar: to_parent - to_grandparent, curator: to_grandparent}
    assert {p: market.balance_of(p, key) for p in expected} == expected
    assert market.balance_of(creator, key) == market.balance_of(buyer, key) == 0
    assert _holds_what_it_owes(chain, world, token, people)

    for payee, amount in expected.items():
        before = _wallet(chain, token, payee)
        market.withdraw_for(payee, token, sender=attacker)
        assert _wallet(chain, token, payee) - before == amount
    assert _holds_what_it_owes(chain, world, token, people)
    assert all(market.pending(a, key) == 0 for a in (world.grandparent, world.parent, world.child))
