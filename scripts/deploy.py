"""Deploy the cidhub suite: `ape run deploy --network ethereum:sepolia:node --account deployer`.

Every transaction is journaled in deployments/.journal-<chain id>.json before it is broadcast: a
deploy that stops anywhere (killed, out of funds, RPC down) is finished by running the same
command again. Writes deployments/<ecosystem>-<network>.json and deployments/<chain id>.json
(addresses, start block and hash, compiler, source hashes, commit, roles).

    ape run deploy --network ethereum:sepolia:node --account deployer --dry-run   # gas and cost, sends nothing
    ape run deploy --network ethereum:sepolia:node --account deployer --max-fee 30gwei --priority-fee 1gwei
"""

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.chain.deploy import attest_options
from cidhub.chain.deploy_run import direct_deploy, live_deploy
from cidhub.chain.deploy_run import dry_run as simulate_deploy
from cidhub.chain.governance import dao_options
from cidhub.chain.signing import refuse_test_account, unlock
from cidhub.chain.txsend import FeePolicy, SendPolicy, parse_fee
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table


class Fee(click.ParamType):
    name = "fee"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_fee(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.6f} ETH"


def _gwei(wei: int) -> str:
    return f"{wei:,} wei" if wei < 10**6 else f"{wei / 10**9:,.4g} gwei"


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--curator", help="Address granted CURATOR_ROLE besides the DAO (default: only the DAO).")
@click.option("--registrar", help="Address granted REGISTRAR_ROLE (default: none).")
@click.option("--admin", help="Address that takes every lever instead of the suite's timelock (default: the timelock); "
              "the deployer renounces everything.")
@click.option("--treasury", help="Receives the marketplace's protocol fee (default: the DAO's timelock).")
@click.option("--fee-bps", default=250, show_default=True, type=click.IntRange(0, 1_000),
              help="Protocol fee, at most 10 %.")
@click.option("--fee-manager", help="Address granted FEE_MANAGER_ROLE besides the DAO (default: only the DAO).")
@click.option("--token-manager", help="Address granted TOKEN_MANAGER_ROLE besides the DAO (default: only the DAO).")
@dao_options
@attest_options
@click.option("--max-fee", type=Fee(), help="Cap on maxFeePerGas, e.g. 30gwei; replacements never exceed it "
              "(default: 2 x base fee + tip, no cap).")
@click.option("--priority-fee", type=Fee(), help="maxPriorityFeePerGas, e.g. 1gwei (default: the node's suggestion).")
@click.option("--confirmations", type=click.IntRange(1, 100), help="Blocks a transaction must have on top (itself "
              "included) before the next is sent (default: the network's required_confirmations, at least 1).")
@click.option("--tx-timeout", type=click.FloatRange(1), default=180.0, show_default=True,
              help="Seconds a transaction may stay pending before it is replaced with fees raised by 12.5 %.")
@click.option("--poll", type=click.FloatRange(0.05), default=1.0, hidden=True,
              help="Seconds between receipt checks (tests on a 1 s chain use less).")
@click.option("--dry-run", is_flag=True, help="Simulate on a local fork: every step's gas and the cost at the current "
              "base fee; sends nothing and needs no passphrase.")
@click.option("--journal/--no-journal", "use_journal", default=None,
              help="Journal every transaction so a rerun resumes [default: on live networks, off on local chains].")
@click.option("--fresh", is_flag=True, help="Set the journal of an earlier deploy on this chain aside and deploy a "
              "new suite.")
@click.option("--yes", "-y", is_flag=True, help="Ask nothing (CI): a keyfile account's passphrase comes from "
              "APE_ACCOUNTS_<alias>_PASSPHRASE. Local chains never ask.")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment record (or the dry run) as JSON.")
def cli(ecosystem, network, account, curator, registrar, admin, treasury, fee_bps, fee_manager,
        token_manager, max_fee, priority_fee, confirmations, tx_timeout, poll, dry_run: bool, use_journal, fresh,
        yes, as_json, governance, allocations, attestation):
    machine_output(as_json)
    deploy_kwargs = dict(
        curator=curator, registrar=registrar, admin=admin, treasury=treasury, fee_bps=fee_bps,
        fee_manager=fee_manager, token_manager=token_manager, ecosystem=ecosystem.name, network=network.name,
        chain_id=chain.chain_id, governance=governance, allocations=allocations, attestation=attestation,
    )
    required = int(getattr(network, "required_confirmations", 0) or 0)
    policy = SendPolicy(fees=FeePolicy(max_fee=max_fee, priority_fee=priority_fee),
                        confirmations=confirmations or max(1, required), timeout=tx_timeout, poll=poll)

    def log(message: str) -> None:
        click.echo(message, err=True)

    where = f"{ecosystem.name}:{network.name} (chain {chain.chain_id})"
    try:
        refuse_test_account(account, network)
        if dry_run:
            report = simulate_deploy(project, account, deploy_kwargs, policy, log=log)
            _print_dry_run(report, as_json)
            return
        if not yes and not network.is_dev:  # a local chain or fork costs nothing: no questions
            cap = _gwei(max_fee) if max_fee else "2 x base + tip"
            tip = _gwei(priority_fee) if priority_fee else "node suggestion"
            click.echo(f"Deploying cidhub to {where} from {account.address} "
                       f"(balance {_eth(account.balance)}); fees: max {cap}, tip {tip}; "
                       f"{policy.confirmations} confirmation(s) per transaction.", err=True)
            click.confirm("Send the transactions?", abort=True, err=True)
        log(f"{account.alias or account.address}: {unlock(account, interactive=not yes)}")
        journal = None
        if use_journal if use_journal is not None else not network.is_dev:
            deployment, journal, path = live_deploy(project, account, deploy_kwargs, policy, fresh=fresh, log=log)
        else:
            deployment, path = direct_deploy(project, account, deploy_kwargs)
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(deployment.to_json())
        return
    print_table(
        f"cidhub on {deployment.key} (chain {deployment.chain_id}), written to {path} and "
        f"deployments/{deployment.chain_id}.json"
        + (f"; {len(journal.txs)} transactions in {journal.path}" if journal else ""),
        ["contract", "address", "block"],
        [[name, rec.address, rec.block] for name, rec in deployment.contracts.items()],
    )
    print_table(
        "roles",
        ["contract", "role", "holders"],
        [[c, role, ", ".join(holders) or "-"]
         for c, roles in deployment.roles.items() for role, holders in roles.items()],
    )


def _print_dry_run(report, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    print_table(f"dry run on {report.simulated_on}: nothing was sent",
                ["#", "step", "gas (estimate)", "gas (simulated)", f"cost at {_gwei(report.price)}"],
                [[s.index, s.label, f"{s.gas_estimate:,}", f"{s.gas_used:,}", _eth(s.gas_used * report.price)]
                 for s in report.steps])
    click.echo(f"total: {report.total_gas:,} gas, {_eth(report.cost)} at base fee {_gwei(report.base_fee)} + tip "
               f"{_gwei(report.priority_fee)}; the balance must cover {_eth(report.worst_case)} (estimates x max fee)")
    click.echo(f"deployer {report.deployer}: nonce {report.nonce}, balance {_eth(report.balance)}"
               + ("" if report.balance >= report.worst_case else "  <- NOT ENOUGH: fund it before deploying"))
