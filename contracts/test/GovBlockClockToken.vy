# pragma version ~=0.4.3
"""
@title GovBlockClockToken (test only)
@notice A votes token whose EIP-6372 clock counts blocks: HubGovernor must
        refuse it, because it reads timepoints as unix seconds.
"""


@external
@view
def CLOCK_MODE() -> String[32]:
    return "mode=blocknumber&from=default"


@external
@view
def clock() -> uint48:
    return convert(block.number, uint48)
