"""End to end: `ape run deploy`, `roles` and `govern`, run as a user runs them, against a real anvil
(tests/e2e/conftest.py), with the chain's clock moved over JSON-RPC between commands."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from e2e_helpers import json_of, nonce_of

# anvil's default accounts (the `test` mnemonic): TEST::0 .. TEST::3
ADDRESSES = ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
             "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906"]
REPO_ROOT = Path(__file__).resolve().parents[2]
DELAY, PERIOD, TIMELOCK = 60, 3_600, 300


def _rpc(url: str, method: str, params: list) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"}), timeout=10) as r:
        return json.load(r)["result"]


def _travel(url: str, seconds: int) -> None:
    _rpc(url, "evm_increaseTime", [seconds])
    _rpc(url, "evm_mine", [])


def _fails_cleanly(proc, message: str) -> None:
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.fixture(scope="module")
def dao(ape_run, workdir):
    deployed = json_of(ape_run(
        "deploy", "--account", "TEST::0", "--json", "--voting-delay", str(DELAY), "--voting-period", str(PERIOD),
        "--timelock-delay", str(TIMELOCK), "--allocation", f"{ADDRESSES[1]}=1000000",
        "--allocation", f"{ADDRESSES[2]}=500000"))
    return deployed


def test_govern__propose_vote_queue_execute(dao, ape_run, workdir, anvil, tmp_path):
    roles = json_of(ape_run("roles", "--json", "--strict"))
    assert roles["ok"] and roles["failures"] == []
    assert {r["holders"][0] for r in roles["roles"] if r["expected"] == "HubTimelock"} == {dao["contracts"]["HubTimelock"]["address"]}

    asset = json_of(ape_run("publish", str(REPO_ROOT / "samples/datasets/sensor-readings.csv"), "--account", "TEST::3", "--json"))
    ape_run("govern", "delegate", "--account", "TEST::1")
    ape_run("govern", "delegate", ADDRESSES[1], "--account", "TEST::2")

    proposal_file = tmp_path / "delist.yaml"
    proposal_file.write_text(
        "description: |\n  # Delist the sensor dataset and lower the fee\n  Consent was not given.\n"
        "actions:\n"
        f"  - contract: AssetRegistry\n    function: delist\n    args: [{asset['cid']}, {asset['metadata_cid']}]\n"
        "  - contract: Marketplace\n    function: set_fee\n    args: [100, HubTimelock]\n")
    nonce = nonce_of(anvil, ADDRESSES[1])
    dry = json_of(ape_run("govern", "propose", str(proposal_file), "--dry-run", "--account", "TEST::1", "--json"))
    assert nonce_of(anvil, ADDRESSES[1]) == nonce
    proposed = json_of(ape_run("govern", "propose", str(proposal_file), "--account", "TEST::1", "--json"))
    assert proposed["proposal_id"] == dry["proposal_id"]  # computed locally exactly as on chain
    # Reserved for its proposer (front-running protection): nobody else can take this id first.
    assert proposed["description"].endswith(f"\n\n#proposer={ADDRESSES[1]}")
    short = proposed["proposal_id_hex"][2:12]

    # The CLI's pre-send checks (too early, voted twice, not queued...) are tested in process
    # (tests/contracts/governance/test_governance_module.py); a clean failure end to end below.
    _travel(anvil, DELAY + 1)
    vote = json_of(ape_run("govern", "vote", short, "for", "--reason", "consent", "--account", "TEST::1", "--json"))
    assert int(vote["weight"]) == 1_500_000 * 10**18

    _travel(anvil, PERIOD + 1)
    ape_run("govern", "queue", short, "--account", "TEST::2")
    _travel(anvil, TIMELOCK + 1)
    ape_run("govern", "execute", short, "--account", "TEST::2")

    status = json_of(ape_run("govern", "status", "--json"))
    (entry,) = status["proposals"]
    assert entry["state"] == "Executed" and entry["votes"]["for"] == str(1_500_000 * 10**18)
    assets = json_of(ape_run("assets", "--json"))["assets"]
    assert [a["delisted"] for a in assets if a["cid"] == asset["cid"]] == [True]


def test_govern__bad_proposal_file__clear_error_no_transaction(dao, ape_run, anvil, tmp_path):
    """One case end to end (exit code, message, no transaction); the others are checked in process
    by tests/contracts/governance/test_proposal_files.py."""
    path = tmp_path / "bad.yaml"
    path.write_text("description: bad\nactions:\n  - contract: AssetRegistry\n    function: is_delisted\n    args: [1]\n")
    nonce = nonce_of(anvil, ADDRESSES[1])
    _fails_cleanly(ape_run("govern", "propose", str(path), "--account", "TEST::1", check=False), "it is a view")
    assert nonce_of(anvil, ADDRESSES[1]) == nonce


@pytest.mark.slow
def test_roles__a_lever_outside_the_dao__exit_1(ape_run, workdir):
    """Redeploys with an extra curator: the check names it and fails (last: it replaces the deployment)."""
    ape_run("deploy", "--account", "TEST::0", "--curator", ADDRESSES[3], "--json")
    proc = ape_run("roles", check=False)
    assert proc.returncode == 1
    assert "CURATOR_ROLE" in proc.stderr and ADDRESSES[3] in proc.stderr
