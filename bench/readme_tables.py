"""Rewrite the benchmark tables in README.md from bench/results/*.json.

`make bench` runs this last, so the README always shows the committed measurements (never
hand-copied numbers). Sections are delimited by `<!-- gas-table -->` ... `<!-- /gas-table -->`,
`<!-- cid-table -->` ... `<!-- /cid-table -->`, `<!-- ipfs-table -->` ... `<!-- /ipfs-table -->` and
`<!-- deploy-table -->` ... `<!-- /deploy-table -->`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "results"


def _replace(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no <!-- {name} --> section")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def gas_table(results: dict) -> str:
    lines = ["| operation | tx gas | target | met | reference (../shared/REFERENCE-FIGURES.md) |",
             "|---|---:|---:|:---:|---|"]
    for op, r in results.items():
        target = f"≤ {r['target']:,}" if r.get("target") else "–"
        met = {True: "yes", False: "**no**", None: "–"}[r.get("meets_target")]
        lines.append(f"| `{op}` | {r['gas']:,} | {target} | {met} | {r.get('reference') or '–'} |")
    return "\n".join(lines) + "\n"


def cid_table(report: dict) -> str:
    base = report["baseline"]
    lines = [f"256 MiB random file, best of {report.get('rounds', 1)} rounds; plain `hashlib.sha256` over the same "
             f"bytes: {base['mib_per_s']:,.0f} MiB/s. Memory: peak RSS growth while importing a "
             f"{report.get('big_mib', 1024)} MiB file.", "",
             "| profile | MiB/s | ratio to sha256 (target ≥ 0.7) | RSS growth (target ≤ 64 MiB) |",
             "|---|---:|---:|---:|"]
    for name, p in report["profiles"].items():
        lines.append(f"| `{name}` | {p['mib_per_s']:,.0f} | {p['ratio_to_sha256']:.3f} | "
                     f"{p['memory']['rss_growth_mib']:.1f} MiB |")
    return "\n".join(lines) + "\n"


def ipfs_table(report: dict) -> str:
    small, big, rpc = report["small_files"], report["big_file"], report["rpc"]
    rows = [
        (f"publish to `local`, {small['files']:,} small files (1-8 KiB), durable store (fsync)",
         f"{small['fsync_on']['files_per_s']:.1f} files/s"),
        ("same, fsync off", f"{small['fsync_off']['files_per_s']:.1f} files/s"),
        (f"publish to `local`, one {big['size_mib']:,} MiB file (fsync)", f"{big['mib_per_s']:.1f} MiB/s"),
        (f"peak RSS of that process (before: {big['rss_before_mib']:.1f} MiB)",
         f"{big['rss_peak_mib']:.1f} MiB (+{big['rss_growth_mib']:.1f} MiB)"),
        (f"RPC `add` through the embedded node, {rpc['size_mib']} MiB (ipfshttpclient, node in its own process)",
         f"{rpc['rpc_add']['mib_per_s']:.1f} MiB/s"),
        ("RPC `dag/import` of the same DAG", f"{rpc['rpc_dag_import']['mib_per_s']:.1f} MiB/s"),
        ("CID alone (`import_file`, no storage), same file", f"{rpc['cid_alone']['mib_per_s']:.1f} MiB/s"),
    ]
    lines = [f"Measured {report['date'][:10]} on {report['cpu_count']} cores.", "",
             "| measurement | result |", "|---|---:|"]
    lines += [f"| {what} | {result} |" for what, result in rows]
    return "\n".join(lines) + "\n"


def deploy_table(report: dict) -> str:
    lines = ["| deployed | tx gas | ETH at 1 gwei | ETH at 30 gwei |", "|---|---:|---:|---:|"]
    rows = [(f"`{name}`", c) for name, c in report["contracts"].items()]
    rows += [(f"{name} ({report[name]['transactions']} tx)", report[name]) for name in ("setup", "handover")]
    rows.append((f"**total** ({report['total']['transactions']} tx)", report["total"]))
    for label, r in rows:
        lines.append(f"| {label} | {r['gas']:,} | {r['eth_at_1_gwei']:.6f} | {r['eth_at_30_gwei']:.4f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = README.read_text()
    gas = RESULTS / "gas.json"
    if gas.exists():
        text = _replace(text, "gas-table", gas_table(json.loads(gas.read_text())["results"]))
    cid = RESULTS / "cid.json"
    if cid.exists():
        text = _replace(text, "cid-table", cid_table(json.loads(cid.read_text())))
    ipfs = RESULTS / "ipfs.json"
    if ipfs.exists():
        text = _replace(text, "ipfs-table", ipfs_table(json.loads(ipfs.read_text())))
    deploy = RESULTS / "deploy.json"
    if deploy.exists():
        text = _replace(text, "deploy-table", deploy_table(json.loads(deploy.read_text())))
    README.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
