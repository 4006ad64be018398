"""Publishing the source of a deployment: Vyper standard-JSON input, Etherscan and Sourcify.

:func:`standard_json_input` builds, for one contract, the input ``vyper --standard-json`` turns
back into exactly the deployed bytecode: the contract and every module and interface it imports
(snekmate's included), keyed by their import paths (``contracts/...``, ``snekmate/...``) with
``"."`` as the only search path, so nothing about this machine's virtualenv leaks into it and any
verifier can compile it. :func:`recompile` runs the compiler on such an input.

:class:`Etherscan` speaks Etherscan's API v2 (one endpoint for every chain, ``chainid`` in the
query; ``action=verifysourcecode`` with ``codeformat=vyper-json``, then ``checkverifystatus``).
:class:`Sourcify` speaks Sourcify's APIv2 (``POST /v2/verify/{chainId}/{address}`` with the
standard JSON, then ``GET /v2/verify/{verificationId}``). Both submit, then poll until the
service gives a verdict; both treat "already verified" as success.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import site
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cidhub.errors import CidhubError

ETHERSCAN_API = "https://api.etherscan.io/v2/api"
SOURCIFY_API = "https://sourcify.dev/server"


class VerifyError(CidhubError):
    """A verification request could not be built, sent or understood."""


# ---------------------------------------------------------------- compiler input


def _search_roots(root: Path) -> list[Path]:
    return [root.resolve(), *(Path(p).resolve() for p in site.getsitepackages())]


def _import_key(path: Path, roots: list[Path]) -> str:
    # The most specific root wins: a virtualenv inside the project is still "site-packages".
    for base in sorted(roots, key=lambda r: len(r.parts), reverse=True):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    raise VerifyError(f"{path} is outside the project and the installed packages; cannot publish it")


_PARSED: dict[tuple[str, str], Any] = {}


@contextlib.contextmanager
def _shared_parses() -> Iterator[Callable[[Any], Any]]:
    """Parse each file once for all contracts: vyper re-parses a shared module (snekmate's
    access_control, say) for every contract that imports it, which made nine contracts take
    seconds. Only import resolution reads these ASTs; nothing is compiled from them."""
    from vyper.semantics.analysis import imports as vy_imports

    original = vy_imports._parse_ast

    def parse(file: Any) -> Any:
        key = (str(file.resolved_path), file.sha256sum)
        if key not in _PARSED:
            _PARSED[key] = original(file)
        return _PARSED[key]

    vy_imports._parse_ast = parse
    try:
        yield parse
    finally:
        vy_imports._parse_ast = original


def _resolve(source: str, root: Path) -> list[str]:
    """Import keys of a contract and everything it imports (builtins excepted), by vyper itself."""
    from vyper.compiler.input_bundle import FilesystemInputBundle
    from vyper.semantics.analysis.imports import resolve_imports

    roots = _search_roots(root)
    bundle = FilesystemInputBundle(roots)
    file_input = bundle.load_file(Path(source))
    with _shared_parses() as parse, bundle.search_path(Path(file_input.resolved_path).parent):
        analysis = resolve_imports(parse(file_input), bundle)
    inputs = [i for i in analysis.compiler_inputs if not i.from_builtin] + [file_input]
    keys = set()
    for item in inputs:
        resolved = Path(item.resolved_path)
        resolved = resolved if resolved.is_absolute() else (root / resolved)
        keys.add(_import_key(resolved.resolve(), roots))
    return sorted(keys)


def _fingerprint(root: Path) -> str:
    """Changes whenever a contract, the compiler or an installed package of sources could."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(compiler_version().encode())
    for name in ("snekmate",):
        try:
            digest.update(f"{name}=={version(name)}".encode())
        except PackageNotFoundError:
            pass
    for path in sorted((root / "contracts").rglob("*.vy*")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_GRAPHS: dict[str, dict[str, list[str]]] = {}


def resolved_sources(source: str, root: Path | None = None) -> dict[str, str]:
    """{import path: text} of a contract and everything it imports (builtins excepted).

    Resolving imports means parsing every module, which takes vyper seconds for the suite, so
    the import graph is kept in ``.build/cidhub-imports.json`` for as long as no contract, the
    compiler or snekmate changes; the texts are always read afresh.
    """
    root = (root or Path.cwd()).resolve()
    fingerprint = _fingerprint(root)
    cache = root / ".build" / "cidhub-imports.json"
    graph = _GRAPHS.get(fingerprint)
    if graph is None:
        try:
            stored = json.loads(cache.read_text())
            graph = stored["graph"] if stored.get("fingerprint") == fingerprint else {}
        except (OSError, ValueError, KeyError):
            graph = {}
        _GRAPHS[fingerprint] = graph
    if source not in graph:
        graph[source] = _resolve(source, root)
        with contextlib.suppress(OSError):
            cache.parent.mkdir(exist_ok=True)
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"fingerprint": fingerprint, "graph": graph}, indent=1))
            tmp.replace(cache)
    roots = sorted(_search_roots(root), key=lambda r: len(r.parts), reverse=True)
    out = {}
    for key in graph[source]:
        path = next((base / key for base in roots if (base / key).is_file()), None)
        if path is None:
            raise VerifyError(f"{key} (imported by {source}) is not in the project or the installed packages")
        out[key] = path.read_text()
    return out


def compiler_settings(project_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings the artifacts were compiled with, as standard-JSON settings (the EVM version
    made explicit: an explorer must not guess Vyper's default)."""
    from vyper.evm.opcodes import DEFAULT_EVM_VERSION

    settings = project_settings or {}
    evm_version = settings.get("evmVersion") or settings.get("evm_version") or DEFAULT_EVM_VERSION
    out: dict[str, Any] = {"optimize": settings.get("optimize", "gas"), "evmVersion": evm_version}
    if settings.get("enable_decimals"):
        out["enable_decimals"] = True
    return out


def compiler_version() -> str:
    """The long version ("0.4.3+commit.bff19ea2") of the vyper that compiled the artifacts."""
    from vyper.utils import get_long_version

    return get_long_version()


def standard_json_input(source: str, settings: dict[str, Any], root: Path | None = None) -> dict[str, Any]:
    sources = resolved_sources(source, root)
    return {
        "language": "Vyper",
        "sources": {path: {"content": text} for path, text in sources.items()},
        "settings": {**settings, "search_paths": ["."], "outputSelection": {source: ["*"]}},
    }


def source_hashes(sources: dict[str, str]) -> dict[str, str]:
    return {path: "sha256:" + hashlib.sha256(text.encode()).hexdigest() for path, text in sorted(sources.items())}


@dataclass(frozen=True)
class Recompiled:
    initcode: bytes
    runtime: bytes


def recompile(std_input: dict[str, Any], source: str, name: str, vyper: str = "vyper") -> Recompiled:
    """Run ``vyper --standard-json`` on the input in an empty directory (only the input counts)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(std_input))
        proc = subprocess.run([vyper, "--standard-json", str(path)], cwd=tmp, capture_output=True, text=True,
                              timeout=600)
    try:
        output = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise VerifyError(f"vyper --standard-json failed: {proc.stderr.strip()[-500:]}") from None
    errors = [e for e in output.get("errors", []) if e.get("severity", "error") == "error"]
    if errors:
        raise VerifyError(f"vyper --standard-json: {errors[0].get('formattedMessage') or errors[0]}")
    evm = output["contracts"][source][name]["evm"]
    return Recompiled(bytes.fromhex(evm["bytecode"]["object"].removeprefix("0x")),
                      bytes.fromhex(evm["deployedBytecode"]["object"].removeprefix("0x")))


# ---------------------------------------------------------------- submissions


@dataclass
class Submission:
    """Everything a verifier needs about one deployed contract."""

    name: str
    source: str  # contracts/X.vy
    address: str
    chain_id: int
    std_input: dict[str, Any]
    constructor_args: str  # ABI-encoded, hex without 0x
    compiler_version: str  # long form, 0.4.3+commit.bff19ea2
    creation_tx: str | None = None

    @property
    def identifier(self) -> str:
        return f"{self.source}:{self.name}"


@dataclass
class Verdict:
    service: str
    contract: str
    status: str  # verified | already | failed | skipped
    detail: str

    @property
    def ok(self) -> bool:
        return self.status in ("verified", "already", "skipped")

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "contract": self.contract, "status": self.status, "detail": self.detail}


def _session() -> Any:
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "cidhub-verify"
    return session


class Etherscan:
    """Etherscan API v2 (every chain Etherscan serves, by ``chainid``)."""

    name = "etherscan"

    def __init__(self, api_key: str, url: str = ETHERSCAN_API, poll: float = 5.0, attempts: int = 60,
                 sleep: Callable[[float], None] = time.sleep):
        if not api_key:
            raise VerifyError("Etherscan needs an API key: export ETHERSCAN_API_KEY (or pass --no-etherscan)")
        self.api_key, self.url, self.poll, self.attempts, self.sleep = api_key, url, poll, attempts, sleep
        self.http = _session()

    def _query(self, chain_id: int, action: str, **extra: str) -> dict[str, str]:
        return {"chainid": str(chain_id), "module": "contract", "action": action, "apikey": self.api_key, **extra}

    def verify(self, sub: Submission) -> Verdict:
        form = {
            "codeformat": "vyper-json",
            "sourceCode": json.dumps(sub.std_input),
            "contractaddress": sub.address,
            "contractname": sub.identifier,
            "compilerversion": "vyper:" + sub.compiler_version.split("+")[0],
            "optimizationUsed": "0" if sub.std_input["settings"].get("optimize") == "none" else "1",
            "constructorArguments": sub.constructor_args,
        }
        answer = self._call("post", self._query(sub.chain_id, "verifysourcecode"), form)
        result = str(answer.get("result", ""))
        if answer.get("status") != "1":
            if "already verified" in result.lower():
                return Verdict(self.name, sub.name, "already", result)
            return Verdict(self.name, sub.name, "failed", result or str(answer.get("message")))
        guid = result
        for _ in range(self.attempts):
            self.sleep(self.poll)
            status = self._call("get", self._query(sub.chain_id, "checkverifystatus", guid=guid), None)
            text = str(status.get("result", ""))
            low = text.lower()
            if "pending" in low or "in queue" in low:
                continue
            if "pass" in low and "verified" in low:
                return Verdict(self.name, sub.name, "verified", text)
            if "already verified" in low:
                return Verdict(self.name, sub.name, "already", text)
            return Verdict(self.name, sub.name, "failed", text)
        return Verdict(self.name, sub.name, "failed", f"still pending after {self.attempts} checks (guid {guid})")

    def _call(self, method: str, query: dict[str, str], form: dict[str, str] | None) -> dict[str, Any]:
        try:
            if method == "post":
                response = self.http.post(self.url, params=query, data=form, timeout=120)
            else:
                response = self.http.get(self.url, params=query, timeout=60)
            response.raise_for_status()
            return response.json()
        except Exception as exc:  # noqa: BLE001 - network and HTTP errors alike
            raise VerifyError(f"Etherscan ({self.url}): {exc}") from None


class Sourcify:
    """Sourcify APIv2 (https://sourcify.dev/server by default, or your own instance)."""

    name = "sourcify"

    def __init__(self, url: str = SOURCIFY_API, poll: float = 3.0, attempts: int = 100,
                 sleep: Callable[[float], None] = time.sleep):
        self.url, self.poll, self.attempts, self.sleep = url.rstrip("/"), poll, attempts, sleep
        self.http = _session()

    def verify(self, sub: Submission) -> Verdict:
        body: dict[str, Any] = {"stdJsonInput": sub.std_input, "compilerVersion": sub.compiler_version,
                                "contractIdentifier": sub.identifier}
        if sub.creation_tx:
            body["creationTransactionHash"] = sub.creation_tx.lower()
        try:
            response = self.http.post(f"{self.url}/v2/verify/{sub.chain_id}/{sub.address}", json=body, timeout=120)
        except Exception as exc:  # noqa: BLE001
            raise VerifyError(f"Sourcify ({self.url}): {exc}") from None
        answer = _json_of(response)
        if response.status_code == 409:
            return Verdict(self.name, sub.name, "already", answer.get("message", "already verified"))
        if response.status_code != 202:
            reason = answer.get("message") or answer.get("customCode") or answer
            return Verdict(self.name, sub.name, "failed", f"HTTP {response.status_code}: {reason}")
        job = answer["verificationId"]
        for _ in range(self.attempts):
            self.sleep(self.poll)
            try:
                status = self.http.get(f"{self.url}/v2/verify/{job}", timeout=60)
            except Exception as exc:  # noqa: BLE001
                raise VerifyError(f"Sourcify ({self.url}): {exc}") from None
            state = _json_of(status)
            if status.status_code != 200:
                return Verdict(self.name, sub.name, "failed", f"HTTP {status.status_code}: {state}")
            if not state.get("isJobCompleted"):
                continue
            match = (state.get("contract") or {}).get("match")
            if match in ("match", "exact_match"):
                return Verdict(self.name, sub.name, "verified", f"{match} (job {job})")
            error = state.get("error") or {}
            reason = f"{error.get('customCode', 'no_match')}: {error.get('message', '')}"
            return Verdict(self.name, sub.name, "failed", reason)
        return Verdict(self.name, sub.name, "failed", f"job {job} not completed after {self.attempts} checks")


def _json_of(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
        return data if isinstance(data, dict) else {"body": data}
    except ValueError:
        return {"body": response.text[:300]}


def etherscan_from_env(url: str | None = None) -> Etherscan:
    endpoint = url or os.environ.get("ETHERSCAN_API_URL") or ETHERSCAN_API
    return Etherscan(os.environ.get("ETHERSCAN_API_KEY", ""), endpoint)


def sourcify_from_env(url: str | None = None) -> Sourcify:
    return Sourcify(url or os.environ.get("SOURCIFY_URL") or SOURCIFY_API)


# ---------------------------------------------------------------- from a deployment record


def build_submissions(deployment: Any, names: list[str] | None = None, root: Path | None = None) -> list[Submission]:
    """One :class:`Submission` per deployed contract, from the deployment record and the sources
    here, which must hash as recorded (else the sources changed since the deploy: check out its
    commit) and be compiled by the recorded vyper version."""
    recorded = deployment.compiler or {}
    version = compiler_version()
    if recorded.get("version") and recorded["version"] != version:
        raise VerifyError(f"the deployment was compiled with vyper {recorded['version']}, this is {version}")
    settings = recorded.get("settings") or compiler_settings()
    wanted = names or list(deployment.contracts)
    unknown = [n for n in wanted if n not in deployment.contracts]
    if unknown:
        raise VerifyError(f"not in the deployment: {', '.join(unknown)}")
    out = []
    for name in wanted:
        record = deployment.contracts[name]
        source = record.source or f"contracts/{name}.vy"
        std = standard_json_input(source, settings, root)
        if deployment.sources:
            for path, entry in std["sources"].items():
                digest = "sha256:" + hashlib.sha256(entry["content"].encode()).hexdigest()
                if deployment.sources.get(path, digest) != digest:
                    raise VerifyError(f"{path} differs from the source deployed (commit {deployment.commit}); "
                                      "check that commit out and verify from there")
        out.append(Submission(name=name, source=source, address=record.address, chain_id=deployment.chain_id,
                              std_input=std, constructor_args=record.constructor_args.removeprefix("0x"),
                              compiler_version=version, creation_tx=record.tx_hash or None))
    return out
