"""Embedded local block store and the pin-target interface.

:class:`BlockStore` keeps one file per block under a data directory, laid out like Kubo's
flatfs ``blocks/`` directory: the key is the base32 of the block's multihash and files are
sharded by the key's next-to-last two characters. Keying by multihash (not CID) means a raw
block and a dag-pb block with the same bytes are stored once; the codec travels in the links
that point at a block, so walking a DAG still knows how to decode each block.

Durability rules, because a store that returns wrong bytes is worse than none:

* ``put`` writes to a temporary file in the same file system, fsyncs it, then renames it over
  the final name. A crash or exception mid-write leaves at most a stray temporary file, never a
  truncated block under a real key. Inside :meth:`BlockStore.batch` (imports, CAR imports) the
  same order holds with one filesystem sync per few thousand blocks instead of two fsyncs each.
* ``get`` re-hashes what it read and raises :class:`~cidhub.errors.CorruptBlockError` if the disk
  returned something else.

:class:`PinTarget` is the small interface every place that can keep a DAG available
implements: this local store now, Kubo's RPC and the IPFS Pinning Service API later.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Final

from cidhub.content.car import CarReader, CarWriter, verify_block
from cidhub.content.cid import CID, CidLike, binary_multihash, cid_from_bytes, parse_cid, to_base32_v1
from cidhub.content.unixfs import Block, ImportResult, Profile, import_path, iter_links
from cidhub.errors import (
    BlockNotFoundError,
    CarError,
    CorruptBlockError,
    PinError,
    StoreError,
    UnixfsError,
)

__all__ = [
    "DATA_DIR_ENV",
    "default_data_dir",
    "BlockStore",
    "CarSource",
    "PinState",
    "PinStatus",
    "PinTarget",
    "LocalPinTarget",
]

#: Environment variable that overrides the default data directory.
DATA_DIR_ENV: Final = "CIDHUB_DATA_DIR"
_TMP_DIR: Final = ".tmp"
_PINS_DIR: Final = "pins"
_SUFFIX: Final = ".data"


def default_data_dir() -> Path:
    """``$CIDHUB_DATA_DIR`` if set, else ``~/.cidhub/blocks``."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cidhub" / "blocks"


def _as_cid_bytes(cid: CidLike | bytes) -> bytes:
    return bytes(parse_cid(cid))


class BlockStore:
    """Content-addressed blocks on disk.

    Args:
        root: data directory; default :func:`default_data_dir`. Created on first write.
        fsync: flush every block (and its directory entry) to disk before it counts as
            stored, as Kubo's flatfs does by default. Tests and throwaway stores may disable it.
            Inside :meth:`batch` the flushes are grouped, with the same guarantee.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, fsync: bool = True) -> None:
        self.root = Path(root).expanduser() if root is not None else default_data_dir()
        self.fsync = fsync
        self._local = threading.local()  # the current thread's batch, if any
        self._root = os.fspath(self.root)

    # ---- layout

    @staticmethod
    def key_for(cid: CidLike) -> str:
        """Flatfs-style key: uppercase base32 (no padding) of the multihash."""
        if isinstance(cid, (bytes, bytearray, memoryview)):
            multihash_bytes = binary_multihash(cid)  # no CID object: this is every put's path
        else:
            multihash_bytes = bytes(parse_cid(cid).digest)
        return _base32_key(multihash_bytes)

    def path_for(self, cid: CidLike) -> Path:
        key = self.key_for(cid)
        return self.root / key[-3:-1] / f"{key}{_SUFFIX}"

    def _paths(self, cid: CidLike) -> tuple[str, str, str]:
        """(key, shard directory, final path) as strings: pathlib costs more than the write."""
        key = self.key_for(cid)
        directory = os.path.join(self._root, key[-3:-1])
        return key, directory, os.path.join(directory, key + _SUFFIX)

    # ---- basic operations

    def has(self, cid: CidLike) -> bool:
        return self.path_for(cid).is_file()

    def put(self, cid: CidLike, data: bytes) -> bool:
        """Store ``data`` under ``cid`` after checking it hashes to the CID.

        Returns True if the block was written, False if it was already present.
        Raises :class:`~cidhub.errors.CarError`-derived verification failures as
        :class:`StoreError` so callers see one error family per module.
        """
        parsed = parse_cid(cid)
        try:
            verify_block(parsed, data)
        except CarError as exc:
            raise StoreError(f"refusing to store block: {exc}") from None
        return self._write(parsed, data)

    def put_block(self, block: Block) -> bool:
        """Store a block whose CID the caller computed from its bytes (the importer)."""
        return self._write(block.cid_bytes, block.data)

    def _write(self, cid: CidLike, data: bytes) -> bool:
        key, directory, final = self._paths(cid)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(final).st_size == len(data):
                return False  # present; get() re-verifies the content whenever it is read
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is not None and final in batch.pending:
            return False  # written earlier in this batch (the same chunk twice)
        durable_now = self.fsync and batch is None
        # One writer per (process, thread) and key at a time, so the name needs no randomness.
        tmp_name = os.path.join(self._root, _TMP_DIR, f"{key}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fd = os.open(tmp_name, _TMP_FLAGS, 0o644)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(tmp_name), exist_ok=True)
            fd = os.open(tmp_name, _TMP_FLAGS, 0o644)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                if durable_now:
                    os.fsync(tmp.fileno())
            if batch is not None:
                batch.pending[final] = tmp_name  # renamed once its bytes are on disk
                if len(batch.pending) >= batch.flush_every:
                    self._flush(batch)
                return True
            _replace(tmp_name, final, directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        if durable_now:
            _fsync_dir(Path(directory))
        return True

    @contextlib.contextmanager
    def batch(self, flush_every: int = 4096) -> Iterator[None]:
        """Write many blocks with a few filesystem syncs instead of two fsyncs each.

        With ``fsync`` on, each block costs two fsyncs (about 3 ms apiece on a virtual disk),
        which caps an import at a few hundred small files a second. Inside a batch, blocks go to
        temporary files unflushed; every ``flush_every`` blocks, and when the batch ends, one
        sync of the store's filesystem makes them durable, then they are renamed into place
        and a second sync makes the renames durable. So a block appears under its name only
        once its bytes are on disk, as without a batch, and everything written in the batch is
        durable when the ``with`` block exits normally. Blocks written by other threads are
        not affected; within the batch, ``has``/``get`` see a block only after its flush. On an
        exception the unflushed temporary files are removed.
        """
        if not self.fsync or getattr(self._local, "batch", None) is not None:
            yield  # nothing to group (or already grouping)
            return
        batch = _Batch(flush_every)
        self._local.batch = batch
        try:
            yield
        except BaseException:
            for tmp_name in batch.pending.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
            raise
        else:
            self._flush(batch)
        finally:
            self._local.batch = None

    def _flush(self, batch: _Batch) -> None:
        if not batch.pending:
            return
        _sync_filesystem(self.root, batch.pending.values())  # the temporary files' bytes
        for final, tmp_name in batch.pending.items():
            _replace(tmp_name, final, os.path.dirname(final))
        _sync_filesystem(self.root, {os.path.dirname(final) for final in batch.pending})  # the renames
        batch.pending.clear()

    def get(self, cid: CidLike) -> bytes:
        """The block's bytes, verified against the CID.

        Raises:
            BlockNotFoundError: not in the store.
            CorruptBlockError: the stored bytes do not hash to the CID.
        """
        path = self.path_for(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BlockNotFoundError(f"block {parse_cid(cid)} is not in the store at {self.root}") from None
        try:
            verify_block(cid, data)
        except CarError:
            raise CorruptBlockError(
                f"block {parse_cid(cid)} at {path} is corrupt (its bytes no longer match the CID); "
                "delete it and add the content again"
            ) from None
        return data

    def delete(self, cid: CidLike) -> bool:
        """Remove a block; returns False if it was not there."""
        try:
            self.path_for(cid).unlink()
        except FileNotFoundError:
            return False
        return True

    def clean_tmp(self, older_than_seconds: float = 3600.0) -> int:
        """Remove temporary files left by writers that crashed; returns how many."""
        tmp_dir = self.root / _TMP_DIR
        if not tmp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in tmp_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed

    # ---- DAGs

    def walk(self, root: CidLike) -> Iterator[Block]:
        """Every block of the DAG under ``root`` once, depth-first, parents before children.

        This is the order of Kubo's ``dag export`` and of trustless-gateway CARs
        (``dups=n``, ``order=dfs``), so a reader can verify the DAG as it streams.
        """
        seen: set[bytes] = set()
        stack = [_as_cid_bytes(root)]
        while stack:
            cid_bytes = stack.pop()
            if cid_bytes in seen:
                continue
            seen.add(cid_bytes)
            data = self.get(cid_bytes)
            yield Block(cid_bytes, data)
            try:
                children = list(iter_links(cid_bytes, data))
            except UnixfsError as exc:
                raise StoreError(f"cannot walk block {cid_from_bytes(cid_bytes)}: {exc}") from None
            stack.extend(reversed(children))

    def missing(self, root: CidLike) -> list[CID]:
        """CIDs reachable from ``root`` that are not in the store (empty if complete)."""
        absent: list[CID] = []
        seen: set[bytes] = set()
        stack = [_as_cid_bytes(root)]
        while stack:
            cid_bytes = stack.pop()
            if cid_bytes in seen:
                continue
            seen.add(cid_bytes)
            try:
                data = self.get(cid_bytes)
            except BlockNotFoundError:
                absent.append(cid_from_bytes(cid_bytes))
                continue
            stack.extend(iter_links(cid_bytes, data))
        return absent

    def export_car(self, root: CidLike, out: BinaryIO) -> int:
        """Write the DAG under ``root`` as a CARv1 to ``out``; returns the number of blocks.

        Raises :class:`BlockNotFoundError` naming the first missing block; ``out`` then holds
        a partial CAR, so write to a temporary file when that matters.
        """
        parsed = parse_cid(root)
        writer = CarWriter(out, [parsed])
        for block in self.walk(parsed):
            writer(block)
        return writer.blocks_written

    def import_car(self, stream: BinaryIO) -> tuple[CID, ...]:
        """Store every block of a CAR (each verified while reading); returns its roots."""
        reader = CarReader(stream)
        with self.batch():
            for block in reader:
                self._write(block.cid_bytes, block.data)
        return reader.roots

    def add_file(
        self,
        path: str | os.PathLike[str],
        profile: str | Profile | None = None,
        *,
        include_hidden: bool = False,
    ) -> ImportResult:
        """Import a file or directory and store its blocks in the same single read; every block
        is durable when this returns (see :meth:`batch`)."""
        with self.batch():
            return import_path(path, profile, self.put_block, include_hidden=include_hidden)


@dataclass
class _Batch:
    flush_every: int
    pending: dict[str, str] = field(default_factory=dict)  # final path -> temporary file


_TMP_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _replace(tmp_name: str, final: str, directory: str) -> None:
    try:
        os.replace(tmp_name, final)
    except FileNotFoundError:
        if not os.path.exists(tmp_name):
            raise
        os.makedirs(directory, exist_ok=True)  # the shard directory's first block
        os.replace(tmp_name, final)


_B32: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: every 10-bit value as two base32 characters
_B32_PAIRS: Final = tuple(a + b for a in _B32 for b in _B32)


def _base32_key(data: bytes) -> str:
    """RFC 4648 base32, upper case, no padding: ``base64.b32encode`` is pure Python in 3.11
    and slower than hashing a small block."""
    bits = len(data) * 8
    chars = (bits + 4) // 5
    number = int.from_bytes(data, "big") << (chars * 5 - bits)
    out = []
    for shift in range((chars // 2) * 10 - 10 + (chars % 2) * 5, -1, -10):
        out.append(_B32_PAIRS[(number >> shift) & 0x3FF])
    if chars % 2:
        out.append(_B32[number & 0x1F])
    return "".join(out)


def _libc_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syncfs  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None  # not Linux


_SYNCFS: Final = _libc_syncfs()


def _sync_filesystem(root: Path, paths: Iterable[str | Path]) -> None:
    """Make everything written under ``root`` durable: ``syncfs`` on Linux (one call for the
    whole filesystem), else ``sync``, else an fsync of each path."""
    if _SYNCFS is not None:
        fd = os.open(root, os.O_RDONLY)
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            os.close(fd)
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:
        if os.path.isdir(path):
            _fsync_dir(Path(path))
        else:
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, and harmless to skip.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------------------------
# Pin targets

#: Returns a fresh binary stream of a CAR holding the DAG; a factory rather than a stream so
#: a target can read it more than once (retries, or a size probe before an upload).
CarSource = Callable[[], BinaryIO]


class PinState(StrEnum):
    """Pin states; the first four are the IPFS Pinning Service API's."""

    QUEUED = "queued"
    PINNING = "pinning"
    PINNED = "pinned"
    FAILED = "failed"
    UNPINNED = "unpinned"


@dataclass(frozen=True, slots=True)
class PinStatus:
    """What a target reports about one root."""

    cid: CID
    state: PinState
    target: str
    name: str | None = None
    detail: str = ""


class PinTarget(ABC):
    """Somewhere a DAG can be kept available: the local store, a Kubo node, a pinning service.

    Implementations must be idempotent (pinning a pinned root succeeds) and must not report
    ``PINNED`` unless the whole DAG is held. Errors are :class:`~cidhub.errors.PinError`.
    """

    #: Short identifier shown to people and stored with asset records (e.g. ``"local"``).
    name: str

    @abstractmethod
    def pin(
        self, root: CidLike, car: CarSource | None = None, *, label: str | None = None
    ) -> PinStatus:
        """Keep the DAG under ``root``; ``car`` supplies the blocks if the target lacks them."""

    @abstractmethod
    def unpin(self, root: CidLike) -> None:
        """Stop keeping ``root``; unpinning an unknown root is not an error."""

    @abstractmethod
    def has(self, cid: CidLike) -> bool:
        """Whether the target currently holds the block ``cid``."""

    @abstractmethod
    def status(self, root: CidLike) -> PinStatus:
        """Current state of ``root`` on this target."""

    def pins(self) -> list[PinStatus]:
        """Every root this target keeps; targets that cannot list raise :class:`PinError`."""
        raise PinError(f"pin target {self.name} cannot list its pins")

    def get_block(self, cid: CidLike) -> bytes:
        """The bytes of block ``cid`` as the target holds them, *unverified*.

        Callers that need trust (``cidhub verify``) re-hash what comes back. Targets that
        serve no blocks (a pinning service) raise :class:`PinError`.
        """
        raise PinError(f"pin target {self.name} does not serve blocks; verify through a gateway")


class LocalPinTarget(PinTarget):
    """Pins in a :class:`BlockStore`: a pin is a record next to the blocks."""

    name = "local"

    def __init__(self, store: BlockStore) -> None:
        self.store = store

    def _record(self, root: CID) -> Path:
        return self.store.root / _PINS_DIR / str(to_base32_v1(root))

    def pin(
        self, root: CidLike, car: CarSource | None = None, *, label: str | None = None
    ) -> PinStatus:
        parsed = parse_cid(root)
        if car is not None:
            with car() as stream:
                try:
                    self.store.import_car(stream)
                except CarError as exc:
                    raise PinError(f"cannot pin {parsed}: the CAR is invalid: {exc}") from None
        absent = self.store.missing(parsed)
        if absent:
            raise PinError(
                f"cannot pin {parsed}: {len(absent)} block(s) of its DAG are not in the store "
                f"(first: {absent[0]}); add the content or pass a CAR"
            )
        record = self._record(parsed)
        record.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"cid": str(parsed), "name": label, "pinned_at": int(time.time())})
        tmp = record.with_suffix(".tmp")
        tmp.write_text(body + "\n")
        os.replace(tmp, record)
        return PinStatus(parsed, PinState.PINNED, self.name, label)

    def record_pin(self, root: CidLike, label: str | None = None) -> PinStatus:
        """Record a pin for a DAG the caller has just stored completely (skips the DAG walk).

        For importers that wrote every block themselves in the same call (the node's ``add``);
        everyone else uses :meth:`pin`, which checks that no block is missing.
        """
        parsed = parse_cid(root)
        record = self._record(parsed)
        record.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"cid": str(parsed), "name": label, "pinned_at": int(time.time())})
        tmp = record.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(body + "\n")
        os.replace(tmp, record)
        return PinStatus(parsed, PinState.PINNED, self.name, label)

    def unpin(self, root: CidLike) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._record(parse_cid(root)).unlink()

    def has(self, cid: CidLike) -> bool:
        return self.store.has(cid)

    def get_block(self, cid: CidLike) -> bytes:
        path = self.store.path_for(cid)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BlockNotFoundError(f"block {parse_cid(cid)} is not in the store at {self.store.root}") from None

    def status(self, root: CidLike) -> PinStatus:
        parsed = parse_cid(root)
        try:
            record = json.loads(self._record(parsed).read_text())
        except FileNotFoundError:
            return PinStatus(parsed, PinState.UNPINNED, self.name)
        return PinStatus(parsed, PinState.PINNED, self.name, record.get("name"))

    def pins(self) -> list[PinStatus]:
        """Every pinned root, sorted by CID text."""
        directory = self.store.root / _PINS_DIR
        if not directory.is_dir():
            return []
        out = []
        for entry in sorted(directory.iterdir()):
            if entry.suffix == ".tmp":
                continue
            out.append(self.status(entry.name))
        return out
