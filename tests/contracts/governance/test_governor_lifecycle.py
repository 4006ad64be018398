"""A proposal's whole life: vote, quorum, queue, timelock delay, execution, expiry."""

from __future__ import annotations

import ape

from .helpers import (
    ABSTAIN,
    AGAINST,
    CANCELED,
    DEFEATED,
    EXECUTED,
    EXPIRED,
    FOR,
    GRACE_PERIOD,
    HUB,
    QUEUED,
    SUCCEEDED,
    cid,
)


def test_lifecycle__delist_through_the_dao(governor, timelock, registry_dao, new_asset, propose, to_active, to_end,
                                           advance, chain, creator, buyer):
    asset_id = new_asset()
    reason = cid()
    calldata = bytes(registry_dao.delist.encode_input(asset_id, reason))
    proposal = propose(targets=[registry_dao.address], calldatas=[calldata], description="# Delist\nleaked data")
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    governor.cast_vote(proposal.proposal_id, AGAINST, sender=buyer)
    to_end(proposal)
    assert governor.state(proposal.proposal_id) == SUCCEEDED

    tx = governor.queue(*proposal.args(), sender=buyer)
    (queued,) = tx.decode_logs(governor.ProposalQueued)
    now = chain.provider.get_block(tx.block_number).timestamp
    assert queued.eta_seconds == now + timelock.get_minimum_delay() == governor.proposal_eta(proposal.proposal_id)
    assert governor.state(proposal.proposal_id) == QUEUED
    scheduled = tx.decode_logs(timelock.CallScheduled)
    assert [(e.target, bytes(e.payload)) for e in scheduled] == [(registry_dao.address, calldata)]

    with ape.reverts("governor: timelock delay not over"):
        governor.execute(*proposal.args(), sender=buyer)
    advance(queued.eta_seconds - chain.blocks.head.timestamp)
    tx = governor.execute(*proposal.args(), sender=buyer)
    assert tx.decode_logs(governor.ProposalExecuted)[0].proposal_id == proposal.proposal_id
    (delisted,) = tx.decode_logs(registry_dao.AssetDelisted)
    assert (delisted.asset_id, delisted.curator, bytes(delisted.reason_cid)) == (asset_id, timelock.address, reason)
    assert registry_dao.is_delisted(asset_id)
    assert governor.state(proposal.proposal_id) == EXECUTED
    with ape.reverts("governor: proposal not queued"):
        governor.execute(*proposal.args(), sender=buyer)


def test_execute_at_exactly_eta__accepted(governor, queued, at_time, creator):
    proposal = queued()
    at_time(governor.proposal_eta(proposal.proposal_id))
    governor.execute(*proposal.args(), sender=creator)
    assert governor.state(proposal.proposal_id) == EXECUTED


def test_queue__before_voting_ends__reverts(governor, propose, to_active, creator):
    proposal = propose()
    with ape.reverts("governor: proposal not successful"):
        governor.queue(*proposal.args(), sender=creator)
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    with ape.reverts("governor: proposal not successful"):
        governor.queue(*proposal.args(), sender=creator)


def test_queue__twice__reverts(governor, queued, creator):
    proposal = queued()
    with ape.reverts("governor: proposal not successful"):
        governor.queue(*proposal.args(), sender=creator)


def test_execute__not_queued__reverts(governor, succeeded, creator):
    proposal = succeeded()
    with ape.reverts("governor: proposal not queued"):
        governor.execute(*proposal.args(), sender=creator)


def test_queue__with_other_arrays__is_another_proposal(governor, succeeded, creator):
    proposal = succeeded()
    with ape.reverts("governor: unknown proposal"):
        governor.queue(proposal.targets, proposal.values, proposal.calldatas, b"\x00" * 32, sender=creator)


def test_expired__after_grace_period(governor, queued, advance, at_time, chain, creator):
    proposal = queued()
    eta = governor.proposal_eta(proposal.proposal_id)
    # Views run in a block whose time anvil may put a little after the head: keep a margin.
    advance(eta + GRACE_PERIOD - 100 - chain.blocks.head.timestamp)
    assert governor.state(proposal.proposal_id) == QUEUED
    at_time(eta + GRACE_PERIOD + 1)  # the first second after the grace period, in the transaction itself
    with ape.reverts("governor: proposal expired"):
        governor.execute(*proposal.args(), sender=creator)
    assert governor.state(proposal.proposal_id) == EXPIRED


def test_execute_in_the_last_second_of_the_grace_period__accepted(governor, queued, at_time, creator):
    proposal = queued()
    at_time(governor.proposal_eta(proposal.proposal_id) + GRACE_PERIOD)
    governor.execute(*proposal.args(), sender=creator)
    assert governor.state(proposal.proposal_id) == EXECUTED


def test_defeated__more_against(governor, propose, to_active, to_end, creator, buyer, other):
    proposal = propose()
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=buyer)  # 300k
    governor.cast_vote(proposal.proposal_id, AGAINST, sender=creator)  # 400k
    to_end(proposal)
    assert governor.state(proposal.proposal_id) == DEFEATED
    with ape.reverts("governor: proposal not successful"):
        governor.queue(*proposal.args(), sender=creator)


def test_tie__is_defeated(governor, hub_token, propose, to_active, to_end, creator, buyer, other, curator):
    """for == against fails (OpenZeppelin: for must exceed against)."""
    hub_token.transfer(buyer, 100_000 * HUB, sender=creator)  # creator 300k, buyer 400k
    hub_token.transfer(other, 100_000 * HUB, sender=buyer)  # buyer 300k, other 300k
    proposal = propose()
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=creator)
    governor.cast_vote(proposal.proposal_id, AGAINST, sender=buyer)
    to_end(proposal)
    assert governor.proposal_votes(proposal.proposal_id)[:2] == (300_000 * HUB, 300_000 * HUB)
    assert governor.state(proposal.proposal_id) == DEFEATED


def test_quorum_edges__exactly_quorum_passes_one_less_fails(governor, hub_token, propose, to_active, to_end, creator,
                                                          registrar, attacker):
    """Quorum = 4 % of the 2,000,000 HUB supply at the snapshot = 80,000 HUB of for + abstain."""
    quorum = 2_000_000 * HUB * 400 // 10_000
    hub_token.transfer(registrar, quorum, sender=creator)
    hub_token.transfer(attacker, quorum - 1, sender=creator)
    for voter in (registrar, attacker):
        hub_token.invoke_transaction("delegate", voter, sender=voter)
    exact, short = propose(), propose()
    to_active(short)
    assert governor.proposal_quorum(exact.proposal_id) == quorum
    governor.cast_vote(exact.proposal_id, FOR, sender=registrar)
    governor.cast_vote(short.proposal_id, FOR, sender=attacker)
    to_end(short)
    assert governor.state(exact.proposal_id) == SUCCEEDED
    assert governor.state(short.proposal_id) == DEFEATED


def test_quorum__abstain_counts_toward_it(governor, hub_token, propose, to_active, to_end, creator, registrar,
                                          attacker):
    quorum = 2_000_000 * HUB * 400 // 10_000
    hub_token.transfer(registrar, 1 * HUB, sender=creator)
    hub_token.transfer(attacker, quorum - 1 * HUB, sender=creator)
    for voter in (registrar, attacker):
        hub_token.invoke_transaction("delegate", voter, sender=voter)
    proposal = propose()
    to_active(proposal)
    governor.cast_vote(proposal.proposal_id, FOR, sender=registrar)
    governor.cast_vote(proposal.proposal_id, ABSTAIN, sender=attacker)
    to_end(proposal)
    assert governor.state(proposal.proposal_id) == SUCCEEDED


def test_no_votes__defeated(governor, propose, to_active, to_end):
    proposal = propose()
    to_end(proposal)
    assert governor.state(proposal.proposal_id) == DEFEATED


def test_actions__run_in_order_as_the_timelock_with_treasury_ether(project, governor, timelock, queued, advance,
                                                                   chain, deployer, creator):
    target = project.GovRevertingTarget.deploy(sender=deployer)
    deployer.transfer(timelock, 10**18)
    calls = [bytes(target.record.encode_input(tag)) for tag in (3, 1, 2)]
    proposal = queued(targets=[target.address] * 3, values=[0, 5, 0], calldatas=calls)
    advance(timelock.get_minimum_delay())
    governor.execute(*proposal.args(), sender=creator)
    assert [target.calls(i) for i in range(3)] == [3, 1, 2]
    assert {target.callers(i) for i in range(3)} == {timelock.address}
    assert chain.provider.get_balance(target.address) == 5


def test_actions__one_fails__nothing_happens(project, governor, timelock, queued, advance, deployer, creator):
    target = project.GovRevertingTarget.deploy(sender=deployer)
    calls = [bytes(target.record.encode_input(1)), bytes(target.fail.encode_input())]
    proposal = queued(targets=[target.address] * 2, calldatas=calls)
    advance(timelock.get_minimum_delay())
    with ape.reverts("target: failed on purpose"):
        governor.execute(*proposal.args(), sender=creator)
    assert target.call_count() == 0
    assert governor.state(proposal.proposal_id) == QUEUED


def test_same_call_twice_in_a_proposal__two_operations(project, governor, timelock, queued, advance, deployer, creator):
    target = project.GovRevertingTarget.deploy(sender=deployer)
    call = bytes(target.record.encode_input(7))
    proposal = queued(targets=[target.address] * 2, calldatas=[call, call])
    advance(timelock.get_minimum_delay())
    governor.execute(*proposal.args(), sender=creator)
    assert target.call_count() == 2


def test_state__canceled_directly_on_the_timelock_is_reported(governor, timelock, queued, chain, creator):
    """If the DAO ever opened CANCELLER_ROLE, a cancellation on the timelock is what counts."""
    proposal = queued()
    scheduled = [log for log in timelock.CallScheduled.range(chain.blocks.height - 1, chain.blocks.height + 1)]
    chain.provider.set_balance(governor.address, 10**18)
    for log in scheduled:
        timelock.cancel(log.id, sender=governor)  # the governor, impersonated on anvil
    assert governor.state(proposal.proposal_id) == CANCELED


def test_queue__timelock_delay_past_48_bits__reverts_without_corrupting_the_proposal(governor, timelock, succeeded,
                                                                                    chain, creator):
    """The ETA is packed in 48 bits next to the proposal's flags: an absurd timelock delay must not
    spill into them. HubTimelock bounds its delay (test_timelock_delay.py), but the governor does not
    rely on it: here the delay is written straight into the timelock's storage (slot 3,
    `get_minimum_delay` in the compiler's layout), as a timelock without the bound could hold it."""
    proposal = succeeded()
    too_long = "0x" + (2**48).to_bytes(32, "big").hex()
    chain.provider.make_request("anvil_setStorageAt", [timelock.address, hex(3), too_long])
    assert timelock.get_minimum_delay() == 2**48
    with ape.reverts("governor: timelock delay too long"):
        governor.queue(*proposal.args(), sender=creator)
    assert governor.state(proposal.proposal_id) == SUCCEEDED
