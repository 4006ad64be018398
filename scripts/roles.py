"""Who holds the suite's levers: `ape run roles --network <any>`.

Lists every role holder of every suite contract, replayed from the chain's events (not from the
deployment file, which only supplies addresses and the deploy block), and checks that each lever
is held by the DAO's timelock alone (the timelock's own operating roles by the governor alone).
Exits 1 if anyone else holds a lever (with --strict also if a lever is held by nobody), so it
works as a CI or monitoring check on any network.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand

from cidhub.chain.deployment import load_deployment, read_deployment
from cidhub.chain.governance import audit_roles
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table


@click.command(cls=ConnectedProviderCommand)
@click.option("--deployment", "deployment_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Deployment file to check (default: deployments/<ecosystem>-<network>.json).")
@click.option("--strict", is_flag=True, help="Also fail when a lever is held by nobody.")
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON.")
def cli(ecosystem, network, deployment_file, strict, as_json):
    machine_output(as_json)
    try:
        if deployment_file:
            deployment = read_deployment(deployment_file, chain.chain_id)
        else:
            deployment = load_deployment(ecosystem.name, network.name, chain.chain_id)
        audit = audit_roles(deployment, lambda name, address: getattr(project, name).at(address))
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    failures = audit.failures(strict=strict)
    if as_json:
        print_json({**audit.as_dict(), "ok": not failures, "failures": failures})
    else:
        print_table(f"levers of cidhub on {deployment.key} (chain {deployment.chain_id})",
                    ["contract", "role", "holders", "should be", "status"],
                    [[r.contract, r.role, "\n".join(r.holders) or "nobody", f"{r.expected} {r.expected_address}",
                      r.status] for r in audit.roles])
        print_table("wiring", ["check", "ok", "detail"], [[w.what, "yes" if w.ok else "NO", w.detail] for w in audit.wiring])
        for name in audit.missing:
            click.echo(f"note: {name} is not in the deployment")
        if failures:
            click.secho("NOT controlled by the DAO alone:", fg="red", bold=True, err=True)
            for line in failures:
                click.echo(f"  - {line}", err=True)
        else:
            click.secho("every lever is held by the DAO alone", fg="green")
    if failures:
        raise SystemExit(1)
