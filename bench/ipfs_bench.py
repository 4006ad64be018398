"""Benchmark of publishing to IPFS backends: local throughput, one big file, and RPC ``add``.

Run:  python bench/ipfs_bench.py                   (1,000 small files, 1 GiB file, 256 MiB RPC file)
      python bench/ipfs_bench.py --small 100 --big-mib 64 --rpc-mib 32   (a quick look)

What is measured:

* ``small_files``: the off-chain part of ``ape run publish --pin local`` for N small files
  (1-8 KiB of random bytes each): compute the content CID, store its blocks, generate and
  store its card, pin both (:func:`cidhub.publish.prepare` + :func:`cidhub.ipfs.pinning.replicate`
  with the local backend). Durable store (fsync on, the default) and, for comparison, fsync off.
  Reported as files/s.
* ``big_file``: the same for one file of ``--big-mib`` MiB, in a fresh subprocess so its peak
  resident memory (``ru_maxrss``) is its own: MiB/s and peak RSS, plus the RSS the process had
  before starting (Python + cidhub imported).
* ``rpc_add``: the embedded node runs as its own process (``cidhub node``); the unmodified
  ipfshttpclient uploads a ``--rpc-mib`` MiB file with ``add`` (CIDv1, raw leaves, 1 MiB chunks,
  1024 links: the unixfs-v1-2025 settings), which makes the node hash and store every block;
  compared with computing the CID alone in-process (``import_file``, no storage). Also
  ``dag/import`` of the same DAG as a CAR. Best of ``--rounds``.

Files live in a temporary directory in /tmp. Results go to bench/results/ipfs.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cidhub.chain.registry import Kind  # noqa: E402
from cidhub.content.store import BlockStore  # noqa: E402
from cidhub.content.unixfs import import_file  # noqa: E402
from cidhub.ipfs.pinning import LocalBackend, PinJob, car_source, replicate  # noqa: E402
from cidhub.publish import PublishRequest, prepare  # noqa: E402

MiB = 1024 * 1024

_BIG_CHILD = r"""
import json, resource, sys, time
import psutil
from pathlib import Path
from cidhub.ipfs.pinning import LocalBackend, PinJob, car_source, replicate
from cidhub.publish import PublishRequest, prepare
from cidhub.chain.registry import Kind
from cidhub.content.store import BlockStore
before = psutil.Process().memory_info().rss
store = BlockStore(sys.argv[2], fsync=True)
start = time.perf_counter()
prepared = prepare(PublishRequest(Path(sys.argv[1]), Kind.MODEL), store)
jobs = [PinJob(prepared.content.cid, car_source(store, prepared.content.cid)),
        PinJob(prepared.card_cid, car_source(store, prepared.card_cid))]
report = replicate(jobs, [LocalBackend(store)], min_confirmations=1)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"cid": str(prepared.content.cid), "seconds": seconds, "ok": report.ok,
                  "rss_before": before, "rss_peak": peak}))
"""


def write_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        left = size
        while left:
            n = min(left, MiB)
            out.write(os.urandom(n))
            left -= n


def publish_local(paths: list[Path], store: BlockStore) -> float:
    start = time.perf_counter()
    target = LocalBackend(store)
    for path in paths:
        prepared = prepare(PublishRequest(path, Kind.DATASET), store)
        jobs = [PinJob(prepared.content.cid, car_source(store, prepared.content.cid)),
                PinJob(prepared.card_cid, car_source(store, prepared.card_cid))]
        report = replicate(jobs, [target], min_confirmations=1)
        assert report.ok
    return time.perf_counter() - start


def bench_small(tmp: Path, count: int) -> dict[str, Any]:
    src = tmp / "small"
    src.mkdir()
    rng = __import__("random").Random(1)
    paths = []
    for i in range(count):
        path = src / f"file-{i:05d}.bin"
        path.write_bytes(os.urandom(rng.randint(1024, 8192)))
        paths.append(path)
    total = sum(p.stat().st_size for p in paths)
    out: dict[str, Any] = {"files": count, "bytes": total}
    for label, fsync in (("fsync_on", True), ("fsync_off", False)):
        store_dir = tmp / f"store-small-{label}"
        seconds = publish_local(paths, BlockStore(store_dir, fsync=fsync))
        out[label] = {"seconds": round(seconds, 3), "files_per_s": round(count / seconds, 1)}
        shutil.rmtree(store_dir)
    return out


def bench_big(tmp: Path, size_mib: int) -> dict[str, Any]:
    path = tmp / "big.bin"
    write_random_file(path, size_mib * MiB)
    store_dir = tmp / "store-big"
    proc = subprocess.run([sys.executable, "-c", _BIG_CHILD, str(path), str(store_dir)], capture_output=True,
                          text=True, check=True, cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    data = json.loads(proc.stdout)
    shutil.rmtree(store_dir)
    path.unlink()
    return {
        "size_mib": size_mib,
        "cid": data["cid"],
        "seconds": round(data["seconds"], 2),
        "mib_per_s": round(size_mib / data["seconds"], 1),
        "rss_before_mib": round(data["rss_before"] / MiB, 1),
        "rss_peak_mib": round(data["rss_peak"] / MiB, 1),
        "rss_growth_mib": round((data["rss_peak"] - data["rss_before"]) / MiB, 1),
        "fsync": True,
    }


def start_node(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "cidhub.cli", "node", "--port", "0", "--data-dir", str(data_dir)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=REPO_ROOT,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = re.search(r"RPC API\s+(\S+)", line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError("cidhub node did not start")


def bench_rpc(tmp: Path, size_mib: int, rounds: int) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ipfshttpclient
    path = tmp / "rpc.bin"
    write_random_file(path, size_mib * MiB)
    expected = import_file(path, "unixfs-v1-2025").cid
    car = tmp / "rpc.car"
    from cidhub.content.car import pack_car

    with open(car, "wb") as out:
        pack_car(path, out, "unixfs-v1-2025")
    cid_alone, add, dag_import = [], [], []
    for i in range(rounds):
        start = time.perf_counter()
        import_file(path, "unixfs-v1-2025")
        cid_alone.append(time.perf_counter() - start)
        data_dir = tmp / f"node-{i}"
        node, api = start_node(data_dir)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                client = ipfshttpclient.Client(api, timeout=600, chunk_size=MiB)
                start = time.perf_counter()
                answer = client.add(str(path), cid_version=1, raw_leaves=True, chunker="size-1048576",
                                    opts={"max-file-links": 1024})
                add.append(time.perf_counter() - start)
                assert answer["Hash"] == str(expected), (answer["Hash"], expected)
                client.pin.rm(answer["Hash"])
                shutil.rmtree(data_dir / "pins", ignore_errors=True)
                start = time.perf_counter()
                with open(car, "rb") as stream:
                    imported = client.dag.imprt(stream)
                dag_import.append(time.perf_counter() - start)
                assert imported["Root"]["Cid"]["/"] == str(expected)
        finally:
            node.terminate()
            node.wait(timeout=10)
            shutil.rmtree(data_dir, ignore_errors=True)

    def rate(seconds: list[float]) -> dict[str, Any]:
        return {"mib_per_s": round(size_mib / min(seconds), 1),
                "mib_per_s_all_rounds": [round(size_mib / s, 1) for s in seconds]}

    result = {
        "size_mib": size_mib,
        "cid": str(expected),
        "settings": "cid-version=1, raw-leaves, chunker=size-1048576, max-file-links=1024 (unixfs-v1-2025)",
        "cid_alone": {"method": "cidhub.content.unixfs.import_file, no storage", **rate(cid_alone)},
        "rpc_add": {"method": "ipfshttpclient add -> cidhub node (separate process), stored with fsync", **rate(add)},
        "rpc_dag_import": {"method": "ipfshttpclient dag.imprt of the same DAG as a CAR", **rate(dag_import)},
    }
    result["rpc_add_vs_cid_alone"] = round(result["rpc_add"]["mib_per_s"] / result["cid_alone"]["mib_per_s"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="number of small files")
    parser.add_argument("--big-mib", type=int, default=1024, help="size of the big file")
    parser.add_argument("--rpc-mib", type=int, default=256, help="size of the RPC add file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "ipfs.json")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cidhub-ipfs-bench-"))
    try:
        small = bench_small(tmp, args.small)
        print(f"small files: {small['fsync_on']['files_per_s']} files/s (fsync), "
              f"{small['fsync_off']['files_per_s']} files/s (no fsync)", flush=True)
        big = bench_big(tmp, args.big_mib)
        print(f"big file: {big['mib_per_s']} MiB/s, peak RSS {big['rss_peak_mib']} MiB", flush=True)
        rpc = bench_rpc(tmp, args.rpc_mib, args.rounds)
        print(f"rpc add: {rpc['rpc_add']['mib_per_s']} MiB/s vs CID alone {rpc['cid_alone']['mib_per_s']} MiB/s; "
              f"dag/import {rpc['rpc_dag_import']['mib_per_s']} MiB/s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results = {
        "benchmark": "cidhub IPFS publishing: local backend throughput, big file, RPC add",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "small_files": small,
        "big_file": big,
        "rpc": rpc,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
