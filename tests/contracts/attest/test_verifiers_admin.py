"""Which verifiers the hub listens to: a DAO role approves and withdraws them."""

from __future__ import annotations

import ape
import pytest

from .helpers import ZERO_ADDRESS


def test_set_verifier__approve__logged(hub, project, deployer, dao):
    verifier = project.SignedAttestationVerifier.deploy(hub, sender=deployer)

    tx = hub.set_verifier(verifier, True, sender=dao)

    assert hub.verifier_approved(verifier) is True
    (event,) = tx.decode_logs(hub.VerifierApprovalChanged)
    assert (event.verifier, event.approved, event.manager) == (verifier.address, True, dao.address)


def test_set_verifier__withdraw(hub, signed, dao):
    hub.set_verifier(signed, False, sender=dao)

    assert hub.verifier_approved(signed) is False


@pytest.mark.parametrize("caller", ["attacker", "deployer", "creator"])
def test_set_verifier__not_manager__reverts(hub, signed, request, caller):
    # Not even the admin: DEFAULT_ADMIN_ROLE grants the role, it does not hold it.
    with ape.reverts("attest: caller is not a verifier manager"):
        hub.set_verifier(signed, False, sender=request.getfixturevalue(caller))


def test_set_verifier__zero__reverts(hub, dao):
    with ape.reverts("attest: zero verifier"):
        hub.set_verifier(ZERO_ADDRESS, True, sender=dao)


def test_set_verifier__eoa__reverts(hub, dao, other):
    with ape.reverts("attest: verifier is not a contract"):
        hub.set_verifier(other, True, sender=dao)


def test_set_verifier__unchanged__reverts(hub, signed, dao):
    with ape.reverts("attest: approval unchanged"):
        hub.set_verifier(signed, True, sender=dao)


def test_roles__dao_can_take_over_every_lever(hub, signed, optimistic, zk_adapter, deployer, dao):
    # The deploy hands DEFAULT_ADMIN_ROLE to the DAO's timelock; here `dao` receives it and the deployer renounces.
    for contract in (hub, signed, optimistic, zk_adapter):
        admin = contract.DEFAULT_ADMIN_ROLE()
        contract.grantRole(admin, dao, sender=deployer)
        contract.renounceRole(admin, deployer, sender=deployer)
        assert contract.hasRole(admin, dao) and not contract.hasRole(admin, deployer)
    with ape.reverts():
        hub.grantRole(hub.VERIFIER_MANAGER_ROLE(), deployer, sender=deployer)


def test_submit__verifier_answers_false__rejected(hub, project, deployer, dao, make_job, attacker):
    rejecting = project.AttRejectingVerifier.deploy(sender=deployer)
    hub.set_verifier(rejecting, True, sender=dao)
    job = make_job(verifier=rejecting.address)

    with ape.reverts("attest: verifier rejected the job"):
        hub.submit(job.as_args(), b"", sender=attacker)
