"""Shared plumbing for the gas benchmarks (scripts/bench_*.py): one results file, many suites."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cidhub.chain.deployment import git_commit

GAS_RESULTS = Path("bench/results/gas.json")


def report_for(gas: Mapping[str, int], targets: Mapping[str, tuple[int | None, str]]) -> dict[str, Any]:
    """Results of one suite: measured tx gas, the issue's target (if any) and a reference figure."""
    results = {}
    for op, value in gas.items():
        target, reference = targets.get(op, (None, ""))
        results[op] = {"gas": value, "target": target,
                       "meets_target": None if target is None else value <= target, "reference": reference}
    return {
        "kind": "tx gas from receipts (21,000 base + calldata included)",
        "chain": "anvil 1.7.1",
        "compiler": "vyper 0.4.3",
        "commit": git_commit(),
        "python": platform.python_version(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }


def write_results(output: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Merge one suite's operations into the results file (other suites keep theirs)."""
    merged = json.loads(output.read_text()) if output.exists() else {}
    merged.update({k: v for k, v in report.items() if k != "results"})
    merged.setdefault("results", {}).update(report["results"])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(merged, indent=2) + "\n")
    return merged["results"]


# ---------------------------------------------------------------- contract sizes

#: EIP-170: the most runtime code a contract may have (24 KiB).
EIP170_LIMIT = 24_576
#: What every deployable contract keeps free below EIP170_LIMIT, so that a fix never has to wait
#: for a size refactor.
MIN_SIZE_MARGIN = 1_024
SIZE_RESULTS = Path("bench/results/sizes.json")


def deployable_contracts(contracts_dir: Path = Path("contracts")) -> list[str]:
    """The contracts the suite deploys: contracts/*.vy (modules, interfaces and test contracts
    live in subfolders)."""
    return sorted(p.stem for p in contracts_dir.glob("*.vy"))


def size_report(deployed: Mapping[str, int], compiled: Mapping[str, int]) -> dict[str, Any]:
    """Per contract: the runtime code on chain (immutables included), the compiled runtime, and
    the margin below EIP-170."""
    results = {}
    for name, size in sorted(deployed.items()):
        margin = EIP170_LIMIT - size
        results[name] = {"runtime_bytes": size, "compiled_runtime_bytes": compiled.get(name), "limit": EIP170_LIMIT,
                         "margin": margin, "meets_margin": margin >= MIN_SIZE_MARGIN}
    return {
        "kind": "runtime bytecode size in bytes (EIP-170 limit 24,576; required margin 1,024)",
        "chain": "anvil 1.7.1",
        "compiler": "vyper 0.4.3",
        "commit": git_commit(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
