"""The marketplace part of `make demo`: offers, sales in ETH and a test ERC-20, settlement up
the provenance graph, withdrawals, and the reconciled earnings statement."""

from __future__ import annotations

from typing import Any

import click

from cidhub.chain.market import ETH, buy, create_offer, set_split
from cidhub.chain.revenue import (
    History,
    build_statement,
    candidate_payees,
    iter_tokens,
    plan_and_distribute,
    withdraw_all,
)
from cidhub.output import print_table, short_hex


def _units(amount: int) -> str:
    """18-decimal amounts for people: 34125000000000000 -> 0.034125."""
    return f"{amount / 10**18:,.6f}".rstrip("0").rstrip(".")


def run_market_demo(project: Any, registry: Any, market: Any, deploy_block: int, *, operator: Any, data_owner: Any,
                    model_owner: Any, co_author: Any, buyers: list[Any], dataset: int, base: int, derived: int,
                    names: dict[int, str]) -> None:
    # A stand-in stablecoin: test-only, deployed by the demo on the local chain, never by `deploy`.
    tusd = project.MockERC20.deploy("Test USD", "TUSD", 0, sender=operator)
    market.set_token_allowed(tusd, True, sender=operator)
    for b in buyers:
        tusd.mint(b, 1_000 * 10**18, sender=operator)

    click.secho("5. splits and offers", bold=True)
    set_split(market, registry, model_owner, derived, [model_owner.address, co_author.address], [7_000, 3_000])
    offers = {
        "dataset, perpetual, 0.01 ETH": create_offer(market, registry, data_owner, dataset, price=10**16),
        "fine-tuned model, 30 days, 0.05 ETH": create_offer(market, registry, model_owner, derived, price=5 * 10**16,
                                                             duration=30 * 86_400),
        "fine-tuned model, 30 days, 25 TUSD": create_offer(market, registry, model_owner, derived, token=tusd.address,
                                                            price=25 * 10**18, duration=30 * 86_400, max_licences=100),
    }
    symbol = {ETH: "ETH", tusd.address: "TUSD"}
    print_table("offers", ["offer", "id", "asset", "price"], [
        [label, o.offer_id, names[o.asset_id], f"{_units(o.price)} {symbol[o.token]}"] for label, o in offers.items()])

    click.secho("6. sales from several buyers", bold=True)
    dataset_offer, eth_offer, tusd_offer = (o.offer_id for o in offers.values())
    sales = [
        (buyers[0], dataset_offer, None), (buyers[1], dataset_offer, None),
        (buyers[0], eth_offer, None), (buyers[2], eth_offer, None),
        (buyers[1], tusd_offer, tusd), (buyers[2], tusd_offer, tusd),
    ]
    for who, offer_id, token in sales:
        receipt = buy(market, who, offer_id, token_contract=token, approve=True)
        event = receipt.decode_logs(market.LicencePurchased)[0]
        click.echo(f"   {short_hex(who.address)} bought offer {offer_id} for {_units(event.price)} "
                   f"{symbol[event.token]} (protocol fee {_units(event.fee)}), gas {receipt.gas_used:,}")
    click.echo(f"   buyer {short_hex(buyers[2].address)} has access to the model: "
               f"{market.has_access(derived, buyers[2].address)}; "
               f"to the dataset: {market.has_access(dataset, buyers[2].address)}")

    click.secho("7. settle every pool up the provenance graph, then pay everyone", bold=True)
    history = History.load(registry, market, deploy_block)
    tokens = list(iter_tokens(market, history))
    steps = plan_and_distribute(registry, market, history, [derived, dataset, base], tokens, operator)
    for s in steps:
        click.echo(f"   {names.get(s.asset_id, short_hex(hex(s.asset_id)))}: {_units(s.amount)} {symbol[s.token]} -> "
                   f"{_units(sum(s.upstream.values()))} to its parents, {_units(sum(s.credits.values()))} to its split")
    withdrawals = withdraw_all(market, candidate_payees(history), tokens, operator)
    click.echo(f"   {len(withdrawals)} withdrawals sent by the operator (withdraw_for: the money goes to each payee)")

    statement = build_statement(History.load(registry, market, deploy_block), market)
    labels = {data_owner.address: "data owner", model_owner.address: "model owner", co_author.address: "co-author",
              market.treasury(): "treasury"}
    print_table("earnings statement (from events, reconciled with on-chain balances)",
                ["payee", "who", "token", "earned", "withdrawn", "balance", "reconciled"], [
        [short_hex(r["payee"]), labels.get(r["payee"], "-"), "ETH" if r["token"] == "ETH" else "TUSD",
         _units(r["earned"]), _units(r["withdrawn"]), _units(r["balance"]), "yes" if r["reconciled"] else "NO"]
        for r in statement.summary])
    if not statement.reconciled:
        raise click.ClickException("the statement does not reconcile with on-chain balances")
    assert market.balance_of(co_author, ETH) == 0
