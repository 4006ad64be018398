"""The publish journal: what a publish has already done, so a rerun resumes instead of redoing.

Publishing has two side effects that must not be repeated needlessly: pins on remote targets
(each one costs money and time) and the on-chain registration (a second one would fail, and
a crash right after sending the first leaves the user unsure whether it happened). The journal
is one small JSON file per publish, written atomically (temporary file, fsync, rename) after
every step:

``started``      the CIDs are computed and stored locally
``pinned``       per target and per root: confirmed pins (with the backend's request id)
``registering``  the transaction is about to be sent (with the block height at that moment)
``registered``   the receipt was read; the journal is then moved to ``done/``

A rerun of the same publish (same chain, registry, sender and content CID) opens the same
journal: confirmed pins are not sent again; in ``registering`` the chain is asked whether the
asset now exists and belongs to the sender, and if so the earlier transaction is taken as the
registration instead of sending another. A finished journal is archived, so publishing the
same content again later is a new attempt that the registry refuses as a duplicate.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cidhub.content.cid import CidLike, parse_cid, to_base32_v1
from cidhub.errors import CidhubError

__all__ = ["JournalError", "PublishJournal", "JOURNAL_VERSION", "STATES"]

JOURNAL_VERSION: Final = 1
STATES: Final = ("started", "pinned", "registering", "registered")


class JournalError(CidhubError):
    """The journal file is unreadable or belongs to another publish."""


@dataclass
class PublishJournal:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    # Pins are confirmed from several threads (one per target); each write must see the others.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    # ---- opening

    @staticmethod
    def key_for(chain_id: int, registry: str, sender: str, content_cid: CidLike) -> str:
        text = f"{chain_id}:{registry.lower()}:{sender.lower()}:{to_base32_v1(content_cid)}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @classmethod
    def exists(cls, directory: str | os.PathLike[str], *, chain_id: int, registry: str, sender: str,
               content_cid: CidLike, card_cid: CidLike | None = None) -> bool:
        """Whether an unfinished journal of this publish is waiting to be resumed."""
        return (Path(directory) / f"{cls.key_for(chain_id, registry, sender, content_cid)}.json").is_file()

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        chain_id: int,
        registry: str,
        sender: str,
        content_cid: CidLike,
        card_cid: CidLike,
    ) -> PublishJournal:
        """The open journal of this publish, or a new one in state ``started``."""
        key = cls.key_for(chain_id, registry, sender, content_cid)
        path = Path(directory) / f"{key}.json"
        if path.is_file():
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise JournalError(
                    f"publish journal {path} is unreadable ({exc}); move it away to start this publish afresh"
                ) from None
            if data.get("version") != JOURNAL_VERSION or data.get("state") not in STATES:
                raise JournalError(f"publish journal {path} has an unknown format; move it away to start afresh")
            journal = cls(path, data, resumed=True)
            new_card = str(parse_cid(card_cid))
            old_card = data.get("card_cid")
            if old_card != new_card:
                # Same content, different card (edited metadata): pins of the old card do not
                # count for this publish, pins of the content are still good.
                data["card_cid"] = new_card
                for roots in data["pins"].values():
                    roots.pop(str(old_card), None)
                journal._event(f"card changed from {old_card} since the interrupted run")
            return journal
        data = {
            "version": JOURNAL_VERSION,
            "key": key,
            "chain_id": chain_id,
            "registry": registry,
            "sender": sender,
            "content_cid": str(parse_cid(content_cid)),
            "card_cid": str(parse_cid(card_cid)),
            "state": "started",
            "pins": {},
            "registering": None,
            "result": None,
            "events": [],
        }
        journal = cls(path, data)
        journal._event("started")
        return journal

    # ---- queries

    @property
    def state(self) -> str:
        return str(self.data["state"])

    def confirmed_pins(self) -> dict[str, dict[str, str]]:
        """``{target: {root CID: detail}}`` of pins confirmed so far."""
        return {t: dict(roots) for t, roots in self.data["pins"].items()}

    @property
    def registering_block(self) -> int | None:
        info = self.data.get("registering")
        return int(info["block"]) if info and info.get("block") is not None else None

    # ---- transitions (each one is on disk before the method returns)

    def record_pin(self, target: str, root: CidLike, detail: str = "") -> None:
        text = str(parse_cid(root))
        with self._lock:
            self.data["pins"].setdefault(target, {})[text] = detail
            self._event(f"pinned {text} on {target}")

    def mark_pinned(self) -> None:
        if self.state == "started":
            self.data["state"] = "pinned"
        self._event("enough targets confirmed")

    def mark_registering(self, block: int | None) -> None:
        self.data["state"] = "registering"
        self.data["registering"] = {"block": block, "at": int(time.time())}
        self._event("sending the registration")

    def mark_registered(self, result: dict[str, Any]) -> None:
        self.data["state"] = "registered"
        self.data["result"] = result
        self._event("registered")
        done = self.path.parent / "done"
        done.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, done / f"{self.path.stem}-{int(time.time() * 1000)}.json")

    def discard(self, reason: str) -> None:
        """Archive an open journal that can never complete (e.g. someone else registered the CID)."""
        self._event(f"abandoned: {reason}")
        done = self.path.parent / "done"
        done.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, done / f"{self.path.stem}-{int(time.time() * 1000)}-abandoned.json")

    # ---- storage

    def _event(self, what: str) -> None:
        with self._lock:
            self.data["events"].append({"at": int(time.time()), "what": what})
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".journal-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(self.data, out, indent=2, sort_keys=True)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
