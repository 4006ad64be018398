"""Issue #10, finding 6: proposal front-running veto.

A proposal id is keccak(targets, values, calldatas, keccak(description)): it does not include the
proposer. An attacker who sees a proposal in the mempool proposes the same thing first, then drops
below the threshold and cancels it (or lets it fail): the id is burnt and the real proposer gets
"governor: proposal already exists". OpenZeppelin's answer, which HubGovernor implements and
cidhub's tooling uses by default: a description ending in `#proposer=0x<address>` can only be
proposed by that address.
"""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from cidhub.chain import governance as gov
from cidhub.chain.governance import GovernanceError
from cidhub.chain.proposals import EncodedProposal, proposer_of, with_proposer

from .helpers import HUB, cid


@pytest.fixture
def attacker_with_votes(hub_token, creator, attacker, chain):
    """The attacker holds (and has delegated) just enough to propose."""
    hub_token.transfer(attacker, 1_000 * HUB, sender=creator)
    hub_token.invoke_transaction("delegate", attacker, sender=attacker)
    chain.mine(deltatime=2)
    return attacker


@pytest.fixture
def delist_call(registry_dao, new_asset):
    return [registry_dao.address], [0], [bytes(registry_dao.delist.encode_input(new_asset(), cid()))]


def _burn_the_id(governor, hub_token, chain, attacker, creator, targets, values, calldatas, description):
    """The attack: propose first, drop below the threshold, cancel."""
    governor.propose(targets, values, calldatas, description, sender=attacker)
    hub_token.transfer(creator, hub_token.balanceOf(attacker), sender=attacker)
    chain.mine(deltatime=2)
    governor.cancel(targets, values, calldatas, keccak(text=description), sender=attacker)


def test_front_run__unreserved_description__burns_the_id(governor, hub_token, chain, delist_call,
                                                         attacker_with_votes, creator):
    """Why the suffix is needed: without it the attack works."""
    description = "# Delist the leaked dataset"
    _burn_the_id(governor, hub_token, chain, attacker_with_votes, creator, *delist_call, description)
    with ape.reverts("governor: proposal already exists"):
        governor.propose(*delist_call, description, sender=creator)


def test_front_run__reserved_description__reverts_and_the_proposer_keeps_the_id(governor, delist_call,
                                                                               attacker_with_votes, creator):
    description = with_proposer("# Delist the leaked dataset", creator.address)
    with ape.reverts("governor: restricted proposer"):
        governor.propose(*delist_call, description, sender=attacker_with_votes)
    tx = governor.propose(*delist_call, description, sender=creator)
    (created,) = tx.decode_logs(governor.ProposalCreated)
    assert created.proposer == creator.address
    assert created.proposal_id == governor.hash_proposal(*delist_call, keccak(text=description))


def test_tooling_propose__reserves_the_description_for_the_sender(governor, hub_token, delist_call, creator,
                                                                  attacker_with_votes):
    encoded = EncodedProposal(*map(list, delist_call), "# Delist, through cidhub.chain.governance")
    pid, receipt = gov.propose(governor, hub_token, encoded, creator)
    (created,) = receipt.decode_logs(governor.ProposalCreated)
    assert created.description.endswith(f"\n\n#proposer={creator.address}")
    assert pid == created.proposal_id == encoded.for_proposer(creator.address).proposal_id
    with ape.reverts("governor: restricted proposer"):
        governor.propose(*delist_call, created.description, sender=attacker_with_votes)


def test_tooling_propose__reserved_for_someone_else__refused_before_sending(governor, hub_token, delist_call,
                                                                          creator, buyer):
    encoded = EncodedProposal(*map(list, delist_call), with_proposer("# Mine", buyer.address))
    with pytest.raises(GovernanceError, match="reserved for"):
        gov.propose(governor, hub_token, encoded, creator)
    with pytest.raises(GovernanceError, match="reserved for"):
        gov.propose(governor, hub_token, encoded, creator, reserve=False)


def test_tooling_propose__reserve_false__sends_the_description_unchanged(governor, hub_token, delist_call, creator):
    encoded = EncodedProposal(*map(list, delist_call), "# Open to anyone")
    pid, receipt = gov.propose(governor, hub_token, encoded, creator, reserve=False)
    assert receipt.decode_logs(governor.ProposalCreated)[0].description == "# Open to anyone"
    assert pid == encoded.proposal_id


_CASES = {
    "checksummed": lambda a: f"x\n\n#proposer={a}",
    "lower_case": lambda a: f"x #proposer=0x{a[2:].lower()}",
    "upper_case": lambda a: f"x #proposer=0x{a[2:].upper()}",
    "exactly_the_suffix": lambda a: f"#proposer={a}",
    "one_digit_short": lambda a: f"#proposer={a[:-1]}",
    "non_hex_digit": lambda a: f"x #proposer={a[:-1]}g",
    "capital_X": lambda a: f"x #proposer=0X{a[2:]}",
    "trailing_newline": lambda a: f"x #proposer={a}\n",
    "unicode_before": lambda a: f"é🙂 #proposer={a}",
    "marker_inside_the_digits": lambda a: f"#proposer=0x#proposer={a}",
}


@pytest.mark.parametrize("case", list(_CASES))
def test_suffix_parsing__python_agrees_with_the_governor(governor, registry_dao, creator, buyer, case):
    """cidhub.chain.proposals.proposer_of and HubGovernor.propose read the same descriptions the same way."""
    description = _CASES[case](creator.address)
    reserved_for = proposer_of(description)
    if reserved_for is None:
        governor.propose([registry_dao.address], [0], [b"\x01"], description, sender=buyer)
    else:
        assert reserved_for == creator.address
        with ape.reverts("governor: restricted proposer"):
            governor.propose([registry_dao.address], [0], [b"\x01"], description, sender=buyer)
        governor.propose([registry_dao.address], [0], [b"\x01"], description, sender=creator)
