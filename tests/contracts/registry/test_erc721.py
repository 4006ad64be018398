"""The ERC-721 core (contracts/modules/erc721_packed.vy) as the registry exports it."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import Kind

from . import cids

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def token(new_asset, buyer):
    parent = new_asset(sender=buyer)
    return new_asset(
        cid=cids.CONTENT_FORMS["v1-blake3"](),  # long multihash: its CID lives in a separate slot
        kind=Kind.CODE,
        metadata=cids.v0(cids.digest()),
        licence_id=4_321,
        parents=[parent],
        shares=[3_210],
        royalty_bps=1_999,
    )


def _transfer_log(tx, registry):
    (log,) = tx.decode_logs(registry.Transfer)
    return log.sender, log.receiver, log.token_id


# ---------------------------------------------------------------- balanceOf / ownerOf / getApproved


def test_balanceOf__counts_mints_and_transfers(registry, creator, buyer, new_asset):
    start_creator, start_buyer = registry.balanceOf(creator), registry.balanceOf(buyer)
    tokens = [new_asset() for _ in range(3)]
    assert registry.balanceOf(creator) == start_creator + 3

    registry.transferFrom(creator, buyer, tokens[0], sender=creator)
    registry.transferFrom(creator, buyer, tokens[1], sender=creator)

    assert registry.balanceOf(creator) == start_creator + 1
    assert registry.balanceOf(buyer) == start_buyer + 2


def test_balanceOf__zero_address__reverts(registry):
    with ape.reverts("erc721: the zero address is not a valid owner"):
        registry.balanceOf(ZERO_ADDRESS)


def test_balanceOf__account_without_tokens__zero(registry, attacker):
    assert registry.balanceOf(attacker) == 0


@pytest.mark.parametrize("view", ["ownerOf", "getApproved"])
def test_owner_views__unknown_token__revert(registry, view):
    with ape.reverts("erc721: invalid token ID"):
        getattr(registry, view)(cids.expected_id(cids.sha256_v1()))


# ---------------------------------------------------------------- transferFrom


def test_transferFrom__owner__moves_token(registry, creator, buyer, token):
    creator_balance, buyer_balance = registry.balanceOf(creator), registry.balanceOf(buyer)

    tx = registry.transferFrom(creator, buyer, token, sender=creator)

    assert _transfer_log(tx, registry) == (creator.address, buyer.address, token)
    assert registry.ownerOf(token) == buyer
    assert registry.balanceOf(creator) == creator_balance - 1
    assert registry.balanceOf(buyer) == buyer_balance + 1


def test_transferFrom__approved_account__moves_token_and_clears_approval(registry, creator, buyer, other, token):
    registry.approve(other, token, sender=creator)

    registry.transferFrom(creator, buyer, token, sender=other)

    assert registry.ownerOf(token) == buyer
    assert registry.getApproved(token) == ZERO_ADDRESS
    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.transferFrom(buyer, other, token, sender=other)


def test_transferFrom__operator__moves_token_and_stays_operator(registry, creator, buyer, other, token):
    registry.setApprovalForAll(other, True, sender=creator)

    registry.transferFrom(creator, buyer, token, sender=other)

    assert registry.ownerOf(token) == buyer
    assert registry.isApprovedForAll(creator, other) is True
    # ...but only for the owner who approved it.
    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.transferFrom(buyer, other, token, sender=other)


@pytest.mark.parametrize("caller", ["attacker", "deployer"])
def test_transferFrom__stranger__reverts(registry, request, creator, token, caller):
    sender = request.getfixturevalue(caller)

    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.transferFrom(creator, sender, token, sender=sender)
    assert registry.ownerOf(token) == creator


def test_transferFrom__wrong_from__reverts(registry, creator, buyer, other, token):
    with ape.reverts("erc721: transfer from incorrect owner"):
        registry.transferFrom(buyer, other, token, sender=creator)


def test_transferFrom__to_zero_address__reverts(registry, creator, token):
    with ape.reverts("erc721: transfer to the zero address"):
        registry.transferFrom(creator, ZERO_ADDRESS, token, sender=creator)


def test_transferFrom__unknown_token__reverts(registry, creator, buyer):
    with ape.reverts("erc721: invalid token ID"):
        registry.transferFrom(creator, buyer, cids.expected_id(cids.sha256_v1()), sender=creator)


def test_transferFrom__to_self__balance_unchanged_approval_cleared(registry, creator, other, token):
    registry.approve(other, token, sender=creator)
    balance = registry.balanceOf(creator)

    tx = registry.transferFrom(creator, creator, token, sender=creator)

    assert _transfer_log(tx, registry) == (creator.address, creator.address, token)
    assert registry.balanceOf(creator) == balance
    assert registry.ownerOf(token) == creator
    assert registry.getApproved(token) == ZERO_ADDRESS


def test_transferFrom__round_trip__balances_restored(registry, creator, buyer, token):
    balances = registry.balanceOf(creator), registry.balanceOf(buyer)

    registry.transferFrom(creator, buyer, token, sender=creator)
    registry.transferFrom(buyer, creator, token, sender=buyer)

    assert (registry.balanceOf(creator), registry.balanceOf(buyer)) == balances


def test_transferFrom__asset_fields_preserved(registry, creator, buyer, other, curator, token):
    registry.delist(token, cids.metadata(), sender=curator)
    before = registry.asset(token)
    parents = parents_of(registry, token)
    uri = registry.tokenURI(token)

    registry.transferFrom(creator, buyer, token, sender=creator)
    registry.safeTransferFrom(buyer, other, token, sender=buyer)

    after = registry.asset(token)
    assert after.owner == other
    for field in ("kind", "content_cid", "metadata_cid", "licence_id", "royalty_bps", "parent_count", "delisted",
                  "previous_version", "latest_version"):
        assert getattr(after, field) == getattr(before, field), field
    assert (after.kind, after.licence_id, after.royalty_bps, after.delisted) == (Kind.CODE, 4_321, 1_999, True)
    assert parents_of(registry, token) == parents
    assert registry.tokenURI(token) == uri
    assert registry.kind_of(token) == Kind.CODE
    assert registry.asset_id_of(before.content_cid) == token


def test_transferFrom__version_links_preserved(registry, creator, buyer, token):
    tx = registry.register_version(token, cids.sha256_v1(), 2, cids.metadata(), 0, [], [], 0, sender=creator)
    (linked,) = tx.decode_logs(registry.VersionLinked)

    registry.transferFrom(creator, buyer, token, sender=creator)

    assert registry.latest_version(token) == linked.asset_id
    assert registry.previous_version(linked.asset_id) == token


@pytest.mark.parametrize("function", ["transferFrom", "safeTransferFrom", "approve"])
def test_transfer_and_approve__with_ether__revert(registry, creator, buyer, token, function):
    # Non-payable on purpose: the registry has no way to return ether sent with them.
    args = (buyer, token) if function == "approve" else (creator, buyer, token)

    with ape.reverts():
        getattr(registry, function)(*args, sender=creator, value=1)

    assert registry.ownerOf(token) == creator
    assert registry.getApproved(token) == ZERO_ADDRESS


# ---------------------------------------------------------------- safeTransferFrom


@pytest.mark.parametrize("data", [None, b"", b"\x01\x02 any bytes"], ids=["no-data", "empty-data", "data"])
def test_safeTransferFrom__to_eoa__moves_token(registry, creator, buyer, token, data):
    args = (creator, buyer, token) if data is None else (creator, buyer, token, data)

    tx = registry.safeTransferFrom(*args, sender=creator)

    assert _transfer_log(tx, registry) == (creator.address, buyer.address, token)
    assert registry.ownerOf(token) == buyer


def test_safeTransferFrom__approved_account__moves_token(registry, creator, buyer, other, token):
    registry.approve(other, token, sender=creator)

    registry.safeTransferFrom(creator, buyer, token, sender=other)

    assert registry.ownerOf(token) == buyer
    assert registry.getApproved(token) == ZERO_ADDRESS


def test_safeTransferFrom__to_contract_without_receiver_hook__reverts(registry, creator, token):
    # The registry has no onERC721Received (and no fallback): the hook call fails without data.
    balance = registry.balanceOf(creator)

    with ape.reverts("erc721: transfer to non-ERC721Receiver implementer"):
        registry.safeTransferFrom(creator, registry.address, token, b"data", sender=creator)

    assert registry.ownerOf(token) == creator
    assert registry.balanceOf(creator) == balance
    assert registry.balanceOf(registry.address) == 0


def test_transferFrom__to_contract_without_receiver_hook__allowed(registry, creator, token):
    # Only the safe variant asks the receiver; a plain transfer can strand a token in a contract.
    registry.transferFrom(creator, registry.address, token, sender=creator)

    assert registry.ownerOf(token) == registry.address


@pytest.fixture
def receiver(project, deployer):
    return project.RegReceiver.deploy(sender=deployer)


@pytest.mark.parametrize("data", [None, b"", b"hello receiver"])
def test_safeTransferFrom__to_accepting_receiver__moves_token_and_calls_hook(registry, creator, other, token,
                                                                          receiver, data):
    registry.approve(other, token, sender=creator)
    args = (creator, receiver, token) if data is None else (creator, receiver, token, data)

    registry.safeTransferFrom(*args, sender=other)

    assert registry.ownerOf(token) == receiver.address
    assert (receiver.received(), receiver.last_operator(), receiver.last_from(), receiver.last_token_id()) == (
        1, other.address, creator.address, token)
    assert (receiver.last_data_length(), receiver.last_data_hash()) == (len(data or b""), keccak(data or b""))


MAX_DATA_BYTES = 16_384  # erc721_packed.MAX_DATA_BYTES


@pytest.mark.parametrize("length", [1_025, 10_240, MAX_DATA_BYTES], ids=["past-old-bound", "10KiB", "max"])
def test_safeTransferFrom__long_data__reaches_receiver_whole(registry, creator, token, receiver, length):
    # The bound was 1,024 bytes; EIP-721 sets none. Anything up to MAX_DATA_BYTES is passed on whole.
    data = bytes(i % 251 for i in range(length))

    registry.safeTransferFrom(creator, receiver, token, data, sender=creator)

    assert registry.ownerOf(token) == receiver.address
    assert (receiver.last_data_length(), receiver.last_data_hash()) == (length, keccak(data))


def test_safeTransferFrom__data_over_max__reverts_without_reason(registry, creator, token, receiver):
    # Vyper's ABI decoder refuses a `Bytes` argument past its bound before the function runs:
    # no reason can be given (documented on safeTransferFrom and in the README).
    with ape.reverts():
        registry.safeTransferFrom(creator, receiver, token, b"\x01" * (MAX_DATA_BYTES + 1), sender=creator)
    assert registry.ownerOf(token) == creator


def test_safeTransferFrom__to_eoa__pays_nothing_for_the_data_bound(registry, creator, buyer, other, new_asset):
    # Memory past `data` is only touched for a contract receiver: to an account without code a safe
    # transfer costs what a plain one does, plus its calldata, the cold EXTCODESIZE of `to` (2,600)
    # and the copy of the data itself. Paying for the bound would add ~5k (two 16 KiB regions).
    plain, safe = new_asset(), new_asset()
    registry.transferFrom(creator, other, new_asset(), sender=creator)  # warm the creator's balance slot alike

    plain_gas = registry.transferFrom(creator, buyer, plain, sender=creator).gas_used
    safe_gas = registry.safeTransferFrom(creator, buyer, safe, b"", sender=creator).gas_used

    assert safe_gas - plain_gas < 3_200


@pytest.mark.parametrize("mode, reason", [
    (1, "receiver: not today"),  # the receiver's own reason is passed on
    (2, "erc721: transfer to non-ERC721Receiver implementer"),  # a revert without data
    (3, "erc721: transfer to non-ERC721Receiver implementer"),  # a wrong answer
])
def test_safeTransferFrom__receiver_refuses__reverts_and_keeps_token(registry, creator, token, receiver, mode, reason):
    receiver.configure(mode, sender=creator)

    with ape.reverts(reason):
        registry.safeTransferFrom(creator, receiver, token, b"", sender=creator)

    assert registry.ownerOf(token) == creator
    assert receiver.received() == 0


def test_safeTransferFrom__stranger__reverts(registry, creator, attacker, token):
    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.safeTransferFrom(creator, attacker, token, sender=attacker)


def test_safeTransferFrom__wrong_from__reverts(registry, creator, buyer, other, token):
    with ape.reverts("erc721: transfer from incorrect owner"):
        registry.safeTransferFrom(buyer, other, token, sender=creator)


def test_safeTransferFrom__to_zero_address__reverts(registry, creator, token):
    with ape.reverts("erc721: transfer to the zero address"):
        registry.safeTransferFrom(creator, ZERO_ADDRESS, token, b"", sender=creator)


def test_safeTransferFrom__unknown_token__reverts(registry, creator, buyer):
    with ape.reverts("erc721: invalid token ID"):
        registry.safeTransferFrom(creator, buyer, 1, sender=creator)


# ---------------------------------------------------------------- approve


def test_approve__owner__sets_and_logs(registry, creator, other, token):
    tx = registry.approve(other, token, sender=creator)

    (log,) = tx.decode_logs(registry.Approval)
    assert (log.owner, log.approved, log.token_id) == (creator.address, other.address, token)
    assert registry.getApproved(token) == other


def test_approve__zero_address__clears(registry, creator, other, token):
    registry.approve(other, token, sender=creator)

    tx = registry.approve(ZERO_ADDRESS, token, sender=creator)

    (log,) = tx.decode_logs(registry.Approval)
    assert log.approved == ZERO_ADDRESS
    assert registry.getApproved(token) == ZERO_ADDRESS


def test_approve__replaces_previous_approval(registry, creator, buyer, other, token):
    registry.approve(other, token, sender=creator)
    registry.approve(buyer, token, sender=creator)

    assert registry.getApproved(token) == buyer
    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.transferFrom(creator, other, token, sender=other)


def test_approve__operator__approves_on_owners_behalf(registry, creator, buyer, other, token):
    registry.setApprovalForAll(other, True, sender=creator)

    tx = registry.approve(buyer, token, sender=other)

    (log,) = tx.decode_logs(registry.Approval)
    assert (log.owner, log.approved) == (creator.address, buyer.address)
    assert registry.getApproved(token) == buyer


def test_approve__to_current_owner__reverts(registry, creator, token):
    with ape.reverts("erc721: approval to current owner"):
        registry.approve(creator, token, sender=creator)


def test_approve__stranger__reverts(registry, attacker, token):
    with ape.reverts("erc721: approve caller is not token owner or approved for all"):
        registry.approve(attacker, token, sender=attacker)


def test_approve__token_approved_account_cannot_approve_others(registry, creator, buyer, other, token):
    registry.approve(other, token, sender=creator)

    with ape.reverts("erc721: approve caller is not token owner or approved for all"):
        registry.approve(buyer, token, sender=other)


def test_approve__unknown_token__reverts(registry, creator, other):
    with ape.reverts("erc721: invalid token ID"):
        registry.approve(other, 1, sender=creator)


# ---------------------------------------------------------------- setApprovalForAll


def test_setApprovalForAll__grant_and_revoke__logged(registry, creator, other):
    tx = registry.setApprovalForAll(other, True, sender=creator)
    (log,) = tx.decode_logs(registry.ApprovalForAll)
    assert (log.owner, log.operator) == (creator.address, other.address)
    assert log.approved
    assert registry.isApprovedForAll(creator, other) is True

    tx = registry.setApprovalForAll(other, False, sender=creator)
    (log,) = tx.decode_logs(registry.ApprovalForAll)
    assert not log.approved
    assert registry.isApprovedForAll(creator, other) is False


def test_setApprovalForAll__covers_tokens_minted_later(registry, creator, buyer, other, new_asset):
    registry.setApprovalForAll(other, True, sender=creator)
    later = new_asset()

    registry.transferFrom(creator, buyer, later, sender=other)

    assert registry.ownerOf(later) == buyer


def test_setApprovalForAll__revoked_operator__cannot_transfer(registry, creator, other, token):
    registry.setApprovalForAll(other, True, sender=creator)
    registry.setApprovalForAll(other, False, sender=creator)

    with ape.reverts("erc721: caller is not token owner or approved"):
        registry.transferFrom(creator, other, token, sender=other)


def test_setApprovalForAll__to_caller__reverts(registry, creator):
    with ape.reverts("erc721: approve to caller"):
        registry.setApprovalForAll(creator, True, sender=creator)


def test_isApprovedForAll__is_per_owner(registry, creator, buyer, other):
    registry.setApprovalForAll(other, True, sender=creator)

    assert registry.isApprovedForAll(creator, other) is True
    assert registry.isApprovedForAll(buyer, other) is False
    assert registry.isApprovedForAll(other, creator) is False
