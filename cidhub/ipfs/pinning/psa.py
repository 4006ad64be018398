"""The ``psa`` backend: any service implementing the IPFS Pinning Service API v1.0.0
(https://ipfs.github.io/pinning-services-api-spec/): Pinata, Filebase, a self-hosted one.

Requests (``Authorization: Bearer <token>``, the token only from the environment):

* ``GET /pins?cid=<root>&status=queued,pinning,pinned,failed`` before adding, so a rerun or a
  retried POST never creates a second pin request for the same CID;
* ``POST /pins`` with ``{"cid", "name", "origins", "meta"}``; ``origins`` are multiaddrs where
  the service can fetch the blocks (this machine's node, e.g. the embedded node's
  ``/ip4/.../tcp/<port>/http`` trustless gateway);
* ``GET /pins/{requestid}`` polled (with backoff) through ``queued`` -> ``pinning`` ->
  ``pinned`` / ``failed`` until ``pin_timeout``;
* ``GET /pins`` (paged with ``before``) to list, ``DELETE /pins/{requestid}`` to remove.

The service's ``delegates`` (peers to connect to so it can fetch faster) need a libp2p node;
cidhub has none, so they are only reported. Every ``pin.cid`` the service echoes is compared
with the CID computed locally.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import requests

from cidhub.content.cid import CidLike, parse_cid
from cidhub.content.store import CarSource, PinState, PinStatus, PinTarget
from cidhub.errors import PinError
from cidhub.ipfs.pinning.base import PinJob, check_cid, same_dag
from cidhub.ipfs.pinning.errors import (
    BackendAuthError,
    BackendRequestError,
    BackendServerError,
    BackendUnavailableError,
    PinFailedError,
    PinTimeoutError,
)
from cidhub.ipfs.pinning.retry import RetryPolicy, call_with_retry

__all__ = ["PinningServiceTarget", "PSA_TOKEN_ENV", "PSA_ENDPOINT_ENV", "PSA_ORIGINS_ENV", "ALL_STATUSES"]

PSA_TOKEN_ENV: Final = "CIDHUB_PSA_TOKEN"
PSA_ENDPOINT_ENV: Final = "CIDHUB_PSA_ENDPOINT"
PSA_ORIGINS_ENV: Final = "CIDHUB_PSA_ORIGINS"
ALL_STATUSES: Final = "queued,pinning,pinned,failed"
_STATES: Final = {s.value: s for s in (PinState.QUEUED, PinState.PINNING, PinState.PINNED, PinState.FAILED)}
_RANK: Final = {PinState.PINNED: 3, PinState.PINNING: 2, PinState.QUEUED: 1, PinState.FAILED: 0}
_MAX_NAME: Final = 255
_MAX_ORIGINS: Final = 20
_PAGE: Final = 1000


class PinningServiceTarget(PinTarget):
    """Client of one Pinning Service API endpoint.

    Args:
        endpoint: base URL (``https://api.pinata.cloud/psa``); default ``$CIDHUB_PSA_ENDPOINT``.
        token: the access token; default the environment variable ``token_env``.
        origins: multiaddrs the service may fetch from; default ``$CIDHUB_PSA_ORIGINS`` (comma
            separated).
        poll_interval: first wait between status polls (grows x1.5 up to 10 s).
        pin_timeout: seconds a pin may take to reach ``pinned``.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        name: str = "psa",
        token: str | None = None,
        token_env: str = PSA_TOKEN_ENV,
        origins: Sequence[str] | None = None,
        poll_interval: float = 1.0,
        pin_timeout: float = 600.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        endpoint = endpoint or os.environ.get(PSA_ENDPOINT_ENV)
        if not endpoint:
            raise PinError(f"{name}: no pinning service endpoint; pass one or set {PSA_ENDPOINT_ENV}")
        self.endpoint = endpoint.rstrip("/")
        self.name = name
        self.token_env = token_env
        self._token = token if token is not None else os.environ.get(token_env)
        if origins is None:
            origins = [o.strip() for o in os.environ.get(PSA_ORIGINS_ENV, "").split(",") if o.strip()]
        self.origins = list(dict.fromkeys(origins))[:_MAX_ORIGINS]
        self.poll_interval = poll_interval
        self.pin_timeout = pin_timeout
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock

    # ---- HTTP

    def _headers(self) -> dict[str, str]:
        if not self._token:
            raise BackendAuthError(
                f"{self.name}: no access token. Create one in the pinning service's dashboard and export it "
                f"as {self.token_env} (tokens are never read from files or flags).", target=self.name)
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def _request(self, method: str, path: str, *, json_body: Any = None, params: dict[str, str] | None = None,
                 expect: tuple[int, ...] = (200,), retry: bool = True) -> Any:
        url = f"{self.endpoint}{path}"
        what = f"{method} {path}"

        def attempt() -> Any:
            try:
                response = self.session.request(method, url, json=json_body, params=params,
                                                headers=self._headers(), timeout=self.retry.timeout)
            except requests.Timeout:
                raise BackendUnavailableError(
                    f"{self.name}: no answer to {what} within {self.retry.timeout:g} s", target=self.name) from None
            except requests.ConnectionError as exc:
                raise BackendUnavailableError(
                    f"{self.name}: cannot connect to {self.endpoint} for {what}: {_short(exc)}", target=self.name
                ) from None
            return self._check(response, what, expect)

        if not retry:
            return attempt()
        return call_with_retry(attempt, self.retry, sleep=self._sleep)

    def _check(self, response: requests.Response, what: str, expect: tuple[int, ...]) -> Any:
        status = response.status_code
        if status in expect:
            if status == 202 and not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise BackendRequestError(
                    f"{self.name}: {what} answered {status} with a body that is not JSON; is {self.endpoint} "
                    "a Pinning Service API endpoint?", target=self.name, status=status) from None
        reason = _failure_text(response)
        if status in (401, 403):
            raise BackendAuthError(
                f"{self.name}: {what} was refused with HTTP {status} ({reason}). The access token in "
                f"{self.token_env} is missing, wrong, expired or lacks this permission: create a new one in "
                "the service's dashboard and export it again.", target=self.name)
        if status >= 500:
            raise BackendServerError(f"{self.name}: {what}: HTTP {status} ({reason})", target=self.name, status=status)
        if status == 409:
            raise BackendRequestError(
                f"{self.name}: {what}: HTTP 409 insufficient funds ({reason}); top up the account",
                target=self.name, status=status)
        if status == 429:
            raise BackendServerError(f"{self.name}: {what}: rate limited (HTTP 429)", target=self.name, status=status)
        raise BackendRequestError(f"{self.name}: {what}: HTTP {status} ({reason})", target=self.name, status=status)

    # ---- PinTarget

    def pin(self, root: CidLike, car: CarSource | None = None, *, label: str | None = None) -> PinStatus:
        return self.pin_job(PinJob(parse_cid(root), car or (lambda: None), label))  # type: ignore[arg-type,return-value]

    def pin_job(self, job: PinJob, *, request_id: str | None = None) -> PinStatus:
        """Add the pin (unless the service has one for this CID) and wait for ``pinned``.

        ``request_id`` resumes waiting on an earlier request (from the publish journal).
        """
        root = parse_cid(job.root)
        status = self._get(request_id) if request_id else None

        def find_or_add() -> dict[str, Any]:
            # A POST that failed with a 5xx may still have created the request: look first, so a
            # retry never leaves two pin requests for one CID.
            found = self._find(root, retry=False)
            if found is not None and _state(found) is not PinState.FAILED:
                return found
            return self._add(root, job.label)

        if status is None or _state(status) is PinState.FAILED:
            status = call_with_retry(find_or_add, self.retry, sleep=self._sleep)
        return self._wait(root, status, job.label)

    def _find(self, root: Any, *, retry: bool = True) -> dict[str, Any] | None:
        """The most advanced existing pin request for ``root`` (pinned > pinning > queued > failed)."""
        found = self._list({"cid": str(root), "status": ALL_STATUSES, "limit": "10"}, retry=retry)
        matching = [s for s in found if same_dag(root, s["pin"]["cid"])]
        if not matching:
            return None
        return max(matching, key=lambda s: _RANK[_state(s)])

    def _add(self, root: Any, label: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"cid": str(root), "meta": {"app": "cidhub"}}
        if label:
            body["name"] = label[:_MAX_NAME]
        if self.origins:
            body["origins"] = self.origins
        status = self._request("POST", "/pins", json_body=body, expect=(202, 200), retry=False)
        _validate_status(status, self.name)
        check_cid(root, status["pin"]["cid"], target=self.name, how="pin.cid in the POST /pins answer")
        return dict(status)

    def _get(self, request_id: str) -> dict[str, Any] | None:
        try:
            status = self._request("GET", f"/pins/{request_id}")
        except BackendRequestError as exc:
            if exc.status == 404:
                return None
            raise
        _validate_status(status, self.name)
        return dict(status)

    def _wait(self, root: Any, status: dict[str, Any], label: str | None) -> PinStatus:
        deadline = self._clock() + self.pin_timeout
        delay = self.poll_interval
        while True:
            check_cid(root, status["pin"]["cid"], target=self.name, how="pin.cid in the pin status")
            state = _state(status)
            request_id = status["requestid"]
            detail = (status.get("info") or {}).get("status_details", "")
            if state is PinState.PINNED:
                return PinStatus(parse_cid(root), PinState.PINNED, self.name, label, f"requestid={request_id}")
            if state is PinState.FAILED:
                raise PinFailedError(
                    f"{self.name}: the service reports pin {request_id} of {root} as failed"
                    + (f": {detail}" if detail else "")
                    + ". Check that the origins are reachable from the service"
                    + (f" ({', '.join(self.origins)})" if self.origins else " (none were given)"),
                    target=self.name)
            if self._clock() + delay > deadline:
                hint = (" The service has not started fetching: it cannot reach the content. Give it origins it can "
                        "reach (a public node holding the DAG) or pin the content on an IPFS node first."
                        if state is PinState.QUEUED else " The service is still fetching the DAG.")
                raise PinTimeoutError(
                    f"{self.name}: pin {request_id} of {root} still '{state.value}' after {self.pin_timeout:g} s."
                    + hint + (f" Service says: {detail}" if detail else ""),
                    target=self.name, last_state=state.value, request_id=request_id)
            self._sleep(delay)
            delay = min(delay * 1.5, 10.0)
            fresh = self._get(request_id)
            if fresh is None:
                raise PinFailedError(f"{self.name}: pin request {request_id} disappeared (404)", target=self.name)
            status = fresh

    def _list(self, params: dict[str, str], *, retry: bool = True) -> list[dict[str, Any]]:
        answer = self._request("GET", "/pins", params=params, retry=retry)
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise BackendRequestError(f"{self.name}: GET /pins answered without a results list", target=self.name)
        for status in answer["results"]:
            _validate_status(status, self.name)
        return list(answer["results"])

    def unpin(self, root: CidLike) -> None:
        parsed = parse_cid(root)
        for status in self._list({"cid": str(parsed), "status": ALL_STATUSES, "limit": "1000"}):
            if same_dag(parsed, status["pin"]["cid"]):
                try:
                    self._request("DELETE", f"/pins/{status['requestid']}", expect=(202, 200, 204))
                except BackendRequestError as exc:
                    if exc.status != 404:
                        raise

    def has(self, cid: CidLike) -> bool:
        return self.status(cid).state is PinState.PINNED

    def status(self, root: CidLike) -> PinStatus:
        parsed = parse_cid(root)
        found = self._find(parsed)
        if found is None:
            return PinStatus(parsed, PinState.UNPINNED, self.name)
        return PinStatus(parsed, _state(found), self.name, found["pin"].get("name"),
                         f"requestid={found['requestid']}")

    def pins(self, statuses: str = ALL_STATUSES) -> list[PinStatus]:
        """Every pin request, newest first (paged with ``before``)."""
        out: list[PinStatus] = []
        params = {"status": statuses, "limit": str(_PAGE)}
        while True:
            page = self._list(params)
            out.extend(PinStatus(parse_cid(s["pin"]["cid"]), _state(s), self.name, s["pin"].get("name"),
                                 f"requestid={s['requestid']}") for s in page)
            if len(page) < _PAGE:
                return out
            params = {**params, "before": min(s["created"] for s in page)}

    def ping(self) -> str:
        """Checks the endpoint and the token with a cheap list request."""
        self._list({"limit": "1"})
        return "ok"


def _state(status: dict[str, Any]) -> PinState:
    return _STATES[status["status"]]


def _validate_status(status: Any, name: str) -> None:
    """The fields cidhub relies on, checked so a broken service gives a clear error, not a KeyError."""
    ok = (
        isinstance(status, dict)
        and isinstance(status.get("requestid"), str)
        and status.get("status") in _STATES
        and isinstance(status.get("pin"), dict)
        and isinstance(status["pin"].get("cid"), str)
    )
    if not ok:
        raise BackendRequestError(
            f"{name}: the service answered with something that is not a PinStatus object: {str(status)[:200]}",
            target=name)


def _failure_text(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        reason = error.get("reason", "")
        details = error.get("details", "")
        return f"{reason}: {details}" if details else reason or response.reason
    except (ValueError, AttributeError):
        return response.reason or "no details"


def _short(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused (is the service up and the endpoint right?)"
    return text[:200]

