"""Retries with exponential backoff and full jitter, for every remote pinning backend.

Policy (the one AWS' "Exponential Backoff and Jitter" analysis recommends, and what most
IPFS clients do): the n-th retry waits a random time in ``[(1 - jitter) * d, d]`` where
``d = min(max_delay, base_delay * multiplier ** n)``. Only :class:`RetryableError`
(connection refused, timeout, HTTP 5xx) is retried; a 4xx answer, a CID mismatch or a failed
pin is final at once, because asking again gives the same answer and, for 401/403, may lock
the token.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from cidhub.ipfs.pinning.errors import RetryableError

__all__ = ["RetryPolicy", "call_with_retry", "NO_RETRY"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a backend is asked.

    Attributes:
        attempts: total tries (1 = no retry).
        base_delay: the first backoff, in seconds.
        multiplier: growth of the backoff per retry.
        max_delay: cap of one backoff.
        jitter: fraction of the backoff that is randomised (1.0 = full jitter).
        timeout: seconds allowed for one request (connect and each read).
    """

    attempts: int = 5
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 15.0
    jitter: float = 1.0
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("RetryPolicy.jitter must be within 0..1")
        if self.base_delay < 0 or self.max_delay < 0 or self.timeout <= 0:
            raise ValueError("RetryPolicy delays must be >= 0 and the timeout > 0")

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * self.multiplier**retry)
        low = ceiling * (1.0 - self.jitter)
        return (rng or random).uniform(low, ceiling)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The waits between the attempts (``attempts - 1`` of them)."""
        for retry in range(self.attempts - 1):
            yield self.backoff(retry, rng)


#: For callers that must not retry (a health probe, a test).
NO_RETRY = RetryPolicy(attempts=1)


def call_with_retry(
    func: Callable[[], T],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, float, RetryableError], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call ``func`` until it succeeds, raises a non-retryable error, or attempts run out.

    The last :class:`RetryableError` is re-raised with the number of attempts in its message.
    ``on_retry(attempt, delay, error)`` is called before each wait (for logs and progress).
    """
    delays = policy.delays(rng)
    attempt = 0
    while True:
        attempt += 1
        try:
            return func()
        except RetryableError as exc:
            delay = next(delays, None)
            if delay is None:
                if policy.attempts > 1:
                    exc.args = (f"{exc.args[0]} (gave up after {attempt} attempts)",) + exc.args[1:]
                raise
            if on_retry is not None:
                on_retry(attempt, delay, exc)
            sleep(delay)
