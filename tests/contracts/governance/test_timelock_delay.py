"""HubTimelock bounds its minimum delay (security issue #10, finding 5: one passed vote must not be
able to brick the DAO). snekmate's `update_delay` takes any value; a delay of centuries would lock
every lever of the suite for that long."""

from __future__ import annotations

import ape
import pytest

from .helpers import EXECUTED

DAY = 86_400
MAX_DELAY = 30 * DAY


def test_max_minimum_delay__is_30_days(timelock):
    assert timelock.MAX_MINIMUM_DELAY() == MAX_DELAY


@pytest.mark.parametrize("delay", [0, DAY, MAX_DELAY])
def test_update_delay__by_the_timelock_within_the_bound__applies(timelock, chain, delay):
    chain.provider.set_balance(timelock.address, 10**18)
    tx = timelock.update_delay(delay, sender=timelock)  # the timelock, impersonated on anvil
    assert timelock.get_minimum_delay() == delay
    (event,) = tx.decode_logs(timelock.MinimumDelayChange)
    assert event.new_duration == delay


@pytest.mark.parametrize("delay", [MAX_DELAY + 1, 2**48, 2**256 - 1])
def test_update_delay__over_the_bound__reverts(timelock, chain, delay):
    chain.provider.set_balance(timelock.address, 10**18)
    before = timelock.get_minimum_delay()
    with ape.reverts("timelock: delay over the maximum"):
        timelock.update_delay(delay, sender=timelock)
    assert timelock.get_minimum_delay() == before


def test_update_delay__not_the_timelock__reverts(timelock, governor, attacker, chain):
    chain.provider.set_balance(governor.address, 10**18)
    for sender in (attacker, governor):
        with ape.reverts("timelock_controller: caller must be timelock"):
            timelock.update_delay(DAY, sender=sender)


@pytest.mark.parametrize("delay", [MAX_DELAY + 1, 2**255])
def test_deploy__delay_over_the_bound__reverts(project, deployer, delay):
    with ape.reverts("timelock: delay over the maximum"):
        project.HubTimelock.deploy(delay, [], [], deployer.address, sender=deployer)


def test_update_delay__at_the_bound_by_a_vote__dao_still_works(governor, timelock, queued, advance, creator):
    """A vote sets the longest delay; the next proposal still goes through, MAX_DELAY later."""
    bump = queued(targets=[timelock.address], calldatas=[bytes(timelock.update_delay.encode_input(MAX_DELAY))])
    advance(timelock.get_minimum_delay() + 1)
    governor.execute(*bump.args(), sender=creator)
    assert timelock.get_minimum_delay() == MAX_DELAY
    following = queued()
    advance(MAX_DELAY + 1)
    governor.execute(*following.args(), sender=creator)
    assert governor.state(following.proposal_id) == EXECUTED
