"""Benchmark of HAMT-sharded directories: a directory of 100,000 small files.

Run:  python bench/hamt_bench.py                       (100,000 files, 3 rounds)
      python bench/hamt_bench.py --files 20000 --rounds 1   (a quick look)

What is measured, so the numbers can be trusted:

* The input: ``--files`` files named ``sample-NNNNNN.txt`` holding ``row N`` (7-13 bytes) in one
  directory under ``--tmp-dir``, written once and then read from the page cache by every pass.
  Under unixfs-v1-2025 the directory is a HAMT (its plain node would be ~6 MB).
* CID only: ``import_directory`` with no block sink (``ipfs add --only-hash``): files per
  second, best of the rounds (on a shared machine the fastest pass is the least disturbed).
* Durable store: ``BlockStore(fsync=True).add_file`` into a fresh store each round, so every
  block is written and synced (in batches, :meth:`BlockStore.batch`) before it returns.
* Peak memory: a fresh Python subprocess imports the directory into a durable store, then
  resolves paths through the gateway code, and reports ``ru_maxrss`` (the whole process:
  interpreter, cidhub and its dependencies included) and its growth over the RSS after imports.
* Path resolution: the embedded node (``cidhub node``) over that store answers
  ``GET /ipfs/{root}/sample-NNNNNN.txt`` for ``--lookups`` random names through one keep-alive
  HTTP session: median and 95th percentile latency, with the number of blocks each lookup read
  (counted in-process with ``dagread.resolve``): O(HAMT depth), not O(entries).

Results go to bench/results/hamt.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cidhub.content.store import BlockStore  # noqa: E402
from cidhub.content.unixfs import DEFAULT_PROFILE, get_profile, import_directory  # noqa: E402

MiB = 1024 * 1024
TARGETS = {
    "cid_only_files_per_s_min": 10_000,
    "durable_store_files_per_s_min": 2_000,
    "peak_rss_mib_max": 256,
}

_MEMORY_CHILD = r"""
import json, random, resource, sys, time
import psutil
from cidhub.content.store import BlockStore
from cidhub.ipfs.node import dagread
before = psutil.Process().memory_info().rss
store = BlockStore(sys.argv[2], fsync=True)
result = store.add_file(sys.argv[1], sys.argv[3])
after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
names = [f"sample-{i:06d}.txt" for i in random.Random(1).sample(range(int(sys.argv[4])), 50)]
for name in names:
    dagread.resolve(store, result.cid, name)
listed = sum(1 for _ in dagread.iter_directory(store, result.cid))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
print(json.dumps({"cid": str(result.cid), "rss_before": before, "rss_after_import": after_import,
                  "rss_peak": peak, "listed": listed}))
"""


def make_tree(directory: Path, files: int) -> None:
    directory.mkdir(parents=True)
    for i in range(files):
        with open(directory / f"sample-{i:06d}.txt", "wb") as f:
            f.write(b"row %d\n" % i)


def time_cid_only(tree: Path, profile: str) -> tuple[str, bool, float]:
    start = time.perf_counter()
    result = import_directory(tree, profile)
    return str(result.cid), result.sharded, time.perf_counter() - start


def time_durable(tree: Path, profile: str, store_dir: Path) -> tuple[str, int, float]:
    shutil.rmtree(store_dir, ignore_errors=True)
    store = BlockStore(store_dir, fsync=True)
    start = time.perf_counter()
    result = store.add_file(tree, profile)
    return str(result.cid), result.blocks, time.perf_counter() - start


def measure_memory(tree: Path, store_dir: Path, profile: str, files: int) -> dict[str, Any]:
    shutil.rmtree(store_dir, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(tree), str(store_dir), profile, str(files)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    data = json.loads(out.stdout)
    return {
        "cid": data["cid"],
        "rss_before_mib": round(data["rss_before"] / MiB, 1),
        "rss_peak_after_import_mib": round(data["rss_after_import"] / MiB, 1),
        "rss_peak_mib": round(data["rss_peak"] / MiB, 1),
        "rss_growth_mib": round((data["rss_peak"] - data["rss_before"]) / MiB, 1),
        "entries_listed": data["listed"],
    }


def measure_lookups(store_dir: Path, root: str, files: int, lookups: int) -> dict[str, Any]:
    import requests

    from cidhub.content.cid import parse_cid
    from cidhub.ipfs.node import dagread
    from cidhub.ipfs.node.server import EmbeddedNode

    store = BlockStore(store_dir, fsync=True)
    names = [f"sample-{i:06d}.txt" for i in random.Random(7).sample(range(files), lookups)]
    reads = []
    original = store.get

    def counting_get(cid: Any) -> bytes:
        reads[-1] += 1
        return original(cid)

    store.get = counting_get  # type: ignore[method-assign]
    in_process = []
    for name in names:
        reads.append(0)
        start = time.perf_counter()
        dagread.resolve(store, parse_cid(root), name)
        in_process.append(time.perf_counter() - start)
    store.get = original  # type: ignore[method-assign]
    latencies = []
    with EmbeddedNode(store) as node, requests.Session() as http:
        http.get(f"{node.url}/ipfs/{root}/{names[0]}", timeout=30).raise_for_status()  # warm up
        for name in names:
            start = time.perf_counter()
            response = http.get(f"{node.url}/ipfs/{root}/{name}", timeout=30)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()
            assert response.content == b"row %d\n" % int(name[7:13])
        start = time.perf_counter()
        listing = http.get(f"{node.url}/ipfs/{root}/", timeout=300)
        listing_seconds = time.perf_counter() - start
        listing.raise_for_status()
    return {
        "lookups": lookups,
        "gateway_ms_median": round(statistics.median(latencies) * 1000, 2),
        "gateway_ms_p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))] * 1000, 2),
        "resolve_in_process_ms_median": round(statistics.median(in_process) * 1000, 2),
        "blocks_read_per_lookup": {"min": min(reads), "max": max(reads), "mean": round(statistics.mean(reads), 2)},
        "html_listing_seconds": round(listing_seconds, 2),
        "html_listing_rows": listing.text.count("<tr><td>"),
    }


def print_table(report: dict[str, Any]) -> None:
    rows = [
        ("CID only (files/s)", f"{report['cid_only']['files_per_s']:,.0f}",
         f">= {TARGETS['cid_only_files_per_s_min']:,}"),
        ("durable store (files/s)", f"{report['durable_store']['files_per_s']:,.0f}",
         f">= {TARGETS['durable_store_files_per_s_min']:,}"),
        ("peak RSS (MiB)", f"{report['memory']['rss_peak_mib']:.1f}", f"<= {TARGETS['peak_rss_mib_max']}"),
        ("gateway path lookup (ms, median)", f"{report['lookup']['gateway_ms_median']:.2f}", ""),
        ("gateway path lookup (ms, p95)", f"{report['lookup']['gateway_ms_p95']:.2f}", ""),
        ("blocks read per lookup (max)", str(report["lookup"]["blocks_read_per_lookup"]["max"]), ""),
    ]  # fmt: skip
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a project dependency
        for row in rows:
            print(" | ".join(f"{c:>32}" for c in row))
        return
    title = f"HAMT directory of {report['files']:,} files ({report['profile']}), best of {report['rounds']}"
    table = Table(title=title)
    for header in ("measure", "value", "target"):
        table.add_column(header, justify="left" if header == "measure" else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--profile", default=DEFAULT_PROFILE.name)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "hamt.json")
    parser.add_argument("--tmp-dir", type=Path, default=Path("/tmp"))
    args = parser.parse_args(argv)
    profile = get_profile(args.profile).name

    workdir = Path(tempfile.mkdtemp(prefix="cidhub-hamt-bench-", dir=args.tmp_dir))
    try:
        tree = workdir / "dataset"
        make_tree(tree, args.files)
        time_cid_only(tree, profile)  # warm the page cache and the interpreter
        cid_times, durable_times = [], []
        for _ in range(args.rounds):
            cid, sharded, seconds = time_cid_only(tree, profile)
            cid_times.append(seconds)
            durable_cid, blocks, seconds = time_durable(tree, profile, workdir / "store")
            durable_times.append(seconds)
            assert durable_cid == cid, (durable_cid, cid)
        lookup = measure_lookups(workdir / "store", cid, args.files, args.lookups)
        memory = measure_memory(tree, workdir / "memory-store", profile, args.files)
        assert memory["cid"] == cid and memory["entries_listed"] == args.files
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    cid_rate = args.files / min(cid_times)
    durable_rate = args.files / min(durable_times)
    report = {
        "benchmark": "cidhub HAMT-sharded directory: import speed, memory, path resolution",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "files": args.files,
        "profile": profile,
        "rounds": args.rounds,
        "root_cid": cid,
        "sharded": sharded,
        "blocks": blocks,
        "targets": TARGETS,
        "cid_only": {
            "files_per_s": round(cid_rate),
            "files_per_s_all_rounds": [round(args.files / t) for t in cid_times],
        },
        "durable_store": {
            "method": "BlockStore(fsync=True).add_file into a fresh store",
            "files_per_s": round(durable_rate),
            "files_per_s_all_rounds": [round(args.files / t) for t in durable_times],
        },
        "memory": memory,
        "lookup": lookup,
    }
    report["meets_targets"] = (
        cid_rate >= TARGETS["cid_only_files_per_s_min"]
        and durable_rate >= TARGETS["durable_store_files_per_s_min"]
        and memory["rss_peak_mib"] <= TARGETS["peak_rss_mib_max"]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"wrote {args.out}")
    return 0 if report["meets_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
