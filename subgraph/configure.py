"""Point the subgraph at a deployment: deployments/<ecosystem>-<network>.json -> subgraph/networks.json.

    python subgraph/configure.py deployments/ethereum-sepolia.json
    python subgraph/configure.py deployments/ethereum-local.json --graph-network localhost

writes (or updates) the entry of one Graph network in subgraph/networks.json with each data
source's address and start block (the block its contract was deployed in), which
`graph build --network NAME` and `graph deploy --network NAME` copy into subgraph.yaml.
Entries of other networks already in the file are kept.

The Graph names networks its own way (`mainnet`, `sepolia`, `arbitrum-one`, ...). The name is
taken from the deployment's chain id; give --graph-network for a chain not in GRAPH_NETWORKS,
or to match the name a local graph-node was configured with (its `ethereum` setting,
e.g. `localhost:http://host.docker.internal:8545`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SUBGRAPH_DIR = Path(__file__).resolve().parent
NETWORKS_FILE = SUBGRAPH_DIR / "networks.json"
# Data source name in subgraph.yaml == contract name in the deployment file.
DATA_SOURCES = ("AssetRegistry", "Marketplace", "ComputeAttestations", "HubToken", "HubGovernor", "HubTimelock")

# chain id -> The Graph's network name (https://thegraph.com/docs/en/supported-networks/).
GRAPH_NETWORKS = {
    1: "mainnet",
    10: "optimism",
    137: "matic",
    8453: "base",
    17000: "holesky",
    42161: "arbitrum-one",
    84532: "base-sepolia",
    421614: "arbitrum-sepolia",
    11155111: "sepolia",
    11155420: "optimism-sepolia",
    # anvil / hardhat: no public name; a local graph-node calls it what its config says.
    31337: "localhost",
}


class ConfigError(Exception):
    pass


def network_entry(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The networks.json entry (data source -> address and start block) of one deployment."""
    contracts = deployment.get("contracts") or {}
    entry: dict[str, dict[str, Any]] = {}
    for name in DATA_SOURCES:
        record = contracts.get(name)
        if not record or not record.get("address"):
            raise ConfigError(f"the deployment has no {name} address; deploy the whole suite (ape run deploy)")
        block = record.get("block", deployment.get("deploy_block"))
        if not isinstance(block, int) or block < 0:
            raise ConfigError(f"the deployment gives no deploy block for {name}")
        entry[name] = {"address": record["address"], "startBlock": block}
    return entry


def graph_network_of(deployment: dict[str, Any], override: str | None = None) -> str:
    if override:
        return override
    chain_id = deployment.get("chain_id")
    if chain_id not in GRAPH_NETWORKS:
        raise ConfigError(
            f"chain id {chain_id} has no known Graph network name; pass --graph-network NAME "
            "(see https://thegraph.com/docs/en/supported-networks/)"
        )
    return GRAPH_NETWORKS[chain_id]


def configure(deployment_file: Path, networks_file: Path = NETWORKS_FILE, graph_network: str | None = None) -> str:
    """Update `networks_file` from `deployment_file`; returns the Graph network name written."""
    try:
        deployment = json.loads(Path(deployment_file).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{deployment_file} does not exist; run `ape run deploy --network ...` first") from None
    name = graph_network_of(deployment, graph_network)
    networks: dict[str, Any] = {}
    if networks_file.exists():
        networks = json.loads(networks_file.read_text())
    networks[name] = network_entry(deployment)
    networks_file.write_text(json.dumps(dict(sorted(networks.items())), indent=2) + "\n")
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deployment", type=Path, help="deployments/<ecosystem>-<network>.json")
    parser.add_argument("--graph-network", help="The Graph's name for the chain (default: from its chain id)")
    parser.add_argument("--networks-file", type=Path, default=NETWORKS_FILE, help="default: subgraph/networks.json")
    args = parser.parse_args(argv)
    try:
        name = configure(args.deployment, args.networks_file, args.graph_network)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.networks_file}: network {name!r} set from {args.deployment}")
    print(f"next: cd subgraph && graph codegen && graph build --network {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
