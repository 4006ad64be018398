"""Delegation: who holds whose votes, the EIP-5805 events, and chains of delegation."""

from __future__ import annotations

from .helpers import HUB, ZERO


def _delegate(token, account, to):
    return token.invoke_transaction("delegate", to, sender=account)


def test_balance_without_delegation__counts_nowhere(hub_token, creator, registrar):
    hub_token.transfer(registrar, 5 * HUB, sender=creator)
    assert hub_token.delegates(registrar) == ZERO
    assert hub_token.get_votes(registrar) == 0


def test_first_self_delegation__votes_and_events(hub_token, creator, registrar):
    hub_token.transfer(registrar, 5 * HUB, sender=creator)
    tx = _delegate(hub_token, registrar, registrar)
    assert hub_token.delegates(registrar) == registrar.address
    assert hub_token.get_votes(registrar) == 5 * HUB
    (changed,) = tx.decode_logs(hub_token.DelegateChanged)
    assert (changed.delegator, changed.from_delegate, changed.to_delegate) == (
        registrar.address, ZERO, registrar.address)
    (moved,) = tx.decode_logs(hub_token.DelegateVotesChanged)
    assert (moved.delegate, moved.previous_votes, moved.new_votes) == (registrar.address, 0, 5 * HUB)
    assert hub_token.num_checkpoints(registrar) == 1


def test_redelegate__moves_the_whole_balance(hub_token, creator, buyer):
    creator_votes, buyer_votes = hub_token.get_votes(creator), hub_token.get_votes(buyer)
    tx = _delegate(hub_token, creator, buyer)
    assert hub_token.get_votes(creator) == 0
    assert hub_token.get_votes(buyer) == buyer_votes + creator_votes
    (changed,) = tx.decode_logs(hub_token.DelegateChanged)
    assert (changed.from_delegate, changed.to_delegate) == (creator.address, buyer.address)


def test_delegate_to_zero__votes_leave_the_count(hub_token, creator):
    _delegate(hub_token, creator, ZERO)
    assert hub_token.get_votes(creator) == 0
    assert hub_token.delegates(creator) == ZERO


def test_delegate_with_no_balance__records_the_choice_only(hub_token, attacker, buyer):
    votes = hub_token.get_votes(buyer)
    tx = _delegate(hub_token, attacker, buyer)
    assert hub_token.delegates(attacker) == buyer.address
    assert hub_token.get_votes(buyer) == votes
    assert tx.decode_logs(hub_token.DelegateVotesChanged) == []


def test_delegated_balance_follows_later_transfers(hub_token, creator, buyer, attacker):
    _delegate(hub_token, attacker, buyer)
    votes = hub_token.get_votes(buyer)
    hub_token.transfer(attacker, 30 * HUB, sender=creator)
    assert hub_token.get_votes(buyer) == votes + 30 * HUB


def test_delegation_chain__is_not_transitive(hub_token, creator, buyer, other):
    """creator -> buyer, buyer -> other: buyer holds creator's votes; its own go to other."""
    creator_balance, buyer_balance = hub_token.balanceOf(creator), hub_token.balanceOf(buyer)
    other_votes = hub_token.get_votes(other)
    _delegate(hub_token, creator, buyer)
    _delegate(hub_token, buyer, other)
    assert hub_token.get_votes(buyer) == creator_balance
    assert hub_token.get_votes(other) == other_votes + buyer_balance
    assert hub_token.get_votes(creator) == 0
    # A transfer from creator to buyer moves votes from buyer (creator's delegate) to other (buyer's).
    hub_token.transfer(buyer, 10 * HUB, sender=creator)
    assert hub_token.get_votes(buyer) == creator_balance - 10 * HUB
    assert hub_token.get_votes(other) == other_votes + buyer_balance + 10 * HUB


def test_delegation_cycle__holds_each_others_votes(hub_token, creator, buyer):
    creator_balance, buyer_balance = hub_token.balanceOf(creator), hub_token.balanceOf(buyer)
    _delegate(hub_token, creator, buyer)
    _delegate(hub_token, buyer, creator)
    assert hub_token.get_votes(creator) == buyer_balance
    assert hub_token.get_votes(buyer) == creator_balance


def test_sum_of_votes_is_the_delegated_supply(hub_token, timelock, creator, buyer, other, curator, registrar, attacker):
    hub_token.transfer(registrar, 77 * HUB, sender=creator)
    _delegate(hub_token, other, creator)
    holders = [creator, buyer, other, curator, registrar, attacker]
    delegated = sum(hub_token.balanceOf(h) for h in holders if hub_token.delegates(h) != ZERO)
    assert sum(hub_token.get_votes(h) for h in holders) == delegated
    assert hub_token.delegates(timelock) == ZERO  # the treasury does not vote


def test_zero_address_never_has_votes(hub_token):
    assert hub_token.get_votes(ZERO) == 0
    assert hub_token.num_checkpoints(ZERO) == 0


def test_eip5805_names_answer_like_the_snake_case_ones(hub_token, chain, creator):
    chain.mine(deltatime=5)
    past = chain.blocks.head.timestamp - 1
    assert hub_token.getVotes(creator) == hub_token.get_votes(creator)
    assert hub_token.getPastVotes(creator, past) == hub_token.get_past_votes(creator, past)
    assert hub_token.getPastTotalSupply(past) == hub_token.get_past_total_supply(past)
    assert hub_token.clock() == chain.blocks.head.timestamp
    assert hub_token.CLOCK_MODE() == "mode=timestamp"
