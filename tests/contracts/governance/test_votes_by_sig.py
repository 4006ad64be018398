"""Signed delegation: `delegate_by_sig` (names the delegator) and EIP-5805's `delegateBySig`.

Replay, another chain, expiry, a wrong signer and the malleable twin of a valid signature must
all fail, each with its reason.
"""

from __future__ import annotations

import ape
import pytest

from .helpers import HUB
from .signing import delegation_digest, malleable, packed, sign


@pytest.fixture
def holder(hub_token, creator, registrar):
    """registrar holds 9 HUB and has never delegated."""
    hub_token.transfer(registrar, 9 * HUB, sender=creator)
    return registrar


@pytest.fixture
def signed(hub_token, chain):
    def _signed(signer, delegatee, nonce=0, expiry=None, chain_id=None, token=None):
        expiry = chain.blocks.head.timestamp + 3_600 if expiry is None else expiry
        digest = delegation_digest(token or hub_token.address, chain_id or chain.chain_id, delegatee.address, nonce,
                                   expiry)
        return expiry, sign(signer, digest)

    return _signed


def test_delegate_by_sig__relayed_by_anyone(hub_token, signed, holder, buyer, attacker):
    expiry, sig = signed(holder, buyer)
    votes = hub_token.get_votes(buyer)
    tx = hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=attacker)
    assert hub_token.delegates(holder) == buyer.address
    assert hub_token.get_votes(buyer) == votes + 9 * HUB
    assert hub_token.nonces(holder) == 1
    (changed,) = tx.decode_logs(hub_token.DelegateChanged)
    assert changed.delegator == holder.address


def test_delegate_by_sig__replayed__reverts(hub_token, signed, holder, buyer):
    expiry, sig = signed(holder, buyer)
    hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=buyer)
    with ape.reverts("votes: invalid nonce"):
        hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=buyer)


def test_delegate_by_sig__future_nonce__reverts(hub_token, signed, holder, buyer):
    expiry, sig = signed(holder, buyer, nonce=1)
    with ape.reverts("votes: invalid nonce"):
        hub_token.delegate_by_sig(holder, buyer, 1, expiry, packed(*sig), sender=buyer)


def test_delegate_by_sig__expired__reverts(hub_token, chain, signed, holder, buyer):
    expiry, sig = signed(holder, buyer, expiry=chain.blocks.head.timestamp + 10)
    chain.mine(deltatime=11)
    with ape.reverts("votes: signature expired"):
        hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=buyer)


def test_delegate_by_sig__at_expiry__accepted(hub_token, chain, signed, holder, buyer):
    expiry, sig = signed(holder, buyer, expiry=chain.blocks.head.timestamp + 10)
    chain.pending_timestamp = expiry
    hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=buyer)
    assert hub_token.delegates(holder) == buyer.address


def test_delegate_by_sig__signed_for_another_chain__reverts(hub_token, signed, holder, buyer):
    expiry, sig = signed(holder, buyer, chain_id=1)
    with ape.reverts("votes: invalid signature"):
        hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=buyer)


def test_delegate_by_sig__signed_for_another_token__reverts(hub_token, governor, signed, holder, buyer):
    expiry, sig = signed(holder, buyer, token=governor.address)
    with ape.reverts("votes: invalid signature"):
        hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*sig), sender=buyer)


def test_delegate_by_sig__signed_by_someone_else__reverts(hub_token, signed, holder, buyer, attacker):
    expiry, sig = signed(attacker, attacker)
    with ape.reverts("votes: invalid signature"):
        hub_token.delegate_by_sig(holder, attacker, 0, expiry, packed(*sig), sender=attacker)


def test_delegate_by_sig__other_delegatee_than_signed__reverts(hub_token, signed, holder, buyer, attacker):
    expiry, sig = signed(holder, buyer)
    with ape.reverts("votes: invalid signature"):
        hub_token.delegate_by_sig(holder, attacker, 0, expiry, packed(*sig), sender=attacker)


def test_delegate_by_sig__malleable_twin__reverts(hub_token, signed, holder, buyer):
    expiry, sig = signed(holder, buyer)
    with ape.reverts("ecdsa: invalid signature `s` value"):
        hub_token.delegate_by_sig(holder, buyer, 0, expiry, packed(*malleable(*sig)), sender=buyer)


def test_delegate_by_sig__eip2098_compact_form__accepted(hub_token, signed, holder, buyer):
    expiry, (v, r, s) = signed(holder, buyer)
    vs = ((v - 27) << 255) | int.from_bytes(s, "big")
    hub_token.delegate_by_sig(holder, buyer, 0, expiry, r + vs.to_bytes(32, "big"), sender=buyer)
    assert hub_token.delegates(holder) == buyer.address


def test_delegateBySig__standard_form(hub_token, signed, holder, buyer, attacker):
    expiry, sig = signed(holder, buyer)
    hub_token.delegateBySig(buyer, 0, expiry, *sig, sender=attacker)
    assert hub_token.delegates(holder) == buyer.address
    with ape.reverts("votes: invalid nonce"):
        hub_token.delegateBySig(buyer, 0, expiry, *sig, sender=attacker)


def test_delegateBySig__expired_or_malleable__reverts(hub_token, chain, signed, holder, buyer):
    expiry, sig = signed(holder, buyer)
    with ape.reverts("ecdsa: invalid signature `s` value"):
        hub_token.delegateBySig(buyer, 0, expiry, *malleable(*sig), sender=buyer)
    expiry, sig = signed(holder, buyer, expiry=chain.blocks.head.timestamp + 5)
    chain.mine(deltatime=6)
    with ape.reverts("votes: signature expired"):
        hub_token.delegateBySig(buyer, 0, expiry, *sig, sender=buyer)


def test_delegateBySig__another_chain__cannot_touch_the_signer(hub_token, signed, holder, buyer):
    """EIP-5805's form cannot know the intended signer: a signature for another chain recovers an
    unrelated address, which can only ever delegate its own (zero) balance. The holder's
    delegation is untouched; `delegate_by_sig` rejects the same signature outright."""
    expiry, sig = signed(holder, buyer, chain_id=1)
    tx = hub_token.delegateBySig(buyer, 0, expiry, *sig, sender=buyer)
    (changed,) = tx.decode_logs(hub_token.DelegateChanged)
    assert changed.delegator != holder.address
    assert hub_token.balanceOf(changed.delegator) == 0
    assert hub_token.delegates(holder) != buyer.address
    assert tx.decode_logs(hub_token.DelegateVotesChanged) == []
