"""End to end with the Marketplace: selling an attested result pays the model's and the
datasets' owners their upstream shares, whichever verifier accepted the job."""

from __future__ import annotations

import pytest

from cidhub.chain.provenance import parents_args

from .helpers import BOND, WINDOW

ETH = "0x" + "00" * 20
FEE_BPS = 250
PRICE = 10**18


@pytest.fixture(scope="module")
def market(project, registry, deployer, accounts):
    return project.Marketplace.deploy(registry, accounts[8], FEE_BPS, sender=deployer)


@pytest.fixture(scope="module", autouse=True)
def _market_before_isolation(market):
    pass


def _sell_and_settle(registry, market, result_id, seller, buyer, settle_by):
    offer = market.create_offer(result_id, ETH, PRICE, 0, 0, 0, 0, sender=seller).decode_logs(
        market.OfferCreated)[0].offer_id
    market.buy(offer, buyer, value=PRICE, sender=buyer)
    market.distribute(result_id, ETH, *parents_args(registry, result_id), [], [], sender=settle_by)


@pytest.mark.parametrize("route", ["signed", "optimistic"])
def test_sale_of_result__pays_model_and_data_owners(route, hub, market, registry, make_job, submit_signed, optimistic,
                                                    model, dataset, creator, other, buyer, attacker, curator, chain):
    # creator owns the model, other owns the dataset, buyer owns the result.
    if route == "signed":
        job = make_job(model_share_bps=2_000, dataset_shares_bps=[1_000])
        submit_signed(job)
    else:
        job = make_job(model_share_bps=2_000, dataset_shares_bps=[1_000], verifier=optimistic.address)
        optimistic.claim(job.as_args(), value=BOND, sender=attacker)
        chain.pending_timestamp += WINDOW
        optimistic.finalize(job.struct_hash(), sender=attacker)
        hub.submit(job.as_args(), b"", sender=attacker)

    _sell_and_settle(registry, market, job.output_id, buyer, curator, settle_by=attacker)

    revenue = PRICE - PRICE * FEE_BPS // 10_000
    to_model, to_data = revenue * 2_000 // 10_000, revenue * 1_000 // 10_000
    assert market.pending(model, ETH) == to_model
    assert market.pending(dataset, ETH) == to_data
    assert market.balance_of(buyer, ETH) == revenue - to_model - to_data

    market.distribute(model, ETH, *parents_args(registry, model), [], [], sender=attacker)
    market.distribute(dataset, ETH, *parents_args(registry, dataset), [], [], sender=attacker)
    assert market.balance_of(creator, ETH) == to_model
    assert market.balance_of(other, ETH) == to_data
    before = other.balance
    market.withdraw_for(other, ETH, sender=attacker)
    assert other.balance == before + to_data
