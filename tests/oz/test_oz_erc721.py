"""The registry's ERC-721 and ERC-2981 as OpenZeppelin 5.1 clients and references see them.

- OZ's `ERC721Holder` receives an asset through `safeTransferFrom` with long data (the bound was
  1,024 bytes; it is now erc721_packed.MAX_DATA_BYTES = 16 KiB).
- OZ's own `ERC2981` is the reference for `royaltyInfo` on an id that has no token: neither
  reverts, both answer the default royalty (zero here).
"""

from __future__ import annotations

import hashlib
import os

import ape
import pytest
from eth_utils import keccak

from cidhub.chain.registry import Kind
from cidhub.content.cid import RAW, cid_to_bytes, make_cid

from .solc import compile_solidity, container

MAX_DATA_BYTES = 16_384

SOURCE = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC721Holder} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Holder.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";

/// OZ's holder as it ships, plus a record of what it was sent.
contract OzRecordingHolder is ERC721Holder {
    uint256 public lastLength;
    bytes32 public lastHash;

    function onERC721Received(address operator, address from, uint256 tokenId, bytes memory data)
        public override returns (bytes4)
    {
        lastLength = data.length;
        lastHash = keccak256(data);
        return super.onERC721Received(operator, from, tokenId, data);
    }
}

/// OZ's ERC2981 reference: a default royalty and one token with its own.
contract OzRoyaltyReference is ERC721, ERC2981 {
    constructor(address defaultReceiver, uint96 defaultBps) ERC721("Ref", "REF") {
        _setDefaultRoyalty(defaultReceiver, defaultBps);
        _mint(msg.sender, 1);
        _setTokenRoyalty(1, address(0xBEEF), 1_000);
    }

    function supportsInterface(bytes4 id) public view override(ERC721, ERC2981) returns (bool) {
        return super.supportsInterface(id);
    }
}
"""


@pytest.fixture(scope="module")
def oz_types():
    return compile_solidity({"OzErc721Clients.sol": SOURCE})


@pytest.fixture
def holder(oz_types, deployer):
    return container(oz_types["OzRecordingHolder"]).deploy(sender=deployer)


@pytest.fixture
def asset(registry, creator):
    cid = cid_to_bytes(make_cid(1, RAW, hashlib.sha256(b"oz-holder-" + os.urandom(16)).digest()))
    tx = registry.register(cid, int(Kind.DATASET), cid, 1, [], [], 0, sender=creator)
    return tx.decode_logs(registry.AssetRegistered)[0].asset_id


@pytest.mark.parametrize("length", [0, 10 * 1024, MAX_DATA_BYTES], ids=["empty", "10KiB", "max"])
def test_oz_erc721_holder__safe_transfer_with_long_data__received_whole(registry, creator, holder, asset, length):
    data = os.urandom(length)

    registry.safeTransferFrom(creator, holder, asset, data, sender=creator)

    assert registry.ownerOf(asset) == holder.address
    assert (holder.lastLength(), holder.lastHash()) == (length, keccak(data))


def test_oz_erc721_holder__data_past_the_bound__reverts_and_keeps_token(registry, creator, holder, asset):
    with ape.reverts():
        registry.safeTransferFrom(creator, holder, asset, b"\x01" * (MAX_DATA_BYTES + 1), sender=creator)
    assert registry.ownerOf(asset) == creator.address


def test_royaltyInfo__unknown_token__answers_like_oz_erc2981(project, registry, oz_types, deployer):
    # OZ 5.1 ERC2981.royaltyInfo never reverts: an id without its own royalty gets the default
    # (receiver, fraction). The registry's default is zero bps, paid to the id's own receiver.
    reference = container(oz_types["OzRoyaltyReference"]).deploy(deployer, 0, sender=deployer)
    market = project.Marketplace.deploy(registry, deployer, 250, sender=deployer)
    registry.set_royalty_market(market, sender=deployer)
    unknown = 12345

    assert reference.royaltyInfo(unknown, 10**18) == (deployer.address, 0)
    assert registry.royaltyInfo(unknown, 10**18) == (market.royalty_receiver_of(unknown), 0)
    # Both answer a token that does exist with its own terms.
    assert reference.royaltyInfo(1, 10**18)[1] == 10**17
