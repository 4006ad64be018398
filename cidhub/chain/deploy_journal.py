"""A deploy that can be killed at any point and rerun: the journal, and the account that keeps it.

The deploy itself stays ordinary Ape code (:func:`cidhub.chain.deploy.deploy_suite`:
``project.X.deploy(..., sender=deployer)``, ``contract.grantRole(..., sender=deployer)``). What
makes it resumable is the sender: a :class:`JournaledAccount` wraps the real account, and every
transaction the deploy asks it to send is written to ``deployments/.journal-<chain id>.json``
(atomically, before it is broadcast and again after every change) and sent by
:class:`cidhub.chain.txsend.TxSender` (fee caps, replacement of stuck transactions, confirmations).

A rerun executes the same deploy code from the top. Each transaction it asks for is matched, in
order, with the journal by its content (target, calldata, value): one already mined is not sent
again (its receipt is returned, and for a contract the code at its address and the arguments of
its creation transaction are checked first); one journaled but not mined is waited for, sent
again or replaced with the same nonce. The deploy's own checks (``hasRole`` before a grant)
skip what is already done, so a journaled call may go unasked; only a *mined call* may be skipped
that way. A deployment, or a pending transaction, that the rerun does not ask for means the
rerun is not the same deploy (other options, other contracts): it stops and says so.

Fault injection for the rehearsal test: ``CIDHUB_DEPLOY_KILL_AT=signed:3,sent:7,mined:12,phase:handover``
makes the process SIGKILL itself when that event happens (to transaction number n of the journal).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from cidhub.chain.bytecode import BytecodeMismatch, check_creation_input, check_deployed_code
from cidhub.chain.deployment import DEPLOYMENTS_DIR, RESET_MESSAGE, SUITE_ROLES, DeploymentError
from cidhub.chain.txsend import ChainMismatch, TxRecord, TxSender

JOURNAL_VERSION = 1
KILL_ENV = "CIDHUB_DEPLOY_KILL_AT"


class JournalMismatch(DeploymentError):
    """The journal does not describe the deploy being run (other options, contracts or chain)."""


def journal_path(chain_id: int, directory: Path = DEPLOYMENTS_DIR) -> Path:
    return directory / f".journal-{chain_id}.json"


def tx_key(to: str | None, data: bytes, value: int) -> str:
    return "0x" + keccak((to or "").lower().encode() + b"|" + data + b"|" + str(value).encode()).hex()


@dataclass
class DeployJournal:
    path: Path
    chain_id: int
    network: str
    deployer: str
    options: dict[str, Any]
    phase: str = "deploy"
    txs: list[TxRecord] = field(default_factory=list)
    started_at: str = ""
    cursor: int = 0  # entries before it have been claimed by this run

    # ------------------------------------------------------------ file

    def save(self) -> None:
        """Write the whole journal to a temporary file, fsync it, rename it over the old one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for record in self.txs:
            if record.status == "mined":  # a signed transaction is only kept while it may need resending
                for attempt in record.attempts:
                    attempt.raw = ""
        head = {"version": JOURNAL_VERSION, "chain_id": self.chain_id, "network": self.network,
                "deployer": self.deployer, "options": self.options, "phase": self.phase,
                "started_at": self.started_at}
        # One transaction a line: readable, and quick to write after every step.
        text = json.dumps(head)[:-1] + ', "txs": [\n' + ",\n".join(json.dumps(t.to_json()) for t in self.txs) + "\n]}\n"
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @classmethod
    def open(cls, path: Path, *, chain_id: int, network: str, deployer: str, options: dict[str, Any],
             fresh: bool = False) -> DeployJournal:
        """The journal at ``path`` to resume (a finished one too: see :attr:`done`), or a new one.

        ``fresh`` sets an existing journal aside, kept as ``.journal-<id>.<time>.json``.
        """
        if path.exists() and fresh:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            n = 0
            while (aside := path.with_name(f"{path.stem}.{stamp}{'-' + str(n) if n else ''}.json")).exists():
                n += 1
            path.rename(aside)
        if not path.exists():
            journal = cls(path, chain_id, network, to_checksum_address(deployer), _plain(options),
                          started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            journal.save()
            return journal
        data = json.loads(path.read_text())
        journal = cls(path, int(data["chain_id"]), data["network"], data["deployer"], data.get("options", {}),
                      data.get("phase", "deploy"), [TxRecord.from_json(t) for t in data.get("txs", [])],
                      data.get("started_at", ""))
        if journal.chain_id != chain_id:
            raise JournalMismatch(f"{path} is for chain {journal.chain_id}, not {chain_id}")
        if journal.deployer.lower() != deployer.lower():
            raise JournalMismatch(f"{path} is a deploy by {journal.deployer}; resume it with that account, or start "
                                  "over with --fresh")
        wanted = _plain(options)
        if journal.options != wanted and not journal.done:
            diff = sorted(k for k in set(wanted) | set(journal.options) if wanted.get(k) != journal.options.get(k))
            raise JournalMismatch(
                f"{path} holds an interrupted deploy with other options ({', '.join(diff)}: "
                + "; ".join(f"{k} was {journal.options.get(k)!r}, now {wanted.get(k)!r}" for k in diff)
                + "). Rerun with the same options to finish it, or pass --fresh to start a new deployment.")
        return journal

    @property
    def resumed(self) -> bool:
        return bool(self.txs)

    @property
    def done(self) -> bool:
        return self.phase == "done"

    def mined(self) -> list[TxRecord]:
        return [t for t in self.txs if t.status == "mined"]

    # ------------------------------------------------------------ matching a rerun with the journal

    def claim(self, key: str, settle: Callable[[TxRecord], None]) -> TxRecord | None:
        """The journaled record of the transaction with this content, or None if it is new.

        Records between the cursor and the match were not asked for by this run: allowed only for
        mined calls (``settle`` refreshes a record's status from the chain first).
        """
        end = len(self.txs)
        for j in range(self.cursor, len(self.txs)):
            if self.txs[j].key == key:
                end = j
                break
        for skipped in self.txs[self.cursor:end]:
            if skipped.status not in ("mined", "failed"):
                settle(skipped)
            if skipped.to is None and skipped.status == "mined" or skipped.status not in ("mined", "failed"):
                what = "deployed" if skipped.status == "mined" else "sent"
                raise JournalMismatch(
                    f"the journal {self.path} has transaction #{skipped.index} ({skipped.label}, {what}) that this "
                    "run did not ask for: the deploy differs from the interrupted one (options, contracts or code). "
                    "Rerun with the same options and contracts, or pass --fresh to start a new deployment.")
        if end < len(self.txs):
            self.cursor = end + 1
            return self.txs[end]
        self.cursor = len(self.txs)
        return None

    def add(self, label: str, key: str, to: str | None, value: int) -> TxRecord:
        record = TxRecord(index=len(self.txs) + 1, label=label, key=key, to=to, value=value)
        self.txs.append(record)
        self.cursor = len(self.txs)
        self.save()
        return record

    def contract_names(self) -> dict[str, str]:
        """address (lower case) -> contract name, for the deployments in the journal."""
        return {t.contract_address.lower(): t.label.removeprefix("deploy ")
                for t in self.txs if t.contract_address and t.label.startswith("deploy ")}

    def check_chain(self, sender: TxSender) -> None:
        """Every mined transaction is still on this chain (else the chain was reset); refresh the rest."""
        for record in self.txs:
            if record.status == "mined":
                receipt = sender.receipt_of(record.tx_hash or "")
                if receipt is None:
                    raise DeploymentError(
                        f"{RESET_MESSAGE}: the journal {self.path} records {record.label} in block {record.block} "
                        f"(tx {record.tx_hash}), which this chain does not have. Pass --fresh to deploy anew "
                        "(the old journal is kept beside it).")
            elif record.status == "sent":
                receipt = sender.mined_receipt(record)
                if receipt is not None:
                    sender.send(record, b"")  # confirms and records it


# ---------------------------------------------------------------- fault injection


def kill_points(spec: str | None = None) -> set[str]:
    spec = os.environ.get(KILL_ENV, "") if spec is None else spec
    return {p.strip() for p in spec.split(",") if p.strip()}


def maybe_kill(points: set[str], event: str, index: int | None = None) -> None:
    name = f"{event}:{index}" if index is not None else event
    if name in points:
        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------- labels


class Labeller:
    """Readable names for the deploy's transactions: ``deploy Marketplace``,
    ``AssetRegistry.grantRole(CURATOR_ROLE, HubTimelock)``."""

    def __init__(self, contract_types: dict[str, Any], names_of: Callable[[], dict[str, str]]):
        self.initcodes = [(name, bytes.fromhex(str(ct.deployment_bytecode.bytecode).removeprefix("0x")))
                          for name, ct in contract_types.items() if ct.deployment_bytecode
                          and ct.deployment_bytecode.bytecode]
        self.types = contract_types
        self.names_of = names_of
        roles = {role for names in SUITE_ROLES.values() for role in names}
        self.roles = {keccak(text=role): role for role in roles}
        self.roles[b"\x00" * 32] = "DEFAULT_ADMIN_ROLE"

    def deployed_name(self, data: bytes) -> str | None:
        best = None
        for name, initcode in self.initcodes:
            if data.startswith(initcode) and (best is None or len(initcode) > len(best[1])):
                best = (name, initcode)
        return best[0] if best else None

    def label(self, to: str | None, data: bytes) -> str:
        if to is None:
            return f"deploy {self.deployed_name(data) or 'contract'}"
        names = self.names_of()
        target = names.get(to.lower(), to[:10])
        contract_type = self.types.get(target)
        if contract_type is None or len(data) < 4:
            return f"{target}.call({data[:4].hex()})"
        for method in contract_type.mutable_methods:
            if keccak(text=method.selector)[:4] == data[:4]:
                try:
                    args = abi_decode([i.canonical_type for i in method.inputs], data[4:])
                except Exception:  # noqa: BLE001 - a label is best effort
                    args = ()
                shown = ", ".join(self._arg(a, names) for a in args)
                return f"{target}.{method.name}({shown})"
        return f"{target}.call({data[:4].hex()})"

    def _arg(self, value: Any, names: dict[str, str]) -> str:
        if isinstance(value, bytes) and value in self.roles:
            return self.roles[value]
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return names.get(value.lower(), value[:10] + "…")
        if isinstance(value, bytes):
            return "0x" + value.hex()[:8] + ("…" if len(value) > 4 else "")
        return str(value)


# ---------------------------------------------------------------- the account


def _account_base() -> type:
    from ape.api.accounts import AccountAPI

    return AccountAPI


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


@dataclass
class StepRecord:
    """One transaction of a deploy as a dry run or a benchmark records it."""

    index: int
    label: str
    gas_estimate: int
    gas_used: int
    contract_address: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "label": self.label, "gas_estimate": self.gas_estimate,
                "gas_used": self.gas_used, "contract_address": self.contract_address}


def make_journaled_account(inner: Any, *, journal: DeployJournal | None = None, sender: TxSender | None = None,
                           contract_types: dict[str, Any], log: Callable[[str], None] | None = None) -> Any:
    """An Ape account for ``sender=`` that journals (live deploy: ``journal`` and ``sender``) or only
    records gas (dry run, benchmark: neither, transactions go through ``inner`` as usual)."""
    base = _account_base()

    class JournaledAccount(base):  # type: ignore[misc, valid-type]
        model_config = {"arbitrary_types_allowed": True}

        @property
        def address(self) -> Any:
            return inner.address

        @property
        def alias(self) -> str | None:
            return getattr(inner, "alias", None)

        def sign_message(self, msg: Any, **kwargs: Any) -> Any:
            return inner.sign_message(msg, **kwargs)

        def sign_transaction(self, txn: Any, **kwargs: Any) -> Any:
            return inner.sign_transaction(txn, **kwargs)

        def call(self, txn: Any, send_everything: bool = False, private: bool = False, sign: bool = True,
                 **kwargs: Any) -> Any:
            return driver.call(txn)

        def phase(self, name: str) -> None:
            driver.phase(name)

        @property
        def steps(self) -> list[StepRecord]:
            return driver.steps

        @property
        def phases(self) -> dict[str, int]:
            """Phase name -> number of transactions sent before it began."""
            return driver.phases

    driver = _Driver(inner, journal, sender, contract_types, log or (lambda m: None))
    return JournaledAccount()


class _Driver:
    def __init__(self, inner: Any, journal: DeployJournal | None, sender: TxSender | None,
                 contract_types: dict[str, Any], log: Callable[[str], None]):
        self.inner = inner
        self.journal = journal
        self.sender = sender
        self.types = contract_types
        self.log = log
        self.steps: list[StepRecord] = []
        self.phases: dict[str, int] = {}
        self.kill = kill_points()
        self.deployed: dict[str, str] = {}  # address -> name, for labels in record-only mode
        self.labeller = Labeller(contract_types, self._names)

    def _names(self) -> dict[str, str]:
        names = dict(self.deployed)
        if self.journal is not None:
            names.update(self.journal.contract_names())
        return names

    def phase(self, name: str) -> None:
        self.phases[name] = len(self.journal.txs) if self.journal is not None else len(self.steps)
        if self.journal is not None:
            self.journal.phase = name
            self.journal.save()
            self.log(f"phase: {name}")
        maybe_kill(self.kill, f"phase:{name}")

    def call(self, txn: Any) -> Any:
        to = str(txn.receiver) if txn.receiver else None
        data = bytes(txn.data or b"")
        value = int(txn.value or 0)
        label = self.labeller.label(to, data)
        if self.journal is None or self.sender is None:
            return self._record_only(txn, label, to)
        return self._journaled(label, to, data, value)

    def _record_only(self, txn: Any, label: str, to: str | None) -> Any:
        provider = self.inner.provider
        txn.sender = self.inner.address
        estimate = int(provider.estimate_gas_cost(txn))
        receipt = self.inner.call(txn)
        address = receipt.contract_address if to is None else None
        step = StepRecord(len(self.steps) + 1, label, estimate, int(receipt.gas_used), address)
        if address:
            self.deployed[str(address).lower()] = label.removeprefix("deploy ")
        self.steps.append(step)
        self.log(f"#{step.index} {label}: gas {step.gas_used:,}")
        return receipt

    def _journaled(self, label: str, to: str | None, data: bytes, value: int) -> Any:
        assert self.journal is not None and self.sender is not None
        journal, sender = self.journal, self.sender
        key = tx_key(to, data, value)
        record = journal.claim(key, self._settle)
        if record is None:
            record = journal.add(label, key, to, value)
            self.log(f"#{record.index} {label}")
        elif record.status == "mined":
            self.log(f"#{record.index} {label}: already mined in block {record.block}")
        else:
            self.log(f"#{record.index} {label}: resuming ({len(record.attempts)} attempt(s) journaled)")
        try:
            sender.send(record, data)
        except ChainMismatch as exc:
            raise DeploymentError(f"{RESET_MESSAGE}: {exc}") from None
        if to is None:
            self._check_contract(record, data)
        return self.inner.provider.get_receipt(record.tx_hash)

    def _settle(self, record: TxRecord) -> None:
        assert self.sender is not None
        if record.attempts and self.sender.mined_receipt(record) is not None:
            self.sender.send(record, b"")

    def _check_contract(self, record: TxRecord, data: bytes) -> None:
        """Before trusting a journaled address: its code is the artifact's and its creation input ours."""
        assert self.sender is not None
        name = record.label.removeprefix("deploy ")
        contract_type = self.types.get(name)
        if contract_type is None or not record.contract_address:
            raise DeploymentError(f"{record.label}: no contract type or address to check")
        w3 = self.sender.w3
        try:
            check_deployed_code(contract_type, bytes(w3.eth.get_code(record.contract_address)),
                                record.contract_address)
            creation = w3.eth.get_transaction(record.tx_hash)
            check_creation_input(contract_type, bytes(creation["input"]), data)
        except BytecodeMismatch as exc:
            raise DeploymentError(f"{record.label} (journal #{record.index}): {exc}") from None

