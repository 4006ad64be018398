"""Deploy the cidhub suite: `ape run deploy --network ethereum:sepolia:node --account me`.

Writes deployments/<ecosystem>-<network>.json (addresses, deploy block, chain id, commit, roles).
"""

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.attest_chain import attest_options
from cidhub.deploy import deploy_suite, write_deployment
from cidhub.errors import CidhubError
from cidhub.governance import dao_options
from cidhub.output import machine_output, print_json, print_table


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--curator", help="Address granted CURATOR_ROLE besides the DAO (default: only the DAO).")
@click.option("--registrar", help="Address granted REGISTRAR_ROLE (default: none).")
@click.option("--admin", help="Address that takes every lever instead of the suite's timelock (default: the timelock); "
              "the deployer renounces everything.")
@click.option("--treasury", help="Receives the marketplace's protocol fee (default: the DAO's timelock).")
@click.option("--fee-bps", default=250, show_default=True, type=click.IntRange(0, 1_000), help="Protocol fee, at most 10 %.")
@click.option("--fee-manager", help="Address granted FEE_MANAGER_ROLE besides the DAO (default: only the DAO).")
@click.option("--token-manager", help="Address granted TOKEN_MANAGER_ROLE besides the DAO (default: only the DAO).")
@dao_options
@attest_options
@click.option("--json", "as_json", is_flag=True, help="Print the deployment record as JSON.")
def cli(ecosystem, network, account, curator, registrar, admin, treasury, fee_bps, fee_manager, token_manager,
        as_json, governance, allocations, attestation):
    machine_output(as_json)
    try:
        deployment = deploy_suite(
            project, account, curator=curator, registrar=registrar, admin=admin,
            treasury=treasury, fee_bps=fee_bps, fee_manager=fee_manager,
            token_manager=token_manager, ecosystem=ecosystem.name, network=network.name, chain_id=chain.chain_id,
            governance=governance, allocations=allocations, attestation=attestation,
        )
    except CidhubError as exc:  # e.g. settings refused before anything is sent
        raise click.ClickException(str(exc)) from None
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
