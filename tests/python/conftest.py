"""Fixtures for the CID engine tests (tests/python).

The independent references are JavaScript tools from node_modules: the ipfs-car CLI and
@ipld/unixfs driven by tests/python/js/unixfs_ref.mjs. They are required in CI (package.json
pins them); on a machine without node_modules the tests that need them skip with the reason.
"""

from __future__ import annotations

import base64
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
    ) -> RefResult:
        args = [
            "node", str(UNIXFS_REF), str(path),
            "--chunk", str(chunk), "--width", str(width),
            "--raw-leaves", "1" if raw_leaves else "0",
            "--cid-version", str(cid_version), "--hidden", "1" if hidden else "0",
        ]  # fmt: skip
        if not blocks:
            args.append("--no-blocks")
        out = subprocess.run(
            args, cwd=REPO_ROOT, check=True, capture_output=True, text=True, timeout=600
        )
        data = json.loads(out.stdout)
        return RefResult(data["root"], [(c, base64.b64decode(b)) for c, b in data["blocks"]])

    return run


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
