"""End to end: `ape run publish --private`, `cidhub node --access` and `cidhub get`, as a publisher,
an operator and a buyer run them against one anvil."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import json_of

REPO_ROOT = Path(__file__).resolve().parents[2]


def _cidhub(workdir: Path, *args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cidhub.cli", *args], cwd=workdir, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}, **kwargs)


@pytest.mark.slow  # 4 `ape run`s, a node process and 2 downloads: ~1 min
def test_publish_private__serve__refuse__buy__get(workdir, anvil, ape_run, monkeypatch, tmp_path):
    master = os.urandom(32).hex()
    monkeypatch.setenv("CIDHUB_ACCESS_MASTER_KEY", master)
    keystore = workdir / "keystore"
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(1_500_000))
    deployment = json_of(ape_run("deploy", "--account", "TEST::0", "--json"))
    market = deployment["contracts"]["Marketplace"]["address"]

    node = subprocess.Popen(
        [sys.executable, "-m", "cidhub.cli", "node", "--access", "--port", "0", "--data-dir", str(workdir / "store"),
         "--keystore", str(keystore), "--rpc", anvil, "--market", market],
        cwd=workdir, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    try:
        endpoint = None
        deadline = time.monotonic() + 60
        while endpoint is None and time.monotonic() < deadline:
            line = node.stderr.readline()  # type: ignore[union-attr]
            if not line:
                break
            if match := re.search(r"Access\s+(\S+)/assets/", line):
                endpoint = match.group(1)
        assert endpoint, "cidhub node --access did not start"

        published = json_of(ape_run("publish", str(weights), "--kind", "model", "--private", "--access-endpoint",
                                    endpoint, "--keystore", str(keystore), "--account", "TEST::3", "--json"))
        assert published["private"] is True and published["plaintext_size"] == 1_500_000
        offer = json_of(ape_run("market", "offer", published["asset_id"], "--price", "0.01 ether", "--account",
                                "TEST::3", "--json"))

        out = tmp_path / "got.bin"
        # The card names the endpoint: `cidhub get` finds it through the registry and the local store.
        args = ["get", published["asset_id"], "--account", "TEST::4", "--network", "ethereum:local:foundry",
                "--data-dir", str(workdir / "store"), "-o", str(out), "--json"]
        env = {"APE_FOUNDRY_HOST": anvil}
        refused = _cidhub(workdir, *args, env=env)
        assert refused.returncode == 3 and "no licence" in refused.stderr and not out.exists()

        ape_run("market", "buy", str(offer["offer_id"]), "--account", "TEST::4")
        done = _cidhub(workdir, *args, env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["commitment"] == "checked"
        assert out.read_bytes() == weights.read_bytes()
    finally:
        node.terminate()
        node.wait(timeout=10)
