"""What every backend shares: the unit of work (:class:`PinJob`), CAR streams made on demand
from the local store, and the CID comparison that guards publishing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cidhub.content.car import encode_car_header
from cidhub.content.cid import CID, CidLike, parse_cid, to_base32_v1
from cidhub.content.store import BlockStore, CarSource, PinStatus, PinTarget
from cidhub.content.unixfs import Block, Profile
from cidhub.errors import CidError
from cidhub.ipfs.pinning.errors import CidMismatchError

__all__ = ["PinJob", "DagCarStream", "car_source", "same_dag", "check_cid", "run_job"]


@dataclass(frozen=True)
class PinJob:
    """One DAG to keep on one or more targets.

    Attributes:
        root: the CID computed locally; every backend's answer is checked against it.
        car: opens a fresh CAR stream of the DAG (targets that need the blocks read it).
        label: a name for people (a pinning service stores it as the pin's name).
        path: the original file, for backends that re-import it (Kubo ``add`` mode).
        profile: the import settings that produced ``root`` (for ``add`` mode).
        size: content bytes, for progress and reports.
    """

    root: CID
    car: CarSource
    label: str | None = None
    path: Path | None = None
    profile: Profile | None = None
    size: int = 0


class DagCarStream(io.RawIOBase):
    """A CARv1 of the DAG under ``root``, produced block by block from the store as it is read.

    Memory stays at one block whatever the DAG's size, so a multi-GiB upload streams. Blocks
    are re-verified by :meth:`BlockStore.get` on the way out.
    """

    def __init__(self, store: BlockStore, root: CidLike, on_bytes: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self._chunks = self._generate(store, parse_cid(root))
        self._pending = memoryview(b"")
        self._on_bytes = on_bytes
        self.bytes_read = 0

    @staticmethod
    def _generate(store: BlockStore, root: CID) -> Iterator[bytes]:
        yield encode_car_header([root])
        for block in store.walk(root):
            yield _section(block)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.bytes_read += n
        if self._on_bytes is not None:
            self._on_bytes(n)
        return n


def _section(block: Block) -> bytes:
    length = len(block.cid_bytes) + len(block.data)
    out = bytearray()
    while length >= 0x80:
        out.append((length & 0x7F) | 0x80)
        length >>= 7
    out.append(length)
    return bytes(out) + block.cid_bytes + block.data


def car_source(store: BlockStore, root: CidLike, on_bytes: Callable[[int], None] | None = None) -> CarSource:
    """A :data:`~cidhub.content.store.CarSource` that streams the DAG from ``store``."""
    parsed = parse_cid(root)

    def open_car() -> io.BufferedReader:
        return io.BufferedReader(DagCarStream(store, parsed, on_bytes), buffer_size=1 << 20)

    return open_car


def same_dag(a: CidLike, b: CidLike) -> bool:
    """Whether two CIDs name the same DAG: equal, or the CIDv0 and CIDv1 forms of one dag-pb node."""
    try:
        return bytes(to_base32_v1(a)) == bytes(to_base32_v1(b))
    except CidError:
        return False


def check_cid(expected: CidLike, actual: str | None, *, target: str, how: str = "") -> None:
    """Raise :class:`CidMismatchError` (showing both CIDs) unless ``actual`` names ``expected``."""
    if actual is None or not same_dag(expected, actual):
        raise CidMismatchError(str(parse_cid(expected)), str(actual), target=target, how=how)


def run_job(target: PinTarget, job: PinJob) -> PinStatus:
    """Pin ``job`` on ``target``, using the target's richer ``pin_job`` when it has one."""
    pin_job = getattr(target, "pin_job", None)
    if callable(pin_job):
        status: PinStatus = pin_job(job)
        return status
    return target.pin(job.root, job.car, label=job.label)
