"""End to end: `ape run market ...`, `ape run distribute`, `ape run lineage` against one anvil."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from e2e_helpers import json_of, nonce_of

from cidhub.chain.market import royalty_receiver_address

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _rpc(url: str, method: str, params: list) -> object:
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        reply = json.load(resp)
    assert "error" not in reply, reply
    return reply["result"]


def test_offer_buy_access_distribute_statement(workdir, anvil, ape_run):
    ape_run("deploy", "--account", "TEST::0", "--treasury", "0x" + "77" * 20, "--json")
    dataset = json_of(ape_run("publish", str(SAMPLES / "datasets/sensor-readings.csv"), "--kind", "dataset",
                              "--account", "TEST::3", "--json"))
    model = json_of(ape_run("publish", str(SAMPLES / "models/anomaly-finetuned.json"), "--kind", "model",
                            "--parent", dataset["cid"], "--share", "2000", "--account", "TEST::4", "--json"))
    co_author = "0x" + "c0" * 20
    ape_run("market", "split", model["cid"], "--to", f"{co_author}:3000", "--to", f"{model['owner']}:7000",
            "--account", "TEST::4")
    offer = json_of(ape_run("market", "offer", model["asset_id"], "--price", "0.05 ether", "--duration", "30d",
                            "--account", "TEST::4", "--json"))
    assert offer["price"] == 5 * 10**16 and offer["licence"] == f"{30 * 86_400} s"

    sales = [json_of(ape_run("market", "buy", str(offer["offer_id"]), "--account", f"TEST::{i}", "--json"))
             for i in (5, 6)]
    assert all(s["fee"] == 5 * 10**16 * 250 // 10_000 for s in sales)
    has = ape_run("market", "access", model["asset_id"], sales[0]["licensee"], "--json", check=False)
    assert has.returncode == 0 and json_of(has)["has_access"] is True
    hasnt = ape_run("market", "access", dataset["asset_id"], sales[0]["licensee"], "--json", check=False)
    assert hasnt.returncode == 3 and json_of(hasnt)["has_access"] is False

    # A secondary sale elsewhere paid the model's ERC-2981 royalty to its receiver (no code there yet);
    # distribute sweeps it into the model's pool first, and it climbs like licence revenue.
    deployment = json.loads((workdir / "deployments/ethereum-local.json").read_text())
    receiver = royalty_receiver_address(deployment["contracts"]["Marketplace"]["address"], int(model["asset_id"], 16))
    royalty = 10**16
    _rpc(anvil, "eth_sendTransaction", [{"from": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "to": receiver,
                                         "value": hex(royalty)}])

    # A dry run sends nothing and shows the same plan as the real run.
    operator = json.loads((workdir / "deployments/ethereum-local.json").read_text())["deployer"]
    nonce = nonce_of(anvil, operator)
    dry = json_of(ape_run("distribute", "--account", "TEST::0", "--dry-run", "--json"))
    assert nonce_of(anvil, operator) == nonce
    real = json_of(ape_run("distribute", "--account", "TEST::0", "--statement-dir", "out", "--json"))
    strip = lambda steps: [{k: v for k, v in s.items() if k not in ("tx_hash", "gas_used")} for s in steps]  # noqa: E731
    assert strip(dry["distributions"]) == strip(real["distributions"])
    assert [(s["asset_id"], s["token"], s["amount"]) for s in dry["sweeps"]] == [(model["asset_id"], "ETH", royalty)]
    assert [(s["asset_id"], s["amount"]) for s in real["sweeps"]] == [(model["asset_id"], royalty)]
    assert [d["asset_id"] for d in real["distributions"]] == [model["asset_id"], dataset["asset_id"]]
    assert real["statement"]["reconciled"] is True
    assert all(row["balance"] == 0 for row in real["statement"]["summary"])

    with (workdir / "out/earnings.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    paid = sum(int(r["earned"]) for r in rows)
    assert paid == 2 * 5 * 10**16 + royalty
    assert {r["payee"].lower() for r in rows} >= {co_author, "0x" + "77" * 20, dataset["owner"].lower()}

    breakdown = json_of(ape_run("lineage", model["asset_id"], "--sale", sales[0]["tx_hash"], "--json"))
    assert breakdown["derives_from"] == [dataset["asset_id"]]
    assert sum(r["amount"] for r in breakdown["sale"]) == 5 * 10**16


def test_market_bad_input__clear_errors(ape_run):
    ape_run("deploy", "--account", "TEST::0", "--json")
    asset = json_of(ape_run("publish", str(SAMPLES / "models/anomaly-base.json"), "--account", "TEST::3", "--json"))
    cases = [
        (("market", "offer", asset["asset_id"], "--price", "1", "--account", "TEST::4"), "does not own"),
        (("market", "offer", asset["asset_id"], "--price", "1", "--token", "USDC", "--account", "TEST::3"),
         "neither ETH nor"),
        (("market", "buy", "42", "--account", "TEST::5"), "not active"),
        (("market", "split", asset["asset_id"], "--to", "0x" + "ab" * 20 + ":9000", "--account", "TEST::3"),
         "add up to 9000 bps"),
        (("market", "offer", asset["asset_id"], "--price", "lots", "--account", "TEST::3"), "is not an amount"),
    ]
    for args, message in cases:
        proc = ape_run(*args, check=False)
        assert proc.returncode != 0, args
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
