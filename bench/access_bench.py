"""Benchmark of the access service: private plaintext through /access/v1 vs the same bytes public
through the gateway, in the same run, from the same node process.

Run:  python bench/access_bench.py                  (1 GiB, 3 rounds; ~3 GiB of /tmp while it runs)
      python bench/access_bench.py --mib 64 --rounds 1 --ttfb 5   (a quick look)

What happens:

* Ape starts anvil (ape-foundry) and deploys the AssetRegistry and the Marketplace.
* One random file of ``--mib`` MiB is published twice into one block store: public
  (:func:`cidhub.publish.prepare`, plain UnixFS) and private (``private=True``: sealed, data key
  in a keystore), the private one registered, offered and bought by the test buyer.
* ``cidhub node --access`` runs as its own process over that store (gateway + access service),
  with the Marketplace's ``has_access`` asked on anvil for every access request.
* The client (this process) signs in once with SIWE, then, alternating for ``--rounds`` rounds,
  streams the whole private asset from ``/access/v1/assets/<id>`` and the whole public file from
  ``/ipfs/<cid>`` with ``requests`` (1 MiB reads, bytes discarded; the private download's
  plaintext is hashed once at the end of the run to check it).
* ``throughput``: MiB/s, best and median of the rounds; ``ratio`` = private / public (goal >= 0.8).
* ``memory``: the node process's resident set before the first private download (after a
  warm-up request, when its peak ``VmHWM`` is reset), its peak after the first private download
  (before any public one), and the highest RSS sampled every 10 ms during all private downloads;
  growth goal <= 64 MiB.
* ``ttfb``: time to the first body byte of ``Range: bytes=<size - 1 MiB>-`` (the last 1 MiB) with a
  live session over a kept-alive connection, ``--ttfb`` times (goal: median <= 50 ms on loopback);
  each one makes the node ask the chain, read the keystore, read the header and decrypt the last
  chunk(s).

Results go to bench/results/access.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

MiB = 1024 * 1024


def write_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(left, MiB))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return digest.hexdigest()


def start_node(data_dir: Path, keystore: Path, rpc: str, market: str, master_key: str) -> tuple[Any, str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CIDHUB_ACCESS_MASTER_KEY": master_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cidhub.cli", "node", "--port", "0", "--data-dir", str(data_dir), "--access",
         "--keystore", str(keystore), "--rpc", rpc, "--market", market],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=REPO_ROOT, env=env)
    assert proc.stderr is not None
    gateway = access = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (gateway and access):
        line = proc.stderr.readline()
        if not line:
            break
        if m := re.search(r"Gateway\s+(\S+)/ipfs/", line):
            gateway = m.group(1)
        if m := re.search(r"Access\s+(\S+)/assets/", line):
            access = m.group(1)
    if not (gateway and access):
        proc.kill()
        raise RuntimeError("cidhub node --access did not start")
    # Keep draining stderr so a chatty server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    return proc, gateway, access


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class RssSampler:
    """The highest VmRSS seen every 10 ms while running (a check on VmHWM)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss(self.pid)[0])

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in bytes from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def stream(session: Any, url: str, headers: dict[str, str], digest: Any = None) -> tuple[int, float]:
    start = time.perf_counter()
    total = 0
    with session.get(url, headers=headers, stream=True, timeout=600) as response:
        response.raise_for_status()
        for piece in response.iter_content(MiB):
            total += len(piece)
            if digest is not None:
                digest.update(piece)
    return total, time.perf_counter() - start


def ttfb(session: Any, url: str, headers: dict[str, str], size: int) -> tuple[float, float]:
    """(seconds to the first body byte, seconds to the whole 1 MiB) of a Range read at the end."""
    start = time.perf_counter()
    with session.get(url, headers={**headers, "Range": f"bytes={size - MiB}-"}, stream=True, timeout=60) as response:
        assert response.status_code == 206, response.text
        raw = response.raw
        first = raw.read(1)
        t_first = time.perf_counter() - start
        rest = raw.read()
        assert len(first) + len(rest) == MiB
    return t_first, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=1024, help="size of the asset (MiB)")
    parser.add_argument("--rounds", type=int, default=3, help="downloads of each kind")
    parser.add_argument("--ttfb", type=int, default=25, help="Range reads at the end for the TTFB figure")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "access.json")
    args = parser.parse_args()

    import requests
    from ape import accounts, chain, networks, project
    from eth_account import Account

    from cidhub.access.client import AccessClient
    from cidhub.chain.deployment import git_commit
    from cidhub.chain.market import buy, create_offer
    from cidhub.chain.registry import Kind, format_asset_id
    from cidhub.content.keystore import Keystore
    from cidhub.content.store import BlockStore
    from cidhub.publish import PublishRequest, prepare, publish

    tmp = Path(tempfile.mkdtemp(prefix="cidhub-access-bench-"))
    size = args.mib * MiB
    proc = None
    try:
        with networks.parse_network_choice("ethereum:local:foundry"):
            deployer, creator, buyer = accounts.test_accounts[0], accounts.test_accounts[3], accounts.test_accounts[4]
            registry = project.AssetRegistry.deploy(sender=deployer)
            market = project.Marketplace.deploy(registry, deployer, 0, sender=deployer)
            print(f"deployed on anvil (chain {chain.chain_id}); writing {args.mib} MiB", file=sys.stderr)
            path = tmp / "model.bin"
            expected_sha = write_random_file(path, size)
            store = BlockStore(tmp / "blocks", fsync=False)
            master = os.urandom(32).hex()
            keystore = Keystore(tmp / "keystore", bytes.fromhex(master))
            t0 = time.perf_counter()
            public = prepare(PublishRequest(path, Kind.MODEL), store)
            t_public = time.perf_counter() - t0
            # The endpoint in the card is informative here; the client is pointed at the node below.
            t0 = time.perf_counter()
            private = publish(PublishRequest(path, Kind.MODEL, private=True,
                                             access_endpoint="http://127.0.0.1/access/v1"),
                              registry, creator, store, keystore=keystore)
            t_private = time.perf_counter() - t0
            offer = create_offer(market, registry, creator, private.asset_id, price=10**15)
            buy(market, buyer, offer.offer_id)
            print(f"published: public {public.content.cid} ({t_public:.1f} s), private {private.cid} "
                  f"({t_private:.1f} s, seal + store + register)", file=sys.stderr)
            path.unlink()  # only the store holds the bytes now

            proc, gateway, access = start_node(tmp / "blocks", tmp / "keystore", chain.provider.uri,
                                               market.address, master)
            client = AccessClient(access, Account.from_key(buyer.private_key))
            token = client.sign_in()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            private_url = f"{access}/assets/{format_asset_id(private.asset_id)}"
            public_url = f"{gateway}/ipfs/{public.content.cid}"
            session = requests.Session()
            # Warm-up: one small request of each kind (imports, first connections, the keystore read).
            session.get(private_url, headers={**auth, "Range": "bytes=0-1023"}, timeout=60).raise_for_status()
            session.get(public_url, headers={"Range": "bytes=0-1023"}, timeout=60).raise_for_status()
            rss_before, hwm_before = rss(proc.pid)
            peak_reset = reset_peak(proc.pid)

            private_runs: list[float] = []
            public_runs: list[float] = []
            sampled_private = 0
            for round_ in range(args.rounds):
                digest = hashlib.sha256() if round_ == args.rounds - 1 else None
                with RssSampler(proc.pid) as sampler:
                    n, seconds = stream(session, private_url, auth, digest)
                sampled_private = max(sampled_private, sampler.peak)
                assert n == size
                if digest is not None:
                    assert digest.hexdigest() == expected_sha, "private download does not match the plaintext"
                private_runs.append(seconds)
                if round_ == 0:
                    _, hwm_private = rss(proc.pid)  # before any public download: the private path's own peak
                n, seconds = stream(session, public_url, {})
                assert n == size
                public_runs.append(seconds)
                print(f"round {round_ + 1}: private {size / MiB / private_runs[-1]:.0f} MiB/s, "
                      f"public {size / MiB / public_runs[-1]:.0f} MiB/s", file=sys.stderr)
            rss_after, hwm_after = rss(proc.pid)

            first_bytes, wholes = [], []
            for _ in range(args.ttfb):
                t_first, t_whole = ttfb(session, private_url, auth, size)
                first_bytes.append(t_first)
                wholes.append(t_whole)

        def rate(runs: list[float]) -> dict[str, Any]:
            return {"best_mib_s": round(size / MiB / min(runs), 1),
                    "median_mib_s": round(size / MiB / statistics.median(runs), 1),
                    "seconds": [round(s, 3) for s in runs]}

        priv, pub = rate(private_runs), rate(public_runs)
        growth = hwm_private - rss_before
        ordered = sorted(first_bytes)
        report = {
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
            "size_mib": args.mib,
            "rounds": args.rounds,
            "throughput": {
                "private_access_service": {"path": "/access/v1/assets/<id>: SIWE session, has_access eth_call, "
                                                   "AES-256-GCM STREAM decrypt", **priv},
                "public_gateway": {"path": "/ipfs/<cid>: plain UnixFS file", **pub},
                "ratio_best": round(priv["best_mib_s"] / pub["best_mib_s"], 3),
                "ratio_median": round(priv["median_mib_s"] / pub["median_mib_s"], 3),
                "goal_ratio": 0.8,
            },
            "memory": {
                "rss_before_mib": round(rss_before / MiB, 1),
                "peak_rss_during_private_downloads_mib": round(hwm_private / MiB, 1),
                "growth_mib": round(growth / MiB, 1),
                "sampled_peak_rss_during_private_downloads_mib": round(sampled_private / MiB, 1),
                "sampled_growth_mib": round((sampled_private - rss_before) / MiB, 1),
                "peak_rss_whole_run_mib": round(hwm_after / MiB, 1),
                "rss_after_mib": round(rss_after / MiB, 1),
                "goal_growth_mib": 64,
                "note": "node process (gateway + access service): VmHWM after the first private download "
                        "(peak reset to the current RSS after warm-up: "
                        f"{'yes' if peak_reset else 'no, so it includes start-up'}) minus VmRSS after warm-up; "
                        "also the highest VmRSS sampled every 10 ms during all private downloads; the "
                        f"high-water mark at warm-up was {round(hwm_before / MiB, 1)} MiB",
            },
            "ttfb_last_mib_range": {
                "requests": args.ttfb,
                "median_ms": round(statistics.median(first_bytes) * 1000, 2),
                "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2),
                "max_ms": round(max(first_bytes) * 1000, 2),
                "whole_mib_median_ms": round(statistics.median(wholes) * 1000, 2),
                "goal_ms": 50,
            },
            "publish_seconds": {"public_prepare": round(t_public, 2),
                                "private_seal_store_register": round(t_private, 2)},
        }
        report["meets_goals"] = {
            "ratio": report["throughput"]["ratio_best"] >= 0.8,
            "memory": report["memory"]["growth_mib"] <= 64,
            "ttfb": report["ttfb_last_mib_range"]["median_ms"] <= 50,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
