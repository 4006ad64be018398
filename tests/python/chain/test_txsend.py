"""TxSender against a scripted node: fees, replacement, dropped transactions, nonces, confirmations.

The node here keeps a one-slot-per-nonce mempool with geth's replacement rule (+10 % on both
fees), mines one block per second of a fake clock when mining is on, and refuses what geth
refuses; transactions are real signed EIP-1559 transactions (eth_account), so hashes and the
re-signing of a journaled raw transaction are the real thing. The anvil rehearsal
(tests/e2e/test_deploy_rehearsal.py) runs the same code against a real node.
"""

from __future__ import annotations

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak
from web3.exceptions import TransactionNotFound

from cidhub.chain.txsend import GWEI, Attempt, FeePolicy, SendPolicy, TxError, TxRecord, TxSender, parse_fee

KEY = "0x" + "42" * 32
ME = Account.from_key(KEY).address
OTHER = "0x" + "77" * 20


class Node:
    def __init__(self) -> None:
        self.now = 0.0
        self.block = 100
        self.base_fee = 10 * GWEI
        self.mining = True
        self.nonce = 0  # next nonce to be mined for ME
        self.pool: dict[int, tuple[str, int, int]] = {}  # nonce -> (hash, max fee, tip)
        self.receipts: dict[str, dict] = {}
        self.revert = False
        self.balance = 10**18
        self.broadcasts: list[str] = []
        self.eth = self

    # clock: one block a second while mining
    def sleep(self, seconds: float) -> None:
        before = int(self.now)
        self.now += seconds
        for _ in range(int(self.now) - before):
            self.block += 1
            if self.mining:
                self.mine()

    def clock(self) -> float:
        return self.now

    def mine(self) -> None:
        entry = self.pool.pop(self.nonce, None)
        if entry is None or entry[1] < self.base_fee:
            if entry is not None:
                self.pool[self.nonce] = entry
            return
        block_hash = "0x" + keccak(str(self.block).encode()).hex()
        self.receipts[entry[0]] = {"status": 0 if self.revert else 1, "transactionHash": entry[0],
                                   "blockNumber": self.block, "blockHash": block_hash,
                                   "gasUsed": 21_000, "effectiveGasPrice": self.base_fee + entry[2],
                                   "contractAddress": None}
        self.nonce += 1

    # the JSON-RPC surface TxSender uses
    def get_transaction_count(self, address: str, tag: str) -> int:
        return self.nonce + (1 if tag == "pending" and self.nonce in self.pool else 0)

    def estimate_gas(self, fields: dict) -> int:
        return 21_000

    def get_block(self, tag: str) -> dict:
        return {"baseFeePerGas": self.base_fee}

    @property
    def max_priority_fee(self) -> int:
        return GWEI

    @property
    def block_number(self) -> int:
        return self.block

    def get_balance(self, address: str) -> int:
        return self.balance

    def send_raw_transaction(self, raw: str) -> str:
        payload = bytes.fromhex(raw[2:])
        fields = rlp.decode(payload[1:])
        nonce, tip, max_fee = (int.from_bytes(fields[i], "big") for i in (1, 2, 3))
        tx_hash = "0x" + keccak(payload).hex()
        self.broadcasts.append(tx_hash)
        if nonce < self.nonce:
            raise ValueError({"code": -32000, "message": "nonce too low"})
        if nonce in self.pool:
            old_hash, old_max, old_tip = self.pool[nonce]
            if old_hash == tx_hash:
                raise ValueError({"code": -32000, "message": "already known"})
            if max_fee * 10 < old_max * 11 or tip * 10 < old_tip * 11:
                raise ValueError({"code": -32000, "message": "replacement transaction underpriced"})
        self.pool[nonce] = (tx_hash, max_fee, tip)
        return tx_hash

    def get_transaction_receipt(self, tx_hash: str) -> dict:
        if tx_hash not in self.receipts:
            raise TransactionNotFound(tx_hash)
        return self.receipts[tx_hash]

    def get_transaction(self, tx_hash: str) -> dict:
        if tx_hash in self.receipts or any(h == tx_hash for h, _, _ in self.pool.values()):
            return {"hash": tx_hash}
        raise TransactionNotFound(tx_hash)

    def drop(self, tx_hash: str) -> None:
        self.pool = {n: e for n, e in self.pool.items() if e[0] != tx_hash}


def _sign(fields: dict) -> tuple[bytes, str]:
    tx = {"type": 2, "chainId": fields["chain_id"], "nonce": fields["nonce"], "to": fields["to"],
          "value": fields["value"], "data": fields["data"], "gas": fields["gas"], "maxFeePerGas": fields["max_fee"],
          "maxPriorityFeePerGas": fields["priority_fee"]}
    signed = Account.sign_transaction(tx, KEY)
    return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


def _sender(node: Node, hook=None, **policy) -> tuple[TxSender, list[str]]:
    log: list[str] = []
    settings = {"timeout": 5.0, "poll": 0.5, **policy}
    sender = TxSender(node, ME, 1, _sign, SendPolicy(**settings), save=lambda: None, hook=hook, log=log.append,
                      clock=node.clock, sleep=node.sleep)
    return sender, log


def _record() -> TxRecord:
    return TxRecord(index=1, label="Thing.do()", key="k", to=OTHER)


def test_fee_policy__bump__raises_max_fee_and_tip_by_at_least_12_5_percent():
    policy = FeePolicy()
    max_fee, tip = policy.initial(base_fee=20 * GWEI, suggested_tip=2 * GWEI)
    assert (max_fee, tip) == (42 * GWEI, 2 * GWEI)
    bumped_max, bumped_tip = policy.bump(max_fee, tip, base_fee=20 * GWEI)
    assert bumped_max * 8 >= max_fee * 9 and bumped_tip * 8 >= tip * 9
    assert policy.bump(1, 1, 0) == (2, 2)  # rounded up: a raise even at 1 wei


def test_fee_policy__cap__limits_first_attempt_and_forbids_a_raise_past_it():
    policy = FeePolicy(max_fee=30 * GWEI, priority_fee=3 * GWEI)
    assert policy.initial(base_fee=20 * GWEI, suggested_tip=GWEI) == (30 * GWEI, 3 * GWEI)
    assert policy.bump(30 * GWEI, 3 * GWEI, base_fee=20 * GWEI) is None
    assert policy.bump(20 * GWEI, 2 * GWEI, base_fee=5 * GWEI) == (22_500_000_000, 2_250_000_000)


def test_fee_policy__bump_below_12_5_percent__refused():
    with pytest.raises(ValueError, match="at least 12.5"):
        FeePolicy(bump_bps=1_000)


@pytest.mark.parametrize(("text", "wei"), [("30gwei", 30 * GWEI), ("1.5 gwei", 1_500_000_000), ("7", 7 * GWEI),
                                           ("2000wei", 2000), ("0.000000001ether", GWEI)])
def test_parse_fee__units(text, wei):
    assert parse_fee(text) == wei


def test_parse_fee__garbage__explains():
    with pytest.raises(ValueError, match="30gwei"):
        parse_fee("thirty")


def test_send__mined__waits_for_the_confirmations():
    node = Node()
    sender, _ = _sender(node, confirmations=3)
    record = _record()
    receipt = sender.send(record, b"\x01")
    assert record.status == "mined" and record.nonce == 0 and record.gas == 25_200  # estimate + 20 %
    assert node.block - receipt["blockNumber"] + 1 >= 3
    assert record.tx_hash == receipt["transactionHash"] == record.attempts[0].hash


def test_send__stuck__replaced_with_the_same_nonce_and_higher_fees():
    node = Node()
    node.mining = False

    def hook(event: str, record: TxRecord) -> None:
        if event == "sent" and len(record.attempts) == 3:
            node.mining = True  # the network takes the third price

    sender, log = _sender(node, hook=hook)
    record = _record()
    sender.send(record, b"\x01")
    assert len(record.attempts) == 3 and {a.hash for a in record.attempts} == set(node.broadcasts)
    for before, after in zip(record.attempts, record.attempts[1:], strict=False):
        assert after.max_fee * 8 >= before.max_fee * 9 and after.priority_fee * 8 >= before.priority_fee * 9
    assert record.tx_hash == record.attempts[-1].hash and record.nonce == 0 and node.nonce == 1
    assert sum("replacing nonce 0" in line for line in log) == 2


def test_send__at_the_fee_cap__waits_instead_of_replacing():
    node = Node()
    node.mining = False
    sender, log = _sender(node, fees=FeePolicy(max_fee=24 * GWEI))  # room for one raise from 21 gwei
    record = _record()
    node_sleep = node.sleep

    def sleep(seconds: float) -> None:
        node_sleep(seconds)
        if node.now > 20:
            node.mining = True

    sender.sleep = sleep
    sender.send(record, b"\x01")
    assert len(record.attempts) == 2  # one raise, then the cap forbids another
    assert record.attempts[0].max_fee == 21 * GWEI and record.attempts[-1].max_fee <= 24 * GWEI
    assert any("--max-fee cap" in line for line in log)


def test_send__journaled_but_never_broadcast__resent_unchanged():
    node = Node()
    sender, _ = _sender(node)
    record = _record()
    record.nonce, record.gas = 0, 30_000
    raw, tx_hash = _sign({"chain_id": 1, "nonce": 0, "to": OTHER, "value": 0, "data": b"\x01", "gas": 30_000,
                          "max_fee": 30 * GWEI, "priority_fee": GWEI})
    record.attempts.append(Attempt(hash=tx_hash, max_fee=30 * GWEI, priority_fee=GWEI, raw="0x" + raw.hex()))
    record.status = "sent"  # as a process killed between journaling and broadcasting leaves it
    sender.send(record, b"")
    assert record.tx_hash == tx_hash and node.broadcasts == [tx_hash]


def test_send__dropped_from_the_pool__sent_again_with_its_nonce():
    node = Node()
    node.mining = False

    def hook(event: str, record: TxRecord) -> None:
        if event == "sent" and len(record.attempts) == 1:
            node.drop(record.attempts[0].hash)
        if event == "sent" and len(record.attempts) == 2:
            node.mining = True

    sender, _ = _sender(node, hook=hook)
    record = _record()
    sender.send(record, b"\x01")
    assert len(record.attempts) == 2 and record.tx_hash == record.attempts[1].hash and record.nonce == 0


def test_send__nonce_taken_by_another_transaction__stops():
    node = Node()
    sender, _ = _sender(node)
    record = _record()
    record.nonce, record.gas, record.status = 0, 30_000, "sent"
    record.attempts.append(Attempt(hash="0x" + "ab" * 32, max_fee=GWEI, priority_fee=GWEI, raw="0x02c0"))
    node.nonce = 1  # another wallet on the same key used nonce 0
    with pytest.raises(TxError, match="nonce 0 .* was used by a transaction this job did not send"):
        sender.send(record, b"")


def test_send__reverted__marks_the_record_failed():
    node = Node()
    node.revert = True
    sender, _ = _sender(node)
    record = _record()
    with pytest.raises(TxError, match="reverted in block"):
        sender.send(record, b"\x01")
    assert record.status == "failed"


def test_send__not_enough_funds__stops_before_signing():
    node = Node()
    node.balance = 10
    sender, _ = _sender(node)
    record = _record()
    with pytest.raises(TxError, match="fund it and rerun"):
        sender.send(record, b"\x01")
    assert record.attempts == [] and node.broadcasts == []
