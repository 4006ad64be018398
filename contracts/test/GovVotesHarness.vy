# pragma version ~=0.4.3
"""
@title GovVotesHarness (test only)
@notice Exposes the votes module's `_delegate` hook with any account, so
        tests can show the module itself refuses the zero address as a
        delegator whatever a binding token lets through.
"""

from ..modules import votes
initializes: votes

exports: (votes.delegates, votes.get_votes)


@external
def delegate_for(account: address, delegatee: address, units: uint256):
    """
    @notice Calls votes._delegate(account, delegatee, units) unchecked.
    """
    votes._delegate(account, delegatee, units)
