"""The ``local`` backend: a :class:`~cidhub.content.store.BlockStore` on this machine (the default).

The publishing store already holds every block, so pinning there only writes the pin record;
a second store (another disk: ``--pin local:/mnt/backup/cidhub``) receives the blocks
through the same CAR stream the remote backends read.
"""

from __future__ import annotations

from cidhub.content.cid import parse_cid
from cidhub.content.store import BlockStore, LocalPinTarget, PinStatus
from cidhub.errors import CarError, PinError, StoreError
from cidhub.ipfs.pinning.base import PinJob

__all__ = ["LocalBackend"]


class LocalBackend(LocalPinTarget):
    """:class:`LocalPinTarget` that skips the CAR when its store already has the whole DAG."""

    def __init__(self, store: BlockStore, *, name: str = "local") -> None:
        super().__init__(store)
        self.name = name

    def pin_job(self, job: PinJob) -> PinStatus:
        root = parse_cid(job.root)
        try:
            complete = not self.store.missing(root)
        except StoreError as exc:
            raise PinError(f"{self.name}: cannot read the DAG of {root}: {exc}") from None
        try:
            if complete:
                # Checked just now: writing the record is all that is left (pin() would walk again).
                return self.record_pin(root, job.label)
            return self.pin(root, job.car, label=job.label)
        except (CarError, StoreError) as exc:
            raise PinError(f"{self.name}: cannot pin {root}: {exc}") from None
