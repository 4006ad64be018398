"""Real OpenZeppelin 5.1 clients decide compatibility (issue #12 part 1).

1. An OpenZeppelin Governor (Settings, CountingSimple, Votes, VotesQuorumFraction) takes HubToken as
   its votes token through a whole proposal lifecycle.
2. HubGovernor, called through OpenZeppelin's Governor ABI, answers what an OpenZeppelin Governor
   (with OZ's TimelockController) answers on the same token for the same proposals, cast by the
   same holders in the same transactions: ids, states, snapshots, deadlines, ETAs, votes, quorum,
   settings, and its events decode with OZ's ABI to the same values.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from eth_utils import keccak, to_checksum_address

from cidhub.chain.proposals import with_proposer

from .conftest import DELAY, HUB, PERIOD, QUORUM_PERCENT, THRESHOLD, TIMELOCK_DELAY

PENDING, ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXPIRED, EXECUTED = range(8)
AGAINST, FOR, ABSTAIN = 0, 1, 2


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(twin_suite, oz):
    """Deploy once per module, before Ape's per-test snapshot."""


# ---------------------------------------------------------------- 1. an OZ Governor on HubToken


@pytest.fixture(scope="module")
def oz_on_hub_token(project, oz, chain, deployer, creator, buyer, other, twin_suite):
    """A HubToken whose minter is an OpenZeppelin Governor (no timelock: it executes itself)."""
    token = project.HubToken.deploy([creator, buyer, other], [400_000 * HUB, 300_000 * HUB, 300_000 * HUB], deployer,
                                    sender=deployer)
    governor = oz.OzGovernor.deploy(token, DELAY, PERIOD, THRESHOLD, QUORUM_PERCENT, sender=deployer)
    token.set_minter(governor, True, sender=deployer)
    for holder in (creator, buyer, other):
        token.invoke_transaction("delegate", holder, sender=holder)
    chain.mine(deltatime=10)
    return token, governor


def test_oz_governor__hub_token__full_lifecycle(oz_on_hub_token, chain, creator, buyer, other, registrar):
    token, governor = oz_on_hub_token
    assert governor.CLOCK_MODE() == "mode=timestamp"  # read from HubToken through EIP-6372
    targets, values = [token.address], [0]
    calldatas = [bytes(token.mint.encode_input(registrar.address, 5_000 * HUB))]
    description = "# Mint 5,000 HUB for the documentation"

    tx = governor.propose(targets, values, calldatas, description, sender=creator)
    pid = tx.decode_logs(governor.ProposalCreated)[0].proposalId
    assert governor.state(pid) == PENDING
    snapshot = governor.proposalSnapshot(pid)
    assert snapshot == tx.timestamp + DELAY

    chain.mine(timestamp=snapshot + 1)
    assert governor.state(pid) == ACTIVE
    supply = token.totalSupply()
    assert governor.quorum(snapshot) == supply * QUORUM_PERCENT // 100
    assert governor.getVotes(creator, snapshot) == token.getPastVotes(creator, snapshot) == 400_000 * HUB
    governor.castVote(pid, FOR, sender=creator)
    governor.castVoteWithReason(pid, AGAINST, "too much", sender=buyer)
    governor.castVote(pid, ABSTAIN, sender=other)
    assert governor.proposalVotes(pid) == (300_000 * HUB, 400_000 * HUB, 300_000 * HUB)

    chain.mine(timestamp=governor.proposalDeadline(pid) + 1)
    assert governor.state(pid) == SUCCEEDED
    assert not governor.proposalNeedsQueuing(pid)
    governor.execute(targets, values, calldatas, keccak(text=description), sender=registrar)

    assert governor.state(pid) == EXECUTED
    assert token.balanceOf(registrar) == 5_000 * HUB
    assert token.totalSupply() == supply + 5_000 * HUB


def test_oz_governor__votes_bought_after_the_snapshot__do_not_count(oz_on_hub_token, chain, creator, buyer):
    token, governor = oz_on_hub_token
    description = "# Late buyers"
    tx = governor.propose([token.address], [0], [b""], description, sender=creator)
    pid = tx.decode_logs(governor.ProposalCreated)[0].proposalId
    chain.mine(timestamp=governor.proposalSnapshot(pid) + 1)
    token.transfer(buyer, 100_000 * HUB, sender=creator)
    tx = governor.castVote(pid, FOR, sender=buyer)
    assert tx.decode_logs(governor.VoteCast)[0].weight == 300_000 * HUB


# ---------------------------------------------------------------- 2. HubGovernor through OZ's ABI


def _both(suite):
    return [suite.oz_governor, suite.hub_as_oz]


def _same(suite, method: str, *args):
    """The value both governors return for `method(*args)`, asserting they agree."""
    oz_value, hub_value = (getattr(g, method)(*args) for g in _both(suite))
    assert oz_value == hub_value, f"{method}{args}: OpenZeppelin {oz_value!r}, HubGovernor {hub_value!r}"
    return oz_value


def _events(suite, receipt, name: str) -> tuple[dict, dict]:
    """The event `name` of each governor in `receipt`, both decoded with OpenZeppelin's ABI."""
    found = {}
    for governor in _both(suite):
        logs = [log for log in receipt.decode_logs(getattr(suite.oz_governor, name))
                if to_checksum_address(log.contract_address) == governor.address]
        assert len(logs) == 1, f"{name} from {governor.address}: {logs}"
        found[governor.address] = dict(logs[0].event_arguments)
    oz_event, hub_event = found[suite.oz_governor.address], found[suite.hub_as_oz.address]
    return oz_event, hub_event


def _ping_proposal(suite, amount: int, proposer, title: str):
    targets, values = [suite.pinged.address], [0]
    calldatas = [bytes(suite.pinged.ping.encode_input(amount))]
    description = with_proposer(f"# {title}", proposer.address)
    return targets, values, calldatas, description


def test_hub_governor__settings_and_metadata__as_oz_answers(twin_suite, oz):
    suite = twin_suite
    for method in ("votingDelay", "votingPeriod", "proposalThreshold", "COUNTING_MODE", "CLOCK_MODE", "clock",
                   "version"):
        _same(suite, method)
    assert (_same(suite, "votingDelay"), _same(suite, "votingPeriod")) == (DELAY, PERIOD)
    assert _same(suite, "token") == suite.token.address
    assert _same(suite, "nonces", suite.twins[0]) == 0
    # Quorum units differ (OZ: percent, cidhub: basis points); what a client computes agrees.
    oz_fraction = Fraction(suite.oz_governor.quorumNumerator(), suite.oz_governor.quorumDenominator())
    hub_fraction = Fraction(suite.hub_as_oz.quorumNumerator(), suite.hub_as_oz.quorumDenominator())
    assert oz_fraction == hub_fraction == Fraction(4, 100)
    timepoint = suite.token.clock() - 1
    assert Fraction(suite.oz_governor.quorumNumerator(timepoint), 100) == Fraction(
        suite.hub_as_oz.quorumNumerator(timepoint), 10_000)
    assert _same(suite, "quorum", timepoint) == suite.token.totalSupply() * 4 // 100


def test_hub_governor__quorum_numerator_event__in_the_units_of_its_denominator(twin_suite):
    suite = twin_suite
    receipt = suite.hub_governor.creation_metadata.receipt
    # Decoded with OpenZeppelin's event ABI (the OZ governor's), from HubGovernor's log.
    (event,) = [log for log in receipt.decode_logs(suite.oz_governor.QuorumNumeratorUpdated)
                if to_checksum_address(log.contract_address) == suite.hub_governor.address]
    assert event.newQuorumNumerator == 400 and suite.hub_as_oz.quorumDenominator() == 10_000
    (oz_event,) = suite.oz_governor.creation_metadata.receipt.decode_logs(suite.oz_governor.QuorumNumeratorUpdated)
    assert Fraction(event.newQuorumNumerator, 10_000) == Fraction(oz_event.newQuorumNumerator,
                                                                  suite.oz_governor.quorumDenominator())


def test_hub_governor__lifecycle__same_answers_as_oz(twin_suite, chain, deployer):
    suite = twin_suite
    governors = [suite.oz_governor.address, suite.hub_governor.address]
    yes, no, abstain = suite.twins
    targets, values, calldatas, description = _ping_proposal(suite, 7, yes, "Ping the target")
    description_hash = keccak(text=description)

    receipt = yes.propose(governors, targets, values, calldatas, description, sender=deployer)
    oz_created, hub_created = _events(suite, receipt, "ProposalCreated")
    assert oz_created == hub_created
    pid = oz_created["proposalId"]
    assert _same(suite, "hashProposal", targets, values, calldatas, description_hash) == pid
    assert suite.hub_as_igovernor.hashProposal(targets, values, calldatas, description_hash) == pid
    assert _same(suite, "state", pid) == PENDING
    snapshot = _same(suite, "proposalSnapshot", pid)
    deadline = _same(suite, "proposalDeadline", pid)
    assert (snapshot, deadline) == (receipt.timestamp + DELAY, receipt.timestamp + DELAY + PERIOD)
    assert _same(suite, "proposalProposer", pid) == yes.address
    assert _same(suite, "proposalEta", pid) == 0
    assert _same(suite, "proposalNeedsQueuing", pid) is True
    assert _same(suite, "proposalVotes", pid) == (0, 0, 0)

    chain.mine(timestamp=snapshot + 1)
    assert _same(suite, "state", pid) == ACTIVE
    assert _same(suite, "quorum", snapshot) == 2_000_000 * HUB * 4 // 100
    for twin, support in ((yes, FOR), (no, AGAINST), (abstain, ABSTAIN)):
        assert _same(suite, "getVotes", twin, snapshot) == suite.token.getPastVotes(twin, snapshot)
        assert _same(suite, "getVotesWithParams", twin, snapshot, b"") == suite.token.getPastVotes(twin, snapshot)
        assert _same(suite, "hasVoted", pid, twin) is False
        receipt = twin.castVote(governors, pid, support, sender=deployer)
        oz_vote, hub_vote = _events(suite, receipt, "VoteCast")
        assert oz_vote == hub_vote and oz_vote["support"] == support
        assert _same(suite, "hasVoted", pid, twin) is True
    assert _same(suite, "proposalVotes", pid) == (150_000 * HUB, 400_000 * HUB, 100_000 * HUB)

    chain.mine(timestamp=deadline + 1)
    assert _same(suite, "state", pid) == SUCCEEDED
    receipt = yes.queue(governors, targets, values, calldatas, description_hash, sender=deployer)
    oz_queued, hub_queued = _events(suite, receipt, "ProposalQueued")
    assert oz_queued == hub_queued and oz_queued["etaSeconds"] == receipt.timestamp + TIMELOCK_DELAY
    assert _same(suite, "state", pid) == QUEUED
    eta = _same(suite, "proposalEta", pid)

    chain.mine(timestamp=eta)
    receipt = yes.execute(governors, targets, values, calldatas, description_hash, sender=deployer)
    assert _events(suite, receipt, "ProposalExecuted")[0] == _events(suite, receipt, "ProposalExecuted")[1]
    assert _same(suite, "state", pid) == EXECUTED
    assert suite.pinged.pings(suite.oz_timelock) == suite.pinged.pings(suite.hub_timelock) == 7


def test_hub_governor__defeated_and_canceled__same_states_as_oz(twin_suite, chain, deployer):
    suite = twin_suite
    governors = [suite.oz_governor.address, suite.hub_governor.address]
    yes, no, _ = suite.twins
    defeated = _ping_proposal(suite, 1, yes, "Outvoted")
    canceled = _ping_proposal(suite, 2, yes, "Withdrawn")
    yes.propose(governors, *defeated, sender=deployer)
    yes.propose(governors, *canceled, sender=deployer)
    defeated_id = _same(suite, "hashProposal", *defeated[:3], keccak(text=defeated[3]))
    canceled_id = _same(suite, "hashProposal", *canceled[:3], keccak(text=canceled[3]))

    receipt = yes.cancel(governors, *canceled[:3], keccak(text=canceled[3]), sender=deployer)
    assert _events(suite, receipt, "ProposalCanceled")[0] == _events(suite, receipt, "ProposalCanceled")[1]
    assert _same(suite, "state", canceled_id) == CANCELED

    chain.mine(timestamp=_same(suite, "proposalSnapshot", defeated_id) + 1)
    no.castVote(governors, defeated_id, AGAINST, sender=deployer)
    chain.mine(timestamp=_same(suite, "proposalDeadline", defeated_id) + 1)
    assert _same(suite, "state", defeated_id) == DEFEATED
    assert _same(suite, "proposalVotes", defeated_id) == (150_000 * HUB, 0, 0)


def test_hub_governor__unknown_proposal__zeros_as_oz(twin_suite):
    for method in ("proposalSnapshot", "proposalDeadline", "proposalEta"):
        assert _same(twin_suite, method, 12345) == 0
    assert _same(twin_suite, "proposalProposer", 12345) == "0x0000000000000000000000000000000000000000"
    assert _same(twin_suite, "proposalVotes", 12345) == (0, 0, 0)
    assert _same(twin_suite, "hasVoted", 12345, twin_suite.twins[0]) is False


def _igovernor_interface_id(oz) -> int:
    inherited = {"supportsInterface(bytes4)", "clock()", "CLOCK_MODE()"}  # IERC165, IERC6372
    selectors = [abi.selector for abi in oz.types["IGovernorClient"].abi
                 if abi.type == "function" and abi.selector not in inherited]
    interface_id = 0
    for selector in selectors:
        interface_id ^= int.from_bytes(keccak(text=selector)[:4], "big")
    return interface_id


def test_supports_interface__hub_claims_erc165_not_igovernor(twin_suite, oz):
    """Documented difference: IGovernor's id would claim castVoteBySig and castVoteWithReasonAndParamsBySig,
    whose ballots have no expiry; HubGovernor keeps its expiring `cast_vote_by_sig` instead."""
    igovernor = _igovernor_interface_id(oz).to_bytes(4, "big")
    assert twin_suite.oz_governor.supportsInterface(igovernor) is True  # the id is computed right
    assert twin_suite.hub_as_oz.supportsInterface(igovernor) is False
    assert _same(twin_suite, "supportsInterface", bytes.fromhex("01ffc9a7")) is True
    assert _same(twin_suite, "supportsInterface", bytes.fromhex("ffffffff")) is False
