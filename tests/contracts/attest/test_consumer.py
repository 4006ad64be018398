"""The optional consumer callback: called last, with a gas cap, and its failure cannot undo
the acceptance."""

from __future__ import annotations

import ape
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

MODE_RECORD, MODE_REVERT, MODE_BURN = 0, 1, 2


def test_consumer__called_with_job_and_result(hub, consumer, make_job, submit_signed, signed):
    job = make_job(consumer=consumer.address)

    tx = submit_signed(job)

    assert consumer.calls() == 1
    expected = keccak(abi_encode(["bytes32", "uint256", "address", "address"],
                                 [job.struct_hash(), job.output_id, signed.address, hub.address]))
    assert bytes(consumer.last_call()) == expected
    (event,) = tx.decode_logs(hub.ConsumerNotified)
    assert (bytes(event.job_hash), event.consumer, event.success) == (job.struct_hash(), consumer.address, True)


def test_consumer__gas_is_capped(hub, consumer, make_job, submit_signed):
    submit_signed(make_job(consumer=consumer.address))

    assert consumer.gas_seen() < hub.CONSUMER_GAS()


@pytest.mark.parametrize("mode", [MODE_REVERT, MODE_BURN])
def test_consumer__fails__acceptance_stands(hub, registry, consumer, make_job, submit_signed, deployer, mode):
    consumer.set_mode(mode, sender=deployer)
    job = make_job(consumer=consumer.address)

    tx = submit_signed(job)

    assert registry.ownerOf(job.output_id) == job.owner
    assert tx.decode_logs(hub.JobAccepted)
    (event,) = tx.decode_logs(hub.ConsumerNotified)
    assert not event.success
    assert consumer.calls() == 0


def test_consumer__burner_costs_at_most_the_cap(hub, consumer, make_job, submit_signed, deployer):
    plain = submit_signed(make_job()).gas_used
    consumer.set_mode(MODE_BURN, sender=deployer)

    burnt = submit_signed(make_job(consumer=consumer.address)).gas_used

    assert burnt - plain < hub.CONSUMER_GAS() + 10_000


def test_consumer__starved_on_purpose__reverts(hub, consumer, make_job, sign, attacker, deployer):
    # With just enough gas for the acceptance, the consumer would get less than its cap: refused.
    consumer.set_mode(MODE_BURN, sender=deployer)
    job = make_job(consumer=consumer.address)
    proof = sign(job)
    plain = make_job()
    needed = hub.submit(plain.as_args(), sign(plain), sender=attacker).gas_used

    with ape.reverts("attest: not enough gas for the consumer"):
        hub.submit(job.as_args(), proof, sender=attacker, gas=needed + 40_000)


def test_consumer__none__not_called(hub, consumer, make_job, submit_signed):
    tx = submit_signed(make_job())

    assert consumer.calls() == 0
    assert not tx.decode_logs(hub.ConsumerNotified)
