# pragma version ~=0.4.3
"""
@title PropInert
@notice Test-only contract with code but no entry point: every call to it,
        and every ether transfer, reverts without data. As an address in the
        property tests it stands for a recipient that cannot receive (a token
        contract, a misconfigured multisig) and for an ERC-1271 "wallet" that
        answers nothing.
"""
