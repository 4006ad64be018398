"""Pinning one asset on several targets and deciding whether that is enough.

Each target pins every job (the content and its card); a target *confirms* when all of them
are pinned there. The publish flow registers on-chain only when at least
``min_confirmations`` targets confirmed. A CID mismatch on any target stops everything at
once, whatever the others said: a backend holding other bytes under our name is a bug or an
attack, never a replica.

Availability: if each target independently keeps the content with probability ``p``, the
content survives with ``P = 1 - (1 - p)^k`` for ``k`` confirmed targets (the replication
estimate from the seed paper); ``p`` is configurable because it is a judgement about the
targets, not a measurement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cidhub.content.store import PinState, PinStatus, PinTarget
from cidhub.errors import CidhubError, PinError
from cidhub.ipfs.pinning.base import PinJob, run_job
from cidhub.ipfs.pinning.errors import CidMismatchError, NotEnoughReplicasError

__all__ = ["availability", "TargetResult", "ReplicationReport", "replicate", "DEFAULT_P"]

#: Default probability that one target still holds the content when it is needed.
DEFAULT_P = 0.9


def availability(p: float, k: int) -> float:
    """``P = 1 - (1 - p)^k``: probability that at least one of ``k`` independent replicas is up."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"per-target availability p must be within 0..1, got {p}")
    if k < 0:
        raise ValueError("k must be >= 0")
    return 1.0 - (1.0 - p) ** k


@dataclass
class TargetResult:
    """What one target did with the asset's jobs."""

    target: str
    confirmed: bool
    states: dict[str, str] = field(default_factory=dict)  # job root -> final state
    details: dict[str, str] = field(default_factory=dict)  # job root -> backend detail (request id...)
    error: str | None = None
    seconds: float = 0.0
    resumed: bool = False  # confirmed by an earlier run (publish journal), nothing sent now

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target, "confirmed": self.confirmed, "states": self.states,
            "details": self.details, "error": self.error, "seconds": round(self.seconds, 3),
            "resumed": self.resumed,
        }


@dataclass
class ReplicationReport:
    results: list[TargetResult]
    min_confirmations: int
    p: float = DEFAULT_P

    @property
    def confirmed(self) -> int:
        return sum(1 for r in self.results if r.confirmed)

    @property
    def availability(self) -> float:
        return availability(self.p, self.confirmed)

    @property
    def ok(self) -> bool:
        return self.confirmed >= self.min_confirmations

    def as_dict(self) -> dict[str, Any]:
        return {
            "targets": [r.as_dict() for r in self.results],
            "confirmed": self.confirmed,
            "min_confirmations": self.min_confirmations,
            "p": self.p,
            "availability": self.availability,
        }

    def raise_if_short(self) -> None:
        if self.ok:
            return
        failures = "; ".join(f"{r.target}: {r.error}" for r in self.results if not r.confirmed)
        raise NotEnoughReplicasError(
            f"only {self.confirmed} of {len(self.results)} pin targets confirmed, {self.min_confirmations} "
            f"required; nothing was registered. Fix the failing targets and run the same command again "
            f"(confirmed pins are remembered). Failures: {failures}"
        )


def replicate(
    jobs: Sequence[PinJob],
    targets: Sequence[PinTarget],
    *,
    min_confirmations: int,
    p: float = DEFAULT_P,
    done: Mapping[str, Mapping[str, str]] | None = None,
    on_pinned: Callable[[str, PinJob, PinStatus], None] | None = None,
    parallel: bool = True,
) -> ReplicationReport:
    """Pin every job on every target; return who confirmed.

    Args:
        done: ``{target: {job root: detail}}`` already confirmed by an earlier run (from the
            publish journal); those are not sent again.
        on_pinned: called after each successful pin (the journal records it at once, so a crash
            right after still remembers it).

    Raises:
        CidMismatchError: a target answered with another CID; nothing else matters then.
        PinError: ``min_confirmations`` exceeds the number of targets.
    """
    if min_confirmations < 1 or min_confirmations > len(targets):
        raise PinError(
            f"min confirmations must be between 1 and the number of targets ({len(targets)}), got {min_confirmations}"
        )
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise PinError(f"pin target names must be unique, got {names}")
    done = done or {}

    def run(target: PinTarget) -> TargetResult:
        result = TargetResult(target.name, confirmed=False)
        started = time.monotonic()
        previous = done.get(target.name, {})
        try:
            for job in jobs:
                key = str(job.root)
                if key in previous:
                    result.states[key] = PinState.PINNED.value
                    result.details[key] = previous[key]
                    continue
                status = run_job(target, job)
                if status.state is not PinState.PINNED:
                    raise PinError(f"{target.name} reported {status.state.value} for {key}")
                result.states[key] = status.state.value
                result.details[key] = status.detail
                if on_pinned is not None:
                    on_pinned(target.name, job, status)
            result.confirmed = True
            result.resumed = all(str(job.root) in previous for job in jobs)
        except CidMismatchError:
            raise
        except CidhubError as exc:
            result.error = str(exc)
        result.seconds = time.monotonic() - started
        return result

    if parallel and len(targets) > 1:
        with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="pin") as pool:
            futures = [pool.submit(run, t) for t in targets]
            results = []
            mismatch: CidMismatchError | None = None
            for future in futures:
                try:
                    results.append(future.result())
                except CidMismatchError as exc:
                    mismatch = mismatch or exc
            if mismatch is not None:
                raise mismatch
    else:
        results = [run(t) for t in targets]
    return ReplicationReport(results, min_confirmations, p)
