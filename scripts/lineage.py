"""Provenance for people: `ape run lineage ASSET [--sale TX]`.

Shows which assets ASSET derives from and which derive from it, and, for a sale transaction,
who earns what from it along the provenance graph.
"""

import click
from ape.cli import ConnectedProviderCommand

from cidhub.chain.assets import current_deployment, market_contract, registry_contract
from cidhub.chain.registry import format_asset_id, parse_asset_ref
from cidhub.chain.revenue import History, sale_attribution
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table, short_hex


@click.command(cls=ConnectedProviderCommand)
@click.argument("asset")
@click.option("--sale", "sale_tx", help="A licence purchase transaction to break down.")
@click.option("--json", "as_json", is_flag=True)
def cli(asset, sale_tx, as_json):
    machine_output(as_json)
    try:
        deployment = current_deployment()
        registry, market = registry_contract(deployment), market_contract(deployment)
        history = History.load(registry, market, deployment.deploy_block)
        asset_id = parse_asset_ref(asset)
        ancestors, descendants = history.ancestors(asset_id), history.descendants(asset_id)
        breakdown = sale_attribution(history, registry, market, sale_tx) if sale_tx else None
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json({"asset_id": format_asset_id(asset_id), "derives_from": [format_asset_id(a) for a in ancestors],
                    "derived_by": [format_asset_id(a) for a in descendants], "sale": breakdown})
        return
    print_table(f"lineage of {format_asset_id(asset_id)}", ["direction", "asset"],
                [["derives from", format_asset_id(a)] for a in ancestors]
                + [["derived by", format_asset_id(a)] for a in descendants])
    if breakdown:
        print_table(f"who earns what from sale {sale_tx}", ["account", "role", "via asset", "amount"],
                    [[r["account"], r["role"], short_hex(r["asset_id"]), r["amount"]] for r in breakdown])
