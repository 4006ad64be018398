"""Stateful property test of HubToken's votes (contracts/modules/votes.vy) against a plain-Python model.

Random sequences of transfers, delegations (to oneself, to others, to nobody, to contracts),
signed delegations relayed by anyone (every kind of delegator, the zero address and an ERC-1271
wallet included, with every kind of signature from strategies.signatures: they must go through
exactly when the delegator signed), mints, burns and clock advances run on anvil, some of them inside an already used timepoint (anvil lets
consecutive blocks share a timestamp, as the checkpoint code must expect). After every step:

- balances, delegates and every account's votes match the model;
- the sum of all accounts' votes equals the delegated supply (balances of accounts that have a
  delegate), and the total supply matches;
- past votes and past total supply never change once their timepoint is over: each timepoint is
  read when it closes and compared with the model's value at the end of that timepoint; after
  every step the latest few are read again (and one older one in turn), and at the end of the
  example all of them, and each answer must equal the chain's first one.

Profiles (env HYPOTHESIS_PROFILE): `ci` (default: 10 examples x 20 steps, ~15 s) and `deep`
(200 x 50). Every example starts from the same chain state: snapshot in `@initialize()`,
restore in `teardown()`. Reads go in one JSON-RPC batch per step, encoded by hand.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from revert_check import call_outcome  # noqa: E402
from strategies import ecdsa_signer, signatures  # noqa: E402

ZERO = "0x0000000000000000000000000000000000000000"
DELEGATION_TYPEHASH = keccak(text="Delegation(address delegatee,uint256 nonce,uint256 expiry)")


def _view(signature: str, output_type: str) -> tuple[bytes, list[str], str]:
    inputs = signature[signature.index("(") + 1:-1]
    return function_signature_to_4byte_selector(signature), inputs.split(",") if inputs else [], output_type


#: The views the invariant reads: (selector, argument types, return type).
VIEWS = {
    "balanceOf": _view("balanceOf(address)", "uint256"),
    "delegates": _view("delegates(address)", "address"),
    "get_votes": _view("get_votes(address)", "uint256"),
    "totalSupply": _view("totalSupply()", "uint256"),
    "get_past_total_supply": _view("get_past_total_supply(uint256)", "uint256"),
    "get_past_votes": _view("get_past_votes(address,uint256)", "uint256"),
}
HUB = 10**18
ACTORS = ("creator", "buyer", "other", "attacker")  # EOAs: they send transactions
#: Every holder the model tracks: the EOAs, an ERC-1271 wallet (contracts/test/PropWallet.vy, owned
#: by creator), a suite contract (the token itself) and an address nobody has the key of. Tokens and
#: votes can go to all of them; only the EOAs send, the wallet delegates by signature.
HOLDERS = (*ACTORS, "wallet", "contract", "keyless")
KEYLESS = "0x000000000000000000000000000000000000dEaD"
INITIAL = {"creator": 500 * HUB, "buyer": 300 * HUB, "other": 200 * HUB, "attacker": 0, "wallet": 0, "contract": 0,
           "keyless": 0}
STRANGER_KEY = "0x" + "b8" * 32

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
MACHINE_SETTINGS = {
    "ci": settings(max_examples=10, stateful_step_count=20, **_COMMON),
    "deep": settings(max_examples=200, stateful_step_count=50, **_COMMON),
}


def _profile() -> str:
    """Register `ci`/`deep` unless another module has (its budgets are its own: this machine
    applies MACHINE_SETTINGS itself), and return the name the environment asks for."""
    for name, profile in MACHINE_SETTINGS.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, profile)
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    return name if name in MACHINE_SETTINGS else "ci"


PROFILE = _profile()
#: Timepoints re-read after each step besides those that just closed: the latest few (a
#: checkpoint bug in the same or the next timepoint shows there) and one more in turn.
RECHECK_LATEST = 3
amounts = st.one_of(st.integers(0, 3), st.integers(0, 1_000 * HUB))


@dataclass
class Model:
    balances: dict[str, int] = field(default_factory=lambda: dict(INITIAL))
    delegates: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(HOLDERS))  # holder -> holder name
    nonces: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HOLDERS, 0))
    # timepoint -> (votes by actor, total supply) at the end of that timepoint (so far)
    history: dict[int, tuple[dict[str, int], int]] = field(default_factory=dict)

    def votes(self) -> dict[str, int]:
        votes = dict.fromkeys(HOLDERS, 0)
        for actor, delegate in self.delegates.items():
            if delegate is not None:
                votes[delegate] += self.balances[actor]
        return votes

    @property
    def total(self) -> int:
        return sum(self.balances.values())

    def delegated_supply(self) -> int:
        return sum(self.balances[a] for a, d in self.delegates.items() if d is not None)


class VotesStateMachine(RuleBasedStateMachine):
    """Set by the test: the token (deployer is its minter), accounts by actor, the minter, Ape's
    chain manager and its web3 (reads are batched by hand)."""

    token = None
    accounts: dict = {}  # holder name -> account (EOAs) or anything with an `.address`
    keys: dict = {}  # holder name -> the private key that signs for it
    domain = b""  # the token's EIP-712 domain separator
    relayer = None
    minter = None
    chain = None
    w3 = None

    def __init__(self):
        super().__init__()
        self.model = Model()
        self.snapshot_id = None
        self.first_answers: dict[tuple[int, str], int] = {}  # (timepoint, actor or "total") -> value
        self.read_once: set[int] = set()  # timepoints read at least once since they closed
        self.turn = 0
        self.in_step = False  # a rule started and its invariant check has not passed yet

    def address(self, actor: str | None) -> str:
        return ZERO if actor is None else self.accounts[actor].address

    def record(self, receipt) -> None:
        """The model's state is the state at the end of this transaction's timepoint (so far)."""
        timestamp = self.chain.provider.get_block(receipt.block_number).timestamp
        assert timestamp == self.now, "the block was not mined at the machine's clock"
        self.model.history[timestamp] = (self.model.votes(), self.model.total)

    # ------------------------------------------------------------ lifecycle

    @initialize()
    def take_snapshot(self):
        self.snapshot_id = self.chain.snapshot()
        # The machine keeps its own clock and pins every block to it: left to anvil, whether two
        # transactions share a timepoint would depend on the wall clock, and a replayed example
        # would not be the same example.
        self.now = self.chain.blocks.head.timestamp + 5
        self.chain.mine(timestamp=self.now)
        self.model.history[self.now] = (self.model.votes(), self.model.total)

    def batch_call(self, calls: list[tuple]) -> list:
        """`eth_call` each (view, *arguments) in one JSON-RPC batch and decode the results.

        Encoded by hand from VIEWS: web3's contract-function batching spends ~16 ms building each
        request, which was 2/3 of a step."""
        token = self.token.address
        requests = []
        for name, *args in calls:
            selector, input_types, _ = VIEWS[name]
            data = selector + abi_encode(input_types, args)
            requests.append(("eth_call", [{"to": token, "data": "0x" + data.hex()}, "latest"]))
        responses = sorted(self.w3.provider.make_batch_request(requests), key=lambda r: r["id"])
        decoded = []
        for (name, *_), response in zip(calls, responses, strict=True):
            assert "error" not in response, (name, response)
            (value,) = abi_decode([VIEWS[name][2]], bytes.fromhex(response["result"][2:]))
            decoded.append(to_checksum_address(value) if VIEWS[name][2] == "address" else value)
        return decoded

    def at_clock(self, same_timepoint: bool) -> None:
        """The next transaction is mined in the current timepoint, or one second later."""
        if not same_timepoint:
            self.now += 1
        self.chain.pending_timestamp = self.now

    def teardown(self):
        if self.snapshot_id is not None:
            if not self.in_step:  # the example ran to its end (not cut short by a failure)
                # Every timepoint the example saw, once more: none has changed since it closed.
                self.check_chain(sorted(t for t in self.model.history if t < self.now))
            self.chain.restore(self.snapshot_id)

    # ------------------------------------------------------------ rules

    @rule(sender=st.sampled_from(ACTORS), receiver=st.sampled_from(HOLDERS), amount=amounts,
          same_timepoint=st.booleans())
    def transfer(self, sender, receiver, amount, same_timepoint):
        self.in_step = True
        amount = min(amount, self.model.balances[sender])
        self.at_clock(same_timepoint)
        receipt = self.token.transfer(self.address(receiver), amount, sender=self.accounts[sender])
        self.model.balances[sender] -= amount
        self.model.balances[receiver] += amount
        self.record(receipt)

    @rule(actor=st.sampled_from(ACTORS), delegatee=st.sampled_from((*HOLDERS, None)), same_timepoint=st.booleans())
    def delegate(self, actor, delegatee, same_timepoint):
        self.in_step = True
        self.at_clock(same_timepoint)
        receipt = self.token.invoke_transaction("delegate", self.address(delegatee), sender=self.accounts[actor])
        self.model.delegates[actor] = delegatee
        self.record(receipt)

    @rule(receiver=st.sampled_from(HOLDERS), amount=amounts, same_timepoint=st.booleans())
    def mint(self, receiver, amount, same_timepoint):
        self.in_step = True
        self.at_clock(same_timepoint)
        receipt = self.token.mint(self.address(receiver), amount, sender=self.minter)
        self.model.balances[receiver] += amount
        self.record(receipt)

    @rule(actor=st.sampled_from(ACTORS), amount=amounts, same_timepoint=st.booleans())
    def burn(self, actor, amount, same_timepoint):
        self.in_step = True
        amount = min(amount, self.model.balances[actor])
        self.at_clock(same_timepoint)
        receipt = self.token.burn(amount, sender=self.accounts[actor])
        self.model.balances[actor] -= amount
        self.record(receipt)

    @rule(data=st.data(), same_timepoint=st.booleans())
    def delegate_by_sig(self, data, same_timepoint):
        """Gasless delegation, relayed by anyone, for every kind of delegator (the zero address
        included) with every kind of signature (strategies.signatures): it must go through exactly
        when the delegator signed, i.e. an EOA's key signed this digest or the wallet vouches."""
        self.in_step = True
        # None is the zero address, drawn as often as three holders: the signer nobody can be.
        delegator = data.draw(st.sampled_from((None, None, None, *HOLDERS)), label="delegator")
        delegatee = data.draw(st.sampled_from((*HOLDERS, None)), label="delegatee")
        nonce = 0 if delegator is None else self.model.nonces[delegator]
        expiry = self.now + 3_600
        struct = keccak(abi_encode(["bytes32", "address", "uint256", "uint256"], [DELEGATION_TYPEHASH,
                                                                                  self.address(delegatee), nonce,
                                                                                  expiry]))
        digest = keccak(b"\x19\x01" + self.domain + struct)
        signature = data.draw(signatures(digest, self.keys.get(delegator, STRANGER_KEY),
                                         wrong_keys=(STRANGER_KEY, self.accounts["attacker"].private_key)),
                              label="signature")
        args = (self.address(delegator), self.address(delegatee), nonce, expiry, signature.data)
        if not self.signed_by(delegator, digest, signature.data):
            outcome = call_outcome(self.w3, self.token.delegate_by_sig, *args, sender=self.relayer)
            assert outcome is not None, f"{delegator or 'the zero address'} delegated without signing: {signature!r}"
            return
        self.at_clock(same_timepoint)
        receipt = self.token.delegate_by_sig(*args, sender=self.relayer)
        self.model.delegates[delegator] = delegatee
        self.model.nonces[delegator] += 1
        self.record(receipt)

    def signed_by(self, holder: str | None, digest: bytes, signature: bytes) -> bool:
        """Whether `holder` signed `digest`: an EOA by its key (65 or 64 bytes), the wallet through its
        owner's 65-byte signature (PropWallet mode 0); the zero address, a contract without
        ERC-1271 and a keyless address never do."""
        if holder in ACTORS:
            return len(signature) <= 65 and ecdsa_signer(digest, signature) == self.address(holder)
        if holder == "wallet":
            return len(signature) == 65 and ecdsa_signer(digest, signature) == self.accounts["creator"].address
        return False

    @rule(seconds=st.sampled_from((1, 2, 12, 600)))
    def advance(self, seconds):
        self.in_step = True
        self.now += seconds
        self.chain.mine(timestamp=self.now)
        self.model.history[self.now] = (self.model.votes(), self.model.total)

    # ------------------------------------------------------------ invariants

    @invariant()
    def present_and_past_match_the_model(self):
        """The present, every timepoint that closed since the last step, and a few older ones (the
        latest, and one more in turn). teardown() re-reads every timepoint once at the end of the
        example: re-reading all of them after every step made a step's reads grow with the example
        (50 steps: ~400 calls a step), which put the deep profile out of reach."""
        head = self.chain.blocks.head.timestamp
        assert head == self.now
        past = sorted(t for t in self.model.history if t < head)
        fresh = [t for t in past if t not in self.read_once]
        older = [t for t in past if t in self.read_once]
        again = older[-RECHECK_LATEST:]
        if len(older) > RECHECK_LATEST:
            self.turn += 1
            again.append(older[self.turn % (len(older) - RECHECK_LATEST)])
        self.check_chain(fresh + again)
        self.in_step = False

    def check_chain(self, timepoints: list[int]) -> None:
        calls = []
        for actor in HOLDERS:
            address = self.address(actor)
            calls += [("balanceOf", address), ("delegates", address), ("get_votes", address)]
        calls.append(("totalSupply",))
        for timepoint in timepoints:
            calls.append(("get_past_total_supply", timepoint))
            calls += [("get_past_votes", self.address(actor), timepoint) for actor in HOLDERS]
        results = iter(self.batch_call(calls))

        model_votes = self.model.votes()
        chain_votes = {}
        for actor in HOLDERS:
            assert next(results) == self.model.balances[actor], actor
            assert next(results) == self.address(self.model.delegates[actor]), actor
            chain_votes[actor] = next(results)
            assert chain_votes[actor] == model_votes[actor], actor
        assert next(results) == self.model.total
        # The conservation law of delegation.
        assert sum(chain_votes.values()) == self.model.delegated_supply()

        for timepoint in timepoints:
            votes, total = self.model.history[timepoint]
            answers = {"total": next(results), **{actor: next(results) for actor in HOLDERS}}
            assert answers["total"] == total, timepoint
            for actor in HOLDERS:
                assert answers[actor] == votes[actor], (timepoint, actor)
            for key, value in answers.items():
                # Once a timepoint is over, its answer never changes.
                assert self.first_answers.setdefault((timepoint, key), value) == value, (timepoint, key)
            self.read_once.add(timepoint)


def test_votes_state_machine(project, chain, deployer, creator, buyer, other, attacker):
    actors = dict(zip(ACTORS, (creator, buyer, other, attacker)))
    token = project.HubToken.deploy([a.address for a in actors.values()], [INITIAL[n] for n in ACTORS], deployer,
                                    sender=deployer)
    wallet = project.PropWallet.deploy(creator, sender=deployer)  # mode 0: vouches for its owner's signatures
    holders = {**actors, "wallet": wallet, "contract": token, "keyless": SimpleNamespace(address=KEYLESS)}
    keys = {name: account.private_key for name, account in actors.items()}
    keys["wallet"] = creator.private_key
    w3 = chain.provider.web3

    machine = VotesStateMachine
    machine.token, machine.accounts, machine.minter, machine.chain = token, holders, deployer, chain
    machine.keys, machine.relayer = keys, other
    machine.domain = keccak(abi_encode(["bytes32", "bytes32", "bytes32", "uint256", "address"], [
        keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
        keccak(text="cidhub"), keccak(text="1"), chain.chain_id, token.address]))
    assert bytes(token.DOMAIN_SEPARATOR()) == machine.domain
    machine.w3 = w3
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS[PROFILE])
