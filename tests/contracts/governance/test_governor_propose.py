"""HubGovernor.propose: OpenZeppelin-compatible ids and events, bad input, threshold edges."""

from __future__ import annotations

import ape
from eth_abi import encode
from eth_utils import keccak

from cidhub.chain.proposals import proposal_id as python_proposal_id

from .helpers import HUB, PENDING, cid

OZ_PROPOSAL_CREATED = "ProposalCreated(uint256,address,address[],uint256[],string[],bytes[],uint256,uint256,string)"


def _delist(registry, asset_id):
    return bytes(registry.delist.encode_input(asset_id, cid()))


def test_proposal_id__is_openzeppelins(governor, registry_dao, new_asset, creator):
    targets, values, calldatas = [registry_dao.address], [0], [_delist(registry_dao, new_asset())]
    description = "# Delist\nbecause"
    expected = int.from_bytes(keccak(encode(["address[]", "uint256[]", "bytes[]", "bytes32"],
                                            [targets, values, calldatas, keccak(text=description)])), "big")
    assert governor.hash_proposal(targets, values, calldatas, keccak(text=description)) == expected
    assert python_proposal_id(targets, values, calldatas, description) == expected
    tx = governor.propose(targets, values, calldatas, description, sender=creator)
    assert tx.return_value == expected


def test_proposal_created__event_shape_and_fields(governor, propose, chain, creator):
    proposal = propose()
    (log,) = proposal.receipt.decode_logs(governor.ProposalCreated)
    assert log.proposal_id == proposal.proposal_id
    assert log.proposer == creator.address
    assert [a for a in log.targets] == proposal.targets
    assert list(log.event_arguments["values"]) == [0]
    assert list(log.signatures) == [""]
    assert [bytes(c) for c in log.calldatas] == proposal.calldatas
    assert log.description == proposal.description
    now = chain.provider.get_block(proposal.receipt.block_number).timestamp
    assert (log.vote_start, log.vote_end) == (now + governor.voting_delay(), now + governor.voting_delay() + governor.voting_period())
    # The raw log carries OpenZeppelin's topic, so OZ-based indexers recognise it.
    raw = [lg for lg in proposal.receipt.logs if lg["address"] == governor.address]
    assert bytes(raw[0]["topics"][0]) == keccak(text=OZ_PROPOSAL_CREATED)
    assert governor.state(proposal.proposal_id) == PENDING
    assert governor.proposal_proposer(proposal.proposal_id) == creator.address


def test_propose__mismatched_lengths__reverts(governor, registry_dao, creator):
    with ape.reverts("governor: invalid proposal length"):
        governor.propose([registry_dao.address], [0, 0], [b"\x01"], "x", sender=creator)
    with ape.reverts("governor: invalid proposal length"):
        governor.propose([registry_dao.address], [0], [], "x", sender=creator)


def test_propose__no_actions__reverts(governor, creator):
    with ape.reverts("governor: empty proposal"):
        governor.propose([], [], [], "nothing", sender=creator)


def test_propose__too_many_actions__reverts(governor, registry_dao, creator):
    n = governor.MAX_ACTIONS() + 1
    with ape.reverts("governor: too many actions"):
        governor.propose([registry_dao.address] * n, [0] * n, [b"\x01"] * n, "x", sender=creator)


def test_propose__max_actions__accepted(governor, registry_dao, creator):
    n = governor.MAX_ACTIONS()
    tx = governor.propose([registry_dao.address] * n, [0] * n, [bytes([i]) for i in range(n)], "ten", sender=creator)
    assert len(tx.decode_logs(governor.ProposalCreated)[0].targets) == n


def test_propose__twice__reverts(governor, registry_dao, creator):
    args = ([registry_dao.address], [0], [b"\x01"], "same")
    governor.propose(*args, sender=creator)
    with ape.reverts("governor: proposal already exists"):
        governor.propose(*args, sender=creator)


def test_propose__below_threshold__reverts(governor, registry_dao, attacker):
    with ape.reverts("governor: proposer votes below threshold"):
        governor.propose([registry_dao.address], [0], [b"\x01"], "spam", sender=attacker)


def test_propose__threshold_edges__exactly_enough_is_enough(governor, hub_token, registry_dao, chain, creator, registrar):
    threshold = governor.proposal_threshold()
    hub_token.transfer(registrar, threshold - 1, sender=creator)
    hub_token.invoke_transaction("delegate", registrar, sender=registrar)
    chain.mine(deltatime=5)
    with ape.reverts("governor: proposer votes below threshold"):
        governor.propose([registry_dao.address], [0], [b"\x01"], "one short", sender=registrar)
    hub_token.transfer(registrar, 1, sender=creator)
    chain.mine(deltatime=5)
    governor.propose([registry_dao.address], [0], [b"\x01"], "exactly", sender=registrar)


def test_propose__threshold_counts_votes_before_this_timepoint(governor, hub_token, registry_dao, chain, creator, registrar):
    """Votes acquired at the proposal's own timepoint do not count: no borrow-propose-return."""
    t = chain.blocks.head.timestamp + 10
    chain.pending_timestamp = t
    hub_token.transfer(registrar, governor.proposal_threshold(), sender=creator)
    chain.pending_timestamp = t
    hub_token.invoke_transaction("delegate", registrar, sender=registrar)
    chain.pending_timestamp = t
    with ape.reverts("governor: proposer votes below threshold"):
        governor.propose([registry_dao.address], [0], [b"\x01"], "flash", sender=registrar)


def test_propose__restricted_description__only_that_proposer(governor, registry_dao, creator, buyer):
    description = f"Delist it #proposer={creator.address}"
    with ape.reverts("governor: restricted proposer"):
        governor.propose([registry_dao.address], [0], [b"\x01"], description, sender=buyer)
    governor.propose([registry_dao.address], [0], [b"\x01"], description, sender=creator)
    lower = f"Again #proposer=0x{creator.address[2:].lower()}"
    governor.propose([registry_dao.address], [0], [b"\x01"], lower, sender=creator)


def test_propose__malformed_proposer_suffix__is_no_restriction(governor, registry_dao, buyer):
    governor.propose([registry_dao.address], [0], [b"\x01"], "x #proposer=0x" + "zz" * 20, sender=buyer)
    governor.propose([registry_dao.address], [0], [b"\x01"], "#proposer=0x1234", sender=buyer)


def test_propose__stored_quorum_survives_a_later_change(governor, timelock, propose, hub_token, chain, to_active):
    proposal = propose()
    chain.provider.set_balance(timelock.address, 10**18)
    governor.update_quorum_numerator(2_000, sender=timelock)  # the timelock, impersonated on anvil
    to_active(proposal)
    supply = hub_token.get_past_total_supply(governor.proposal_snapshot(proposal.proposal_id))
    assert governor.proposal_quorum(proposal.proposal_id) == supply * 400 // 10_000


def test_views__unknown_proposal__revert(governor):
    for view in (governor.state, governor.proposal_snapshot, governor.proposal_deadline, governor.proposal_eta,
                 governor.proposal_votes, governor.proposal_quorum):
        with ape.reverts("governor: unknown proposal"):
            view(12345)
    assert governor.proposal_proposer(12345) == "0x0000000000000000000000000000000000000000"


def test_metadata(governor, hub_token, timelock):
    assert governor.name() == "cidhub governor"
    assert governor.version() == "1"
    assert governor.COUNTING_MODE() == "support=bravo&quorum=for,abstain"
    assert governor.CLOCK_MODE() == "mode=timestamp"
    assert (governor.token(), governor.timelock()) == (hub_token.address, timelock.address)
    assert governor.quorum_denominator() == 10_000
    assert governor.proposal_needs_queuing(0)
    assert governor.proposal_threshold() == 1_000 * HUB
