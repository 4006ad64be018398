"""cidhub.chain.proposals' #proposer= suffix (OpenZeppelin's front-running protection), without a chain.
The governor's own reading of the same descriptions is checked in
tests/contracts/governance/test_front_running.py."""

from __future__ import annotations

import pytest

from cidhub.chain.proposals import MAX_DESCRIPTION_BYTES, EncodedProposal, ProposalError, proposer_of, with_proposer

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def test_with_proposer__appends_the_suffix_on_its_own_line():
    assert with_proposer("# Title\nBody\n", ALICE.lower()) == f"# Title\nBody\n\n#proposer={ALICE}"


def test_with_proposer__already_reserved_for_the_same_address__unchanged():
    reserved = with_proposer("# Title", ALICE)
    assert with_proposer(reserved, ALICE) == reserved
    assert with_proposer(f"x #proposer=0x{ALICE[2:].lower()}", ALICE) == f"x #proposer=0x{ALICE[2:].lower()}"


def test_with_proposer__reserved_for_someone_else__raises():
    with pytest.raises(ProposalError, match=f"reserved for {BOB}"):
        with_proposer(with_proposer("# Title", BOB), ALICE)


def test_with_proposer__over_the_description_bound__raises():
    with pytest.raises(ProposalError, match="at most 8,192"):
        with_proposer("x" * (MAX_DESCRIPTION_BYTES - 53), ALICE)
    assert len(with_proposer("x" * (MAX_DESCRIPTION_BYTES - 54), ALICE).encode()) == MAX_DESCRIPTION_BYTES


@pytest.mark.parametrize("description,expected", [
    (f"#proposer={ALICE}", ALICE),
    (f"text #proposer=0x{ALICE[2:].upper()}", ALICE),
    (f"#proposer={ALICE}\n", None),
    (f"#proposer=0X{ALICE[2:]}", None),
    (f"#proposer={ALICE[:-1]}", None),
    (f"#proposer={ALICE[:-1]}z", None),
    ("", None),
])
def test_proposer_of(description, expected):
    assert proposer_of(description) == expected


def test_encoded_proposal__for_proposer_changes_the_id():
    encoded = EncodedProposal([BOB], [0], [b"\x01"], "# Title")
    reserved = encoded.for_proposer(ALICE)
    assert reserved.reserved_for == ALICE and encoded.reserved_for is None
    assert reserved.proposal_id != encoded.proposal_id
    assert reserved.arrays() == encoded.arrays()
