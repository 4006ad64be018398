"""Pins of registered assets: `ape run pins ls|verify|repin`.

* `ls` shows, for every registered asset, whether each pin target holds its content and card.
* `verify ASSET` fetches the asset's content back (gateways, Kubo, the local store) and
  re-hashes every block against the CID on-chain.
* `repin ASSET --pin kubo --pin psa` pins it again (from the local store, or from a gateway
  with `--from-gateway`, verified on the way in) on the given targets.

ASSET is an asset id (0x...) or a content CID.
"""

import sys
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand

from cidhub.chain.assets import current_deployment, list_assets, read_asset, registry_contract
from cidhub.chain.registry import format_asset_id, parse_asset_ref
from cidhub.content.cid import parse_cid
from cidhub.content.store import BlockStore, PinState
from cidhub.errors import CidhubError
from cidhub.ipfs.pinning import (
    PinJob,
    PinningServiceTarget,
    RetryPolicy,
    build_targets,
    car_source,
    load_config,
    replicate,
)
from cidhub.ipfs.verify import verify_gateway, verify_target
from cidhub.output import machine_output, print_json, print_table, short_hex

_pin_option = click.option("--pin", "pins", multiple=True, metavar="TARGET",
                           help="Pin target: local, kubo, psa, kind:address or a configured name (repeatable).")
_data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path), help="Local block store.")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_config_option = click.option("--pin-config", type=click.Path(path_type=Path), help="Pinning config file.")


@click.group()
def cli():
    """Pins of registered assets."""


def _asset(ref):
    registry = registry_contract()
    asset_id = parse_asset_ref(ref)
    return read_asset(registry, asset_id)


@cli.command(cls=ConnectedProviderCommand)
@_pin_option
@_data_dir_option
@_config_option
@_json_option
def ls(pins, data_dir, pin_config, as_json):
    """Every registered asset and which targets hold its content and card."""
    machine_output(as_json)
    try:
        store = BlockStore(data_dir)
        targets = build_targets(pins, store, load_config(pin_config), retry=RetryPolicy(attempts=2, timeout=15))
        deployment = current_deployment()
        assets = list_assets(registry_contract(deployment), deployment.deploy_block)
        rows = []
        for asset in assets:
            row = {"asset_id": format_asset_id(asset.asset_id), "cid": asset.cid, "metadata_cid": asset.metadata_cid,
                   "targets": {}}
            for target in targets:
                try:
                    content = target.status(asset.cid).state.value
                    card = target.status(asset.metadata_cid).state.value
                except CidhubError as exc:
                    content = card = f"error: {exc}"
                row["targets"][target.name] = {"content": content, "card": card}
            rows.append(row)
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json({"assets": rows})
        return
    print_table("pins of registered assets", ["asset", "content CID", *[t.name for t in targets]], [
        [short_hex(r["asset_id"]), r["cid"], *[
            "pinned" if v["content"] == v["card"] == PinState.PINNED.value
            else f"content {v['content']}, card {v['card']}"
            for v in r["targets"].values()]]
        for r in rows
    ])


@cli.command(cls=ConnectedProviderCommand)
@click.argument("asset")
@click.option("--gateway", "gateways", multiple=True, metavar="URL",
              help="Trustless gateway to fetch from (repeatable).")
@_pin_option
@_data_dir_option
@_config_option
@click.option("--mode", type=click.Choice(["car", "blocks"]), default="car", show_default=True)
@_json_option
def verify(asset, gateways, pins, data_dir, pin_config, mode, as_json):
    """Fetch ASSET's content back and re-hash every block against its on-chain CID."""
    machine_output(as_json)
    try:
        view = _asset(asset)
        store = BlockStore(data_dir)
        retry = RetryPolicy(attempts=3, timeout=60)
        targets = build_targets(pins, store, load_config(pin_config), retry=retry) if pins else []
        reports = [verify_gateway(view.cid, g, mode=mode) for g in gateways]
        for target in targets:
            if isinstance(target, PinningServiceTarget):
                status = target.status(view.cid)
                click.echo(f"{target.name}: the pinning service reports {status.state.value} (it serves no blocks; "
                           "verify through a gateway)", err=True)
                continue
            reports.append(verify_target(view.cid, target))
        if not reports:
            raise click.UsageError("give --gateway URL or --pin TARGET to verify against")
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    ok = all(r.ok for r in reports)
    if as_json:
        print_json({"asset_id": format_asset_id(view.asset_id), "cid": view.cid, "ok": ok,
                    "sources": [r.as_dict() for r in reports]})
    else:
        print_table(f"verify {short_hex(format_asset_id(view.asset_id))} = {view.cid}",
                    ["source", "method", "result", "blocks", "bytes", "error"],
                    [[r.source, r.method, "OK" if r.ok else "FAILED", r.blocks, r.bytes, r.error or "-"]
                     for r in reports])
    sys.exit(0 if ok else 1)


@cli.command(cls=ConnectedProviderCommand)
@click.argument("asset")
@_pin_option
@click.option("--min-confirmations", type=click.IntRange(min=1), help="Targets that must confirm [default: all].")
@click.option("--from-gateway", metavar="URL",
              help="Fetch the DAG from this gateway first (verified) if the local store lacks it.")
@_data_dir_option
@_config_option
@_json_option
def repin(asset, pins, min_confirmations, from_gateway, data_dir, pin_config, as_json):
    """Pin ASSET's content and card again on the given targets."""
    machine_output(as_json)
    try:
        view = _asset(asset)
        store = BlockStore(data_dir)
        if from_gateway:
            _fetch_into(store, from_gateway, view.cid)
            _fetch_into(store, from_gateway, view.metadata_cid)
        for cid in (view.cid, view.metadata_cid):
            missing = store.missing(cid)
            if missing:
                raise click.ClickException(
                    f"the local store lacks {len(missing)} block(s) of {cid}; pass --from-gateway URL to fetch them")
        config = load_config(pin_config)
        targets = build_targets(pins, store, config)
        jobs = [PinJob(parse_cid(view.cid), car_source(store, view.cid), f"asset {format_asset_id(view.asset_id)}"),
                PinJob(parse_cid(view.metadata_cid), car_source(store, view.metadata_cid), "card")]
        report = replicate(jobs, targets, min_confirmations=min_confirmations or len(targets), p=config.availability)
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(report.as_dict())
    else:
        print_table(f"repin {view.cid}: {report.confirmed} of {len(targets)} confirmed, P = {report.availability:.6f}",
                    ["target", "holds the content", "error"],
                    [[r.target, "yes" if r.confirmed else "no", r.error or "-"] for r in report.results])
    sys.exit(0 if report.ok else 1)


def _fetch_into(store, gateway, cid):
    """Import the DAG from a gateway's CAR into the store; every block is verified on the way in."""
    import requests

    with requests.get(f"{gateway.rstrip('/')}/ipfs/{cid}?format=car", stream=True, timeout=60,
                      headers={"Accept": "application/vnd.ipld.car"}) as response:
        if response.status_code != 200:
            raise click.ClickException(f"{gateway} answered HTTP {response.status_code} for {cid}")
        response.raw.decode_content = True
        store.import_car(response.raw)
