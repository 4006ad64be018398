"""Publish an asset: `ape run publish PATH --kind model --metadata card.json --parent ID --share BPS`.

Computes the CID, stores the content and its card in the local block store, checks everything
that can be checked, then registers it in the AssetRegistry of the current network.
"""

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.chain import registry_contract
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table
from cidhub.publish import PublishRequest, publish
from cidhub.registry import Kind
from cidhub.store import BlockStore
from cidhub.unixfs import PROFILES


@click.command(cls=ConnectedProviderCommand)
@click.argument("path", type=click.Path(path_type=Path))
@account_option()
@click.option("--kind", default="dataset", show_default=True, type=click.Choice([k.name.lower() for k in Kind]))
@click.option("--metadata", "metadata_path", type=click.Path(path_type=Path), help="JSON model/data card (default: generated).")
@click.option("--parent", "parents", multiple=True, help="Parent asset (id or CID); repeat for several.")
@click.option("--share", "shares", multiple=True, type=int, help="Upstream share in bps, one per --parent.")
@click.option("--royalty", "royalty_bps", default=0, show_default=True, type=int, help="ERC-2981 royalty in bps.")
@click.option("--licence", "licence_id", default=0, show_default=True, type=int, help="Licence terms id.")
@click.option("--previous", help="Register as a new version of this asset (id or CID).")
@click.option("--profile", default="unixfs-v1-2025", show_default=True, type=click.Choice(sorted(PROFILES)))
@click.option("--data-dir", type=click.Path(path_type=Path), help="Local block store (default ~/.cidhub or $CIDHUB_DATA_DIR).")
@click.option("--name", help="Name in the generated card (default: the file name).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def cli(path, account, kind, metadata_path, parents, shares, royalty_bps, licence_id, previous, profile, data_dir,
        name, as_json):
    machine_output(as_json)
    request = PublishRequest(
        path=path, kind=Kind.parse(kind), metadata_path=metadata_path, licence_id=licence_id, parents=parents,
        shares_bps=shares, royalty_bps=royalty_bps, profile=profile, name=name, previous=previous,
    )
    try:
        result = publish(request, registry_contract(), account, BlockStore(data_dir))
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(result.as_dict())
        return
    print_table(
        f"published {path}",
        ["asset id", "kind", "CID", "card CID", "gas used"],
        [[result.as_dict()["asset_id"], result.kind, result.cid, result.metadata_cid, result.gas_used]],
    )
