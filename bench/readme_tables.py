"""Rewrite the benchmark tables in README.md from bench/results/*.json.

`make bench` runs this last, so the README always shows the committed measurements (never
hand-copied numbers). Sections are delimited by `<!-- gas-table -->` ... `<!-- /gas-table -->`
and `<!-- cid-table -->` ... `<!-- /cid-table -->`.
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


def main() -> int:
    text = README.read_text()
    gas = RESULTS / "gas.json"
    if gas.exists():
        text = _replace(text, "gas-table", gas_table(json.loads(gas.read_text())["results"]))
    cid = RESULTS / "cid.json"
    if cid.exists():
        text = _replace(text, "cid-table", cid_table(json.loads(cid.read_text())))
    README.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
