# pragma version ~=0.4.3
"""
@title MktStipendPayer
@notice Test-only payer that forwards ether the way old marketplaces pay
        royalties: `send`, i.e. a CALL with only the 2,300-gas stipend.
"""


@external
@payable
def pay(to: address):
    send(to, msg.value)
