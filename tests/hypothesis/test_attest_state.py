"""Stateful test of contracts/OptimisticVerifier.vy and the ComputeAttestations hub behind it.

A RuleBasedStateMachine claims jobs (several jobs per output CID: same output, different
owners), challenges them, lets the arbiter rule, finalizes, expires silent challenges, submits
accepted jobs to the hub, squats output CIDs by registering them directly, submits copies of the
jobs with another owner through the signed verifier (an attester that re-runs jobs signs them),
changes the bond and window between claims, withdraws, and moves time, in random order. A plain-Python model predicts
every outcome: a call the model rejects must revert with exactly the model's reason, every other
call is a transaction that must succeed. After every step:

    verifier's balance == total_bonded + total_owed == the model's bonded + owed (to the wei)
    every claim's status, bond, parties and deadline == the model's
    every account's credit == the model's
    each output CID accepted at most once (and only through a claim the model accepted)
    each output CID reserved in the registry, and in the hub for the claim's job hash, exactly
    while the model says that claim holds it

and at the end of each run, every wei ever bonded was either withdrawn or is still owed or
bonded: deposits == withdrawals + balance.

Profiles (env HYPOTHESIS_PROFILE): `ci` (default, 10 examples x 40 steps, ~40 s) and `deep` (200 x 60).
They are this module's own settings objects, so they neither need nor disturb profiles registered
elsewhere. Reverts are checked with a raw `eth_call` at the head block, whose timestamp is the
model's clock (Ape's revert tracing costs seconds a call); transactions are mined at that clock.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from dataclasses import dataclass

import pytest
from eth_account import Account
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cidhub.compute.jobs import Job, sign_job
from cidhub.content.cid import RAW, cid_to_bytes, make_cid

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from revert_check import assert_call_reverts  # noqa: E402

PROFILES = {
    # derandomized: the same 10 runs every time, so CI never flakes on a vacuity guard below
    "ci": settings(max_examples=10, stateful_step_count=40, derandomize=True),
    "deep": settings(max_examples=200, stateful_step_count=60),
}
SETTINGS = settings(
    PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), PROFILES["ci"]),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

BOND = 10**16
WINDOW = 3_600
TIMEOUT = 86_400
OUTPUTS = 3  # output CIDs in play; two owners each: six jobs, two per output
GAS = 3_000_000
UNCLAIMED, PENDING, CHALLENGED, ACCEPTED, REJECTED = range(5)
ATTESTER = Account.from_key("0x" + "c3" * 32)

OUTCOMES: Counter[str] = Counter()


def _cid(label: str):
    """A fixed CID per label: the suite is the same in every session, so a failing example
    replays against the same job hashes (no os.urandom, no counter shared between modules)."""
    return make_cid(1, RAW, hashlib.sha256(b"attest-state-" + label.encode()).digest())


class Revert(Exception):
    pass


@dataclass
class ClaimModel:
    claimant: str
    bond: int
    deadline: int
    status: int = PENDING
    challenger: str = "0x" + "00" * 20


class OptimisticModel:
    """The verifier and the hub's acceptance, in plain Python."""

    def __init__(self, jobs: list[Job], copies: list[Job]):
        self.jobs, self.copies = jobs, copies
        self.claims: dict[int, ClaimModel] = {}
        self.owed: Counter[str] = Counter()
        self.bonded = 0
        self.deposited = 0
        self.withdrawn = 0
        self.bond, self.window = BOND, WINDOW
        self.registered: set[int] = set()  # output ids in the registry (accepted or squatted)
        self.reserved: dict[int, int] = {}  # output id -> the job whose claim holds it
        self.accepted: Counter[int] = Counter()  # output id -> acceptances by the hub

    def claim(self, j: int, who: str, value: int, now: int):
        # The hub checks the job before the verifier looks at its claims.
        output = self.jobs[j].output_id
        if output in self.registered:
            raise Revert("attest: output already registered")
        if self.reserved.get(output, j) != j:
            raise Revert("attest: output reserved by a pending claim")
        if j in self.claims:
            raise Revert("attest: job already claimed")
        if value != self.bond:
            raise Revert("attest: wrong bond")
        self.reserved[output] = j
        self.claims[j] = ClaimModel(who, value, now + self.window)
        self.bonded += value
        self.deposited += value

    def _claim(self, j: int) -> ClaimModel:
        return self.claims[j]

    def challenge(self, j: int, who: str, value: int, now: int):
        c = self.claims.get(j)
        if c is None:
            raise Revert("attest: no such claim")
        if c.status == CHALLENGED:
            raise Revert("attest: already challenged")
        if c.status != PENDING:
            raise Revert("attest: claim settled")
        if now >= c.deadline:
            raise Revert("attest: challenge window closed")
        if who == c.claimant:
            raise Revert("attest: claimant cannot challenge")
        if value != c.bond:
            raise Revert("attest: wrong bond")
        c.status, c.challenger, c.deadline = CHALLENGED, who, now + TIMEOUT
        self.bonded += value
        self.deposited += value

    def finalize(self, j: int, now: int):
        c = self.claims.get(j)
        if c is None:
            raise Revert("attest: no such claim")
        if c.status == CHALLENGED:
            raise Revert("attest: claim under challenge")
        if c.status != PENDING:
            raise Revert("attest: claim settled")
        if now < c.deadline:
            raise Revert("attest: challenge window open")
        c.status = ACCEPTED
        self._credit(c.claimant, c.bond)

    def resolve(self, j: int, upheld: bool, now: int):
        c = self.claims.get(j)
        if c is None or c.status != CHALLENGED:
            raise Revert("attest: claim not challenged")
        if now >= c.deadline:
            raise Revert("attest: resolution deadline passed")
        c.status = ACCEPTED if upheld else REJECTED
        self._credit(c.claimant if upheld else c.challenger, 2 * c.bond)
        if not upheld:
            self._release(j)

    def expire(self, j: int, now: int):
        c = self.claims.get(j)
        if c is None or c.status != CHALLENGED:
            raise Revert("attest: claim not challenged")
        if now < c.deadline:
            raise Revert("attest: resolution pending")
        c.status = REJECTED
        self._credit(c.claimant, c.bond)
        self._credit(c.challenger, c.bond)
        self._release(j)

    def _release(self, j: int):
        assert self.reserved.pop(self.jobs[j].output_id) == j

    def _credit(self, to: str, amount: int):
        self.owed[to] += amount
        self.bonded -= amount

    def withdraw(self, who: str) -> int:
        amount = self.owed[who]
        if not amount:
            raise Revert("attest: nothing to withdraw")
        self.owed[who] = 0
        self.withdrawn += amount
        return amount

    def submit(self, j: int, now: int):
        output = self.jobs[j].output_id
        if output in self.registered:
            raise Revert("attest: output already registered")
        if self.reserved.get(output, j) != j:
            raise Revert("attest: output reserved by a pending claim")
        c = self.claims.get(j)
        if c is None:
            raise Revert("attest: no such claim")
        if c.status == PENDING:
            raise Revert("attest: challenge window open" if now < c.deadline else "attest: claim not finalized")
        if c.status == CHALLENGED:
            raise Revert("attest: claim under challenge")
        if c.status == REJECTED:
            raise Revert("attest: claim rejected")
        self.registered.add(output)
        self.reserved.pop(output, None)
        self.accepted[output] += 1

    def submit_copy(self, o: int):
        """A copy of the output's jobs with another owner, attested through the signed verifier."""
        output = self.copies[o].output_id
        if output in self.registered:
            raise Revert("attest: output already registered")
        if output in self.reserved:
            raise Revert("attest: output reserved by a pending claim")
        self.registered.add(output)
        self.accepted[output] += 1

    def squat(self, output: int):
        if output in self.registered:
            raise Revert("registry: cid already registered")
        if output in self.reserved:
            raise Revert("registry: cid reserved")
        self.registered.add(output)


class Suite:
    def __init__(self, chain, registry, hub, verifier, deployer, dao, people, jobs, output_cids, copies):
        self.chain, self.registry, self.hub, self.verifier = chain, registry, hub, verifier
        self.deployer, self.dao, self.people, self.jobs, self.output_cids = deployer, dao, people, jobs, output_cids
        self.copies = copies
        self.by_address = {p.address: p for p in people}


@pytest.fixture(scope="module")
def suite(project, chain, accounts, registry, deployer, dao, creator, other):
    hub = project.ComputeAttestations.deploy(registry, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), hub, sender=deployer)
    hub.grantRole(hub.VERIFIER_MANAGER_ROLE(), dao, sender=deployer)
    verifier = project.OptimisticVerifier.deploy(hub, BOND, WINDOW, TIMEOUT, sender=deployer)
    verifier.grantRole(verifier.ARBITER_ROLE(), dao, sender=deployer)
    verifier.grantRole(verifier.PARAMS_MANAGER_ROLE(), dao, sender=deployer)
    hub.set_verifier(verifier, True, sender=dao)
    signed = project.SignedAttestationVerifier.deploy(hub, sender=deployer)
    signed.grantRole(signed.ATTESTER_MANAGER_ROLE(), dao, sender=deployer)
    signed.add_attester(ATTESTER.address, sender=dao)
    hub.set_verifier(signed, True, sender=dao)
    model_id = registry.register(cid_to_bytes(_cid("model")), 1, cid_to_bytes(_cid("model card")), 0, [], [], 0,
                                 sender=creator).decode_logs(registry.AssetRegistered)[0].asset_id
    dataset_id = registry.register(cid_to_bytes(_cid("dataset")), 0, cid_to_bytes(_cid("dataset card")), 0, [], [],
                                   0, sender=other).decode_logs(registry.AssetRegistered)[0].asset_id
    people = list(accounts[2:8])
    outputs = [_cid(f"output {o}") for o in range(OUTPUTS)]
    params, card = _cid("params"), _cid("result card")
    jobs = [Job.build(model_id=model_id, dataset_ids=[dataset_id], model_share_bps=1_000, dataset_shares_bps=[500],
                      params_cid=params, output_cid=output, metadata_cid=card, owner=owner.address,
                      verifier=verifier.address)
            for output in outputs for owner in people[:2]]
    copies = [Job.build(model_id=model_id, dataset_ids=[dataset_id], model_share_bps=1_000, dataset_shares_bps=[500],
                        params_cid=params, output_cid=output, metadata_cid=card, owner=people[2].address,
                        verifier=signed.address)
              for output in outputs]
    return Suite(chain, registry, hub, verifier, deployer, dao, people, jobs, outputs, copies)


class AttestMachine(RuleBasedStateMachine):
    suite: Suite  # set by the test function

    @initialize(seeded=st.integers(0, 3), who=st.integers(0, 5))
    def start(self, seeded, who):
        s = self.suite
        self.snapshot = s.chain.snapshot()
        self.now = s.chain.blocks.head.timestamp + 1
        s.chain.mine(timestamp=self.now)
        self.model = OptimisticModel(s.jobs, s.copies)
        self.squats = 0
        self.hub_from_block = s.chain.blocks.head.number
        # Start with a few claims, so that runs spend their steps on what happens to claims.
        for j in range(seeded):
            sender = s.people[(who + j) % len(s.people)]
            self._act(lambda: self.model.claim(2 * j, sender.address, BOND, self.now), s.verifier.claim,
                      s.jobs[2 * j].as_args(), sender=sender, value=BOND)

    def teardown(self):
        if hasattr(self, "snapshot"):
            s = self.suite
            # Each output accepted at most once, read from the hub's own events.
            events = list(s.hub.JobAccepted.range(self.hub_from_block, s.chain.blocks.head.number + 1))
            per_output = Counter(e.result_id for e in events)
            assert all(n == 1 for n in per_output.values()), per_output
            assert dict(per_output) == {k: v for k, v in self.model.accepted.items() if v}
            # Every wei bonded is withdrawn, still owed, or still bonded.
            assert self.model.deposited == self.model.withdrawn + s.verifier.balance
            s.chain.restore(self.snapshot)

    # ------------------------------------------------------------ plumbing

    def _send(self, method, *args, sender, value=0):
        OUTCOMES[method.abis[0].name] += 1
        self.suite.chain.pending_timestamp = self.now
        return method(*args, sender=sender, value=value, gas=GAS)

    def _expect_revert(self, reason, method, *args, sender, value=0):
        OUTCOMES[f"{method.abis[0].name}: {reason}"] += 1
        assert_call_reverts(self.suite.chain.provider.web3, reason, method, *args, sender=sender, value=value)

    def _act(self, predict, method, *args, sender, value=0):
        """Run the model's step; the contract must agree (same revert reason, or success).

        Returns (the model's result, the receipt), or None when the step reverted."""
        try:
            result = predict()
        except Revert as revert:
            self._expect_revert(str(revert), method, *args, sender=sender, value=value)
            return None
        return result, self._send(method, *args, sender=sender, value=value)

    def _job_hash(self, j: int) -> bytes:
        return self.suite.jobs[j].struct_hash()

    # ------------------------------------------------------------ rules

    jobs = st.integers(0, 2 * OUTPUTS - 1)
    people = st.integers(0, 5)

    def _pick(self, data, *statuses: int) -> int:
        """A job: usually one whose claim is in a state the rule can act on (so the life cycle
        moves on), sometimes any claimed job, sometimes any job at all."""
        claimed = sorted(self.model.claims)
        ready = [j for j in claimed if self.model.claims[j].status in statuses]
        options = [st.sampled_from(ready)] * 2 if ready else []
        options += [st.sampled_from(claimed)] if claimed else []
        return data.draw(st.one_of(*options, self.jobs), label="job")

    has_claims = precondition(lambda self: self.model.claims)

    @rule(j=jobs, who=people, exact=st.sampled_from([True, True, True, False]))
    def claim(self, j, who, exact):
        s = self.suite
        sender = s.people[who]
        value = self.model.bond if exact else self.model.bond + 1
        self._act(lambda: self.model.claim(j, sender.address, value, self.now), s.verifier.claim,
                  s.jobs[j].as_args(), sender=sender, value=value)

    @has_claims
    @rule(data=st.data(), who=people)
    def challenge(self, data, who):
        j = self._pick(data, PENDING)
        s = self.suite
        sender = s.people[who]
        claim = self.model.claims.get(j)
        value = claim.bond if claim else self.model.bond
        self._act(lambda: self.model.challenge(j, sender.address, value, self.now), s.verifier.challenge,
                  self._job_hash(j), sender=sender, value=value)

    @has_claims
    @rule(data=st.data())
    def finalize(self, data):
        j = self._pick(data, PENDING)
        s = self.suite
        self._act(lambda: self.model.finalize(j, self.now), s.verifier.finalize, self._job_hash(j),
                  sender=s.people[5])

    @has_claims
    @rule(data=st.data(), upheld=st.booleans())
    def resolve(self, data, upheld):
        j = self._pick(data, CHALLENGED)
        s = self.suite
        self._act(lambda: self.model.resolve(j, upheld, self.now), s.verifier.resolve, self._job_hash(j), upheld,
                  sender=s.dao)

    @has_claims
    @rule(data=st.data())
    def expire(self, data):
        j = self._pick(data, CHALLENGED)
        s = self.suite
        self._act(lambda: self.model.expire(j, self.now), s.verifier.expire_challenge, self._job_hash(j),
                  sender=s.people[4])

    @rule(data=st.data(), who=people)
    def submit(self, data, who):
        j = self._pick(data, ACCEPTED)
        s = self.suite
        self._act(lambda: self.model.submit(j, self.now), s.hub.submit, s.jobs[j].as_args(), b"",
                  sender=s.people[who])

    @rule(o=st.integers(0, OUTPUTS - 1), really=st.sampled_from([False, False, False, True]))
    def squat(self, o, really):
        """Now and then someone takes an output CID: registers it directly, or submits a copy of its
        jobs with another owner through the signed verifier (an attester that re-runs jobs signs it).
        No job for it can be accepted any more, and neither is possible while a claim holds it."""
        if not really:
            return
        s = self.suite
        # Every other time a copy, decided without a draw so the generated runs stay those the
        # vacuity guard below was tuned on.
        self.squats += 1
        if self.squats % 2 == 0:
            job = s.copies[o]
            proof = sign_job(job, ATTESTER.key, expires_at=2**40, chain_id=s.chain.chain_id).proof
            self._act(lambda: self.model.submit_copy(o), s.hub.submit, job.as_args(), proof, sender=s.people[3])
            return
        output_id = s.jobs[2 * o].output_id
        self._act(lambda: self.model.squat(output_id), s.registry.register, cid_to_bytes(s.output_cids[o]), 3,
                  cid_to_bytes(s.output_cids[o]), 0, [], [], 0, sender=s.people[5])

    @rule(data=st.data())
    def withdraw(self, data):
        s = self.suite
        owed = [i for i, p in enumerate(s.people) if self.model.owed[p.address]]
        who = data.draw(st.one_of(st.sampled_from(owed), self.people) if owed else self.people, label="who")
        sender = s.people[who]
        before = sender.balance
        outcome = self._act(lambda: self.model.withdraw(sender.address), s.verifier.withdraw, sender=sender)
        if outcome is not None:
            amount, receipt = outcome
            assert sender.balance == before + amount - receipt.total_fees_paid

    @rule(bond=st.sampled_from([BOND, 2 * BOND, 7]), window=st.sampled_from([WINDOW, 2 * WINDOW]),
          really=st.sampled_from([False, False, True]))
    def set_params(self, bond, window, really):
        if not really:
            return
        s = self.suite
        self._send(s.verifier.set_params, bond, window, TIMEOUT, sender=s.dao)
        self.model.bond, self.model.window = bond, window

    @rule(delta=st.sampled_from([1, 600, WINDOW - 1, WINDOW, WINDOW, 2 * WINDOW, TIMEOUT - 1, TIMEOUT, 2 * TIMEOUT]))
    def advance_time(self, delta):
        OUTCOMES["advance_time"] += 1
        self.now += delta
        self.suite.chain.mine(timestamp=self.now)

    # ------------------------------------------------------------ invariants

    @invariant()
    def bonds_conserved(self):
        v = self.suite.verifier
        balance = v.balance
        assert balance == v.total_bonded() + v.total_owed()
        assert balance == self.model.bonded + sum(self.model.owed.values())
        assert v.total_bonded() == self.model.bonded

    @invariant()
    def claims_and_credits_match(self):
        s, m = self.suite, self.model
        for j, c in m.claims.items():
            state = s.verifier.claim_of(self._job_hash(j))
            assert (state.status, state.claimant, state.challenger, state.bond, state.deadline) == (
                c.status, c.claimant, c.challenger, c.bond, c.deadline)
        # Those the model credits match; with the totals equal, everyone else is owed nothing.
        assert s.verifier.total_owed() == sum(m.owed.values())
        for address, amount in m.owed.items():
            if amount:
                assert s.verifier.owed(address) == amount

    @invariant()
    def each_output_accepted_at_most_once(self):
        assert all(n <= 1 for n in self.model.accepted.values())
        for output in self.model.registered:
            assert self.suite.registry.asset_id_of(cid_to_bytes(
                next(j.output_cid for j in self.suite.jobs if j.output_id == output))) == output

    @invariant()
    def reservations_match(self):
        # Nobody can squat an output while a claim holds it, nor register it through another job;
        # a rejected claim lets it go.
        for output in {j.output_id for j in self.suite.jobs}:
            assert self.suite.registry.is_reserved(output) == (output in self.model.reserved), output
        for j, job in enumerate(self.suite.jobs):
            holds = self.model.reserved.get(job.output_id) == j
            assert self.suite.hub.reserved_output(self._job_hash(j)) == (job.output_id if holds else 0), j


def test_optimistic_verifier_matches_model(suite):
    OUTCOMES.clear()
    machine = type("Machine", (AttestMachine,), {"suite": suite})

    run_state_machine_as_test(machine, settings=SETTINGS)

    print("\nattestation state machine:", dict(sorted(OUTCOMES.items())))
    # Guard against a vacuous run: bonds went in, were settled every way, and came back out.
    for step in ("claim", "challenge", "finalize", "resolve", "submit", "withdraw", "advance_time"):
        assert OUTCOMES[step], f"the machine never ran a successful {step}"
