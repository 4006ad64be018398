"""Exceptions of the cidhub project.

Every error cidhub raises on purpose derives from :class:`CidhubError`, so callers (the CLI,
Ape scripts, services) can catch one type, show ``str(error)`` to a person and exit cleanly,
while genuine bugs still surface as ordinary Python exceptions with a traceback. Messages are
written for the person who has to fix the input: they say what was wrong and what was expected.
"""

from __future__ import annotations

__all__ = [
    "CidhubError",
    "CidError",
    "UnixfsError",
    "CarError",
    "StoreError",
    "BlockNotFoundError",
    "CorruptBlockError",
    "PinError",
]


class CidhubError(Exception):
    """Base class of all errors raised deliberately by cidhub."""


class CidError(CidhubError, ValueError):
    """A CID (text or binary) could not be parsed, or a CID operation is impossible.

    Also a ``ValueError`` so that code treating CIDs as ordinary values can catch it generically.
    """


class UnixfsError(CidhubError):
    """Content cannot be imported as UnixFS with the requested profile.

    Examples: a special file (socket, device) inside a directory, a file name that is not
    valid UTF-8, two names of one directory whose 64-bit HAMT hashes are equal.
    """


class CarError(CidhubError):
    """A CAR stream is malformed, or a block in it does not match its CID."""


class StoreError(CidhubError):
    """The local block store cannot complete an operation."""


class BlockNotFoundError(StoreError, KeyError):
    """A block that was asked for is not in the store."""

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and wrap it in quotes.
        return str(self.args[0]) if self.args else "block not found"


class CorruptBlockError(StoreError):
    """A stored block's bytes no longer hash to its CID (disk corruption or tampering)."""


class PinError(CidhubError):
    """A pin target could not pin, unpin or report the status of a DAG."""
