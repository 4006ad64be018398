"""The verifiable-compute part of `make demo`: a TEE-style signed attestation and an optimistic
claim (with a forged claim caught by a watcher), each result registered with its provenance, and
a sale of a result that pays the model's and the dataset's owners."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from cidhub.chain.market import ETH, buy, create_offer
from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import format_asset_id
from cidhub.chain.revenue import History, candidate_payees, plan_and_distribute, withdraw_all
from cidhub.compute.jobs import AttestError, ScoreParams, build_job, reproduce, run_job
from cidhub.compute.onchain import AttestContracts, claim, finalize, sign_for_chain, submit_signed
from cidhub.content.cid import make_cid
from cidhub.output import print_table, short_hex

# A stand-in for a key generated inside a TEE enclave (its quote would be checked by the DAO
# before approval). Demo only: a real attester key never leaves the enclave.
DEMO_ENCLAVE_KEY = "0x" + "e1" * 32


def _eth(wei: int) -> str:
    return f"{wei / 10**18:,.6f}".rstrip("0").rstrip(".") + " ETH"


def run_attest_demo(project: Any, deployment: Any, store: Any, *, operator: Any, requester: Any, watcher: Any,
                    buyer: Any, model: int, base: int, dataset: int, names: dict[int, str]) -> None:
    """`operator` holds the bootstrap roles (attester manager, arbiter) the demo deploy leaves it."""
    from ape import chain
    from eth_account import Account

    contracts = AttestContracts.load(deployment)
    registry, signed, optimistic = contracts.registry, contracts.signed, contracts.optimistic
    enclave = Account.from_key(DEMO_ENCLAVE_KEY)
    names = dict(names)

    click.secho("8. verifiable compute: a job attested by a TEE key", bold=True)
    signed.add_attester(enclave.address, sender=operator)
    click.echo(f"   the DAO approved enclave key {enclave.address} on the SignedAttestationVerifier")
    run = run_job(store, contracts.content_cid_of(model), [contracts.content_cid_of(dataset)])
    job = build_job(store, run, model_id=model, dataset_ids=[dataset], model_share_bps=2_000,
                    dataset_shares_bps=[1_000], owner=requester.address, verifier=signed.address,
                    verifier_kind="signed", licence_id=5, royalty_bps=500, name="anomaly scores (fine-tuned model)")
    summary = run.summary()
    click.echo(f"   ran {names[model]} on {names[dataset]}: {summary['rows']} rows scored, {summary['flagged']} "
               f"flagged; output {run.output_cid}")
    click.echo(f"   job hash (EIP-712 struct hash, see ComputeAttestations): {job.job_hash}")
    forged = replace(job, output_cid=make_cid(1, "raw", b"\x66" * 32))
    try:
        sign_for_chain(contracts, forged, DEMO_ENCLAVE_KEY, store)
    except AttestError as exc:
        click.echo(f"   a job with a made-up output: {str(exc)[:110]}...")
    attestation = sign_for_chain(contracts, job, DEMO_ENCLAVE_KEY, store)
    accepted = submit_signed(contracts, attestation, operator)
    names[accepted.result_id] = "scores (signed)"
    click.echo(f"   re-ran, signed and submitted (relayed by the operator): "
               f"result {short_hex(format_asset_id(accepted.result_id))}, "
               f"gas {accepted.gas_used:,} (result registration included)")

    click.secho("9. verifiable compute: an optimistic claim, and a forged one caught by a watcher", bold=True)
    params = ScoreParams(score_decimals=4)
    run2 = run_job(store, contracts.content_cid_of(base), [contracts.content_cid_of(dataset)], params)
    honest = build_job(store, run2, model_id=base, dataset_ids=[dataset], model_share_bps=1_500,
                       dataset_shares_bps=[1_000], owner=requester.address, verifier=optimistic.address,
                       verifier_kind="optimistic", name="anomaly scores (base model)")
    bond, window = optimistic.bond(), optimistic.challenge_window()
    posted = claim(contracts, honest, requester)
    click.echo(f"   {names[base]} on {names[dataset]} claimed with a {_eth(bond)} bond; challenge window "
               f"{window // 3600} h (gas {posted['gas_used']:,})")
    bogus = replace(honest, output_cid=make_cid(1, "raw", b"\x67" * 32), owner=buyer.address)
    claim(contracts, bogus, buyer)
    verdict = reproduce(bogus, store, contracts.content_cid_of)
    click.echo(f"   another claim names output {str(bogus.output_cid)[:24]}...; the watcher re-runs it: "
               f"holds = {verdict.holds}")
    optimistic.challenge(bogus.struct_hash(), value=bond, sender=watcher)
    optimistic.resolve(bogus.struct_hash(), False, sender=operator)
    paid = optimistic.owed(watcher)
    optimistic.withdraw(sender=watcher)
    click.echo(f"   challenged with a counter-bond; the arbiter (DAO) rejected the claim; "
               f"the watcher withdrew {_eth(paid)}")
    chain.pending_timestamp += window
    done = finalize(contracts, honest, operator)
    result2 = int(done["accepted"]["result_id"], 16)
    names[result2] = "scores (optimistic)"
    click.echo(f"   {window // 3600} h later, unchallenged: finalized (bond back to the claimant, gas "
               f"{done['finalize']['gas_used']:,}) and registered (gas {done['accepted']['gas_used']:,})")

    rows = []
    for result_id in (accepted.result_id, result2):
        record = registry.asset(result_id)
        parents = ", ".join(f"{names.get(p.asset_id, short_hex(format_asset_id(p.asset_id)))} "
                            f"({p.share_bps / 100:g} %, owner {short_hex(registry.ownerOf(p.asset_id))})"
                            for p in parents_of(registry, result_id))
        rows.append([names[result_id], "result", short_hex(record.owner), parents])
    print_table("attested results in the AssetRegistry (provenance = the job's model and data)",
                ["asset", "kind", "owner", "parents (upstream share, owner)"], rows)

    click.secho("10. a sale of the signed result pays the model's and the dataset's owners", bold=True)
    model_owner, data_owner = registry.ownerOf(model), registry.ownerOf(dataset)
    before = {a: _wallet(a) for a in (model_owner, data_owner)}
    market = project.Marketplace.at(deployment.address_of("Marketplace"))
    offer = create_offer(market, registry, requester, accepted.result_id, price=2 * 10**16)
    receipt = buy(market, buyer, offer.offer_id)
    click.echo(f"   {short_hex(buyer.address)} bought a licence to the scores for {_eth(offer.price)} "
               f"(gas {receipt.gas_used:,})")
    history = History.load(registry, market, deployment.deploy_block)
    steps = plan_and_distribute(registry, market, history, [accepted.result_id], [ETH], operator)
    for s in steps:
        click.echo(f"   {names.get(s.asset_id, short_hex(format_asset_id(s.asset_id)))}: {_eth(s.amount)} -> "
                   f"{_eth(sum(s.upstream.values()))} to its parents, "
                   f"{_eth(sum(s.credits.values()))} to its owner/split")
    withdraw_all(market, candidate_payees(History.load(registry, market, deployment.deploy_block)), [ETH], operator)
    after = {a: _wallet(a) for a in (model_owner, data_owner)}
    print_table("what the sale of the result paid upstream (withdrawn to wallets)", ["who", "account", "received"], [
        ["model owner", short_hex(model_owner), _eth(after[model_owner] - before[model_owner])],
        ["dataset owner", short_hex(data_owner), _eth(after[data_owner] - before[data_owner])],
    ])


def _wallet(account: str) -> int:
    """Ether in an account's wallet (where withdrawals land; these accounts send nothing meanwhile)."""
    from ape import chain

    return chain.provider.get_balance(account)
