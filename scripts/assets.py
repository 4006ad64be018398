"""List the registry's assets: `ape run assets [--json]`."""

import click
from ape.cli import ConnectedProviderCommand

from cidhub.chain.assets import current_deployment, list_assets, registry_contract
from cidhub.chain.registry import format_asset_id
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table, short_hex


@click.command(cls=ConnectedProviderCommand)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cli(as_json):
    machine_output(as_json)
    try:
        deployment = current_deployment()
        assets = list_assets(registry_contract(deployment), deployment.deploy_block)
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json({"registry": deployment.address_of("AssetRegistry"), "assets": [a.as_dict() for a in assets]})
        return
    print_table(f"AssetRegistry {deployment.address_of('AssetRegistry')} on {deployment.key}",
                ["asset", "kind", "content CID", "owner", "parents (share)", "royalty", "delisted"], [
        [short_hex(format_asset_id(a.asset_id)), a.kind, a.cid, short_hex(a.owner),
         ", ".join(f"{short_hex(format_asset_id(p))} ({s / 100:g} %)" for p, s in a.parents) or "-",
         f"{a.royalty_bps / 100:g} %", "yes" if a.delisted else "no"]
        for a in assets
    ])
