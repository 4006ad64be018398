"""Publish the deployed contracts' source: `ape run verify --network ethereum:sepolia:node`.

For every contract of deployments/<ecosystem>-<network>.json: checks the code on chain is the
compiled artifact's, builds its Vyper standard-JSON input (snekmate sources included) and
ABI-encoded constructor arguments, and submits them to Etherscan's API v2 (needs
ETHERSCAN_API_KEY) and to Sourcify's APIv2, then polls each until it has a verdict. Exits 1 if
any verification failed. `--write-inputs DIR` also saves the inputs, to check or submit by hand.
"""

import json
from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand

from cidhub.chain.assets import current_deployment
from cidhub.chain.bytecode import BytecodeMismatch, check_deployed_code
from cidhub.chain.verify_source import Etherscan, Sourcify, build_submissions, etherscan_from_env, sourcify_from_env
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table


@click.command(cls=ConnectedProviderCommand)
@click.option("--contract", "names", multiple=True, help="Only this contract of the deployment (repeat).")
@click.option("--etherscan/--no-etherscan", default=True, show_default=True, help="Submit to Etherscan (API v2).")
@click.option("--sourcify/--no-sourcify", default=True, show_default=True, help="Submit to Sourcify (APIv2).")
@click.option("--etherscan-url", envvar="ETHERSCAN_API_URL", help="Etherscan API v2 endpoint "
              "[default: https://api.etherscan.io/v2/api].")
@click.option("--sourcify-url", envvar="SOURCIFY_URL", help="Sourcify server [default: https://sourcify.dev/server].")
@click.option("--write-inputs", type=click.Path(file_okay=False, path_type=Path),
              help="Also write <Contract>.json (standard JSON) and <Contract>.args (hex) into this directory.")
@click.option("--poll", type=click.FloatRange(0.01), default=None, hidden=True, help="Seconds between status checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
def cli(ecosystem, network, names, etherscan, sourcify, etherscan_url, sourcify_url, write_inputs, poll, as_json):
    machine_output(as_json)
    try:
        deployment = current_deployment()
        submissions = build_submissions(deployment, list(names) or None)
        for sub in submissions:
            check_deployed_code(getattr(project, sub.name).contract_type, bytes(chain.provider.get_code(sub.address)),
                                sub.address)
        if write_inputs:
            write_inputs.mkdir(parents=True, exist_ok=True)
            for sub in submissions:
                (write_inputs / f"{sub.name}.json").write_text(json.dumps(sub.std_input, indent=1))
                (write_inputs / f"{sub.name}.args").write_text(sub.constructor_args + "\n")
        services: list[Etherscan | Sourcify] = []
        if etherscan:
            services.append(etherscan_from_env(etherscan_url))
        if sourcify:
            services.append(sourcify_from_env(sourcify_url))
        if poll is not None:
            for service in services:
                service.poll = poll
        verdicts = []
        for sub in submissions:
            for service in services:
                if not as_json:
                    click.echo(f"{service.name}: {sub.name} at {sub.address} …", err=True)
                verdicts.append(service.verify(sub))
    except (CidhubError, BytecodeMismatch) as exc:
        raise click.ClickException(str(exc)) from None
    failed = [v for v in verdicts if not v.ok]
    if as_json:
        print_json({"chain_id": deployment.chain_id, "verdicts": [v.as_dict() for v in verdicts], "ok": not failed})
    else:
        print_table(f"source verification of cidhub on {deployment.key} (chain {deployment.chain_id})",
                    ["contract", "service", "status", "detail"],
                    [[v.contract, v.service, v.status, v.detail] for v in verdicts])
    if failed:
        raise SystemExit(1)
