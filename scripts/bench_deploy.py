"""Deployment gas of the whole suite: `ape run bench_deploy --network ethereum:local:foundry`.

Runs `cidhub.chain.deploy.deploy_suite` (what `ape run deploy` sends, default options) on anvil
through the dry run's recording account and writes bench/results/deploy.json: gas per contract
deployment, per setup and hand-over transaction, the total, and what it costs at 1 gwei and at
30 gwei per gas (base fee + tip), in ETH.
"""

import json
import platform
from datetime import UTC, datetime
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from cidhub.chain.deploy import deploy_suite
from cidhub.chain.deploy_journal import make_journaled_account
from cidhub.chain.deploy_run import suite_contract_types
from cidhub.chain.deployment import git_commit
from cidhub.chain.verify_source import compiler_version
from cidhub.output import print_table

PRICES_GWEI = (1, 30)
RESULTS = Path("bench/results/deploy.json")


def _costs(gas: int) -> dict[str, float]:
    return {f"eth_at_{p}_gwei": gas * p * 10**9 / 10**18 for p in PRICES_GWEI}


@click.command(cls=ConnectedProviderCommand)
@click.option("--output", type=click.Path(path_type=Path), default=RESULTS, show_default=True)
def cli(output):
    deployer = make_journaled_account(accounts.test_accounts[0], contract_types=suite_contract_types(project))
    deploy_suite(project, deployer, ecosystem="ethereum", network="local", chain_id=chain.chain_id,
                 on_phase=deployer.phase)
    steps, handover = deployer.steps, deployer.phases["handover"]
    contracts = {s.label.removeprefix("deploy "): {"gas": s.gas_used, **_costs(s.gas_used)}
                 for s in steps if s.label.startswith("deploy ")}
    setup = [s for s in steps[:handover] if not s.label.startswith("deploy ")]
    handing = steps[handover:]
    total = sum(s.gas_used for s in steps)

    def group(items):
        gas = sum(s.gas_used for s in items)
        return {"transactions": len(items), "gas": gas, **_costs(gas)}

    report = {
        "kind": "deployment gas from receipts (whole transactions), default `ape run deploy` options",
        "chain": "anvil 1.7.1", "compiler": f"vyper {compiler_version()}", "commit": git_commit(),
        "python": platform.python_version(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "prices_gwei": list(PRICES_GWEI),
        "contracts": contracts,
        "contracts_total": group([s for s in steps if s.label.startswith("deploy ")]),
        "setup": group(setup), "handover": group(handing),
        "total": {"transactions": len(steps), "gas": total, **_costs(total)},
        "steps": [{"label": s.label, "gas": s.gas_used} for s in steps],
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    rows = [[name, f"{c['gas']:,}", f"{c['eth_at_1_gwei']:.6f}", f"{c['eth_at_30_gwei']:.4f}"]
            for name, c in contracts.items()]
    for name in ("setup", "handover", "total"):
        part = report[name]
        rows.append([f"{name} ({part['transactions']} tx)", f"{part['gas']:,}", f"{part['eth_at_1_gwei']:.6f}",
                     f"{part['eth_at_30_gwei']:.4f}"])
    print_table(f"deployment gas, written to {output}", ["", "gas", "ETH at 1 gwei", "ETH at 30 gwei"], rows)
