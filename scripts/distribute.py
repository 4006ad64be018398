"""Settle revenue and pay it out: `ape run distribute [--asset A ...] [--payee P ...] [--dry-run]`.

0. sweep: ERC-2981 royalties waiting at the assets' receivers (the given assets, default every
   registered asset) into their pools, for ETH and every token the DAO allowed;
1. distribute: the given assets (default: every asset with a pending pool) and all their
   ancestors, children before parents, for ETH and every token used in a sale;
2. withdraw: withdraw_for the given payees (default: everyone with a balance);
3. statement: every credit rebuilt from events, written as CSV and JSON, reconciled to the wei
   with the contract's balances (exit code 4 if anything does not reconcile).
"""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option
from rich.progress import Progress

from cidhub.chain.assets import current_deployment, market_contract, registry_contract
from cidhub.chain.market import token_label
from cidhub.chain.registry import format_asset_id, parse_asset_ref
from cidhub.chain.revenue import (
    History,
    build_statement,
    candidate_payees,
    iter_tokens,
    plan_and_distribute,
    sweep_royalties,
    sweepable_tokens,
    withdraw_all,
)
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table, short_hex


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--asset", "assets", multiple=True, help="Settle this asset (id or CID) and its ancestors.")
@click.option("--payee", "payees", multiple=True, help="Withdraw for this account (default: everyone owed).")
@click.option("--no-withdraw", is_flag=True, help="Only distribute.")
@click.option("--no-sweep", is_flag=True, help="Leave royalties waiting at the assets' receivers.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; send nothing.")
@click.option("--statement-dir", type=click.Path(path_type=Path), default=Path("statements"), show_default=True)
@click.option("--json", "as_json", is_flag=True)
def cli(account, assets, payees, no_withdraw, no_sweep, dry_run, statement_dir, as_json):
    machine_output(as_json)
    try:
        deployment = current_deployment()
        registry, market = registry_contract(deployment), market_contract(deployment)
        history = History.load(registry, market, deployment.deploy_block)
        chosen = [parse_asset_ref(a) for a in assets]
        sweeps = []
        with Progress(disable=as_json, transient=True) as bar:
            if not no_sweep:
                stask = bar.add_task("sweeping royalties", total=None)
                sweeps = sweep_royalties(market, chosen or list(history.registration_order), sweepable_tokens(history),
                                         account, dry_run=dry_run,
                                         progress=lambda d, t: bar.update(stask, completed=d, total=t))
                if sweeps and not dry_run:
                    history = History.load(registry, market, deployment.deploy_block)
            tokens = list(dict.fromkeys([*iter_tokens(market, history), *(s["token_address"] for s in sweeps)]))
            # What a dry run would sweep is not in the pools yet: the plan adds it.
            unswept = {(int(s["asset_id"], 16), s["token_address"]): s["amount"] for s in sweeps} if dry_run else {}
            targets = chosen or [a for a in history.registration_order
                                 if any(market.pending(a, t) or (a, t) in unswept for t in tokens)]
            task = bar.add_task("distributing", total=None)
            steps = plan_and_distribute(registry, market, history, targets, tokens, account, dry_run=dry_run,
                                        progress=lambda d, t: bar.update(task, completed=d, total=t), unswept=unswept)
            withdrawals = []
            if not no_withdraw:
                wtask = bar.add_task("withdrawing", total=None)
                withdrawals = withdraw_all(market, payees or candidate_payees(history), tokens, account,
                                           dry_run=dry_run,
                                           progress=lambda d, t: bar.update(wtask, completed=d, total=t))
        statement = build_statement(History.load(registry, market, deployment.deploy_block), market)
        paths = statement.write(statement_dir) if not dry_run else None
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None

    if as_json:
        print_json({"dry_run": dry_run, "sweeps": sweeps, "distributions": [s.as_dict() for s in steps],
                    "withdrawals": withdrawals,
                    "statement": {"reconciled": statement.reconciled, "summary": statement.summary,
                                  "files": [str(p) for p in paths] if paths else None}})
    else:
        if sweeps:
            print_table(("would sweep" if dry_run else "swept") + f" royalties ({len(sweeps)} receivers)",
                        ["asset", "token", "amount", "gas"],
                        [[short_hex(s["asset_id"]), s["token"], s["amount"], s["gas_used"] or "-"] for s in sweeps])
        verb = "would distribute" if dry_run else "distributed"
        print_table(f"{verb} ({len(steps)} pools)", ["asset", "token", "amount", "to parents", "to payees", "gas"], [
            [short_hex(format_asset_id(s.asset_id)), token_label(s.token), s.amount, sum(s.upstream.values()),
             sum(s.credits.values()), s.gas_used or "-"] for s in steps])
        print_table("withdrawals" + (" (dry run)" if dry_run else ""), ["payee", "token", "amount", "result"], [
            [w["payee"], w["token"], w["amount"], w["error"] or ("sent" if w["tx_hash"] else "-")]
            for w in withdrawals])
        print_table("earnings statement", ["payee", "token", "earned", "withdrawn", "balance", "reconciled"], [
            [r["payee"], r["token"], r["earned"], r["withdrawn"], r["balance"], "yes" if r["reconciled"] else "NO"]
            for r in statement.summary])
        if paths:
            click.echo(f"statement written to {paths[0]} and {paths[1]}")
    if not statement.reconciled:
        raise SystemExit(4)
