"""Write the ABIs the subgraph indexes (subgraph/abis/<Contract>.json) from the compiled contracts.

Run from anywhere after `ape compile` (or `make compile`):

    python subgraph/export_abis.py          # rewrite the committed ABIs
    python subgraph/export_abis.py --check  # exit 1 if they differ from the compiled ones

tests/python/test_subgraph.py runs the same comparison, so a contract change that is not
exported here fails the test suite instead of silently drifting from the subgraph.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

SUBGRAPH_DIR = Path(__file__).resolve().parent
REPO_ROOT = SUBGRAPH_DIR.parent
ABI_DIR = SUBGRAPH_DIR / "abis"
# The data sources of subgraph.yaml, one ABI each.
CONTRACTS = ("AssetRegistry", "Marketplace", "ComputeAttestations", "HubToken", "HubGovernor", "HubTimelock")


def abi_of(contract_type: Any) -> list[dict[str, Any]]:
    """A contract type's ABI as plain JSON (the form ape writes to .build/)."""
    return [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in contract_type.abi]


def compiled_abis(project: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: abi_of(project.get_contract(name).contract_type) for name in CONTRACTS}


def committed_abis(directory: Path = ABI_DIR) -> dict[str, Any]:
    return {name: json.loads((directory / f"{name}.json").read_text()) for name in CONTRACTS
            if (directory / f"{name}.json").exists()}


def render(abi: list[dict[str, Any]]) -> str:
    return json.dumps(abi, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on any difference")
    args = parser.parse_args(argv)

    os.chdir(REPO_ROOT)  # ape's `project` is the project in the working directory
    from ape import project

    compiled = compiled_abis(project)
    committed = committed_abis()
    stale = [name for name in CONTRACTS if committed.get(name) != compiled[name]]
    if args.check:
        for name in stale:
            print(f"subgraph/abis/{name}.json differs from the compiled {name}: run python subgraph/export_abis.py",
                  file=sys.stderr)
        return 1 if stale else 0
    ABI_DIR.mkdir(exist_ok=True)
    for name in CONTRACTS:
        (ABI_DIR / f"{name}.json").write_text(render(compiled[name]))
        print(f"{'wrote' if name in stale else 'unchanged'} subgraph/abis/{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
