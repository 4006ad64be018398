"""The ``kubo`` backend: a Kubo node (or anything speaking its RPC, like ``cidhub node``).

It goes through the unmodified ``ipfshttpclient`` 0.7.0. ``ipfshttpclient.connect()`` refuses
every daemon newer than 0.7 (its maximum version is hard-coded), so the client is built with
``ipfshttpclient.Client(addr)``, which skips that check; the calls below still match Kubo.

Kubo RPC calls used (all ``POST /api/v0/...``):

================  =========================================================================
``version``       :meth:`KuboPinTarget.ping` (health check, reports the daemon version)
``pin/ls``        ``arg=<root>&type=recursive``: already pinned? (skips the upload), status
``dag/import``    upload the CAR built locally (default ``mode``); the ``Root`` it reports
                  is checked against the local CID
``add``           ``cid-version``, ``raw-leaves``, ``chunker=size-N``, ``pin=false`` and
                  ``max-file-links`` when not Kubo's 174: ``mode="add"`` for single files
``pin/add``       ``arg=<root>&recursive=true``: pin after the upload
``pin/rm``        :meth:`unpin`
``block/stat``    :meth:`has`
``block/get``     :meth:`get_block` (``cidhub verify`` re-hashes what comes back)
================  =========================================================================

Every answer that names a CID is compared with the CID computed locally
(:class:`~cidhub.ipfs.pinning.errors.CidMismatchError` otherwise). Connection errors, time-outs
and 5xx answers that are not Kubo's own error object are retried with backoff; Kubo's error
objects (``{"Message": ..., "Type": "error"}``, also sent with status 500) are final, because
they report a command that failed, not a node that is struggling.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any, Final, TypeVar

from cidhub.content.cid import CidLike, parse_cid
from cidhub.content.store import CarSource, PinState, PinStatus, PinTarget
from cidhub.errors import PinError
from cidhub.ipfs.pinning.base import PinJob, check_cid
from cidhub.ipfs.pinning.errors import (
    BackendAuthError,
    BackendError,
    BackendRequestError,
    BackendServerError,
    BackendUnavailableError,
    PinFailedError,
)
from cidhub.ipfs.pinning.retry import RetryPolicy, call_with_retry

with warnings.catch_warnings():
    # ipfshttpclient 0.7 warns at import time about optional backends; irrelevant here.
    warnings.simplefilter("ignore")
    import ipfshttpclient
    from ipfshttpclient import exceptions as ipfs_exc

# ipfshttpclient 0.7 passes urllib3 a `strict` argument on every request; urllib3 2 warns about
# it each time. It is harmless and not the user's to fix.
warnings.filterwarnings("ignore", message="The 'strict' parameter is no longer needed", category=FutureWarning)

__all__ = ["KuboPinTarget", "DEFAULT_KUBO_API", "KUBO_API_ENV", "KUBO_AUTH_ENV"]

DEFAULT_KUBO_API: Final = "/ip4/127.0.0.1/tcp/5001/http"
#: Environment variable with the RPC address (multiaddr), when not given explicitly.
KUBO_API_ENV: Final = "CIDHUB_KUBO_API"
#: ``Bearer <token>`` or ``user:password`` for a node with ``API.Authorizations``.
KUBO_AUTH_ENV: Final = "CIDHUB_KUBO_AUTH"
_KUBO_DEFAULT_LINKS: Final = 174
_UPLOAD_CHUNK: Final = 1 << 20

T = TypeVar("T")


class KuboPinTarget(PinTarget):
    """Pins on a Kubo node through its RPC API.

    Args:
        api: RPC multiaddr (``/ip4/127.0.0.1/tcp/5001/http``); default ``$CIDHUB_KUBO_API``.
        name: how the target is shown and recorded.
        mode: ``"dag-import"`` (upload the exact CAR built locally: the CID cannot differ) or
            ``"add"`` (re-import the file on the node with the same settings; files only).
        retry: retry policy; its ``timeout`` applies to every request.
        auth: ``Bearer <token>`` or ``user:password``; default ``$CIDHUB_KUBO_AUTH``.
    """

    def __init__(
        self,
        api: str | None = None,
        *,
        name: str = "kubo",
        mode: str = "dag-import",
        retry: RetryPolicy | None = None,
        auth: str | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if mode not in ("dag-import", "add"):
            raise PinError(f"unknown kubo mode {mode!r}: use dag-import or add")
        self.api = api or os.environ.get(KUBO_API_ENV) or DEFAULT_KUBO_API
        self.name = name
        self.mode = mode
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        auth = auth if auth is not None else os.environ.get(KUBO_AUTH_ENV)
        headers: dict[str, str] = {}
        basic: tuple[str, str] | None = None
        if auth:
            if auth.lower().startswith(("bearer ", "basic ")):
                headers["Authorization"] = auth
            elif ":" in auth:
                user, _, password = auth.partition(":")
                basic = (user, password)
            else:
                headers["Authorization"] = f"Bearer {auth}"
        try:
            self.client = ipfshttpclient.Client(
                self.api, timeout=self.retry.timeout, chunk_size=_UPLOAD_CHUNK, headers=headers, auth=basic,
            )
        except ipfs_exc.AddressError:
            raise PinError(
                f"{name}: {self.api!r} is not a Kubo RPC multiaddr; expected e.g. {DEFAULT_KUBO_API}"
            ) from None

    # ---- request plumbing

    def _call(self, what: str, func: Callable[[], T], *, retry: bool = True) -> T:
        def attempt() -> T:
            try:
                return func()
            except ipfs_exc.Error as exc:
                raise self._translate(what, exc) from None

        policy = self.retry if retry else RetryPolicy(attempts=1, timeout=self.retry.timeout)
        kwargs: dict[str, Any] = {"sleep": self._sleep} if self._sleep is not None else {}
        return call_with_retry(attempt, policy, **kwargs)

    def _translate(self, what: str, exc: Exception) -> BackendError:
        where = f"{self.name} ({self.api})"
        if isinstance(exc, ipfs_exc.TimeoutError):
            return BackendUnavailableError(
                f"{where}: no answer to {what} within {self.retry.timeout:g} s", target=self.name)
        if isinstance(exc, ipfs_exc.ConnectionError):
            return BackendUnavailableError(
                f"{where}: cannot connect for {what}: is the daemon running? (`ipfs daemon`, or "
                "`cidhub node` for the embedded one)", target=self.name)
        if isinstance(exc, ipfs_exc.ProtocolError):
            return BackendUnavailableError(f"{where}: connection broken during {what}: {exc}", target=self.name)
        if isinstance(exc, ipfs_exc.StatusError):
            response = getattr(getattr(exc, "original", None), "response", None)
            status = getattr(response, "status_code", None)
            if status in (401, 403):
                return BackendAuthError(
                    f"{where} refused {what} with HTTP {status}: the RPC API requires credentials. Set "
                    f"{KUBO_AUTH_ENV} to 'Bearer <token>' or 'user:password' matching the node's "
                    "API.Authorizations, and check that the token allows this command.", target=self.name)
            kubo_error = isinstance(exc, ipfs_exc.ErrorResponse)
            if status is not None and status >= 500 and not kubo_error:
                return BackendServerError(f"{where}: HTTP {status} for {what}", target=self.name, status=status)
            if status is not None and status in (502, 503, 504):
                return BackendServerError(f"{where}: HTTP {status} for {what}: {exc}", target=self.name, status=status)
            message = exc.args[0] if exc.args else str(exc)
            return BackendRequestError(f"{where}: {what} failed: {message}", target=self.name, status=status)
        return BackendRequestError(f"{where}: {what} failed: {exc}", target=self.name)

    # ---- PinTarget

    def ping(self) -> str:
        """The daemon's version string; raises if the node is unreachable or refuses us."""
        info = self._call("version", lambda: self.client.version())
        return str(info["Version"])

    def pin(self, root: CidLike, car: CarSource | None = None, *, label: str | None = None) -> PinStatus:
        return self.pin_job(PinJob(parse_cid(root), car or _no_car(self.name), label))

    def pin_job(self, job: PinJob) -> PinStatus:
        root = parse_cid(job.root)
        if self._is_pinned(root):
            return PinStatus(root, PinState.PINNED, self.name, job.label, "already pinned")
        if self.mode == "add" and job.path is not None and job.path.is_file() and job.profile is not None:
            self._upload_add(job)
            how = "add"
        else:
            self._upload_car(job)
            how = "dag/import"
        result = self._call("pin/add", lambda: self.client.pin.add(str(root), recursive=True))
        pins = [str(p) for p in result.get("Pins") or []]
        check_cid(root, pins[0] if pins else None, target=self.name, how="pin/add answer")
        return PinStatus(root, PinState.PINNED, self.name, job.label, f"uploaded with {how}")

    def _upload_car(self, job: PinJob) -> None:
        root = parse_cid(job.root)

        def upload() -> Any:
            with job.car() as stream:
                # pin-roots=true: Kubo only reports the imported roots when it pins them (with
                # pin-roots=false it answers nothing, which ipfshttpclient cannot take); the
                # explicit pin/add that follows is then a cheap, idempotent confirmation.
                return self.client.dag.imprt(stream, opts={"pin-roots": "true"})

        answer = self._call("dag/import", upload)
        data = answer.as_json() if hasattr(answer, "as_json") else dict(answer)
        root_info = data.get("Root") or {}
        imported = (root_info.get("Cid") or {}).get("/")
        check_cid(root, imported, target=self.name, how="root of the imported CAR")
        if root_info.get("PinErrorMsg"):
            raise PinFailedError(f"{self.name}: dag/import of {root}: {root_info['PinErrorMsg']}", target=self.name)

    def _upload_add(self, job: PinJob) -> None:
        profile = job.profile
        assert profile is not None and job.path is not None
        opts: dict[str, Any] = {"hash": profile.hash_function}
        if profile.max_links != _KUBO_DEFAULT_LINKS:
            opts["max-file-links"] = profile.max_links
        path = job.path

        def upload() -> Any:
            return self.client.add(
                str(path), cid_version=profile.cid_version, raw_leaves=profile.raw_leaves,
                chunker=f"size-{profile.chunk_size}", pin=False, opts=opts,
            )

        answer = self._call("add", upload)
        check_cid(job.root, str(answer.get("Hash")), target=self.name,
                  how=f"add with the {profile.name} settings")

    def _is_pinned(self, root: Any) -> bool:
        try:
            answer = self._call("pin/ls", lambda: self.client.pin.ls(str(root), type="recursive"))
        except BackendRequestError as exc:
            if "not pinned" in str(exc):
                return False
            raise
        keys = answer.get("Keys") or {}
        return any(_same(root, k) for k in keys)

    def unpin(self, root: CidLike) -> None:
        parsed = parse_cid(root)
        try:
            self._call("pin/rm", lambda: self.client.pin.rm(str(parsed)))
        except BackendRequestError as exc:
            if "not pinned" not in str(exc):
                raise

    def has(self, cid: CidLike) -> bool:
        parsed = parse_cid(cid)
        try:
            self._call("block/stat", lambda: self.client.block.stat(str(parsed), offline=True))
        except BackendRequestError:
            return False
        return True

    def status(self, root: CidLike) -> PinStatus:
        parsed = parse_cid(root)
        state = PinState.PINNED if self._is_pinned(parsed) else PinState.UNPINNED
        return PinStatus(parsed, state, self.name)

    def pins(self) -> list[PinStatus]:
        answer = self._call("pin/ls", lambda: self.client.pin.ls(type="recursive"))
        keys = answer.get("Keys") or {}
        return [PinStatus(parse_cid(k), PinState.PINNED, self.name) for k in sorted(keys)]

    def get_block(self, cid: CidLike) -> bytes:
        parsed = parse_cid(cid)
        data: bytes = self._call("block/get", lambda: self.client.block.get(str(parsed)))
        return data


def _same(a: Any, b: str) -> bool:
    from cidhub.ipfs.pinning.base import same_dag

    return same_dag(a, b)


def _no_car(name: str) -> CarSource:
    def fail() -> Any:
        raise PinError(f"{name}: this DAG is not on the node and no CAR was given to upload")

    return fail
