"""Fixtures for the dApp kit: one anvil with the demo's data on it, shared by the npm package's node tests and the
browser test (each uses its own accounts, and checks changes rather than absolute balances).

The chain is set up the way `make dapp` sets it up (cidhub.demo.dapp: anvil started here, `ape run demo` against
it), in a copy of the project so that deployments/ and the block store are the test's own.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cidhub.demo.dapp import free_port, load_demo, start_anvil

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DemoChain:
    rpc_url: str
    workdir: Path
    data_dir: Path
    deployment_file: Path

    @property
    def deployment(self) -> dict:
        return json.loads(self.deployment_file.read_text())

    def address(self, name: str) -> str:
        return self.deployment["contracts"][name]["address"]


@pytest.fixture(scope="session")
def demo_chain(tmp_path_factory) -> DemoChain:
    workdir = tmp_path_factory.mktemp("dapp-project")
    for name in ("contracts", "scripts", "samples", "ape-config.yaml"):
        src = REPO_ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, workdir / name)
    assert (REPO_ROOT / ".build").is_dir(), "compile the contracts first (make compile)"
    shutil.copytree(REPO_ROOT / ".build", workdir / ".build")
    port = free_port()
    anvil = start_anvil(port)
    try:
        rpc_url = f"http://127.0.0.1:{port}"
        load_demo(rpc_url, workdir / "store", cwd=workdir)
        yield DemoChain(rpc_url, workdir, workdir / "store", workdir / "deployments" / "ethereum-local.json")
    finally:
        anvil.terminate()
        anvil.wait(timeout=10)
