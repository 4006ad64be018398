"""End to end: the Ape scripts, run as a user runs them, against a real anvil started here.

Each `ape run` is its own process; they share one anvil (APE_FOUNDRY_HOST tells ape-foundry to
connect to it instead of starting its own), one deployments/ directory and one block store,
exactly as on a developer's machine or a testnet.
"""

from __future__ import annotations

import json
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


def ape_run(workdir: Path, anvil: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
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


def _nonce(url: str, address: str) -> int:
    """The account's transaction count, asked of anvil over plain JSON-RPC."""
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [address, "latest"]})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(json.load(resp)["result"], 16)


def _json(proc: subprocess.CompletedProcess) -> dict:
    """--json output is the only thing on stdout; Ape's own log lines go to stderr."""
    return json.loads(proc.stdout)


def test_deploy_then_publish_lineage(workdir, anvil):
    deployed = _json(ape_run(workdir, anvil, "deploy", "--account", "TEST::0", "--json"))
    record = json.loads((workdir / "deployments/ethereum-local.json").read_text())
    assert record == deployed
    assert record["chain_id"] == 31337
    assert record["roles"]["AssetRegistry"]["CURATOR_ROLE"] == [record["deployer"]]

    dataset = _json(ape_run(workdir, anvil, "publish", str(SAMPLES / "datasets/sensor-readings.csv"),
                            "--kind", "dataset", "--metadata", str(SAMPLES / "cards/sensor-readings.json"),
                            "--account", "TEST::3", "--json"))
    model = _json(ape_run(workdir, anvil, "publish", str(SAMPLES / "models/anomaly-base.json"),
                          "--kind", "model", "--account", "TEST::4", "--json"))
    derived = _json(ape_run(workdir, anvil, "publish", str(SAMPLES / "models/anomaly-finetuned.json"),
                            "--kind", "model", "--parent", dataset["cid"], "--share", "1500",
                            "--parent", model["asset_id"], "--share", "2000", "--royalty", "750",
                            "--account", "TEST::4", "--json"))

    # The CID printed by publish is the one `cidhub cid` computes for the same file.
    cli = subprocess.run([str(BIN / "cidhub"), "cid", str(SAMPLES / "datasets/sensor-readings.csv")],
                         capture_output=True, text=True, check=True)
    assert cli.stdout.strip() == dataset["cid"]
    assert derived["parents"] == [dataset["asset_id"], model["asset_id"]]
    assert dataset["gas_used"] < 100_000

    # Read back through a fresh process and the contract's own views.
    listing = ape_run(workdir, anvil, "assets", "--json")
    assets = {a["asset_id"]: a for a in _json(listing)["assets"]}
    assert assets[derived["asset_id"]]["parents"] == [
        {"asset_id": dataset["asset_id"], "share_bps": 1500},
        {"asset_id": model["asset_id"], "share_bps": 2000},
    ]
    assert assets[dataset["asset_id"]]["cid"] == dataset["cid"]
    assert assets[dataset["asset_id"]]["token_uri"] == f"ipfs://{dataset['metadata_cid']}"


def test_publish_duplicate__clear_message_no_transaction(workdir, anvil):
    ape_run(workdir, anvil, "deploy", "--account", "TEST::0", "--json")
    path = str(SAMPLES / "datasets/sensor-readings.csv")
    first = _json(ape_run(workdir, anvil, "publish", path, "--account", "TEST::3", "--json"))
    nonce_before = _nonce(anvil, first["owner"])
    again = ape_run(workdir, anvil, "publish", path, "--account", "TEST::3", check=False)
    assert again.returncode == 1
    assert _nonce(anvil, first["owner"]) == nonce_before
    assert f"already registered as asset {first['asset_id']}" in again.stderr
    assert "Traceback" not in again.stderr + again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/file.bin"], "does not exist"),
        ([str(SAMPLES / "datasets/sensor-readings.csv"), "--metadata", str(SAMPLES / "datasets/sensor-readings.csv")],
         "is not valid JSON"),
        ([str(SAMPLES / "models/anomaly-base.json"), "--parent", "bafkreigarbage!"], "neither an asset id"),
        ([str(SAMPLES / "models/anomaly-base.json"), "--parent", "0x1234", "--share", "100"],
         "is not registered on this chain"),
        ([str(SAMPLES / "models/anomaly-base.json"), "--royalty", "9000"], "over the cap"),
        ([str(SAMPLES / "models/anomaly-base.json"), "--parent", "0x1234"], "1 parents but 0 shares"),
    ],
)
def test_publish_bad_input__clear_error_before_any_transaction(workdir, anvil, args, message):
    ape_run(workdir, anvil, "deploy", "--account", "TEST::0", "--json")
    proc = ape_run(workdir, anvil, "publish", *args, "--account", "TEST::5", check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
