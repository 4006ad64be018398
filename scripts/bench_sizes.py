"""Contract sizes: `ape run bench_sizes --network ethereum:local:foundry` (part of `make bench`).

Deploys the whole suite as `ape run deploy` does and records, for every deployable contract
(contracts/*.vy), its runtime code as deployed (immutables included: what EIP-170 limits), the
compiled runtime, and the margin below 24,576 bytes, in bench/results/sizes.json. Every contract
must keep at least 1,024 bytes free (tests/contracts/test_code_sizes.py enforces it).
"""

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from cidhub.bench import MIN_SIZE_MARGIN, SIZE_RESULTS, deployable_contracts, size_report
from cidhub.chain.deploy import deploy_suite
from cidhub.output import print_table


@click.command(cls=ConnectedProviderCommand)
@click.option("--output", type=click.Path(path_type=Path), default=SIZE_RESULTS, show_default=True)
def cli(ecosystem, network, output):
    import json

    deployment = deploy_suite(project, accounts.test_accounts[0], ecosystem=ecosystem.name, network=network.name,
                              chain_id=chain.chain_id)
    names = deployable_contracts()
    missing = [n for n in names if n not in deployment.contracts]
    if missing:
        raise click.ClickException(f"deploy_suite does not deploy {', '.join(missing)}: size them by hand")
    deployed = {n: len(chain.provider.get_code(deployment.address_of(n))) for n in names}
    compiled = {n: len(bytes.fromhex(getattr(project, n).contract_type.runtime_bytecode.bytecode.removeprefix("0x")))
                for n in names}
    report = size_report(deployed, compiled)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    columns = ["contract", "deployed", "compiled", "margin", f"≥ {MIN_SIZE_MARGIN:,}"]
    print_table(f"runtime code size (bytes) -> {output}", columns, [
        [n, f"{r['runtime_bytes']:,}", f"{r['compiled_runtime_bytes']:,}", f"{r['margin']:,}",
         "yes" if r["meets_margin"] else "NO"] for n, r in report["results"].items()])
    if not all(r["meets_margin"] for r in report["results"].values()):
        raise SystemExit(1)
