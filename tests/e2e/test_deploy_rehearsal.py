"""A testnet deployment rehearsed end to end, as a person would run it on Sepolia.

The stand-in testnet is an anvil started here (``--chain-id 11155111 --block-time 1``, loopback),
reached the way a user reaches Sepolia: ``--network ethereum:sepolia:node`` with
``SEPOLIA_RPC_URL`` set (ape-config.yaml reads the node URI from it). The deployer is an Ape
keyfile account in a temporary APE_DATA_FOLDER (the real ~/.ape is never touched), unlocked once
with the passphrase typed at the prompt (first run) or from Ape's
``APE_ACCOUNTS_deployer_PASSPHRASE`` (``--yes``, the other runs), funded by the test as a faucet
would. Then, in order: a TEST:: account is refused; the dry run prices every step and sends
nothing; the deploy is SIGKILLed after contract 1, mid-suite (journaled, not yet broadcast),
between deploying and handing over, and mid-hand-over (broadcast, no receipt yet), and each rerun
carries on; with mining paused, a stuck transaction is replaced (same nonce, +12.5 % fees) and,
dropped from the pool, replaced again; the contracts on chain are the artifacts; `roles` passes,
an asset is published, `verify` submits to the Etherscan and Sourcify doubles; finally anvil is
restarted and every script refuses the deployment it no longer holds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from eth_account import Account

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHAIN_ID = 11155111
NETWORK = "ethereum:sepolia:node"
PASSPHRASE = "correct horse battery staple"
DEPLOYER_KEY = "0x" + "5eed" * 16  # a key of the test's own, not the public test mnemonic
DEPLOYER = Account.from_key(DEPLOYER_KEY).address
TEST0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # TEST::0
RESET = "this chain does not hold that deployment (was it reset?)"
# Kill points: after contract 1; contract 5 journaled but not broadcast; after the deployments,
# before the hand-over; hand-over transaction 25 broadcast, its receipt not awaited.
KILLS = ["mined:1", "signed:5", "phase:handover", "sent:25"]
STUCK = 26  # the transaction the final run gets stuck on (mining paused)

sys.path.insert(0, str(REPO_ROOT / "tests" / "doubles"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandIn:
    """anvil as Sepolia: chain id 11155111, a block a second, restartable on the same port."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> StandIn:
        exe = shutil.which("anvil", path=str(REPO_ROOT / "node_modules/.bin")) or shutil.which("anvil")
        if not exe:
            pytest.fail("anvil not found: run `make setup` (it installs anvil from npm)")
        self.proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(self.port), "--chain-id",
                                      str(CHAIN_ID), "--block-time", "1", "--silent"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.rpc("eth_chainId")
                return self
            except OSError:
                time.sleep(0.1)
        pytest.fail("anvil did not start within 30 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def rpc(self, method: str, params: list | None = None):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def nonce(self, address: str) -> int:
        return int(self.rpc("eth_getTransactionCount", [address, "latest"]), 16)


@pytest.fixture(scope="module")
def testnet():
    net = StandIn().start()
    yield net
    net.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory, testnet):
    """The user's machine: a project checkout, an Ape data folder with the keyfile, a funded deployer."""
    root = tmp_path_factory.mktemp("rehearsal")
    project = root / "project"
    project.mkdir()
    for name in ("contracts", "ape-config.yaml", ".build"):
        src = REPO_ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / name)
    # `ape run` imports every script before it runs one: leave out the benchmarks and the demo,
    # which the rehearsal does not run (a third of each command's start-up time).
    shutil.copytree(REPO_ROOT / "scripts", project / "scripts",
                    ignore=shutil.ignore_patterns("bench_*", "demo.py", "__pycache__"))
    accounts = root / "ape-data" / "accounts"
    accounts.mkdir(parents=True)
    # What `ape accounts import deployer` writes: an encrypted keyfile named by its alias.
    (accounts / "deployer.json").write_text(json.dumps(Account.encrypt(DEPLOYER_KEY, PASSPHRASE)))
    testnet.rpc("anvil_setBalance", [DEPLOYER, hex(5 * 10**18)])  # the faucet
    return root


def _env(home: Path, testnet: StandIn, **extra: str) -> dict[str, str]:
    return {**os.environ, "APE_DATA_FOLDER": str(home / "ape-data"), "SEPOLIA_RPC_URL": testnet.url,
            "APE_ACCOUNTS_deployer_PASSPHRASE": PASSPHRASE, "CIDHUB_DATA_DIR": str(home / "store"),
            "PYTHONPATH": str(REPO_ROOT), "ETHERSCAN_API_KEY": "test-key",
            "PATH": f"{BIN}{os.pathsep}{REPO_ROOT / 'node_modules/.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            **extra}


def _popen(home: Path, testnet: StandIn, *args: str, interactive: bool = False, **extra: str) -> subprocess.Popen:
    env = _env(home, testnet, **extra)
    if interactive:  # a person at the keyboard: no passphrase in the environment
        del env["APE_ACCOUNTS_deployer_PASSPHRASE"]
    return subprocess.Popen([str(BIN / "ape"), "run", *args, "--network", NETWORK], cwd=home / "project", env=env,
                            stdin=subprocess.PIPE if interactive else subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _run(home: Path, testnet: StandIn, *args: str, typed: str | None = None, **extra: str
         ) -> subprocess.CompletedProcess:
    """Run a script; ``typed`` is what a person types at its prompts (then nothing comes from the environment)."""
    proc = _popen(home, testnet, *args, interactive=typed is not None, **extra)
    out, err = proc.communicate(input=typed, timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _run_all(home: Path, testnet: StandIn, commands: list[tuple[str, ...]]) -> list[subprocess.CompletedProcess]:
    """Several scripts at once (each `ape run` spends most of its time starting up)."""
    procs = [_popen(home, testnet, *args) for args in commands]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{' '.join(proc.args[2:])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _journal(home: Path) -> dict:
    return json.loads((home / "project" / "deployments" / f".journal-{CHAIN_ID}.json").read_text())


DEPLOY = ("deploy", "--account", "deployer", "--yes", "--confirmations", "1", "--poll", "0.2")


@pytest.fixture(scope="module")
def preflight(home, testnet):
    """A TEST:: account refused and the dry run, side by side: neither sends anything."""
    refused, dry = _run_all(home, testnet, [("deploy", "--account", "TEST::0", "--yes"),
                                            ("deploy", "--account", "deployer", "--dry-run", "--json")])
    return refused, _ok(dry)


def test_deploy__test_account_on_a_testnet__refused(preflight, testnet):
    refused, _ = preflight
    assert refused.returncode == 1
    assert "is a TEST:: account (the public test mnemonic)" in refused.stderr
    assert "Nothing was sent" in refused.stderr
    assert testnet.nonce(TEST0) == 0


def test_deploy__dry_run__prices_every_step_and_sends_nothing(preflight, testnet):
    report = json.loads(preflight[1].stdout)
    assert report["dry_run"] and report["chain_id"] == CHAIN_ID and report["nonce"] == 0
    assert testnet.nonce(DEPLOYER) == 0  # nothing was sent
    labels = [s["label"] for s in report["steps"]]
    assert labels[:3] == ["deploy HubTimelock", "deploy HubToken", "deploy HubGovernor"]
    assert sum(label.startswith("deploy ") for label in labels) == 9
    assert all(s["gas_used"] > 21_000 and s["gas_estimate"] >= s["gas_used"] for s in report["steps"])
    assert report["total_gas"] == sum(s["gas_used"] for s in report["steps"])
    price = int(report["base_fee_wei"]) + int(report["priority_fee_wei"])
    assert int(report["cost_wei"]) == report["total_gas"] * price


@pytest.fixture(scope="module")
def deployed(preflight, home, testnet):
    """The deploy killed at every kill point, then a final run that gets stuck and is unstuck."""
    journals = {}
    for point in KILLS:
        if point == KILLS[0]:  # the first run as a person runs it: confirm, then type the passphrase once
            interactive = [a for a in DEPLOY if a != "--yes"]
            proc = _run(home, testnet, *interactive, typed=f"y\n{PASSPHRASE}\n", CIDHUB_DEPLOY_KILL_AT=point)
            assert "Send the transactions? [y/N]" in proc.stderr + proc.stdout
            assert "unlocked with the passphrase you typed" in proc.stderr
        else:
            proc = _run(home, testnet, *DEPLOY, CIDHUB_DEPLOY_KILL_AT=point)
        assert proc.returncode == -9, f"expected SIGKILL at {point}:\n{proc.stdout}\n{proc.stderr}"
        journals[point] = _journal(home)
    # Let transaction 25 land, then stop the chain: the next transaction cannot be mined.
    last = journals["sent:25"]["txs"][-1]["attempts"][-1]["hash"]
    _wait_for(lambda: testnet.rpc("eth_getTransactionReceipt", [last]) is not None, "tx 25 mined")
    testnet.rpc("evm_setIntervalMining", [0])
    final = _popen(home, testnet, *DEPLOY, "--tx-timeout", "2")
    dropped = None
    try:
        attempts = lambda n: _attempts(home, STUCK, n)  # noqa: E731
        second = _wait_for(lambda: attempts(2), "a replacement of the stuck transaction")[1]
        _wait_for(lambda: testnet.rpc("eth_getTransactionByHash", [second["hash"]]) is not None, "replacement pooled")
        testnet.rpc("anvil_dropTransaction", [second["hash"]])  # the mempool forgets it
        dropped = second["hash"]
        third = _wait_for(lambda: attempts(3), "a replacement of the dropped transaction")[2]
        _wait_for(lambda: testnet.rpc("eth_getTransactionByHash", [third["hash"]]) is not None, "resent tx pooled")
    finally:
        testnet.rpc("evm_setIntervalMining", [1])
        out, err = final.communicate(timeout=600)
    _ok(subprocess.CompletedProcess(final.args, final.returncode, out, err))
    return {"journals": journals, "final": _journal(home), "dropped": dropped, "stderr": err}


def _attempts(home: Path, index: int, count: int):
    txs = _journal(home)["txs"]
    if len(txs) < index:
        return None
    attempts = [a for a in txs[index - 1]["attempts"] if a["broadcast"]]
    return attempts if len(attempts) >= count else None


def _wait_for(probe, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_deploy__killed_at_each_step__rerun_finishes_without_deploying_twice(deployed, home, testnet):
    journals, final = deployed["journals"], deployed["final"]
    assert [t["status"] for t in journals["mined:1"]["txs"]] == ["mined"]
    signed = journals["signed:5"]["txs"][4]
    assert signed["label"] == "deploy Marketplace" and not signed["attempts"][0]["broadcast"]
    # 9 deployments and 10 setup calls (the last links the registry's royalties to the Marketplace)
    assert journals["phase:handover"]["phase"] == "handover" and len(journals["phase:handover"]["txs"]) == 19
    sent = journals["sent:25"]["txs"][24]
    assert sent["status"] == "sent" and sent["attempts"][0]["broadcast"]
    # The journaled-but-unsent deployment went out on the rerun with the same nonce and hash.
    assert final["txs"][4]["tx_hash"] == signed["attempts"][0]["hash"]
    txs = final["txs"]
    assert final["phase"] == "done" and all(t["status"] == "mined" for t in txs)
    assert [t["nonce"] for t in txs] == list(range(len(txs)))  # every nonce once: nothing sent twice
    assert testnet.nonce(DEPLOYER) == len(txs)
    deploys = [t["label"] for t in txs if t["to"] is None]
    assert len(deploys) == len(set(deploys)) == 9
    record = json.loads((home / "project/deployments/ethereum-sepolia.json").read_text())
    assert (home / "project/deployments/11155111.json").read_text() == json.dumps(record, indent=2) + "\n"
    assert {name: rec["address"] for name, rec in record["contracts"].items()} == \
        {t["label"].removeprefix("deploy "): t["contract_address"] for t in txs if t["to"] is None}
    block = testnet.rpc("eth_getBlockByNumber", [hex(record["deploy_block"]), False])
    assert record["deploy_block_hash"] == block["hash"]
    assert record["compiler"]["version"].startswith("0.4.3+commit.")
    assert record["compiler"]["settings"] == {"optimize": "gas", "evmVersion": "prague"}
    assert "snekmate/auth/access_control.vy" in record["sources"] and "contracts/AssetRegistry.vy" in record["sources"]


def test_deploy__stuck_transaction__replaced_with_same_nonce_and_higher_fees(deployed, testnet):
    stuck = deployed["final"]["txs"][STUCK - 1]
    attempts = stuck["attempts"]
    assert len(attempts) == 3 and len({a["hash"] for a in attempts}) == 3
    for before, after in zip(attempts, attempts[1:], strict=False):
        assert after["max_fee"] * 8 >= before["max_fee"] * 9  # >= +12.5 %, geth's rule is +10 %
        assert after["priority_fee"] * 8 >= before["priority_fee"] * 9
    assert stuck["tx_hash"] == attempts[2]["hash"]
    for replaced in attempts[:2]:  # the replaced and the dropped transaction never landed
        assert testnet.rpc("eth_getTransactionReceipt", [replaced["hash"]]) is None
    tx = testnet.rpc("eth_getTransactionByHash", [stuck["tx_hash"]])
    assert int(tx["nonce"], 16) == stuck["nonce"] == STUCK - 1
    assert "replacing nonce 25" in deployed["stderr"]


def test_deploy__contracts_on_chain_are_the_compiled_artifacts(deployed, home, testnet):
    from ethpm_types import ContractType

    from cidhub.chain.bytecode import check_creation_input, check_deployed_code

    artifacts = json.loads((home / "project/.build/__local__.json").read_text())["contractTypes"]
    record = json.loads((home / "project/deployments/ethereum-sepolia.json").read_text())
    for name, rec in record["contracts"].items():
        contract_type = ContractType.model_validate(artifacts[name])
        code = bytes.fromhex(testnet.rpc("eth_getCode", [rec["address"], "latest"])[2:])
        check_deployed_code(contract_type, code, rec["address"])
        creation = bytes.fromhex(testnet.rpc("eth_getTransactionByHash", [rec["tx_hash"]])["input"][2:])
        check_creation_input(contract_type, creation)
        assert creation.endswith(bytes.fromhex(rec["constructor_args"][2:]))


def test_roles_publish_verify__on_the_testnet(deployed, home, testnet):
    from verify_servers import EtherscanDouble, SourcifyDouble

    etherscan, sourcify = EtherscanDouble({CHAIN_ID}).start(), SourcifyDouble({CHAIN_ID}).start()
    try:
        roles, published, verified = _run_all(home, testnet, [
            ("roles", "--strict", "--json"),
            ("publish", str(REPO_ROOT / "samples/datasets/sensor-readings.csv"), "--account", "deployer", "--json"),
            ("verify", "--etherscan-url", etherscan.api_url, "--sourcify-url", sourcify.url, "--poll", "0.05",
             "--json"),
        ])
    finally:
        etherscan.stop()
        sourcify.stop()
    audit = json.loads(_ok(roles).stdout)
    assert audit["ok"] and audit["failures"] == []
    asset = json.loads(_ok(published).stdout)
    assert asset["cid"].startswith("bafk") and asset["owner"] == DEPLOYER
    verdicts = json.loads(_ok(verified).stdout)["verdicts"]
    assert len(verdicts) == 18 and {v["status"] for v in verdicts} == {"verified"}
    assert etherscan.violations == [] and sourcify.violations == []
    record = json.loads((home / "project/deployments/ethereum-sepolia.json").read_text())
    by_address = {s["contractaddress"]: s for s in etherscan.submissions}
    market = record["contracts"]["Marketplace"]
    assert by_address[market["address"]]["constructorArguments"] == market["constructor_args"][2:]
    assert {s["creationTransactionHash"] for s in sourcify.submissions} == \
        {rec["tx_hash"] for rec in record["contracts"].values()}


# Runs other scripts' commands one after the other in a single `ape run`, each exactly as click
# runs it for a user (standalone: its exit code and its stderr), to spare ten process start-ups.
RESET_PROBE = """
import contextlib, importlib.util, io, json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand


@click.command(cls=ConnectedProviderCommand)
@click.argument("commands")
def cli(commands):
    results = []
    for name, *args in json.loads(commands):
        spec = importlib.util.spec_from_file_location(f"probed_{name}", Path("scripts") / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            try:
                module.cli.main(args=[*args, "--network", "ethereum:sepolia:node"], prog_name=name)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        results.append({"command": [name, *args], "exit": code, "stderr": stderr.getvalue()})
    click.echo(json.dumps(results))
"""


def test_reset_chain__every_script_refuses_the_deployment(deployed, home, testnet):
    testnet.stop()
    testnet.start()  # same port and chain id, none of the history
    sample = str(REPO_ROOT / "samples/datasets/sensor-readings.csv")
    commands = [("assets",), ("publish", sample, "--account", "deployer"), ("verify",), ("govern", "status"),
                ("market", "list"), ("distribute", "--account", "deployer", "--dry-run"), ("lineage", "0x01"),
                ("pins", "ls"), ("attest", "status"), DEPLOY]
    (home / "project/scripts/reset_probe.py").write_text(RESET_PROBE)
    probe, roles = _run_all(home, testnet, [("reset_probe", json.dumps(commands)), ("roles",)])
    assert roles.returncode == 1 and RESET in roles.stderr, roles.stderr  # one as its own process too
    results = json.loads(_ok(probe).stdout.strip().splitlines()[-1])
    assert [tuple(r["command"]) for r in results] == commands
    for result in results:
        assert result["exit"] == 1, result
        assert RESET in result["stderr"], result
        assert "Traceback" not in result["stderr"]
    assert testnet.nonce(DEPLOYER) == 0
