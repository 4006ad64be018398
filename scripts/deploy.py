"""Deploy the cidhub suite: `ape run deploy --network ethereum:sepolia:node --account me`.

Writes deployments/<ecosystem>-<network>.json (addresses, deploy block, chain id, commit, roles).
"""

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.deploy import deploy_suite, write_deployment
from cidhub.output import machine_output, print_json, print_table


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--curator", help="Address granted CURATOR_ROLE (default: the deployer).")
@click.option("--registrar", help="Address granted REGISTRAR_ROLE (default: none).")
@click.option("--admin", help="Address that takes DEFAULT_ADMIN_ROLE; the deployer then renounces it.")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment record as JSON.")
def cli(ecosystem, network, account, curator, registrar, admin, as_json):
    machine_output(as_json)
    deployment = deploy_suite(
        project, account, curator=curator or account.address, registrar=registrar, admin=admin,
        ecosystem=ecosystem.name, network=network.name, chain_id=chain.chain_id,
    )
    path = write_deployment(deployment)
    if as_json:
        print_json(deployment.to_json())
        return
    print_table(
        f"cidhub on {deployment.key} (chain {deployment.chain_id}), written to {path}",
        ["contract", "address", "block"],
        [[name, rec.address, rec.block] for name, rec in deployment.contracts.items()],
    )
    print_table(
        "roles",
        ["contract", "role", "holders"],
        [[c, role, ", ".join(holders) or "-"] for c, roles in deployment.roles.items() for role, holders in roles.items()],
    )
