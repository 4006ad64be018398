"""Checkpoints: past votes and past total supply at any timepoint that is over."""

from __future__ import annotations

import ape

from .helpers import HUB


def test_past_lookups__future_timepoint__reverts(hub_token, chain, creator):
    future = chain.blocks.head.timestamp + 1_000
    with ape.reverts("votes: future lookup"):
        hub_token.get_past_votes(creator, future)
    with ape.reverts("votes: future lookup"):
        hub_token.get_past_total_supply(future)
    with ape.reverts("votes: future lookup"):
        hub_token.getPastVotes(creator, future)


def test_history__each_timepoint_keeps_its_value(hub_token, chain, creator, buyer):
    seen = []
    for amount in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12):
        chain.mine(deltatime=7)
        tx = hub_token.transfer(buyer, amount * HUB, sender=creator)
        seen.append((chain.provider.get_block(tx.block_number).timestamp, hub_token.get_votes(creator)))
    chain.mine(deltatime=7)
    for timestamp, votes in seen:
        assert hub_token.get_past_votes(creator, timestamp) == votes
        # Between checkpoints the older value holds (binary search and sqrt probe both hit this).
        assert hub_token.get_past_votes(creator, timestamp + 1) == votes
    first = seen[0][0]
    assert hub_token.get_past_votes(creator, first - 1) == seen[0][1] + 1 * HUB


def test_before_first_checkpoint__zero(hub_token, chain, registrar, creator):
    chain.mine(deltatime=5)
    before = chain.blocks.head.timestamp
    chain.pending_timestamp = before + 5
    hub_token.transfer(registrar, 3 * HUB, sender=creator)
    hub_token.invoke_transaction("delegate", registrar, sender=registrar)
    chain.mine(deltatime=5)
    assert hub_token.get_past_votes(registrar, before) == 0
    assert hub_token.get_past_votes(registrar, chain.blocks.head.timestamp - 1) == 3 * HUB


def test_same_timepoint__rewrites_the_newest_checkpoint(hub_token, chain, creator, buyer):
    count = hub_token.num_checkpoints(creator)
    t = chain.blocks.head.timestamp + 20
    chain.pending_timestamp = t
    hub_token.transfer(buyer, HUB, sender=creator)
    chain.pending_timestamp = t  # anvil lets consecutive blocks share a timestamp
    hub_token.transfer(buyer, HUB, sender=creator)
    assert hub_token.num_checkpoints(creator) == count + 1
    checkpoint = hub_token.checkpoints(creator, count)
    assert (checkpoint.key, checkpoint.votes) == (t, hub_token.get_votes(creator))


def test_checkpoints__out_of_range__reverts(hub_token, creator):
    with ape.reverts("votes: no such checkpoint"):
        hub_token.checkpoints(creator, hub_token.num_checkpoints(creator))


def test_past_total_supply__includes_undelegated_tokens(hub_token, chain):
    chain.mine(deltatime=5)
    assert hub_token.get_past_total_supply(chain.blocks.head.timestamp - 1) == hub_token.totalSupply()
