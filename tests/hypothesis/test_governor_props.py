"""Proposal front-running (issue #10, finding 6): the governor's `#proposer=` rule against a
reference.

A proposal is identified by its actions and description only, so whoever sees it in the mempool
can propose it first (and, as its proposer, cancel it while it is pending: the id stays taken).
OpenZeppelin's defence, which HubGovernor adopts: a description ending in "#proposer=0x" and 40
hex digits can be proposed by that address only; any other ending is no restriction. HubGovernor
parses the suffix with a byte-parallel (SWAR) trick, so the property draws suffixes character by
character around every boundary of the hex alphabet ('/', '0', '9', ':', '@', 'A', 'F', 'G', '`',
'a', 'f', 'g', multi-byte UTF-8, '0X' for '0x') and names drawn from `strategies.addresses`, and
compares the governor's decision with OpenZeppelin's rule written out in Python
(`oz_restricted_to`). Proposals are simulated with `eth_call` from the proposer, so nothing is
written.

Profiles (env HYPOTHESIS_PROFILE): `ci` 60 examples (derandomized), `deep` 1,000.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from revert_check import call_outcome  # noqa: E402
from strategies import AddressPool, addresses  # noqa: E402

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SETTINGS = settings(
    max_examples=1_000 if _PROFILE == "deep" else 60, derandomize=_PROFILE != "deep", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
MARKER = "#proposer=0x"
RESTRICTED = "governor: restricted proposer"
#: Characters at and next to the edges of [0-9A-Fa-f], and a few that are not ASCII at all.
EDGE_CHARACTERS = "/09:@AFG`afgxX#= \u00e9\u4e2d"
HEX = "0123456789abcdefABCDEF"


def oz_restricted_to(description: str) -> int | None:
    """OpenZeppelin Governor._isValidDescriptionForProposer: the address a description restricts
    proposing to, or None. Works on the UTF-8 bytes, as the contract does."""
    raw = description.encode()
    if len(raw) < 52 or raw[-52:-40] != MARKER.encode():
        return None
    digits = raw[-40:]
    if not all(chr(b) in HEX for b in digits):
        return None
    return int(digits.decode(), 16)


@st.composite
def suffixed_descriptions(draw, names: st.SearchStrategy[str]) -> str:
    """A description ending in a "#proposer=" suffix that is right, nearly right, or damaged."""
    body = draw(st.sampled_from(["# Delist an asset\n\nBecause.", "", "x" * 7]), label="body")
    name = draw(names, label="named")
    digits = list(name[2:])
    # Each digit in either case (the rule accepts both).
    digits = [c.upper() if c.isalpha() and draw(st.booleans(), label="upper") else c.lower() for c in digits]
    damage = draw(st.sampled_from(["none", "none", "character", "marker", "length", "prefix"]), label="damage")
    marker = MARKER
    if damage == "character":
        digits[draw(st.integers(0, 39), label="at")] = draw(st.sampled_from(EDGE_CHARACTERS), label="char")
    elif damage == "marker":
        marker = draw(st.sampled_from(["#proposer=0X", "#Proposer=0x", "#proposer:0x", "proposer=0x", "#proposer=0x0x",
                                       "#proposer=  "]), label="marker")
    elif damage == "length":
        if draw(st.booleans(), label="longer"):
            digits.append(draw(st.sampled_from(HEX), label="extra"))
        else:
            digits.pop(draw(st.integers(0, 39), label="drop"))
    elif damage == "prefix":
        body = draw(st.sampled_from([MARKER, "#proposer=0x" + "0" * 40 + " ", MARKER[:-2]]), label="prefix") + body
    return body + marker + "".join(digits)


@pytest.fixture(scope="module")
def world(governance_suite, hub_token, governor, chain, creator, buyer, other, curator, attacker):
    for account in (creator, buyer, other, curator):
        hub_token.invoke_transaction("delegate", account, sender=account)
    chain.mine(deltatime=10)
    registry = governance_suite.AssetRegistry
    pool = AddressPool(eoas=(creator.address, buyer.address, other.address, curator.address, attacker.address),
                       suite=tuple(rec.address for rec in governance_suite.deployment.contracts.values()))
    return _World(w3=chain.provider.web3, governor=governor, registry=registry, pool=pool,
                  proposers=(creator, buyer, other))


class _World(SimpleNamespace):
    def __repr__(self) -> str:  # hypothesis prints the fixture with a failing example
        return "<governor world>"


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(world):
    """Delegate once per module, before Ape's per-test snapshot."""


@SETTINGS
@given(data=st.data())
def test_proposer_suffix__only_the_named_proposer_may_propose(world, data):
    proposer = data.draw(st.sampled_from(world.proposers), label="proposer")
    # Name the proposer itself half of the time (the honest case), else anyone.
    names = st.one_of(st.just(proposer.address), addresses(world.pool, suite=True))
    description = data.draw(suffixed_descriptions(names), label="description")
    registry = world.registry
    calldata = bytes(registry.delist.encode_input(1, b"\x01"))
    outcome = call_outcome(world.w3, world.governor.propose, [registry.address], [0], [calldata], description,
                           sender=proposer)
    named = oz_restricted_to(description)
    note(f"named {None if named is None else hex(named)}, proposer {proposer.address} -> {outcome or 'accepted'}")
    if named is not None and named != int(proposer.address, 16):
        assert outcome == RESTRICTED, "someone else may propose a description that names its proposer"
    else:
        assert outcome is None, "the proposer was refused a description that does not restrict it to someone else"


def test_oz_reference__reads_the_suffix_like_openzeppelin():
    address = "0x" + "ab" * 20
    assert oz_restricted_to("x" + MARKER + address[2:]) == int(address, 16)
    assert oz_restricted_to("x" + MARKER + address[2:].upper()) == int(address, 16)
    assert oz_restricted_to("x#proposer=0X" + address[2:]) is None
    assert oz_restricted_to("x" + MARKER + address[2:-1] + "g") is None
    assert oz_restricted_to(MARKER + address[2:-1]) is None


# ------------------------------------------------------------------------------------- front-running the tooling


class _FrontRunner:
    """The governor as the honest proposer's tooling sees it, with an attacker who watches the
    mempool: when the proposal is sent, the attacker's copy of the same transaction lands first
    (if the governor lets it), and the attacker, now its proposer, cancels it while it is pending."""

    def __init__(self, governor, w3, attacker, cancels: bool):
        self._governor, self._w3, self._attacker, self._cancels = governor, w3, attacker, cancels
        self.front_run = False

    def __getattr__(self, name):
        return getattr(self._governor, name)

    def propose(self, targets, values, calldatas, description, sender):
        g = self._governor
        if call_outcome(self._w3, g.propose, targets, values, calldatas, description, sender=self._attacker) is None:
            g.propose(targets, values, calldatas, description, sender=self._attacker)
            self.front_run = True
            if self._cancels:
                from eth_utils import keccak

                g.cancel(targets, values, calldatas, keccak(text=description), sender=self._attacker)
        return g.propose(targets, values, calldatas, description, sender=sender)


@settings(SETTINGS, max_examples=40 if _PROFILE == "deep" else 4)
@given(data=st.data())
def test_propose__through_cidhub_tooling__cannot_be_front_run(world, hub_token, chain, data):
    """`cidhub.chain.governance.propose` (what `ape run govern propose` calls) must leave the proposal
    the honest proposer's, whatever a front-runner with enough votes does with its transaction."""
    from cidhub.chain.governance import GovernanceError
    from cidhub.chain.governance import propose as cidhub_propose
    from cidhub.chain.proposals import EncodedProposal

    honest, *others = world.proposers
    attacker = data.draw(st.sampled_from(others), label="attacker")
    cancels = data.draw(st.booleans(), label="attacker cancels")
    description = data.draw(st.sampled_from(["# Delist asset 1\n\nSpam.", "Delist", "# Title\n" + "x" * 300]),
                            label="description")
    registry = world.registry
    encoded = EncodedProposal([registry.address], [0], [bytes(registry.delist.encode_input(1, b"\x01"))], description)
    snapshot = chain.snapshot()
    try:
        front_runner = _FrontRunner(world.governor, world.w3, attacker, cancels)
        try:
            pid, _ = cidhub_propose(front_runner, hub_token, encoded, honest)
        except (GovernanceError, Exception) as error:  # noqa: BLE001 - any failure of the honest proposal
            raise AssertionError(f"front-run by {attacker.address} (cancels: {cancels}): the honest proposal "
                                 f"failed: {error}") from None
        assert world.governor.proposal_proposer(pid) == honest.address
        assert world.governor.state(pid) == 0, "the honest proposal is not pending"
    finally:
        chain.restore(snapshot)
