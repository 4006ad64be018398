"""End to end: `ape run publish --pin ...` and `ape run pins ...` against anvil, an embedded node
acting as Kubo, and the Pinning Service API test double (all on 127.0.0.1, started here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cidhub.content.store import BlockStore
from cidhub.ipfs.node import EmbeddedNode

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "doubles"))
from psa_server import PinningServiceDouble  # noqa: E402


@pytest.fixture(scope="module")
def services(workdir, tmp_path_factory):
    """origin: a node over the scripts' own store (what a pinning service fetches from);
    kubo, spare: nodes with stores of their own; psa: the pinning-service double."""
    origin = EmbeddedNode(BlockStore(workdir / "store", fsync=False)).start()
    kubo = EmbeddedNode(BlockStore(tmp_path_factory.mktemp("kubo"), fsync=False)).start()
    spare = EmbeddedNode(BlockStore(tmp_path_factory.mktemp("spare"), fsync=False)).start()
    psa = PinningServiceDouble().start()
    yield {"origin": origin, "kubo": kubo, "spare": spare, "psa": psa}
    for node in (origin, kubo, spare):
        node.stop()
    psa.stop()
    assert psa.violations == []


def _json(proc):
    return json.loads(proc.stdout)


def test_publish_three_targets__then_ls_verify_repin(ape_run, services, tmp_path, monkeypatch, workdir, anvil):
    monkeypatch.setenv("CIDHUB_PSA_TOKEN", "test-token")
    ape_run("deploy", "--account", "TEST::0", "--json")
    content = tmp_path / "weights.bin"
    content.write_bytes(os.urandom(1_700_000))
    kubo, psa, origin = services["kubo"], services["psa"], services["origin"]
    pins = ["--pin", "local", "--pin", f"kubo:{kubo.api_multiaddr}", "--pin", f"psa:{psa.url}"]
    published = _json(ape_run("publish", str(content), "--kind", "model", *pins, "--origin", origin.gateway_multiaddr,
                              "--replicas", "3", "--min-confirmations", "3", "--availability", "0.9",
                              "--account", "TEST::3", "--json"))
    pinning = published["pinning"]
    assert [t["target"] for t in pinning["targets"]] == ["local", "kubo", "psa"]
    assert pinning["confirmed"] == 3 and pinning["availability"] == pytest.approx(0.999)
    assert kubo.server.store.missing(published["cid"]) == []
    posts = psa.count("POST")

    again = ape_run("publish", str(content), "--kind", "model", *pins, "--origin", origin.gateway_multiaddr,
                    "--account", "TEST::3", check=False)
    assert again.returncode == 1 and "already registered as asset" in again.stderr
    assert psa.count("POST") == posts

    listing = _json(ape_run("pins", "ls", "--pin", "local", "--pin", f"kubo:{kubo.api_multiaddr}", "--json"))
    row = next(a for a in listing["assets"] if a["cid"] == published["cid"])
    assert row["targets"] == {"local": {"content": "pinned", "card": "pinned"},
                              "kubo": {"content": "pinned", "card": "pinned"}}

    verified = _json(ape_run("pins", "verify", published["asset_id"], "--gateway", origin.url,
                             "--pin", f"kubo:{kubo.api_multiaddr}", "--json"))
    assert verified["ok"] and verified["cid"] == published["cid"]
    assert [s["method"] for s in verified["sources"]] == ["gateway-car", "blocks"]

    spare = services["spare"]
    repinned = _json(ape_run("pins", "repin", published["asset_id"], "--pin", f"kubo:{spare.api_multiaddr}", "--json"))
    assert repinned["confirmed"] == 1 and spare.server.store.missing(published["cid"]) == []

    # `cidhub verify ASSET_ID` reads the CID from the registry through Ape, then checks the gateway.
    cli = subprocess.run(
        [str(BIN / "cidhub"), "verify", published["asset_id"], "--network", "ethereum:local:foundry",
         "--gateway", origin.url, "--json"],
        cwd=workdir, capture_output=True, text=True, timeout=300,
        env={**os.environ, "APE_FOUNDRY_HOST": anvil, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["cid"] == published["cid"]


def test_publish_with_bad_token__actionable_error_nothing_registered(ape_run, services, tmp_path, monkeypatch):
    monkeypatch.setenv("CIDHUB_PSA_TOKEN", "wrong-token")
    ape_run("deploy", "--account", "TEST::0", "--json")
    content = tmp_path / "data.csv"
    content.write_text("a,b\n1,2\n" + os.urandom(8).hex())
    proc = ape_run("publish", str(content), "--pin", "local", "--pin", f"psa:{services['psa'].url}",
                   "--account", "TEST::5", check=False)
    assert proc.returncode == 1
    assert "HTTP 401" in proc.stderr and "CIDHUB_PSA_TOKEN" in proc.stderr and "nothing was registered" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_publish_replicas_more_than_targets__usage_error(ape_run, tmp_path):
    content = tmp_path / "x.bin"
    content.write_bytes(b"x")
    proc = ape_run("publish", str(content), "--replicas", "2", "--account", "TEST::5", check=False)
    assert proc.returncode != 0 and "--replicas 2 needs 2 pin targets" in proc.stderr
