"""Local Etherscan (API v2) and Sourcify (APIv2) servers for the tests: test doubles, not the services.

Each follows the published API document written out next to it (``etherscan_openapi.yaml``,
``sourcify_openapi.yaml``; their headers say where each rule comes from) and checks itself
against it: every request and every response is validated with ``openapi-core``; a request that
does not conform is answered 400 (Etherscan: its ``status "0"`` envelope) and every violation,
its own included, is recorded in ``violations``, which the tests assert is empty. Beyond the
schemas they check what the documents say in prose: Etherscan's ``contractname`` and Sourcify's
``contractIdentifier`` name a file of the submitted standard JSON, the input's language is Vyper,
the chain is one the double serves, the API key is the configured one.

Like the services they verify asynchronously: a submission answers a job id (Etherscan's GUID,
Sourcify's verificationId), the first status check says pending, the next gives the verdict;
a second submission for a verified address answers "already verified". ``judge(submission)``,
settable per test, returns a failure reason to make a verification fail; ``submissions`` keeps
every accepted submission (the parsed standard JSON included) for assertions.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

HERE = Path(__file__).parent
_SPECS: dict[str, OpenAPI] = {}


def _spec(name: str) -> OpenAPI:
    if name not in _SPECS:
        _SPECS[name] = OpenAPI.from_file_path(str(HERE / name))
    return _SPECS[name]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _Double(ThreadingHTTPServer):
    daemon_threads = True
    spec_file = ""

    def __init__(self, chain_ids: set[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.chain_ids = chain_ids
        self.lock = threading.Lock()
        self.violations: list[str] = []
        self.submissions: list[dict[str, Any]] = []
        self.verified: set[tuple[int, str]] = set()
        self.judge: Callable[[dict[str, Any]], str | None] = lambda submission: None
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> _Double:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def openapi(self) -> OpenAPI:
        return _spec(self.spec_file)

    def route(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def invalid(self, message: str) -> tuple[int, Any]:
        raise NotImplementedError

    def _semantics(self, std_input: Any, identifier: str) -> str | None:
        """What the documents say in prose about a standard-JSON submission."""
        if not isinstance(std_input, dict) or std_input.get("language") != "Vyper":
            return "the standard JSON input's language is not Vyper"
        path, _, name = identifier.rpartition(":")
        if path not in std_input.get("sources", {}):
            return f"{path} (from {identifier}) is not one of the submitted sources"
        return None


class EtherscanDouble(_Double):
    spec_file = "etherscan_openapi.yaml"

    def __init__(self, chain_ids: set[int], api_key: str = "test-key") -> None:
        super().__init__(chain_ids)
        self.api_key = api_key
        self.jobs: dict[str, dict[str, Any]] = {}

    @property
    def api_url(self) -> str:
        return self.url + "/v2/api"

    def invalid(self, message: str) -> tuple[int, Any]:
        return 200, {"status": "0", "message": "NOTOK", "result": message[:300]}

    def route(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if query.get("apikey") != self.api_key:
            return self.invalid("Invalid API Key")
        if int(query["chainid"]) not in self.chain_ids:
            return self.invalid(f"Missing or unsupported chainid {query['chainid']}")
        if method == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            try:
                std_input = json.loads(form["sourceCode"])
            except ValueError:
                return self.invalid("sourceCode is not valid JSON (codeformat=vyper-json)")
            problem = self._semantics(std_input, form["contractname"])
            if problem:
                return self.invalid(problem)
            key = (int(query["chainid"]), form["contractaddress"].lower())
            if key in self.verified:
                return self.invalid("Contract source code already verified")
            submission = {**form, "chainid": int(query["chainid"]), "std_input": std_input}
            guid = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(50))
            with self.lock:
                self.submissions.append(submission)
                self.jobs[guid] = {"submission": submission, "checks": 0}
            return 200, {"status": "1", "message": "OK", "result": guid}
        job = self.jobs.get(query["guid"])
        if job is None:
            return self.invalid("Unable to locate GUID")
        job["checks"] += 1
        if job["checks"] == 1:
            return 200, {"status": "0", "message": "NOTOK", "result": "Pending in queue"}
        reason = self.judge(job["submission"])
        if reason:
            return 200, {"status": "0", "message": "NOTOK", "result": f"Fail - Unable to verify. {reason}"}
        sub = job["submission"]
        self.verified.add((sub["chainid"], sub["contractaddress"].lower()))
        return 200, {"status": "1", "message": "OK", "result": "Pass - Verified"}


class SourcifyDouble(_Double):
    spec_file = "sourcify_openapi.yaml"

    def __init__(self, chain_ids: set[int]) -> None:
        super().__init__(chain_ids)
        self.jobs: dict[str, dict[str, Any]] = {}

    def _error(self, status: int, code: str, message: str) -> tuple[int, Any]:
        return status, {"customCode": code, "message": message, "errorId": str(uuid.uuid4())}

    def invalid(self, message: str) -> tuple[int, Any]:
        return self._error(400, "invalid_request", message[:300])

    def route(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "POST":
            chain_id, address = int(parts[2]), parts[3]
            if chain_id not in self.chain_ids:
                return self._error(400, "unsupported_chain", f"The chain with chainId {chain_id} is not supported")
            request = json.loads(body)
            problem = self._semantics(request["stdJsonInput"], request["contractIdentifier"])
            if problem:
                return self.invalid(problem)
            if (chain_id, address.lower()) in self.verified:
                return self._error(409, "already_verified",
                                   f"Contract {address} on chain {chain_id} is already verified")
            job_id = str(uuid.uuid4())
            submission = {**request, "chainId": chain_id, "address": address}
            with self.lock:
                self.submissions.append(submission)
                self.jobs[job_id] = {"submission": submission, "checks": 0, "started": _now()}
            return 202, {"verificationId": job_id}
        job_id = parts[2]
        job = self.jobs.get(job_id)
        if job is None:
            return self._error(404, "job_not_found", f"The verification job with id {job_id} was not found")
        job["checks"] += 1
        sub = job["submission"]
        contract = {"match": None, "creationMatch": None, "runtimeMatch": None, "chainId": str(sub["chainId"]),
                    "address": sub["address"]}
        answer: dict[str, Any] = {"isJobCompleted": job["checks"] > 1, "verificationId": job_id,
                                  "jobStartTime": job["started"], "contract": contract}
        if job["checks"] == 1:
            return 200, answer
        answer["jobFinishTime"] = _now()
        reason = self.judge(sub)
        if reason:
            answer["error"] = {"customCode": "no_match", "message": reason, "errorId": str(uuid.uuid4())}
            return 200, answer
        self.verified.add((sub["chainId"], sub["address"].lower()))
        contract.update(match="match", creationMatch="match", runtimeMatch="match", verifiedAt=_now(),
                        matchId=str(len(self.verified)))
        return 200, answer


class _Handler(BaseHTTPRequestHandler):
    server: _Double
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        srv = self.server
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = EnvironBuilder(method=self.command, base_url=srv.url, path=url.path, query_string=url.query,
                                 headers=dict(self.headers.items()), data=body).get_request()
        try:
            srv.openapi().validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as exc:  # noqa: BLE001 - any validation error is the client's fault
            srv.violations.append(f"request {self.command} {url.path}: {exc}")
            return self._send(request, *srv.invalid(f"request does not follow the API: {exc}"))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        status, payload = srv.route(self.command, url.path, query, body)
        self._send(request, status, payload)

    def _send(self, request: Any, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        try:
            self.server.openapi().validate_response(WerkzeugOpenAPIRequest(request),
                                                    WerkzeugOpenAPIResponse(WerkzeugResponse(data, status, headers)))
        except Exception as exc:  # noqa: BLE001
            self.server.violations.append(f"response {status} to {request.method} {request.path}: {exc}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
