"""The DAO's levers at their bounds (issue #10, findings 3 and 5).

The suite is deployed as `ape run deploy` deploys it for real (`cidhub.chain.deployment.deploy_suite` with
the default GovernanceConfig and AttestationSetup: every lever with the timelock), and each
setter is called *as the timelock* with values drawn by `strategies.at_bounds`: 0, the bounds,
one past them, 2**255 and 2**256 - 1, and sometimes a value in between. Calls are simulated with
`eth_call` from the timelock's address (what an executed proposal would do), so the examples
change nothing. The properties:

- an accepted value keeps the DAO alive: a proposal threshold no larger than the supply, a quorum
  under 100 % (the treasury in the timelock never votes), a timelock delay and voting delay/period
  a proposal can still get through (no overflow of `now + delay`: 2**256 - 1 would brick it);
- each setter accepts its whole documented range (the constants the contract publishes);
- the arbiter of the optimistic verifier (the DAO) can rule before a challenge expires: the
  resolution timeout is at least the governance path (voting delay + voting period + timelock
  delay), as deployed and for every timeout `set_params` accepts (finding 3).

Profiles (env HYPOTHESIS_PROFILE): `ci` 40 examples per property (derandomized), `deep` 500.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from revert_check import call_outcome  # noqa: E402
from strategies import U256_MAX, AddressPool, addresses, at_bounds  # noqa: E402

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
#: A known gap (strict xfail) stops at its first counterexample in CI; deep runs shrink it.
KNOWN_GAP_PHASES = (tuple(Phase) if _PROFILE == "deep" else (Phase.explicit, Phase.reuse, Phase.generate))
SETTINGS = settings(
    max_examples=500 if _PROFILE == "deep" else 40, derandomize=_PROFILE != "deep", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
YEAR = 365 * 86_400


class _Suite(SimpleNamespace):
    def __repr__(self) -> str:
        return "<default suite>"


@pytest.fixture(scope="module")
def suite(project, chain, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    from cidhub.chain.deploy import deploy_suite

    deployment = deploy_suite(project, deployer, ecosystem="ethereum", network="local", chain_id=chain.chain_id)
    contracts = {name: getattr(project, name).at(rec.address) for name, rec in deployment.contracts.items()}
    s = _Suite(w3=chain.provider.web3, **contracts)
    s.timelock = s.HubTimelock.address
    s.pool = AddressPool(eoas=(creator.address, buyer.address, attacker.address),
                         suite=tuple(rec.address for rec in deployment.contracts.values()),
                         rejecting=(project.PropInert.deploy(sender=deployer).address,))
    # The examples only simulate calls, so what they compare against is read once.
    g, v = s.HubGovernor, s.OptimisticVerifier
    s.supply, s.quorum_denominator = s.HubToken.totalSupply(), g.QUORUM_DENOMINATOR()
    s.path = governance_path(s)
    s.governor_bounds = [
        ("set_voting_delay", 0, g.MAX_VOTING_DELAY()),
        ("set_voting_period", _declared(g, "MIN_VOTING_PERIOD") or 1, g.MAX_VOTING_PERIOD()),
        ("set_proposal_threshold", 0, _threshold_cap(g, s.supply, s.quorum_denominator)),
        ("update_quorum_numerator", _declared(g, "MIN_QUORUM_NUMERATOR") or 0,
         _declared(g, "MAX_QUORUM_NUMERATOR") or s.quorum_denominator - 1),
    ]
    s.optimistic_bounds = {"bond": (1, v.MAX_BOND()), "window": (v.MIN_WINDOW(), v.MAX_WINDOW()),
                           "timeout": (v.MIN_TIMEOUT(), v.MAX_TIMEOUT())}
    s.max_fee = s.Marketplace.MAX_FEE_BPS()
    return s


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(suite):
    """Deploy once per module, before Ape's per-test snapshot."""


def _as_timelock(suite, method, *args) -> str | None:
    return call_outcome(suite.w3, method, *args, sender=suite.timelock)


def _declared(contract, name: str) -> int | None:
    """A bound the contract publishes, if it does."""
    getter = getattr(contract, name, None)
    return None if getter is None else int(getter())


def _threshold_cap(governor, supply: int, denominator: int) -> int:
    """The largest threshold the governor publishes it accepts: a share of the supply, if it says
    so, else the supply itself (the largest a DAO can live with)."""
    bps = _declared(governor, "MAX_PROPOSAL_THRESHOLD_BPS")
    return supply if bps is None else supply * bps // denominator


def governance_path(suite) -> int:
    """The shortest time in which the DAO can act on anything: propose, wait the voting delay,
    vote for the voting period, wait the timelock delay, execute."""
    g = suite.HubGovernor
    return g.voting_delay() + g.voting_period() + suite.HubTimelock.get_minimum_delay()


# ------------------------------------------------------------------------------------- the governor


@SETTINGS
@given(data=st.data())
def test_governor_settings__accepted_values_keep_the_dao_alive(suite, data):
    g, supply, denominator = suite.HubGovernor, suite.supply, suite.quorum_denominator
    setter, low, high = data.draw(st.sampled_from(suite.governor_bounds), label="setter")
    value = data.draw(at_bounds(low, high), label="value")
    outcome = _as_timelock(suite, getattr(g, setter), value)
    note(f"{setter}({value}) -> {outcome or 'accepted'}")
    if outcome is None:
        if setter == "set_proposal_threshold":
            assert value <= supply, "a threshold above the supply: nobody can ever propose again"
        elif setter == "update_quorum_numerator":
            assert value < denominator, "a 100 % quorum: the treasury never votes, nothing passes again"
        else:
            assert value <= YEAR, f"{setter}: {value} s"
    if low <= value <= high:
        assert outcome is None, f"{setter} refused {value}, inside its published range [{low}, {high}]"


# ------------------------------------------------------------------------------------- the timelock


@SETTINGS
@given(delay=at_bounds(0, 30 * 86_400))
def test_timelock_delay__accepted_values_keep_the_dao_alive(suite, delay):
    """snekmate's update_delay takes any uint256: a delay whose `now + delay` overflows makes every
    `schedule` revert, so no proposal can be queued again, not even one lowering the delay (found
    by this property; HubTimelock now caps it at MAX_MINIMUM_DELAY). Accepted: at most a year, and
    the whole published range."""
    timelock = suite.HubTimelock
    outcome = _as_timelock(suite, timelock.update_delay, delay)
    note(f"update_delay({delay}) -> {outcome or 'accepted'}")
    if outcome is None:
        assert delay <= YEAR, f"a timelock delay of {delay} s locks the DAO out (now + delay overflows at 2**256)"
    high = _declared(timelock, "MAX_MINIMUM_DELAY")
    if high is not None and delay <= high:
        assert outcome is None, f"update_delay refused {delay}, inside its published range [0, {high}]"


# ------------------------------------------------------------------------------------- the optimistic verifier


def test_arbiter_timeout__as_deployed__outlasts_the_governance_path(suite):
    timeout = suite.OptimisticVerifier.resolution_timeout()
    path = suite.path
    assert timeout >= path, (f"a challenge expires {timeout} s after it is raised, but the DAO (the arbiter) needs "
                             f"{path} s to rule: an honest claim can be challenged and left to expire")


@pytest.mark.xfail(strict=True, reason="OptimisticVerifier.set_params accepts a resolution timeout down to "
                                       "MIN_TIMEOUT (1 day) while the default DAO needs 8 days to rule: the deploy "
                                       "checks the timeout (attest branch), the setter does not (issue #10 finding 3 "
                                       "follow-up); remove the mark with the fix")
@settings(SETTINGS, phases=KNOWN_GAP_PHASES)
@given(data=st.data())
def test_optimistic_params__accepted_values_within_bounds_and_in_time_for_the_arbiter(suite, data):
    v, bounds = suite.OptimisticVerifier, suite.optimistic_bounds
    values = {name: data.draw(st.one_of(at_bounds(low, high), st.just(default)), label=name)
              for (name, (low, high)), default in zip(bounds.items(), (10**17, 86_400, 8 * 86_400))}
    outcome = _as_timelock(suite, v.set_params, values["bond"], values["window"], values["timeout"])
    note(f"set_params({values}) -> {outcome or 'accepted'}")
    within = all(low <= values[name] <= high for name, (low, high) in bounds.items())
    if outcome is None:
        assert within, f"accepted outside the published bounds: {values}"
        assert values["timeout"] >= suite.path, \
            f"timeout {values['timeout']} s is shorter than the DAO's path ({suite.path} s)"
    elif within and values["timeout"] >= suite.path:
        raise AssertionError(f"refused values inside the bounds: {values}: {outcome}")


# ------------------------------------------------------------------------------------- the marketplace


@SETTINGS
@given(data=st.data())
def test_market_fee__accepted_only_within_bounds_and_to_a_treasury(suite, data):
    market, high = suite.Marketplace, suite.max_fee
    fee = data.draw(at_bounds(0, high), label="fee")
    treasury = data.draw(addresses(suite.pool), label="treasury")
    outcome = _as_timelock(suite, market.set_fee, fee, treasury)
    expected = fee <= high and int(treasury, 16) != 0
    assert (outcome is None) == expected, f"set_fee({fee}, {treasury}) -> {outcome or 'accepted'}"


def test_at_bounds__draws_the_edges():
    values = set(at_bounds(5, 10, inside=False).elements)  # type: ignore[attr-defined]
    assert {0, 4, 5, 6, 9, 10, 11, 2**255, U256_MAX} <= values
