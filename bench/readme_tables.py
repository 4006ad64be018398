"""Rewrite the benchmark tables in README.md from bench/results/*.json.

`make bench` runs this last, so the README always shows the committed measurements (never
hand-copied numbers). Sections are delimited by `<!-- gas-table -->` ... `<!-- /gas-table -->`,
`<!-- cid-table -->` ... `<!-- /cid-table -->`, `<!-- hamt-table -->` ... `<!-- /hamt-table -->`,
`<!-- ipfs-table -->` ... `<!-- /ipfs-table -->`, `<!-- sizes-table -->` ... `<!-- /sizes-table -->`,
`<!-- access-table -->` ... `<!-- /access-table -->` and `<!-- deploy-table -->` ... `<!-- /deploy-table -->`.
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


def hamt_table(report: dict) -> str:
    targets, memory, lookup = report["targets"], report["memory"], report["lookup"]
    reads = lookup["blocks_read_per_lookup"]
    rows = [
        ("CID only (`import_directory`, no storage)", f"{report['cid_only']['files_per_s']:,} files/s",
         f"≥ {targets['cid_only_files_per_s_min']:,}"),
        ("into the durable store (`BlockStore(fsync=True).add_file`)",
         f"{report['durable_store']['files_per_s']:,} files/s", f"≥ {targets['durable_store_files_per_s_min']:,}"),
        ("peak RSS of a process importing it durably, then resolving and listing",
         f"{memory['rss_peak_mib']:.1f} MiB (+{memory['rss_growth_mib']:.1f} MiB)",
         f"≤ {targets['peak_rss_mib_max']} MiB"),
        (f"gateway `GET /ipfs/{{root}}/sample-N.txt`, {lookup['lookups']} random names, median / p95",
         f"{lookup['gateway_ms_median']:.1f} / {lookup['gateway_ms_p95']:.1f} ms", "–"),
        ("blocks read per path lookup", f"{reads['min']}-{reads['max']}", "O(depth)"),
        (f"HTML listing of all {lookup['html_listing_rows']:,} entries (streamed)",
         f"{lookup['html_listing_seconds']:.1f} s", "–"),
    ]
    lines = [f"{report['files']:,} files under `{report['profile']}` ({report['blocks']:,} blocks), best of "
             f"{report['rounds']} rounds, measured {report['date'][:10]} on {report['cpu_count']} cores "
             f"(load average {report['load_average_at_end'][0]:.1f} at the end: a shared machine).", "",
             "| measurement | result | target |", "|---|---:|---:|"]
    lines += [f"| {what} | {result} | {target} |" for what, result, target in rows]
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


def sizes_table(report: dict) -> str:
    lines = ["| contract | runtime bytes (deployed) | margin below 24,576 | ≥ 1,024 |", "|---|---:|---:|:---:|"]
    for name, r in report["results"].items():
        met = "yes" if r["meets_margin"] else "**no**"
        lines.append(f"| `{name}` | {r['runtime_bytes']:,} | {r['margin']:,} | {met} |")
    return "\n".join(lines) + "\n"


def access_table(report: dict) -> str:
    put, mem, ttfb = report["throughput"], report["memory"], report["ttfb_last_mib_range"]
    priv, pub = put["private_access_service"], put["public_gateway"]
    met = report["meets_goals"]
    yes = {True: "yes", False: "**no**"}
    rows = [
        (f"{report['size_mib']:,} MiB private asset through `/access/v1` (SIWE session, `has_access`, decryption)",
         f"{priv['best_mib_s']:,.0f} MiB/s (median {priv['median_mib_s']:,.0f})", "–", "–"),
        ("the same bytes public through the gateway `/ipfs/`",
         f"{pub['best_mib_s']:,.0f} MiB/s (median {pub['median_mib_s']:,.0f})", "–", "–"),
        ("ratio private / public (best; median)", f"{put['ratio_best']:.2f}; {put['ratio_median']:.2f}", "≥ 0.8",
         yes[met["ratio"]]),
        (f"node RSS growth while serving (from {mem['rss_before_mib']:.0f} MiB)", f"{mem['growth_mib']:.1f} MiB",
         "≤ 64 MiB", yes[met["memory"]]),
        (f"time to first byte, 1 MiB `Range` at the end ({ttfb['requests']} requests: median; p95)",
         f"{ttfb['median_ms']:.1f} ms; {ttfb['p95_ms']:.1f} ms", "≤ 50 ms", yes[met["ttfb"]]),
    ]
    lines = [f"Measured {report['measured_at'][:10]} ({report['machine']}), node and client in separate processes, "
             f"{report['rounds']} rounds of each download.", "",
             "| measurement | result | goal | met |", "|---|---:|---:|:---:|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
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
    sizes = RESULTS / "sizes.json"
    if sizes.exists():
        text = _replace(text, "sizes-table", sizes_table(json.loads(sizes.read_text())))
    hamt = RESULTS / "hamt.json"
    if hamt.exists():
        text = _replace(text, "hamt-table", hamt_table(json.loads(hamt.read_text())))
    ipfs = RESULTS / "ipfs.json"
    if ipfs.exists():
        text = _replace(text, "ipfs-table", ipfs_table(json.loads(ipfs.read_text())))
    access = RESULTS / "access.json"
    if access.exists():
        text = _replace(text, "access-table", access_table(json.loads(access.read_text())))
    deploy = RESULTS / "deploy.json"
    if deploy.exists():
        text = _replace(text, "deploy-table", deploy_table(json.loads(deploy.read_text())))
    README.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
