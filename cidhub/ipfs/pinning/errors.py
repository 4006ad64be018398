"""Errors of the pinning backends.

They all derive from :class:`~cidhub.errors.PinError`, so a caller that only wants "did the
pin work" catches one type. The subclasses let the retry policy and the publish flow tell
apart what is worth another try (:class:`RetryableError`) from what a person has to fix.
"""

from __future__ import annotations

from cidhub.errors import PinError

__all__ = [
    "BackendError",
    "RetryableError",
    "BackendUnavailableError",
    "BackendServerError",
    "BackendAuthError",
    "BackendRequestError",
    "CidMismatchError",
    "PinFailedError",
    "PinTimeoutError",
    "NotEnoughReplicasError",
]


class BackendError(PinError):
    """A pinning backend refused or failed a request; ``target`` names the backend."""

    def __init__(self, message: str, *, target: str = "") -> None:
        super().__init__(message)
        self.target = target


class RetryableError(BackendError):
    """A failure that may go away by itself (connection refused, timeout, HTTP 5xx)."""


class BackendUnavailableError(RetryableError):
    """The backend could not be reached, or did not answer in time."""


class BackendServerError(RetryableError):
    """The backend answered with a 5xx status."""

    def __init__(self, message: str, *, target: str = "", status: int = 500) -> None:
        super().__init__(message, target=target)
        self.status = status


class BackendAuthError(BackendError):
    """401 / 403: the token is missing, wrong, expired or lacks the permission. Never retried."""


class BackendRequestError(BackendError):
    """Any other 4xx, or an answer that makes no sense: retrying would give the same result."""

    def __init__(self, message: str, *, target: str = "", status: int | None = None) -> None:
        super().__init__(message, target=target)
        self.status = status


class CidMismatchError(BackendError):
    """A backend named a different CID than the one computed locally: publishing must stop."""

    def __init__(self, expected: str, actual: str, *, target: str = "", how: str = "") -> None:
        how_text = f" ({how})" if how else ""
        super().__init__(
            f"{target or 'backend'} answered with CID {actual}, but the content's CID computed "
            f"locally is {expected}{how_text}; the backend imported the data differently or "
            "holds other data. Nothing is registered on-chain with a CID no backend confirms.",
            target=target,
        )
        self.expected = expected
        self.actual = actual


class PinFailedError(BackendError):
    """The backend reported the pin as failed (a pinning service's ``failed`` status)."""


class PinTimeoutError(BackendError):
    """The pin did not reach ``pinned`` within the allowed time (e.g. stuck in ``queued``)."""

    def __init__(self, message: str, *, target: str = "", last_state: str = "", request_id: str = "") -> None:
        super().__init__(message, target=target)
        self.last_state = last_state
        self.request_id = request_id


class NotEnoughReplicasError(PinError):
    """Fewer targets than the configured minimum confirmed the pin; nothing was registered."""
