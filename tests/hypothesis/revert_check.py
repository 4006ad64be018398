"""Expected reverts in state machines, checked with a plain `eth_call`.

Sending a doomed transaction through `ape.reverts` costs ~0.5 s of Ape's trace analysis per
call; a state machine makes hundreds. An `eth_call` in the current state gives the same answer:
the call must revert with exactly `reason` (an `Error(string)` payload).
"""

from __future__ import annotations

from eth_abi import decode as abi_decode
from web3.exceptions import ContractLogicError as Web3ContractLogicError

ERROR_SELECTOR = bytes.fromhex("08c379a0")


def assert_call_reverts(web3, reason: str, method, *args, sender, value: int = 0) -> None:
    request = {"from": sender.address, "to": method.contract.address, "data": method.encode_input(*args),
               "value": value}
    try:
        web3.eth.call(request, "latest")
    except Web3ContractLogicError as error:
        data = bytes.fromhex(str(error.data)[2:]) if error.data else b""
        assert data[:4] == ERROR_SELECTOR, f"expected {reason!r}, got {error!r}"
        (actual,) = abi_decode(["string"], data[4:])
        assert actual == reason
    else:
        raise AssertionError(f"expected revert {reason!r}, the call succeeded")


#: What `call_outcome` returns for a revert without an Error(string) payload.
NO_REASON = "<revert without reason>"


def call_outcome(web3, method, *args, sender, value: int = 0) -> str | None:
    """Simulate the call in the current state: None if it succeeds, else its revert reason
    (`NO_REASON` for a bare revert or a failed ABI decoding, `0x...` for custom error data)."""
    request = {"from": sender if isinstance(sender, str) else sender.address, "to": method.contract.address,
               "data": method.encode_input(*args), "value": value}
    try:
        web3.eth.call(request, "latest")
    except Web3ContractLogicError as error:
        data = bytes.fromhex(str(error.data)[2:]) if isinstance(error.data, str) and error.data.startswith("0x") \
            else b""
        if data[:4] == ERROR_SELECTOR:
            (reason,) = abi_decode(["string"], data[4:])
            return reason
        return "0x" + data.hex() if data else NO_REASON
    return None
