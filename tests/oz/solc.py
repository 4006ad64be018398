"""Compile Solidity with solcjs (npm `solc`) for tests, OpenZeppelin imports included.

The API is two functions::

    from oz.solc import compile_solidity, container   # tests/ is on sys.path under pytest

    types = compile_solidity({"MyGovernor.sol": SOURCE})      # {contract name: ContractType}
    governor = container(types["MyGovernor"]).deploy(token, sender=deployer)

`compile_solidity` takes source units (name -> Solidity text). Imports are resolved against
the repository's ``node_modules`` (``@openzeppelin/contracts/...``, pinned in package.json),
so no compiler or library is downloaded at test time. The standard-JSON output is cached
under ``.build/oz/``, keyed by a hash of the sources, the settings and the versions of solc
and of @openzeppelin/contracts, so a second run (or another test module) does not recompile.
Only contracts defined in the given sources are returned (not the imported library ones); to get
an OpenZeppelin contract or interface, derive from it in your source, e.g.
``contract Holder is ERC721Holder {}`` or ``interface IGovernorClient is IGovernor {}`` (see
tests/oz/contracts/OzGovernors.sol).

Compilation errors raise :class:`SolcError` with solc's formatted messages.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ethpm_types import ContractType

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"
CACHE_DIR = REPO_ROOT / ".build" / "oz"
_DRIVER = Path(__file__).with_name("solc_compile.js")

# Cancun: what solc 0.8.28 targets by default and what anvil runs (it runs later forks too).
DEFAULT_EVM_VERSION = "cancun"


class SolcError(RuntimeError):
    """solc reported errors (the message holds them), or solcjs could not be run."""


def _package_version(name: str) -> str:
    manifest = NODE_MODULES / name / "package.json"
    if not manifest.is_file():
        raise SolcError(f"{name} is not installed in {NODE_MODULES}: run `make setup` (npm install) in the repository")
    return json.loads(manifest.read_text())["version"]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise SolcError("node is not on PATH (solcjs runs under Node.js)")
    return node


def standard_input(
    sources: Mapping[str, str], *, optimizer_runs: int | None = 200, evm_version: str = DEFAULT_EVM_VERSION
) -> dict:
    """The solc standard-JSON input for `sources` (ABI and creation/runtime bytecode selected)."""
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sorted(sources.items())},
        "settings": {
            "optimizer": {"enabled": optimizer_runs is not None, "runs": optimizer_runs or 200},
            "evmVersion": evm_version,
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }


def compile_standard_json(standard_json: dict) -> dict:
    """Runs solcjs on a standard-JSON input and returns its output, from the cache if it has it.

    Raises SolcError if solc reports an error (warnings are ignored)."""
    versions = {"solc": _package_version("solc"), "@openzeppelin/contracts": _package_version("@openzeppelin/contracts")}
    blob = json.dumps({"input": standard_json, "versions": versions}, sort_keys=True).encode()
    cached = CACHE_DIR / f"{hashlib.sha256(blob).hexdigest()}.json"
    if cached.is_file():
        return json.loads(cached.read_text())

    run = subprocess.run(
        [_node(), str(_DRIVER)], input=json.dumps(standard_json), capture_output=True, text=True, cwd=REPO_ROOT
    )
    if run.returncode != 0:
        raise SolcError(f"solcjs failed ({run.returncode}): {run.stderr.strip()}")
    output = json.loads(run.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise SolcError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Write then rename, so that parallel test runs never read a half-written file.
    with tempfile.NamedTemporaryFile("w", dir=CACHE_DIR, suffix=".tmp", delete=False) as tmp:
        json.dump(output, tmp)
    os.replace(tmp.name, cached)
    return output


def compile_solidity(
    sources: Mapping[str, str], *, optimizer_runs: int | None = 200, evm_version: str = DEFAULT_EVM_VERSION
) -> dict[str, ContractType]:
    """Compiles `sources` (source unit name -> Solidity) and returns their contracts by name.

    Interfaces and abstract contracts come back with empty bytecode. A name defined in two of
    the given sources raises SolcError (rename one)."""
    output = compile_standard_json(standard_input(sources, optimizer_runs=optimizer_runs, evm_version=evm_version))
    types: dict[str, ContractType] = {}
    for source_id in sources:
        for name, artifact in output.get("contracts", {}).get(source_id, {}).items():
            if name in types:
                raise SolcError(f"contract {name} is defined twice in the given sources")
            evm = artifact["evm"]
            if "__$" in evm["bytecode"]["object"]:
                raise SolcError(f"{name} needs linked libraries, which this helper does not link")
            types[name] = ContractType.model_validate(
                {
                    "contractName": name,
                    "sourceId": source_id,
                    "abi": artifact["abi"],
                    "deploymentBytecode": {"bytecode": "0x" + evm["bytecode"]["object"]},
                    "runtimeBytecode": {"bytecode": "0x" + evm["deployedBytecode"]["object"]},
                }
            )
    return types


def container(contract_type: ContractType):
    """An Ape ContractContainer for `contract_type`: `.deploy(*args, sender=...)`, `.at(address)`."""
    from ape.contracts import ContractContainer

    return ContractContainer(contract_type)


def solc_version() -> str:
    """The solcjs version string, e.g. "0.8.28+commit.7893614a.Emscripten.clang"."""
    run = subprocess.run([_node(), str(_DRIVER), "--version"], capture_output=True, text=True, cwd=REPO_ROOT)
    if run.returncode != 0:
        raise SolcError(f"solcjs failed ({run.returncode}): {run.stderr.strip()}")
    return run.stdout.strip()
