"""Sending one transaction to a live network and seeing it through, whatever the mempool does.

:class:`TxSender` signs an EIP-1559 transaction with the fees a :class:`FeePolicy` allows, writes
it to the caller's record *before* it is broadcast (so a process killed at any point leaves a
record that names every transaction that may be in flight), broadcasts it, and waits for the
receipt and the configured number of confirmations. A transaction still pending after
``timeout`` seconds is replaced: same nonce, max fee and priority fee each raised by at least
12.5 % (geth's ``txpool.pricebump`` is 10 %; 12.5 % also matches the largest one-block rise of
the base fee), never above ``--max-fee``. A transaction the node has forgotten (dropped from
its pool, or never broadcast because the process died first) is sent again with the same nonce
while that nonce is still free; if something else took the nonce, the sender stops and says so.

It talks JSON-RPC through a ``web3.Web3`` (Ape's provider has one) and signs through a callable,
so it works with any Ape account that can sign a transaction (keyfile, test, hardware).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_utils import to_checksum_address
from web3.exceptions import TransactionNotFound

from cidhub.errors import CidhubError

GWEI = 10**9
MIN_BUMP_BPS = 1_250  # +12.5 %
BPS = 10_000


class TxError(CidhubError):
    """A transaction could not be sent or did not succeed; the message says what to do."""


class ChainMismatch(TxError):
    """The chain no longer holds a transaction it once mined (reset, or another chain behind the URL)."""


@dataclass(frozen=True)
class FeePolicy:
    """EIP-1559 fees: ``max_fee`` caps maxFeePerGas (None: no cap), ``priority_fee`` fixes the tip
    (None: the node's eth_maxPriorityFeePerGas, within the cap)."""

    max_fee: int | None = None
    priority_fee: int | None = None
    bump_bps: int = MIN_BUMP_BPS

    def __post_init__(self) -> None:
        if self.bump_bps < MIN_BUMP_BPS:
            raise ValueError(f"a replacement must raise fees by at least {MIN_BUMP_BPS / 100} %")

    def initial(self, base_fee: int, suggested_tip: int) -> tuple[int, int]:
        """(max fee, tip) for a first attempt: 2 x base fee + tip, the usual headroom for six full blocks."""
        tip = self.priority_fee if self.priority_fee is not None else suggested_tip
        max_fee = 2 * base_fee + tip
        if self.max_fee is not None:
            max_fee = min(max_fee, self.max_fee)
        return max_fee, min(tip, max_fee)

    def bump(self, max_fee: int, tip: int, base_fee: int) -> tuple[int, int] | None:
        """Fees for a replacement (each >= +bump_bps), or None when the cap does not allow one."""
        new_tip = _raise(tip, self.bump_bps)
        new_max = max(_raise(max_fee, self.bump_bps), 2 * base_fee + new_tip)
        if self.max_fee is not None and new_max > self.max_fee:
            new_max = self.max_fee
            if new_max < _raise(max_fee, self.bump_bps):
                return None
        return new_max, min(new_tip, new_max)


def _raise(value: int, bps: int) -> int:
    return -(-value * (BPS + bps) // BPS)  # ceiling, so 12.5 % of 1 wei is still a raise


@dataclass(frozen=True)
class SendPolicy:
    fees: FeePolicy = FeePolicy()
    confirmations: int = 1
    timeout: float = 180.0  # seconds a transaction may stay pending before it is replaced
    poll: float = 1.0
    gas_margin_bps: int = 2_000  # gas limit = estimate + 20 %


@dataclass
class Attempt:
    """One signed version of a transaction (same nonce, its own fees and hash)."""

    hash: str
    max_fee: int
    priority_fee: int
    raw: str
    broadcast: bool = False
    signed_at: float = 0.0


@dataclass
class TxRecord:
    """One transaction of a multi-step job as a journal keeps it."""

    index: int
    label: str
    key: str
    to: str | None
    value: int = 0
    nonce: int | None = None
    gas: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    status: str = "new"  # new | sent | mined | failed
    tx_hash: str | None = None
    block: int | None = None
    block_hash: str | None = None
    contract_address: str | None = None
    gas_used: int | None = None
    effective_gas_price: int | None = None
    failed_attempts: list[Attempt] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TxRecord:
        data = dict(data)
        data["attempts"] = [Attempt(**a) for a in data.get("attempts", [])]
        data["failed_attempts"] = [Attempt(**a) for a in data.get("failed_attempts", [])]
        return cls(**data)


Signer = Callable[[dict[str, Any]], tuple[bytes, str]]  # tx fields -> (raw signed tx, hash)
Hook = Callable[[str, TxRecord], None]  # ("signed" | "sent" | "replaced" | "mined", record)


class TxSender:
    def __init__(self, w3: Any, sender: str, chain_id: int, sign: Signer, policy: SendPolicy,
                 save: Callable[[], None], hook: Hook | None = None, log: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.w3 = w3
        self.sender = to_checksum_address(sender)
        self.chain_id = chain_id
        self.sign = sign
        self.policy = policy
        self.save = save
        self.hook = hook or (lambda event, record: None)
        self.log = log or (lambda message: None)
        self.clock = clock
        self.sleep = sleep
        self._cap_warned = False

    # ------------------------------------------------------------ reading the chain

    def receipt_of(self, tx_hash: str) -> Any | None:
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def known(self, tx_hash: str) -> bool:
        try:
            return self.w3.eth.get_transaction(tx_hash) is not None
        except TransactionNotFound:
            return False

    def base_fee(self) -> int:
        return int(self.w3.eth.get_block("latest").get("baseFeePerGas") or 0)

    def suggested_tip(self) -> int:
        try:
            return int(self.w3.eth.max_priority_fee)
        except Exception:  # noqa: BLE001 - nodes without eth_maxPriorityFeePerGas
            return GWEI

    def mined_receipt(self, record: TxRecord) -> Any | None:
        """The receipt of whichever attempt made it into a block, if any."""
        for attempt in reversed(record.attempts):
            receipt = self.receipt_of(attempt.hash)
            if receipt is not None:
                return receipt
        return None

    # ------------------------------------------------------------ sending

    def send(self, record: TxRecord, data: bytes) -> Any:
        """See ``record`` through to a confirmed, successful receipt, resuming whatever it holds."""
        if record.status == "mined":
            receipt = self.receipt_of(record.tx_hash or "")
            if receipt is None:
                raise ChainMismatch(f"transaction {record.tx_hash} ({record.label}) was mined once and the chain "
                                    "no longer has it")
            return self._confirmed(record, receipt)
        if record.status == "failed":
            record.failed_attempts.extend(record.attempts)
            record.attempts, record.nonce, record.status = [], None, "new"
            self.save()
        if record.attempts:
            receipt = self._resume(record)
        else:
            receipt = self._first_attempt(record, data)
        return self._confirmed(record, receipt)

    def _first_attempt(self, record: TxRecord, data: bytes) -> Any:
        nonce = int(self.w3.eth.get_transaction_count(self.sender, "pending"))
        fields: dict[str, Any] = {"from": self.sender, "data": data, "value": record.value}
        if record.to:
            fields["to"] = record.to
        try:
            estimate = int(self.w3.eth.estimate_gas(fields))
        except Exception as exc:  # noqa: BLE001 - the node's revert message is what the user needs
            raise TxError(f"{record.label} would fail: {_rpc_message(exc)}") from None
        record.nonce = nonce
        record.gas = estimate + estimate * self.policy.gas_margin_bps // BPS
        max_fee, tip = self.policy.fees.initial(self.base_fee(), self.suggested_tip())
        self._check_funds(record, max_fee)
        attempt = self._sign(record, data, max_fee, tip)
        self._broadcast(record, attempt)
        return self._wait(record, data)

    def _resume(self, record: TxRecord) -> Any:
        receipt = self.mined_receipt(record)
        if receipt is not None:
            return receipt
        self._nonce_still_ours(record)
        last = record.attempts[-1]
        if not any(self.known(a.hash) for a in record.attempts):
            # Dropped from the pool, or the process died between journaling and broadcasting.
            self.log(f"{record.label}: the node does not know {short(last.hash)}; "
                     f"sending it again (nonce {record.nonce})")
            self._broadcast(record, last)
        return self._wait(record, None)

    def _wait(self, record: TxRecord, data: bytes | None) -> Any:
        since = self.clock()
        while True:
            receipt = self.mined_receipt(record)
            if receipt is not None:
                return receipt
            if self.clock() - since >= self.policy.timeout:
                self._nonce_still_ours(record)
                self._replace(record, data)
                since = self.clock()
            self.sleep(self.policy.poll)

    def _replace(self, record: TxRecord, data: bytes | None) -> None:
        last = record.attempts[-1]
        fees = self.policy.fees.bump(last.max_fee, last.priority_fee, self.base_fee())
        if fees is None:
            if not self._cap_warned:
                self.log(f"{record.label}: pending for {self.policy.timeout:.0f} s at the --max-fee cap "
                         f"({last.max_fee / GWEI:g} gwei); waiting. Rerun with a higher --max-fee to replace it.")
                self._cap_warned = True
            if not self.known(last.hash):
                self._broadcast(record, last)
            return
        payload = data if data is not None else _data_of(last.raw)
        self._check_funds(record, fees[0])
        attempt = self._sign(record, payload, *fees)
        self.log(f"{record.label}: not mined after {self.policy.timeout:.0f} s; replacing nonce {record.nonce} "
                 f"at {fees[0] / GWEI:g} gwei max, {fees[1] / GWEI:g} gwei tip ({short(attempt.hash)})")
        self.hook("replaced", record)
        self._broadcast(record, attempt)

    def _sign(self, record: TxRecord, data: bytes, max_fee: int, tip: int) -> Attempt:
        fields = {"chain_id": self.chain_id, "nonce": record.nonce, "to": record.to, "value": record.value,
                  "data": data, "gas": record.gas, "max_fee": max_fee, "priority_fee": tip}
        raw, tx_hash = self.sign(fields)
        attempt = Attempt(hash=tx_hash, max_fee=max_fee, priority_fee=tip, raw="0x" + raw.hex(),
                          signed_at=time.time())
        record.attempts.append(attempt)
        record.status = "sent"
        self.save()  # journaled before it can reach the network
        self.hook("signed", record)
        return attempt

    def _broadcast(self, record: TxRecord, attempt: Attempt) -> None:
        try:
            self.w3.eth.send_raw_transaction(attempt.raw)
        except Exception as exc:  # noqa: BLE001 - classified below by the node's message
            message = _rpc_message(exc).lower()
            if "already known" in message or "already imported" in message or "known transaction" in message:
                pass
            elif "nonce too low" in message:
                pass  # one of our attempts was mined meanwhile (checked by the caller's wait), or someone else's
            elif "underpriced" in message:
                self.log(f"{record.label}: the node refused {short(attempt.hash)} as underpriced; will raise fees")
            elif "insufficient funds" in message:
                raise TxError(f"{record.label}: {self.sender} cannot pay for it ({_rpc_message(exc)}); fund the "
                              "account and rerun: the journal resumes here") from None
            elif "less than block base fee" in message or "fee cap" in message:
                raise TxError(f"{record.label}: the max fee {attempt.max_fee / GWEI:g} gwei is below the base fee "
                              f"({self.base_fee() / GWEI:g} gwei); rerun with a higher --max-fee") from None
            else:
                raise TxError(f"{record.label}: the node refused the transaction: {_rpc_message(exc)}") from None
        else:
            attempt.broadcast = True
            self.save()
        self.hook("sent", record)

    def _nonce_still_ours(self, record: TxRecord) -> None:
        """Raise if the record's nonce was consumed by a transaction that is not one of its attempts."""
        used = int(self.w3.eth.get_transaction_count(self.sender, "latest"))
        if record.nonce is None or used <= record.nonce:
            return
        for _ in range(3):  # a node may serve the new nonce a moment before the receipt
            if self.mined_receipt(record) is not None:
                return
            self.sleep(self.policy.poll)
        raise TxError(f"{record.label}: nonce {record.nonce} of {self.sender} was used by a transaction this job did "
                      "not send (another wallet or script on the same account?); nothing was replaced. Check the "
                      "account's history, then rerun.")

    def _check_funds(self, record: TxRecord, max_fee: int) -> None:
        need = (record.gas or 0) * max_fee + record.value
        have = int(self.w3.eth.get_balance(self.sender))
        if have < need:
            raise TxError(f"{record.label}: {self.sender} has {have / 10**18:.6f} ETH and this transaction may cost "
                          f"up to {need / 10**18:.6f} ETH (gas {record.gas:,} x {max_fee / GWEI:g} gwei); fund it "
                          "and rerun: the journal resumes here")

    def _confirmed(self, record: TxRecord, receipt: Any) -> Any:
        """Wait for the confirmations, re-reading the receipt (a reorg can move or drop it)."""
        waited = False  # a receipt read just now needs no second look
        while True:
            if int(receipt["status"]) != 1:
                record.status = "failed"
                record.tx_hash = _hex(receipt["transactionHash"])
                self.save()
                raise TxError(f"{record.label} reverted in block {receipt['blockNumber']} "
                              f"(tx {record.tx_hash}); fix the cause and rerun: the journal resumes here")
            head = int(self.w3.eth.block_number)
            if head - int(receipt["blockNumber"]) + 1 >= self.policy.confirmations:
                if not waited:
                    break
                fresh = self.receipt_of(_hex(receipt["transactionHash"]))
                if fresh is not None and _hex(fresh["blockHash"]) == _hex(receipt["blockHash"]):
                    break
                receipt = fresh if fresh is not None else self._wait(record, None)
                continue
            self.sleep(self.policy.poll)
            waited = True
        first_time = record.status != "mined"
        record.status = "mined"
        record.tx_hash = _hex(receipt["transactionHash"])
        record.block = int(receipt["blockNumber"])
        record.block_hash = _hex(receipt["blockHash"])
        record.gas_used = int(receipt["gasUsed"])
        record.effective_gas_price = int(receipt.get("effectiveGasPrice") or 0)
        if receipt.get("contractAddress"):
            record.contract_address = to_checksum_address(receipt["contractAddress"])
        self.save()
        if first_time:
            self.hook("mined", record)
        return receipt


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def short(tx_hash: str) -> str:
    return tx_hash[:10] + "…"


def _data_of(raw: str) -> bytes:
    """The calldata of a signed EIP-1559 transaction (to re-sign it with other fees)."""
    import rlp

    payload = bytes.fromhex(raw[2:])
    if payload[0] != 2:
        raise TxError("only EIP-1559 transactions can be replaced")
    fields = rlp.decode(payload[1:])
    return bytes(fields[7])


def _rpc_message(exc: Exception) -> str:
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], dict):
        return str(args[0].get("message", args[0]))
    rpc = getattr(exc, "rpc_response", None)
    if isinstance(rpc, dict) and "error" in rpc:
        return str(rpc["error"].get("message", rpc["error"]))
    return str(exc)


_UNITS = {"wei": 1, "kwei": 10**3, "mwei": 10**6, "gwei": GWEI, "szabo": 10**12, "finney": 10**15, "ether": 10**18,
          "eth": 10**18}


def parse_fee(text: str | int) -> int:
    """A fee per gas in wei from "30gwei", "1.5 gwei", "2000000000wei" or a bare number of gwei."""
    from decimal import Decimal, InvalidOperation

    raw = str(text).strip().lower().replace("_", "")
    unit = next((u for u in sorted(_UNITS, key=len, reverse=True) if raw.endswith(u)), "gwei")
    number = raw.removesuffix(unit).strip() if raw.endswith(unit) else raw
    try:
        wei = Decimal(number) * _UNITS[unit]
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a fee: write e.g. 30gwei, 1.5gwei or 2000000000wei") from None
    if wei < 0 or wei != wei.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of wei")
    return int(wei)
