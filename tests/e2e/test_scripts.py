"""End to end: the registry scripts (deploy, publish, assets), run as a user runs them, against a
real anvil started by tests/e2e/conftest.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import json_of, nonce_of

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
BIN = Path(sys.executable).parent


def test_deploy_then_publish_lineage(workdir, ape_run):
    deployed = json_of(ape_run("deploy", "--account", "TEST::0", "--json"))
    record = json.loads((workdir / "deployments/ethereum-local.json").read_text())
    assert record == deployed
    assert record["chain_id"] == 31337
    # Every lever of the suite ends with the DAO's timelock; the deployer keeps none.
    timelock = record["contracts"]["HubTimelock"]["address"]
    assert record["roles"]["AssetRegistry"]["CURATOR_ROLE"] == [timelock]
    assert all(record["deployer"] not in holders for roles in record["roles"].values() for holders in roles.values())

    dataset = json_of(ape_run("publish", str(SAMPLES / "datasets/sensor-readings.csv"),
                            "--kind", "dataset", "--metadata", str(SAMPLES / "cards/sensor-readings.json"),
                            "--account", "TEST::3", "--json"))
    model = json_of(ape_run("publish", str(SAMPLES / "models/anomaly-base.json"),
                          "--kind", "model", "--account", "TEST::4", "--json"))
    derived = json_of(ape_run("publish", str(SAMPLES / "models/anomaly-finetuned.json"),
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
    listing = ape_run("assets", "--json")
    assets = {a["asset_id"]: a for a in json_of(listing)["assets"]}
    assert assets[derived["asset_id"]]["parents"] == [
        {"asset_id": dataset["asset_id"], "share_bps": 1500},
        {"asset_id": model["asset_id"], "share_bps": 2000},
    ]
    assert assets[dataset["asset_id"]]["cid"] == dataset["cid"]
    assert assets[dataset["asset_id"]]["token_uri"] == f"ipfs://{dataset['metadata_cid']}"


def test_publish_duplicate__clear_message_no_transaction(anvil, ape_run):
    ape_run("deploy", "--account", "TEST::0", "--json")
    path = str(SAMPLES / "datasets/sensor-readings.csv")
    first = json_of(ape_run("publish", path, "--account", "TEST::3", "--json"))
    nonce_before = nonce_of(anvil, first["owner"])
    again = ape_run("publish", path, "--account", "TEST::3", check=False)
    assert again.returncode == 1
    assert nonce_of(anvil, first["owner"]) == nonce_before
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
def test_publish_bad_input__clear_error_before_any_transaction(ape_run, args, message):
    ape_run("deploy", "--account", "TEST::0", "--json")
    proc = ape_run("publish", *args, "--account", "TEST::5", check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
