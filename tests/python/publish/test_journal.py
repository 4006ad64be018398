"""The publish journal: a publish killed between pinning and registering resumes on rerun without
pinning twice or registering twice.

The kill is real: the publish runs in a child process that SIGKILLs itself at the chosen moment
(no cleanup, no exception handlers). The chain is a small file-backed registry with the
AssetRegistry methods publish uses, so the child and the rerun see the same state; the same
flow against the real contract on anvil is in test_pin_publish.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cidhub.chain.registry import Kind, asset_id_for
from cidhub.content.store import BlockStore
from cidhub.content.unixfs import import_file
from cidhub.ipfs.node import NodeHandler
from cidhub.journal import JournalError, PublishJournal
from cidhub.publish import AlreadyRegisteredError, ChainContext, PinningPlan, PublishRequest, publish

HERE = Path(__file__).resolve().parent


class FileRegistry:
    """The registry methods publish needs, with state in a JSON file; ``kill`` SIGKILLs the process
    just before (``"before-tx"``) or just after (``"after-tx"``) a registration is stored."""

    address = "0x" + "11" * 20
    AssetRegistered = "AssetRegistered"

    def __init__(self, path: Path, kill: str | None = None) -> None:
        self.path = path
        self.kill = kill

    def _state(self) -> dict[str, Any]:
        return json.loads(self.path.read_text()) if self.path.exists() else {"assets": {}, "txs": 0}

    def asset_id_of(self, cid: bytes) -> int:
        asset_id = asset_id_for(cid)
        return asset_id if str(asset_id) in self._state()["assets"] else 0

    def ownerOf(self, asset_id: int) -> str:
        return self._state()["assets"][str(asset_id)]

    def register(self, cid: bytes, kind: int, metadata: bytes, licence: int, parents: list, shares: list,
                 royalty: int, sender: Any) -> Any:
        if self.kill == "before-tx":
            os.kill(os.getpid(), signal.SIGKILL)
        state = self._state()
        asset_id = asset_id_for(cid)
        assert str(asset_id) not in state["assets"], "registered twice"
        state["assets"][str(asset_id)] = sender.address
        state["txs"] += 1
        self.path.write_text(json.dumps(state))
        if self.kill == "after-tx":
            os.kill(os.getpid(), signal.SIGKILL)
        event = SimpleNamespace(asset_id=asset_id)
        return SimpleNamespace(decode_logs=lambda _: [event], txn_hash=f"0xtx{state['txs']}", block_number=state["txs"],
                               gas_used=1)


SENDER = SimpleNamespace(address="0x" + "22" * 20)
CHAIN = ChainContext(31337, lambda: 1)


def run_publish(data_dir: str, registry_file: str, content: str, kubo_api: str, kill: str | None) -> dict[str, Any]:
    """One `publish --pin local --pin kubo` (what the child process runs)."""
    from cidhub.ipfs.pinning import KuboPinTarget, LocalBackend, RetryPolicy

    store = BlockStore(data_dir, fsync=True)
    targets = [LocalBackend(store), KuboPinTarget(kubo_api, retry=RetryPolicy(attempts=2, base_delay=0.01))]
    result = publish(PublishRequest(Path(content), Kind.DATASET), FileRegistry(Path(registry_file), kill), SENDER,
                     store, pinning=PinningPlan(targets, min_confirmations=2), chain=CHAIN)
    return result.as_dict()


class CountingHandler(NodeHandler):
    def handle_rpc(self, command, query):
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.calls.append(command)  # type: ignore[attr-defined]
        super().handle_rpc(command, query)


@dataclass
class World:
    data_dir: Path
    registry_file: Path
    content: Path
    node: Any

    def child(self, kill: str | None) -> subprocess.CompletedProcess[str]:
        args = (str(self.data_dir), str(self.registry_file), str(self.content), self.node.api_multiaddr, kill)
        code = (
            f"import json, sys; sys.path.insert(0, {str(HERE)!r})\n"
            "from test_journal import run_publish\n"
            f"print(json.dumps(run_publish(*{args!r})))\n"
        )
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    def registrations(self) -> int:
        return json.loads(self.registry_file.read_text())["txs"] if self.registry_file.exists() else 0

    def uploads(self) -> int:
        return self.node.server.calls.count("dag/import")


@pytest.fixture
def world(tmp_path, ipfs_node_factory):
    node = ipfs_node_factory(handler=CountingHandler)
    node.server.calls, node.server.lock = [], threading.Lock()
    content = tmp_path / "data.bin"
    content.write_bytes(os.urandom(1_500_000))
    return World(tmp_path / "store", tmp_path / "registry.json", content, node)


def test_kill_before_the_transaction__rerun_registers_once_without_pinning_again(world):
    killed = world.child("before-tx")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert world.registrations() == 0 and world.uploads() == 2  # content and card reached the node
    journal = next((world.data_dir / "journal").glob("*.json"))
    assert json.loads(journal.read_text())["state"] == "registering"

    calls_before = list(world.node.server.calls)
    rerun = world.child(None)
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    assert world.registrations() == 1
    assert world.node.server.calls == calls_before  # nothing sent to the node: pins were in the journal
    assert [t["resumed"] for t in result["pinning"]["targets"]] == [True, True]
    assert not list((world.data_dir / "journal").glob("*.json"))  # closed and archived
    assert len(list((world.data_dir / "journal" / "done").glob("*.json"))) == 1


def test_kill_after_the_transaction__rerun_adopts_it(world):
    killed = world.child("after-tx")
    assert killed.returncode == -signal.SIGKILL
    assert world.registrations() == 1

    rerun = world.child(None)
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    assert result["resumed"] is True and result["owner"] == SENDER.address
    assert world.registrations() == 1  # no second transaction
    assert world.uploads() == 2


def test_after_completion__same_publish_is_a_duplicate(world):
    assert world.child(None).returncode == 0
    again = world.child(None)
    assert again.returncode != 0 and "already registered as asset" in again.stderr
    assert world.registrations() == 1
    assert world.uploads() == 2  # the duplicate was refused before any pin


def test_interrupted_while_pinning__confirmed_target_not_repeated(tmp_path, world):
    """A crash after the first target confirmed: the rerun only pins on the missing one."""
    store = BlockStore(world.data_dir, fsync=False)
    from cidhub.ipfs.pinning import KuboPinTarget, LocalBackend

    class Crash(Exception):
        pass

    class CrashingTarget(KuboPinTarget):
        def pin_job(self, job):
            raise Crash()

    request = PublishRequest(world.content, Kind.DATASET)
    registry = FileRegistry(world.registry_file)
    with pytest.raises(Crash):
        publish(request, registry, SENDER, store, chain=CHAIN, pinning=PinningPlan(
            [LocalBackend(store), CrashingTarget(world.node.api_multiaddr, name="kubo")], parallel=False))
    journal = json.loads(next((world.data_dir / "journal").glob("*.json")).read_text())
    assert list(journal["pins"]) == ["local"]

    result = publish(request, registry, SENDER, store, chain=CHAIN, pinning=PinningPlan(
        [LocalBackend(store), KuboPinTarget(world.node.api_multiaddr)], parallel=False))
    targets = {t["target"]: t for t in result.pinning["targets"]}
    assert targets["local"]["resumed"] and not targets["kubo"]["resumed"]
    assert world.registrations() == 1


def test_journal__someone_else_registered_meanwhile__abandoned_and_reported(world):
    assert world.child("before-tx").returncode == -signal.SIGKILL
    state = {"assets": {}, "txs": 1}
    state["assets"][str(asset_id_for(import_file(world.content).cid))] = "0xother"
    world.registry_file.write_text(json.dumps(state))
    rerun = world.child(None)
    assert rerun.returncode != 0 and "already registered" in rerun.stderr and "0xother" in rerun.stderr
    assert not list((world.data_dir / "journal").glob("*.json"))


def test_journal__unreadable_file__clear_error(tmp_path):
    key = PublishJournal.key_for(1, "0xa", "0xb", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
    (tmp_path / f"{key}.json").write_text("{not json")
    with pytest.raises(JournalError, match="move it away"):
        PublishJournal.open(tmp_path, chain_id=1, registry="0xa", sender="0xb",
                            content_cid="bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
                            card_cid="bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")


def test_journal__key_separates_chains_registries_senders(tmp_path):
    cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    keys = {PublishJournal.key_for(c, r, s, cid) for c in (1, 2) for r in ("0xa", "0xb") for s in ("0xc", "0xd")}
    assert len(keys) == 8
    assert PublishJournal.key_for(1, "0xA", "0xC", cid) == PublishJournal.key_for(1, "0xa", "0xc", cid)


def test_journal__changed_card_drops_its_old_pins(tmp_path):
    content = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    old_card = "bafkreiaaq3z5h2zokzvcdxzkiyanhsyhmaqsm6dz6lzlvbpodqtlmj7xxe"
    new_card = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    args = {"chain_id": 1, "registry": "0xa", "sender": "0xb", "content_cid": content}
    journal = PublishJournal.open(tmp_path, card_cid=old_card, **args)
    journal.record_pin("kubo", content, "")
    journal.record_pin("kubo", old_card, "")
    reopened = PublishJournal.open(tmp_path, card_cid=new_card, **args)
    assert reopened.resumed and reopened.confirmed_pins() == {"kubo": {content: ""}}


def test_already_registered_before_any_journal__refused_and_no_journal_left(world):
    assert world.child(None).returncode == 0
    store = BlockStore(world.data_dir, fsync=False)
    from cidhub.ipfs.pinning import LocalBackend

    with pytest.raises(AlreadyRegisteredError):
        publish(PublishRequest(world.content, Kind.DATASET), FileRegistry(world.registry_file), SENDER, store,
                chain=CHAIN, pinning=PinningPlan([LocalBackend(store)]))
    assert not list((world.data_dir / "journal").glob("*.json"))
