"""The deploy journal's rules for matching a rerun with an interrupted deploy (no chain needed)."""

from __future__ import annotations

import json

import pytest

from cidhub.chain.deploy_journal import DeployJournal, JournalMismatch, kill_points, tx_key
from cidhub.chain.txsend import TxRecord

ME = "0x" + "11" * 20
TARGET = "0x" + "22" * 20


def _journal(tmp_path, options=None, **kwargs) -> DeployJournal:
    return DeployJournal.open(tmp_path / ".journal-5.json", chain_id=5, network="ethereum:sepolia", deployer=ME,
                              options=options or {"fee_bps": 250}, **kwargs)


def _add(journal: DeployJournal, label: str, to: str | None, data: bytes, status: str = "mined") -> TxRecord:
    record = journal.add(label, tx_key(to, data, 0), to, 0)
    record.status = status
    journal.save()
    return record


def _unsettled(record: TxRecord) -> None:
    pass


def _resume(tmp_path, **kwargs) -> DeployJournal:
    return _journal(tmp_path, **kwargs)


def test_journal__saved_atomically_and_reopened(tmp_path):
    journal = _journal(tmp_path)
    _add(journal, "deploy A", None, b"A")
    assert not list(tmp_path.glob("*.tmp"))
    again = _resume(tmp_path)
    assert [t.label for t in again.txs] == ["deploy A"] and again.resumed


def test_claim__same_transactions_in_order__matched(tmp_path):
    journal = _journal(tmp_path)
    first = _add(journal, "deploy A", None, b"A")
    second = _add(journal, "A.grant()", TARGET, b"grant")
    rerun = _resume(tmp_path)
    assert rerun.claim(tx_key(None, b"A", 0), _unsettled).index == first.index
    assert rerun.claim(tx_key(TARGET, b"grant", 0), _unsettled).index == second.index
    assert rerun.claim(tx_key(TARGET, b"next", 0), _unsettled) is None  # new: to be sent


def test_claim__mined_call_not_asked_again__skipped(tmp_path):
    journal = _journal(tmp_path)
    _add(journal, "deploy A", None, b"A")
    _add(journal, "A.grant()", TARGET, b"grant")  # the rerun's hasRole check finds it done
    _add(journal, "A.renounce()", TARGET, b"renounce", status="sent")
    rerun = _resume(tmp_path)
    rerun.claim(tx_key(None, b"A", 0), _unsettled)
    assert rerun.claim(tx_key(TARGET, b"renounce", 0), _unsettled).label == "A.renounce()"


def test_claim__deployment_not_asked_again__refused(tmp_path):
    journal = _journal(tmp_path)
    _add(journal, "deploy A", None, b"A with fee 250")
    rerun = _resume(tmp_path)
    with pytest.raises(JournalMismatch, match=r"#1 \(deploy A, deployed\) that this run did not ask for"):
        rerun.claim(tx_key(None, b"A with fee 100", 0), _unsettled)


def test_claim__pending_transaction_not_asked_again__refused(tmp_path):
    journal = _journal(tmp_path)
    _add(journal, "A.grant()", TARGET, b"grant", status="sent")
    rerun = _resume(tmp_path)
    with pytest.raises(JournalMismatch, match="sent"):
        rerun.claim(tx_key(TARGET, b"other", 0), _unsettled)


def test_open__other_options__refused_naming_them(tmp_path):
    _add(_journal(tmp_path), "deploy A", None, b"A")
    with pytest.raises(JournalMismatch, match="fee_bps was 250, now 100"):
        _resume(tmp_path, options={"fee_bps": 100})


def test_open__fresh__sets_the_old_journal_aside(tmp_path):
    _add(_journal(tmp_path), "deploy A", None, b"A")
    fresh = _journal(tmp_path, options={"fee_bps": 100}, fresh=True)
    assert fresh.txs == []
    kept = [p for p in tmp_path.glob(".journal-5.*.json")]
    assert len(kept) == 1 and json.loads(kept[0].read_text())["txs"][0]["label"] == "deploy A"


def test_open__another_deployer__refused(tmp_path):
    _journal(tmp_path)
    with pytest.raises(JournalMismatch, match="resume it with that account"):
        DeployJournal.open(tmp_path / ".journal-5.json", chain_id=5, network="ethereum:sepolia",
                           deployer="0x" + "33" * 20, options={"fee_bps": 250})


def test_kill_points__parsed_from_the_environment_format():
    assert kill_points("mined:1, signed:5,phase:handover") == {"mined:1", "signed:5", "phase:handover"}
    assert kill_points("") == set()
