"""The 62-byte forwarder behind every royalty receiver (contracts/modules/royalty_receiver.vy).

Its bytes are hand-written, so they are checked three ways: assembled here from the listing in
the module's docstring, against the constant in the module and in cidhub, and on chain: what the
Marketplace deploys, that only the Marketplace can move what it holds, and that it takes ether
from anyone else for 21 gas.
"""

from __future__ import annotations

import re

import ape
import pytest
from eth_utils import keccak

from cidhub.chain.market import ROYALTY_RECEIVER_INITCODE

from .helpers import ETH

REPO = __import__("pathlib").Path(__file__).resolve().parents[3]

OPCODES = {
    "STOP": 0x00, "SUB": 0x03, "EQ": 0x14, "OR": 0x17, "SHL": 0x1B, "CALLER": 0x33, "CALLDATALOAD": 0x35,
    "CALLDATASIZE": 0x36, "CALLDATACOPY": 0x37, "CODECOPY": 0x39, "RETURNDATASIZE": 0x3D,
    "RETURNDATACOPY": 0x3E, "MSTORE": 0x52, "JUMPI": 0x57, "GAS": 0x5A, "JUMPDEST": 0x5B, "PUSH0": 0x5F,
    "DUP1": 0x80, "DUP3": 0x82, "CALL": 0xF1, "RETURN": 0xF3, "REVERT": 0xFD,
}
PUSH = {"PUSH1": 1, "PUSH2": 2, "PUSH20": 20}

RUNTIME_LISTING = """
    CALLER PUSH20 <controller> EQ PUSH1 0x1b JUMPI STOP
    JUMPDEST PUSH1 0x40 CALLDATASIZE SUB DUP1 PUSH1 0x40 PUSH0 CALLDATACOPY
    PUSH0 PUSH0 DUP3 PUSH0 PUSH1 0x20 CALLDATALOAD PUSH0 CALLDATALOAD GAS CALL
    RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY PUSH1 0x3a JUMPI RETURNDATASIZE PUSH0 REVERT
    JUMPDEST RETURNDATASIZE PUSH0 RETURN
"""
INIT_LISTING = """
    PUSH2 0x3373 PUSH1 0xa0 SHL CALLER OR PUSH0 MSTORE
    PUSH1 0x28 PUSH1 0x16 PUSH1 0x20 CODECOPY
    PUSH1 0x3e PUSH1 0x0a RETURN
"""


def assemble(listing: str, controller: bytes = bytes(20)) -> bytes:
    out = bytearray()
    words = listing.split()
    i = 0
    while i < len(words):
        word = words[i]
        if word in PUSH:
            operand = words[i + 1]
            out.append(0x5F + PUSH[word])
            out += controller if operand == "<controller>" else int(operand, 16).to_bytes(PUSH[word], "big")
            i += 2
        else:
            out.append(OPCODES[word])
            i += 1
    return bytes(out)


def test_initcode__is_the_listing_and_the_same_in_contract_and_python():
    runtime = assemble(RUNTIME_LISTING)
    source = (REPO / "contracts/modules/royalty_receiver.vy").read_text()
    (in_contract,) = re.findall(r'RECEIVER_INITCODE: constant\(Bytes\[62\]\) = x"([0-9a-f]+)"', source)

    assert len(runtime) == 0x3E
    assert runtime[0x1B] == runtime[0x3A] == OPCODES["JUMPDEST"]  # both jump targets
    assert assemble(INIT_LISTING) + runtime[22:] == ROYALTY_RECEIVER_INITCODE == bytes.fromhex(in_contract)


@pytest.fixture
def funded_receiver(chain, market, asset_id, buyer):
    """The asset's receiver, deployed by a first sweep and holding 1 ether again."""
    receiver = market.royalty_receiver_of(asset_id)
    buyer.transfer(receiver, 1)
    market.sweep_royalties(asset_id, ETH, sender=buyer)
    buyer.transfer(receiver, 10**18)
    return receiver


def test_forwarder__deployed_code_is_the_runtime_with_the_market_as_controller(chain, market, funded_receiver):
    expected = assemble(RUNTIME_LISTING, bytes.fromhex(market.address[2:]))

    assert chain.provider.get_code(funded_receiver) == expected


def test_forwarder__address_is_create2_of_market_asset_and_initcode(market, asset_id):
    digest = keccak(b"\xff" + bytes.fromhex(market.address[2:]) + asset_id.to_bytes(32, "big")
                    + keccak(ROYALTY_RECEIVER_INITCODE))

    assert market.royalty_receiver_of(asset_id).lower() == "0x" + digest[12:].hex()


def test_forwarder__stranger_sends_a_forward_order__nothing_moves(chain, attacker, funded_receiver):
    # The controller's format: target | value | payload. From anyone else it is ignored.
    order = bytes(12) + bytes.fromhex(attacker.address[2:]) + (10**18).to_bytes(32, "big")
    before = chain.provider.get_balance(attacker.address)

    receipt = attacker.transfer(funded_receiver, 0, data=order)

    assert chain.provider.get_balance(funded_receiver) == 10**18
    assert chain.provider.get_balance(attacker.address) == before - receipt.total_fees_paid


def test_forwarder__stranger_pays__costs_21_gas_beyond_the_transfer(chain, buyer, funded_receiver, other):
    to_contract = buyer.transfer(funded_receiver, 5).gas_used
    to_account = buyer.transfer(other, 5).gas_used

    assert to_contract - to_account == 21  # CALLER PUSH20 EQ PUSH1 JUMPI STOP: within any stipend


def test_forwarder__refuses_nfts_sent_safely(registry, creator, new_asset, funded_receiver):
    # It answers nothing to onERC721Received, so no NFT is stranded in it by a safe transfer.
    token = new_asset()

    with ape.reverts("erc721: transfer to non-ERC721Receiver implementer"):
        registry.safeTransferFrom(creator, funded_receiver, token, sender=creator)
