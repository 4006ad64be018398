"""A local IPFS Pinning Service API server for the tests: a test double, not a real service.

It follows the Pinning Service API v1.0.0 as written out in ``psa_openapi.yaml`` and checks
itself against it: every request it accepts and every response it sends is validated with
``openapi-core``; a request that does not conform is answered 400, and every violation (its
own included) is recorded in :attr:`PinningServiceDouble.violations`, which the fixtures
assert is empty at teardown.

Like a real service it pins asynchronously: a worker moves each request from ``queued`` to
``pinning`` when it can reach an origin, fetches the DAG as a CAR from that origin's trustless
gateway (``/ip4/127.0.0.1/tcp/<port>/http`` origins only: loopback, nothing else is
contacted), verifies every block, then marks it ``pinned`` (or ``failed``). Faults are switched
on per test: answer N requests with a status code, delay answers, keep pins queued, fail pins,
echo a different CID.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

from cidhub.content.car import verify_car

SPEC_PATH = Path(__file__).with_name("psa_openapi.yaml")
_OPENAPI: OpenAPI | None = None
_HTTP_ORIGIN = re.compile(r"^/ip4/127\.0\.0\.1/tcp/(\d+)/https?$")
_RANK = {"pinned": 3, "pinning": 2, "queued": 1, "failed": 0}


def openapi() -> OpenAPI:
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = OpenAPI.from_file_path(str(SPEC_PATH))
    return _OPENAPI


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PinningServiceDouble(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str = "test-token") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = token
        self.pins: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        # faults
        self.fail_next: list[int] = []  # statuses for the next requests, consumed in order
        self.delay = 0.0  # seconds before answering
        self.stuck = False  # never leave "queued"
        self.fail_pins = False  # every fetch ends "failed"
        self.wrong_cid: str | None = None  # echoed as pin.cid instead of the requested one
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, daemon=True, name="psa-double-worker")
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> PinningServiceDouble:
        self._thread.start()
        self._worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.shutdown()
        self.server_close()
        self._worker.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # a client that gave up (the time-out tests) is not a server error
        super().handle_error(request, client_address)

    def count(self, method: str, path_prefix: str = "/pins") -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(path_prefix))

    # ---- the pinning worker

    def _work(self) -> None:
        while not self._stop.wait(0.02):
            with self.lock:
                queued = [p for p in self.pins.values() if p["status"] in ("queued", "pinning")]
            for record in queued:
                if self.stuck:
                    continue
                self._fetch(record)

    def _fetch(self, record: dict[str, Any]) -> None:
        ports = [int(m.group(1)) for o in record["pin"].get("origins", []) if (m := _HTTP_ORIGIN.match(o))]
        if not ports:
            return  # no origin we can reach: stays queued, as with a real service
        with self.lock:
            record["status"] = "pinning"
            record["info"] = {"status_details": "fetching from origins"}
        if self.fail_pins:
            self._set(record, "failed", "injected failure: could not fetch the DAG")
            return
        cid = record["pin"]["cid"]
        errors = []
        for port in ports:
            try:
                with requests.get(f"http://127.0.0.1:{port}/ipfs/{cid}?format=car", timeout=10, stream=True) as r:
                    if r.status_code != 200:
                        errors.append(f"origin {port}: HTTP {r.status_code}")
                        continue
                    summary = verify_car(r.content, cid)
                self._set(record, "pinned", f"{summary.blocks} blocks verified")
                return
            except Exception as exc:  # noqa: BLE001 - any failure of an origin is a failed fetch
                errors.append(f"origin {port}: {exc}")
        self._set(record, "failed", "; ".join(errors)[:500])

    def _set(self, record: dict[str, Any], status: str, details: str) -> None:
        with self.lock:
            record["status"] = status
            record["info"] = {"status_details": details}


class _Handler(BaseHTTPRequestHandler):
    server: PinningServiceDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # ---- plumbing

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv = self.server
        srv.requests.append((self.command, url.path))
        if srv.delay:
            time.sleep(srv.delay)
        request = EnvironBuilder(method=self.command, base_url=srv.url, path=url.path, query_string=url.query,
                                 headers=dict(self.headers.items()), data=body).get_request()
        with srv.lock:
            injected = srv.fail_next.pop(0) if srv.fail_next else None
        if injected is not None:
            reason = "INTERNAL_SERVER_ERROR" if injected >= 500 else "INJECTED"
            return self._send(request, injected, {"error": {"reason": reason, "details": "injected fault"}})
        if self.headers.get("Authorization") != f"Bearer {srv.token}":
            return self._send(request, 401, {"error": {"reason": "UNAUTHORIZED",
                                                       "details": "Access token is missing or invalid"}})
        try:
            openapi().validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as exc:  # noqa: BLE001 - any validation error
            srv.violations.append(f"request {self.command} {self.path}: {exc}")
            return self._send(request, 400, {"error": {"reason": "BAD_REQUEST", "details": str(exc)[:300]}})
        status, payload = self._route(url.path, parse_qs(url.query), body)
        self._send(request, status, payload)

    def _send(self, request: Any, status: int, payload: Any) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            openapi().validate_response(WerkzeugOpenAPIRequest(request),
                                        WerkzeugOpenAPIResponse(WerkzeugResponse(data, status, headers)))
        except Exception as exc:  # noqa: BLE001
            self.server.violations.append(f"response {status} to {request.method} {request.path}: {exc}")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # ---- the API

    def _route(self, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        srv = self.server
        if path == "/pins" and self.command == "GET":
            return 200, self._list(query)
        if path == "/pins" and self.command == "POST":
            return self._add(json.loads(body))
        match = re.fullmatch(r"/pins/([^/]+)", path)
        if match:
            with srv.lock:
                record = srv.pins.get(match.group(1))
            if record is None:
                return 404, {"error": {"reason": "NOT_FOUND", "details": "The specified resource was not found"}}
            if self.command == "GET":
                return 200, self._view(record)
            if self.command == "DELETE":
                with srv.lock:
                    srv.pins.pop(record["requestid"], None)
                return 202, None
            if self.command == "POST":  # replace: remove the old request, add the new pin
                with srv.lock:
                    srv.pins.pop(record["requestid"], None)
                return self._add(json.loads(body))
        return 404, {"error": {"reason": "NOT_FOUND", "details": path}}

    def _add(self, pin: dict[str, Any]) -> tuple[int, Any]:
        requestid = uuid.uuid4().hex
        record = {"requestid": requestid, "status": "queued", "created": _now(), "pin": pin,
                  "delegates": ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWTestDouble"],
                  "info": {"status_details": "waiting for a worker"}}
        with self.server.lock:
            self.server.pins[requestid] = record
        return 202, self._view(record)

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        view = json.loads(json.dumps(record))
        if self.server.wrong_cid:
            view["pin"]["cid"] = self.server.wrong_cid
        return view

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        cids = set(query["cid"][0].split(",")) if "cid" in query else None
        statuses = set(query["status"][0].split(",")) if "status" in query else {"pinned"}
        limit = int(query.get("limit", ["10"])[0])
        name = query.get("name", [None])[0]
        before = query.get("before", [None])[0]
        with self.server.lock:
            records = list(self.server.pins.values())
        matching = [r for r in records
                    if r["status"] in statuses
                    and (cids is None or r["pin"]["cid"] in cids)
                    and (name is None or r["pin"].get("name") == name)
                    and (before is None or r["created"] < before)]
        matching.sort(key=lambda r: r["created"], reverse=True)
        return {"count": len(matching), "results": [self._view(r) for r in matching[:limit]]}
