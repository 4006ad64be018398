"""The DAO can rule on a challenged optimistic claim in time (security issue #10, finding 2).

With the deploy defaults a DAO ruling takes 1 day voting delay + 5 days voting + 2 days timelock =
8 days; the arbiter's timeout used to be 7 days and `deploy` could not change it, so every
challenge ended in `expire_challenge`. The default is now 14 days, `deploy` takes
`--resolution-timeout`, and refuses (before sending anything) a timeout the DAO cannot meet.
Here the suite is deployed exactly as `ape run deploy` leaves it (default governance, every lever
with the timelock) and a challenge is ruled on through the whole governance path.
"""

from __future__ import annotations

import hashlib

import ape
import pytest
from eth_utils import keccak

from cidhub.chain.deploy import AttestationSetup, check_arbiter_timing
from cidhub.chain.governance import DAO_REACTION_TIME, GovernanceConfig, audit_roles
from cidhub.compute.jobs import Job
from cidhub.content.cid import RAW, cid_to_bytes, make_cid
from cidhub.errors import CidhubError

from .helpers import CHALLENGED, REJECTED

HUB = 10**18
FOR = 1
DAY = 86_400
_seeds = iter(range(10**6))


def _cid():
    return make_cid(1, RAW, hashlib.sha256(b"arbiter-timing-%d" % next(_seeds)).digest())


@pytest.fixture(scope="module")
def default_suite(project, chain, deployer, creator, buyer):
    """`ape run deploy` with its defaults; creator and buyer hold enough HUB to propose and pass a vote."""
    from types import SimpleNamespace

    from cidhub.chain.deploy import deploy_suite

    deployment = deploy_suite(project, deployer, ecosystem="ethereum", network="local", chain_id=chain.chain_id,
                              allocations=[(creator.address, 600_000 * HUB), (buyer.address, 400_000 * HUB)])
    contracts = {name: getattr(project, name).at(rec.address) for name, rec in deployment.contracts.items()}
    for voter in (creator, buyer):
        contracts["HubToken"].invoke_transaction("delegate", voter, sender=voter)
    chain.mine(deltatime=10)
    return SimpleNamespace(deployment=deployment, **contracts)


@pytest.fixture(scope="module", autouse=True)
def _deployed_before_isolation(default_suite):
    """Module-scoped deployment before Ape's per-test snapshot."""


def _register(registry, owner, kind):
    tx = registry.register(cid_to_bytes(_cid()), kind, cid_to_bytes(_cid()), 1, [], [], 0, sender=owner)
    return tx.decode_logs(registry.AssetRegistered)[0].asset_id


def test_deploy_defaults__dao_rules_on_a_challenge_in_time(default_suite, project, chain, creator, buyer, other,
                                                           attacker):
    s = default_suite
    optimistic, governor, timelock = s.OptimisticVerifier, s.HubGovernor, s.HubTimelock
    assert optimistic.hasRole(optimistic.ARBITER_ROLE(), timelock) and optimistic.resolution_timeout() == 14 * DAY
    model, dataset = _register(s.AssetRegistry, creator, 1), _register(s.AssetRegistry, other, 0)
    job = Job.build(model_id=model, dataset_ids=[dataset], model_share_bps=2_000, dataset_shares_bps=[1_000],
                    params_cid=_cid(), output_cid=_cid(), metadata_cid=_cid(), owner=attacker.address,
                    verifier=optimistic.address)
    bond = optimistic.bond()
    optimistic.claim(job.as_args(), value=bond, sender=attacker)  # a false claim ...
    challenged = optimistic.challenge(job.struct_hash(), value=bond, sender=buyer)  # ... caught by a watcher
    challenged_at = chain.blocks[challenged.block_number].timestamp
    resolve_by = optimistic.claim_of(job.struct_hash()).deadline
    assert optimistic.claim_of(job.struct_hash()).status == CHALLENGED

    # The DAO takes a day to notice and propose, then the full governance path.
    chain.mine(deltatime=DAO_REACTION_TIME)
    description = "# Reject the forged compute claim\nThe output does not reproduce."
    calldata = bytes(optimistic.resolve.encode_input(job.struct_hash(), False))
    proposed = governor.propose([optimistic.address], [0], [calldata], description, sender=creator)
    (event,) = proposed.decode_logs(governor.ProposalCreated)
    proposal_id = event.proposal_id
    chain.mine(timestamp=governor.proposal_snapshot(proposal_id) + 1)
    for voter in (creator, buyer):
        governor.cast_vote(proposal_id, FOR, sender=voter)
    chain.mine(timestamp=governor.proposal_deadline(proposal_id) + 1)
    args = ([optimistic.address], [0], [calldata], keccak(text=description))
    governor.queue(*args, sender=creator)
    chain.pending_timestamp = governor.proposal_eta(proposal_id)
    executed = governor.execute(*args, sender=creator)

    executed_at = chain.blocks[executed.block_number].timestamp
    assert executed_at < resolve_by
    assert executed_at - challenged_at > 7 * DAY  # the old 7-day timeout would have expired first
    (ruling,) = executed.decode_logs(optimistic.Resolved)
    assert (ruling.claim_upheld, ruling.winner, ruling.arbiter) == (False, buyer.address, timelock.address)
    assert optimistic.claim_of(job.struct_hash()).status == REJECTED
    assert optimistic.owed(buyer) == 2 * bond
    with ape.reverts("attest: claim not challenged"):
        optimistic.expire_challenge(job.struct_hash(), sender=attacker)


def test_roles_audit__dao_can_rule_in_time__reported_ok(default_suite, project):
    audit = audit_roles(default_suite.deployment, lambda name, address: getattr(project, name).at(address))

    (check,) = [w for w in audit.wiring if w.what.startswith("OptimisticVerifier")]
    assert check.ok, check.detail
    assert not audit.failures()


def test_roles_audit__timeout_lowered_below_a_dao_ruling__reported(default_suite, project, accounts, chain):
    # The DAO shortens the timeout (or slows its own governance) afterwards: `ape run roles` flags it.
    timelock = accounts[default_suite.HubTimelock.address]  # impersonated on the local chain
    optimistic = default_suite.OptimisticVerifier
    chain.provider.set_balance(timelock.address, 10**18)
    optimistic.set_params(optimistic.bond(), optimistic.challenge_window(), 7 * DAY, sender=timelock)

    audit = audit_roles(default_suite.deployment, lambda name, address: getattr(project, name).at(address))

    failures = [f for f in audit.failures() if f.startswith("OptimisticVerifier")]
    assert len(failures) == 1 and "a DAO ruling needs 777,600 s" in failures[0]


@pytest.mark.parametrize("timeout", [7 * DAY, 8 * DAY + DAO_REACTION_TIME - 1])
def test_deploy__timeout_the_dao_cannot_meet__refused_before_sending(project, chain, deployer, timeout):
    from cidhub.chain.deploy import deploy_suite

    nonce = deployer.nonce

    with pytest.raises(CidhubError, match=r"the DAO could not rule on a challenged compute claim in time"):
        deploy_suite(project, deployer, ecosystem="ethereum", network="local", chain_id=chain.chain_id,
                     attestation=AttestationSetup(resolution_timeout=timeout))
    assert deployer.nonce == nonce


def test_check_arbiter_timing__boundaries():
    defaults = GovernanceConfig()
    needed = defaults.voting_delay + defaults.voting_period + defaults.timelock_delay + DAO_REACTION_TIME

    check_arbiter_timing(AttestationSetup(), defaults)
    check_arbiter_timing(AttestationSetup(resolution_timeout=needed), defaults)
    with pytest.raises(CidhubError, match=f"Raise --resolution-timeout to at least {needed}"):
        check_arbiter_timing(AttestationSetup(resolution_timeout=needed - 1), defaults)
    slow = GovernanceConfig(voting_period=14 * DAY)
    with pytest.raises(CidhubError, match="could not rule"):
        check_arbiter_timing(AttestationSetup(), slow)
    # Levers with another admin (deploy --admin): its speed is unknown here, only the bounds apply.
    check_arbiter_timing(AttestationSetup(resolution_timeout=DAY), slow, dao_arbitrates=False)
    for out_of_range in (DAY - 1, 90 * DAY + 1):
        with pytest.raises(CidhubError, match="between 86,400 s"):
            check_arbiter_timing(AttestationSetup(resolution_timeout=out_of_range), defaults, dao_arbitrates=False)
