"""Fixtures of the governance tests: the suite deployed and handed to its DAO (tests/conftest.py),
voters who have delegated, and a factory that takes proposals through their life."""

from __future__ import annotations

import pytest

from .helpers import ACTIVE, FOR, QUEUED, SUCCEEDED, Proposal, cid


@pytest.fixture(scope="module")
def registry_dao(governance_suite):
    """The AssetRegistry whose levers the DAO holds."""
    return governance_suite.AssetRegistry


@pytest.fixture(scope="module")
def voters(governance_suite, hub_token, chain, creator, buyer, other, curator):
    """creator (400k), buyer (300k), other (200k) and curator (50k) have delegated to themselves."""
    for account in (creator, buyer, other, curator):
        hub_token.invoke_transaction("delegate", account, sender=account)
    chain.mine(deltatime=10)
    return creator, buyer, other, curator


@pytest.fixture
def advance(chain):
    """Move the clock: mines one block `seconds` later."""

    def _advance(seconds: int) -> None:
        chain.mine(deltatime=seconds)

    return _advance


@pytest.fixture
def at_time(chain):
    """The next transaction's block will have this timestamp."""

    def _at(timestamp: int) -> None:
        chain.pending_timestamp = timestamp

    return _at


@pytest.fixture
def new_asset(registry_dao, creator):
    def _new_asset() -> int:
        tx = registry_dao.register(cid(), 0, cid(), 1, [], [], 0, sender=creator)
        return tx.decode_logs(registry_dao.AssetRegistered)[0].asset_id

    return _new_asset


_descriptions = iter(range(1_000_000))


@pytest.fixture
def propose(governor, registry_dao, new_asset, creator):
    """Factory: propose (default: delist a fresh asset) and return a Proposal."""

    def _propose(targets=None, values=None, calldatas=None, description=None, sender=None) -> Proposal:
        if targets is None:
            asset_id = new_asset()
            targets = [registry_dao.address]
            values = [0]
            calldatas = [bytes(registry_dao.delist.encode_input(asset_id, cid()))]
        values = [0] * len(targets) if values is None else values
        description = description or f"# Test proposal {next(_descriptions)}\nDelist an asset."
        receipt = governor.propose(targets, values, calldatas, description, sender=sender or creator)
        (event,) = receipt.decode_logs(governor.ProposalCreated)
        return Proposal(event.proposal_id, list(targets), list(values), list(calldatas), description, receipt)

    return _propose


@pytest.fixture
def to_active(governor, advance, chain):
    def _to_active(proposal: Proposal) -> None:
        advance(governor.proposal_snapshot(proposal.proposal_id) - chain.blocks.head.timestamp + 1)
        assert governor.state(proposal.proposal_id) == ACTIVE

    return _to_active


@pytest.fixture
def to_end(governor, advance, chain):
    def _to_end(proposal: Proposal) -> None:
        advance(governor.proposal_deadline(proposal.proposal_id) - chain.blocks.head.timestamp + 1)

    return _to_end


@pytest.fixture
def succeeded(governor, propose, to_active, to_end, voters):
    """Factory: a proposal that passed (creator and buyer voted for), not yet queued."""

    def _succeeded(**kwargs) -> Proposal:
        proposal = propose(**kwargs)
        to_active(proposal)
        for voter in voters[:2]:
            governor.cast_vote(proposal.proposal_id, FOR, sender=voter)
        to_end(proposal)
        assert governor.state(proposal.proposal_id) == SUCCEEDED
        return proposal

    return _succeeded


@pytest.fixture
def queued(governor, succeeded, creator):
    """Factory: a passed proposal queued in the timelock (not yet executable)."""

    def _queued(**kwargs) -> Proposal:
        proposal = succeeded(**kwargs)
        governor.queue(*proposal.args(), sender=creator)
        assert governor.state(proposal.proposal_id) == QUEUED
        return proposal

    return _queued


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(governance_suite, voters, deployer, dao, registrar, attacker):
    """Deploy and delegate once per module, before Ape's per-test snapshot (see the registry tests)."""
