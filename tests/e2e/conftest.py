"""Fixtures for end-to-end tests: a real anvil started here, and a runner for `ape run`.

Each `ape run` is its own process; they share one anvil (APE_FOUNDRY_HOST tells ape-foundry to
connect to it instead of starting its own), one deployments/ directory and one block store,
exactly as on a developer's machine or a testnet.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def anvil():
    exe = shutil.which("anvil", path=str(REPO_ROOT / "node_modules/.bin")) or shutil.which("anvil")
    if not exe:
        pytest.fail("anvil not found: run `make setup` (it installs anvil from npm)")
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--host", "127.0.0.1", "--silent"])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("anvil did not start within 30 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, anvil):
    """A copy of the project, so deployments/ and the block store are this test's own."""
    root = tmp_path_factory.mktemp("project")
    for name in ("contracts", "scripts", "ape-config.yaml"):
        src = REPO_ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    if (REPO_ROOT / ".build").is_dir():
        shutil.copytree(REPO_ROOT / ".build", root / ".build")
    return root


def _ape_run(workdir: Path, anvil: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": anvil,
        "CIDHUB_DATA_DIR": str(workdir / "store"),
        "PYTHONPATH": str(REPO_ROOT),
        "PATH": f"{BIN}{os.pathsep}{REPO_ROOT / 'node_modules/.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    proc = subprocess.run(
        [str(BIN / "ape"), "run", *args, "--network", "ethereum:local:foundry"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"ape run {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def ape_run(workdir, anvil):
    """`ape_run("deploy", "--account", "TEST::0", check=False)` runs a script on the shared anvil."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _ape_run(workdir, anvil, *args, check=check)

    return run
