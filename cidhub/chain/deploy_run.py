"""Running the suite's deployment on a live network: for real (journaled, resumable) or as a dry run.

:func:`live_deploy` runs :func:`cidhub.chain.deploy.deploy_suite` with a journaling account
(:mod:`cidhub.chain.deploy_journal`) and a :class:`cidhub.chain.txsend.TxSender`, then writes the
deployment record. :func:`dry_run` runs the very same code on a throw-away fork of the network
(anvil ``--fork-url``, through Ape's ``networks.fork``) with the deployer impersonated, so it
needs no key and sends nothing to the network, and prices every step at the current base fee.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cidhub.chain.deploy import deploy_suite
from cidhub.chain.deploy_journal import (
    DeployJournal,
    JournalMismatch,
    StepRecord,
    journal_path,
    kill_points,
    make_journaled_account,
    maybe_kill,
)
from cidhub.chain.deployment import DEPLOYMENTS_DIR, SUITE_ROLES, Deployment, DeploymentError, write_deployment
from cidhub.chain.txsend import GWEI, SendPolicy, TxError, TxSender

# Every contract the suite deploys (the journal labels and checks them by their artifacts).
SUITE_CONTRACTS = ("HubTimelock", "HubToken", "HubGovernor", *SUITE_ROLES)


def suite_contract_types(project: Any) -> dict[str, Any]:
    return {name: getattr(project, name).contract_type for name in dict.fromkeys(SUITE_CONTRACTS)}


def deploy_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The deploy's parameters as plain data: the journal refuses to resume with other ones."""
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value if value is None or isinstance(value, bool | int | float | str) else str(value)

    skip = {"ecosystem", "network", "chain_id"}
    return {k: plain(v) for k, v in sorted(kwargs.items()) if k not in skip}


def ape_signer(account: Any) -> Callable[[dict[str, Any]], tuple[bytes, str]]:
    """Sign TxSender's fields with an Ape account (keyfile, test, hardware plugin)."""
    from ape.logging import LogLevel, logger

    ecosystem = account.provider.network.ecosystem

    def sign(fields: dict[str, Any]) -> tuple[bytes, str]:
        kwargs: dict[str, Any] = {
            "chain_id": fields["chain_id"], "nonce": fields["nonce"], "data": fields["data"],
            "value": fields["value"], "gas_limit": fields["gas"], "max_fee": fields["max_fee"],
            "max_priority_fee": fields["priority_fee"], "type": 2, "sender": account.address,
        }
        if fields["to"]:
            kwargs["receiver"] = fields["to"]
        with logger.at_level(LogLevel.ERROR):  # not "Using cached key for <alias>" on each of 47 signatures
            signed = account.sign_transaction(ecosystem.create_transaction(**kwargs))
        if signed is None or signed.signature is None:
            raise TxError("the account did not sign the transaction")
        return bytes(signed.serialize_transaction()), "0x" + bytes(signed.txn_hash).hex()

    return sign


def live_deploy(project: Any, account: Any, deploy_kwargs: dict[str, Any], policy: SendPolicy, *,
                fresh: bool = False, directory: Path = DEPLOYMENTS_DIR,
                log: Callable[[str], None] | None = None) -> tuple[Deployment, DeployJournal, Path]:
    """Deploy (or finish deploying) the suite; returns the record, the journal and the file written."""
    log = log or (lambda message: None)
    provider = account.provider
    chain_id = int(provider.chain_id)
    network = provider.network
    where = dict(chain_id=chain_id, network=f"{network.ecosystem.name}:{network.name}", deployer=account.address,
                 options=deploy_options(deploy_kwargs))
    path = journal_path(chain_id, directory)
    journal = DeployJournal.open(path, **where, fresh=fresh)
    points = kill_points()

    def sender_for(journal: DeployJournal) -> TxSender:
        return TxSender(provider.web3, account.address, chain_id, ape_signer(account), policy, save=journal.save,
                        hook=lambda event, record: maybe_kill(points, event, record.index), log=log)

    sender = sender_for(journal)
    journal.check_chain(sender)  # a reset chain stops here, finished journal or not
    if journal.done:
        if not network.is_dev:
            raise JournalMismatch(f"{path} records a finished deployment on this chain (`ape run roles` checks it); "
                                  "pass --fresh to deploy another suite")
        journal = DeployJournal.open(path, **where, fresh=True)  # a local chain: a new suite is cheap
        sender = sender_for(journal)
    if journal.resumed:
        log(f"resuming {journal.path}: {len(journal.mined())} of {len(journal.txs)} journaled transactions mined")
    deployer = make_journaled_account(account, journal=journal, sender=sender,
                                      contract_types=suite_contract_types(project), log=log)
    deployment = deploy_suite(project, deployer, **deploy_kwargs, on_phase=deployer.phase)
    path = write_deployment(deployment, directory)
    journal.phase = "done"
    journal.save()
    return deployment, journal, path


def direct_deploy(project: Any, account: Any, deploy_kwargs: dict[str, Any],
                  directory: Path = DEPLOYMENTS_DIR) -> tuple[Deployment, Path]:
    """Deploy through Ape's own sending, no journal: for local chains, where an interrupted deploy
    is simply redone (and twice as fast as journaling every step)."""
    deployment = deploy_suite(project, account, **deploy_kwargs)
    return deployment, write_deployment(deployment, directory)


@contextlib.contextmanager
def _anvil_fork(upstream: str, timeout: float = 120.0) -> Iterator[str]:
    """An anvil forking ``upstream`` on a free loopback port, for as long as the block runs.

    Started here rather than by ape-foundry, whose 20 s start-up limit a busy machine exceeds.
    """
    exe = shutil.which("anvil")
    if exe is None:
        raise DeploymentError("the dry run needs anvil on PATH (node_modules/.bin, `make setup`)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "--fork-url", upstream, "--host", "127.0.0.1", "--port", str(port), "--silent"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise DeploymentError(f"anvil could not fork {upstream}: {proc.stderr.read().decode()[-300:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise DeploymentError(f"anvil did not fork {upstream} within {timeout:.0f} s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class DryRun:
    network: str
    chain_id: int
    deployer: str
    nonce: int
    balance: int
    base_fee: int
    priority_fee: int
    max_fee_cap: int | None
    simulated_on: str
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def total_gas(self) -> int:
        return sum(s.gas_used for s in self.steps)

    @property
    def total_estimate(self) -> int:
        return sum(s.gas_estimate for s in self.steps)

    @property
    def price(self) -> int:
        """What a gas unit costs now: base fee + tip (within the cap)."""
        price = self.base_fee + self.priority_fee
        return min(price, self.max_fee_cap) if self.max_fee_cap is not None else price

    @property
    def cost(self) -> int:
        return self.total_gas * self.price

    @property
    def worst_case(self) -> int:
        """Gas estimates x the max fee a first attempt would carry (what the balance must cover)."""
        max_fee = 2 * self.base_fee + self.priority_fee
        if self.max_fee_cap is not None:
            max_fee = min(max_fee, self.max_fee_cap)
        return self.total_estimate * max_fee

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": True, "network": self.network, "chain_id": self.chain_id, "deployer": self.deployer,
            "nonce": self.nonce, "balance_wei": str(self.balance), "base_fee_wei": str(self.base_fee),
            "priority_fee_wei": str(self.priority_fee),
            "max_fee_cap_wei": None if self.max_fee_cap is None else str(self.max_fee_cap),
            "simulated_on": self.simulated_on, "steps": [s.as_dict() for s in self.steps],
            "total_gas": self.total_gas, "total_gas_estimate": self.total_estimate,
            "price_wei": str(self.price), "cost_wei": str(self.cost), "cost_eth": self.cost / 10**18,
            "worst_case_wei": str(self.worst_case), "enough_balance": self.balance >= self.worst_case,
        }


def dry_run(project: Any, account: Any, deploy_kwargs: dict[str, Any], policy: SendPolicy,
            log: Callable[[str], None] | None = None) -> DryRun:
    """Run the deployment on a fork (or, on a local chain, between snapshot and revert) and price it."""
    from ape import chain, networks
    from ape.api.accounts import ImpersonatedAccount

    log = log or (lambda message: None)
    provider = account.provider
    network = provider.network
    w3 = provider.web3
    address = account.address
    base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas") or 0)
    tip = policy.fees.priority_fee
    if tip is None:
        try:
            tip = int(w3.eth.max_priority_fee)
        except Exception:  # noqa: BLE001
            tip = GWEI
    report = DryRun(network=f"{network.ecosystem.name}:{network.name}", chain_id=int(provider.chain_id),
                    deployer=address, nonce=int(w3.eth.get_transaction_count(address, "pending")),
                    balance=int(w3.eth.get_balance(address)), base_fee=base_fee, priority_fee=tip,
                    max_fee_cap=policy.fees.max_fee, simulated_on="")
    types = suite_contract_types(project)
    if network.is_local:
        snapshot = chain.snapshot()
        try:
            recorder = make_journaled_account(account, contract_types=types, log=log)
            deploy_suite(project, recorder, **deploy_kwargs)
            report.steps = recorder.steps
        finally:
            chain.restore(snapshot)
        report.simulated_on = "this local chain, reverted to a snapshot afterwards"
        return report
    height = chain.blocks.height
    upstream = getattr(provider, "connection_str", None) or provider.uri
    with _anvil_fork(upstream) as url, networks.fork(provider_name="foundry", provider_settings={"host": url}):
        fork = chain.provider
        fork.set_balance(address, max(report.balance, 10**24))  # simulate even if the real balance is short
        fork.unlock_account(address)  # the fork sends as the deployer without its key
        recorder = make_journaled_account(ImpersonatedAccount(raw_address=address), contract_types=types, log=log)
        deploy_suite(project, recorder, **deploy_kwargs)
        report.steps = recorder.steps
    report.simulated_on = f"a local anvil fork of {report.network} at block {height}, deployer impersonated"
    return report
