"""End to end: `ape run attest ...` against one anvil, as a user runs it.

A signed job (run -> submit with a TEST attester -> status -> verify from the chain alone), an
honest optimistic claim (claim -> finalize refused in the window -> time travel -> finalize and
register), and a forged one (the attester refuses to sign it; a watcher's verify says it does not
hold, challenges it, the arbiter rejects it, and the challenger withdraws both bonds).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from e2e_helpers import json_of, nonce_of

from cidhub.compute.jobs import Job, job_document, load_job_document
from cidhub.content.cid import make_cid, parse_chain_cid

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# Anvil's (and Ape's test) accounts from the default mnemonic.
ATTESTER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"  # TEST::9
ARBITER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # TEST::1
REQUESTER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # TEST::5
DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # TEST::0
WINDOW = 3_600


def _rpc(url: str, method: str, params: list) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["result"]


def _travel(url: str, seconds: int) -> None:
    _rpc(url, "evm_increaseTime", [seconds])
    _rpc(url, "evm_mine", [])


@pytest.fixture(scope="module")
def assets(ape_run):
    """One deployment for the module (an attester and an arbiter among test accounts) and two assets."""
    ape_run("deploy", "--account", "TEST::0", "--attester", ATTESTER, "--arbiter", ARBITER,
            "--challenge-window", str(WINDOW), "--claim-bond", str(10**16), "--json")
    dataset = json_of(ape_run("publish", str(SAMPLES / "datasets/sensor-readings.csv"), "--kind", "dataset",
                              "--account", "TEST::3", "--json"))
    model = json_of(ape_run("publish", str(SAMPLES / "models/anomaly-finetuned.json"), "--kind", "model",
                            "--account", "TEST::4", "--json"))
    return dataset, model


@pytest.mark.slow  # 16 `ape run`s: ~1.5 min on a quiet machine
def test_signed_and_optimistic_jobs(workdir, anvil, ape_run, assets):
    dataset, model = assets

    # Signed: run locally, re-run and sign, submit; the result appears with its provenance.
    signed = json_of(ape_run("attest", "run", "--model", model["asset_id"], "--data", dataset["cid"],
                             "--owner", REQUESTER, "--model-share", "2000", "--data-share", "1000",
                             "--out", "jobs/signed.json", "--json"))
    assert signed["run"]["rows"] == 48 and (workdir / "jobs/signed.json").exists()
    accepted = json_of(ape_run("attest", "submit", "jobs/signed.json", "--account", "TEST::5",
                               "--attester", "TEST::9", "--json"))
    assert accepted["job_hash"] == signed["job_hash"] and accepted["attester"] == ATTESTER
    status = json_of(ape_run("attest", "status", signed["job_hash"], "--json"))
    assert status["accepted"] and status["verifier"] == "signed"
    assert [(p["asset_id"], p["share_bps"]) for p in status["provenance"]] == [
        (model["asset_id"], 2000), (dataset["asset_id"], 1000)]
    # verify from the chain alone: result id -> job hash -> the job rebuilt from events
    verdict = ape_run("attest", "verify", accepted["result_id"], "--json", check=False)
    assert verdict.returncode == 0, verdict.stderr
    assert json_of(verdict)["holds"] is True and json_of(verdict)["job_hash"] == signed["job_hash"]
    again = ape_run("attest", "submit", "jobs/signed.json", "--account", "TEST::5", "--attester", "TEST::9",
                    check=False)
    assert again.returncode != 0 and "output already registered" in again.stderr

    # Optimistic, honest: claimed with other params, finalized after the window.
    (workdir / "params.json").write_bytes(
        b'{"fixed_point_decimals":4,"format":"cidhub-score-params-v1","label":"anomaly","score_decimals":4}\n')
    honest = json_of(ape_run("attest", "run", "--model", model["asset_id"], "--data", dataset["asset_id"],
                             "--owner", REQUESTER, "--verifier", "optimistic", "--params", "params.json",
                             "--out", "jobs/honest.json", "--json"))
    claim = json_of(ape_run("attest", "submit", "jobs/honest.json", "--account", "TEST::5", "--json"))
    assert claim["bond"] == 10**16
    early = ape_run("attest", "finalize", "jobs/honest.json", "--account", "TEST::5", check=False)
    assert early.returncode != 0 and "challenge window is open" in early.stderr
    refused = ape_run("attest", "challenge", honest["job_hash"], "--account", "TEST::6", check=False)
    assert refused.returncode != 0 and "the claim holds here" in refused.stderr

    # Optimistic, forged: same job with a made-up output. The attester would not sign it; a
    # watcher finds it does not hold, challenges, and wins both bonds.
    job, doc = load_job_document(json.loads((workdir / "jobs/honest.json").read_text()))
    forged = Job.from_json({**job.to_json(), "output_cid": str(make_cid(1, "raw", b"\x66" * 32))})
    (workdir / "jobs/forged.json").write_text(json.dumps(job_document(forged, verifier_kind="optimistic")))
    ape_run("attest", "submit", "jobs/forged.json", "--account", "TEST::7", "--json")
    bad = ape_run("attest", "verify", forged.job_hash, "--json", check=False)
    assert bad.returncode == 3 and json_of(bad)["holds"] is False
    ape_run("attest", "challenge", forged.job_hash, "--account", "TEST::6", "--json")
    ruling = json_of(ape_run("attest", "resolve", forged.job_hash, "--rejected", "--account", "TEST::1", "--json"))
    assert ruling["amount"] == 2 * 10**16
    paid = json_of(ape_run("attest", "withdraw", "--account", "TEST::6", "--json"))
    assert paid["amount"] == 2 * 10**16

    _travel(anvil, WINDOW + 1)
    done = json_of(ape_run("attest", "finalize", "jobs/honest.json", "--account", "TEST::5", "--json"))
    assert done["finalize"]["bond_returned"] == 10**16 and done["accepted"]["verifier"]
    rows = json_of(ape_run("attest", "status", "--json"))
    by_hash = {r["job_hash"]: r for r in rows}
    assert by_hash[honest["job_hash"]]["accepted"] and by_hash[honest["job_hash"]]["claim_status"] == "accepted"
    assert by_hash[forged.job_hash]["claim_status"] == "rejected" and not by_hash[forged.job_hash]["accepted"]
    assert by_hash[signed["job_hash"]]["verifier"] == "signed"


def test_signed_submit__output_not_reproducible__refused_before_sending(workdir, ape_run, assets):
    dataset, model = assets
    json_of(ape_run("attest", "run", "--model", model["cid"], "--data", dataset["cid"], "--owner", REQUESTER,
                    "--model-share", "3000", "--out", "jobs/base.json", "--json"))
    job, _ = load_job_document(json.loads((workdir / "jobs/base.json").read_text()))
    forged = Job.from_json({**job.to_json(), "output_cid": str(make_cid(1, "raw", b"\x77" * 32))})
    (workdir / "jobs/forged-signed.json").write_text(json.dumps(job_document(forged, verifier_kind="signed")))

    proc = ape_run("attest", "submit", "jobs/forged-signed.json", "--account", "TEST::5", "--attester", "TEST::9",
                   check=False)

    assert proc.returncode != 0
    assert "refusing to sign" in proc.stderr and "Traceback" not in proc.stderr
    unknown = ape_run("attest", "status", "0x" + "ab" * 32, check=False)
    assert unknown.returncode != 0 and "no job" in unknown.stderr
    missing = ape_run("attest", "run", "--model", "0x" + "cd" * 32, "--data", dataset["cid"], "--owner", REQUESTER,
                      check=False)
    assert missing.returncode != 0 and "is not registered" in missing.stderr


def test_deploy__resolution_timeout_the_dao_cannot_meet__refused_before_sending(anvil, ape_run):
    # Default governance: a DAO ruling takes 8 days (+ a day to propose); 7 days is the old default.
    nonce = nonce_of(anvil, DEPLOYER)

    proc = ape_run("deploy", "--account", "TEST::0", "--resolution-timeout", str(7 * 86_400), check=False)

    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "the DAO could not rule on a challenged compute claim in time" in proc.stderr
    assert "Raise --resolution-timeout to at least 777600" in proc.stderr
    assert nonce_of(anvil, DEPLOYER) == nonce  # nothing was sent


@pytest.mark.slow  # 7 `ape run`s
def test_claims_with_exotic_cids__loaded_from_the_chain_and_challenged(workdir, ape_run, assets):
    # The contracts take any codec / multihash code below 2**21. Claims whose params CID has a codec
    # outside the multicodec table, or keccak-256 (which multiformats cannot even load here), are
    # read back from their Claimed events, found not to hold (no run can read such params), and
    # challenged without --force.
    dataset, model = assets
    json_of(ape_run("attest", "run", "--model", model["asset_id"], "--data", dataset["asset_id"], "--owner", REQUESTER,
                    "--verifier", "optimistic", "--model-share", "2500", "--out", "jobs/exotic-base.json", "--json"))
    job, _ = load_job_document(json.loads((workdir / "jobs/exotic-base.json").read_text()))
    exotic = {
        "codec": (b"\x01\xff\xff\x7f\x12\x20" + b"\x31" * 32, b"\x91"),
        "multihash": (b"\x01\x55\x1b\x20" + b"\x32" * 32, b"\x92"),
    }
    hashes = {}
    for name, (params, seed) in exotic.items():
        odd = Job.from_json({**job.to_json(), "params_cid": str(parse_chain_cid(params)),
                             "output_cid": str(make_cid(1, "raw", seed * 32))})
        (workdir / f"jobs/exotic-{name}.json").write_text(json.dumps(job_document(odd, verifier_kind="optimistic")))
        claimed = json_of(ape_run("attest", "submit", f"jobs/exotic-{name}.json", "--account", "TEST::7", "--json"))
        assert claimed["job_hash"] == odd.job_hash
        hashes[name] = odd.job_hash

    verdict = ape_run("attest", "verify", hashes["codec"], "--json", check=False)  # loaded from the chain
    assert verdict.returncode == 3, verdict.stderr
    assert json_of(verdict)["holds"] is False and "cannot be reproduced by anyone" in json_of(verdict)["reason"]
    for name, job_hash in hashes.items():
        challenged = ape_run("attest", "challenge", job_hash, "--account", "TEST::6", "--json", check=False)
        assert challenged.returncode == 0 and "Traceback" not in challenged.stderr, (name, challenged.stderr)
        assert json_of(challenged)["job_hash"] == job_hash
    rows = {r["job_hash"]: r for r in json_of(ape_run("attest", "status", "--json"))}
    assert all(rows[h]["claim_status"] == "challenged" for h in hashes.values())
