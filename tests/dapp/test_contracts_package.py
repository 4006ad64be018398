"""@cidhub/contracts (packages/contracts): generated from the compiled contracts and a fresh deployment, strict
TypeScript, an installable `npm pack` tarball, its node:test suite against the demo chain, and the README's
"Use it from a dApp" snippet run as written against that chain. The dApp's own strict type check is here too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cidhub.compute import jobs

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "packages" / "contracts"
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
GENERATE = ["node", str(PACKAGE / "scripts" / "generate.mjs")]


def _run(args: list[str], cwd: Path = REPO_ROOT, env: dict[str, str] | None = None, timeout: float = 600,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _tool(name: str) -> str:
    tool = NODE_BIN / name
    # Not a skip: `make setup` installs node_modules, and a missing tool must fail loudly.
    assert tool.exists(), f"{tool} is missing: run `make setup` (npm install) first"
    return str(tool)


@pytest.fixture(scope="module")
def tsc_jobs():
    """The two strict TypeScript compilations, started at once and in parallel with the demo chain's setup (the
    first test asks for this fixture before `demo_chain`): the package's build into dist/ (what `npm pack`'s
    prepack runs) and the dApp's type check (`noEmit`, the package's sources through its `paths`)."""
    jobs_ = {
        "package": subprocess.Popen([_tool("tsc"), "-p", str(PACKAGE / "tsconfig.build.json")], cwd=REPO_ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        "dapp": subprocess.Popen([_tool("tsc"), "-p", str(REPO_ROOT / "dapp" / "tsconfig.json")], cwd=REPO_ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
    }
    yield jobs_
    for job in jobs_.values():
        if job.poll() is None:
            job.kill()
            job.wait()


def _finished(job: subprocess.Popen[str], what: str) -> None:
    output, _ = job.communicate(timeout=600)
    assert job.returncode == 0, f"tsc ({what}) failed:\n{output}"


@pytest.fixture(scope="module")
def built_package(tsc_jobs) -> Path:
    """packages/contracts built with `tsc` (strict) into dist/."""
    _finished(tsc_jobs["package"], "packages/contracts")
    assert (PACKAGE / "dist" / "index.d.ts").is_file()
    return PACKAGE


def _node_eval(script: str, cwd: Path = PACKAGE) -> object:
    out = _run(["node", "--input-type=module", "-e", script], cwd=cwd)
    return json.loads(out.stdout)


# ---------------------------------------------------------------- generated from the contracts


def test_generated_sources_match_compiled_contracts_and_a_fresh_deployment(tsc_jobs, demo_chain):
    # ABIs, typed data, revert reasons and constants from .build/; chain 31337 from the deployment `ape run demo`
    # just made on a fresh anvil (what `make dapp` makes); other chains from deployments/*.json.
    proc = _run([*GENERATE, "--check", "--local", str(demo_chain.deployment_file)], check=False)
    assert proc.returncode == 0, proc.stderr


def test_generator_notices_a_changed_abi(tmp_path):
    manifest = json.loads((REPO_ROOT / ".build" / "__local__.json").read_text())
    abi = manifest["contractTypes"]["Marketplace"]["abi"]
    abi.append({"type": "function", "name": "brand_new", "stateMutability": "view", "inputs": [],
                "outputs": [{"name": "", "type": "uint256"}]})
    (tmp_path / "__local__.json").write_text(json.dumps(manifest))
    (tmp_path / "deployments").mkdir()
    proc = _run([*GENERATE, "--check", "--artifacts", str(tmp_path / "__local__.json"),
                 "--deployments", str(tmp_path / "deployments"), "--out", str(PACKAGE / "src" / "generated")],
                check=False)
    assert proc.returncode == 1
    assert "abis.ts differs" in proc.stderr


def test_typed_data_agrees_with_the_python_client(built_package):
    generated = _node_eval("import * as k from './dist/index.js'; console.log(JSON.stringify("
                           "{attestation: k.attestationTypes, job: k.jobTypes, domains: k.eip712Domains}))")
    assert generated["job"] == {"Job": jobs.EIP712_TYPES["Job"]}
    assert generated["attestation"] == jobs.EIP712_TYPES
    signed = {"name": jobs.DOMAIN_NAME, "version": jobs.DOMAIN_VERSION}
    assert generated["domains"]["SignedAttestationVerifier"] == signed
    assert set(generated["domains"]) == {"HubToken", "HubGovernor", "SignedAttestationVerifier"}


def test_revert_reasons_cover_every_assert_in_the_contracts(built_package):
    generated = _node_eval("import { revertReasons } from './dist/index.js'; "
                           "console.log(JSON.stringify(revertReasons))")
    listed = {r["reason"] for r in generated}
    # An independent, simpler reading of the contracts themselves: with docstrings and comments removed, every
    # "scope: what" literal that ends a line is an assert's (or raise's) message.
    found = set()
    for path in (REPO_ROOT / "contracts").rglob("*.vy"):
        if "test" in path.relative_to(REPO_ROOT / "contracts").parts:
            continue
        code = re.sub(r'"""(?:.|\n)*?"""', "", path.read_text())
        code = re.sub(r"#[^\"\n]*$", "", code, flags=re.M)
        found |= set(re.findall(r'"([a-z][a-z0-9_]*: [^"]+)"\s*$', code, re.M))
    assert len(found) > 100
    missing = found - listed
    assert not missing, f"revert reasons missing from the package: {sorted(missing)}"
    for reason in ("market: asset delisted", "governor: vote already cast", "registry: cid already registered",
                   "erc20: insufficient allowance", "access_control: account is missing role"):
        assert reason in listed


# ---------------------------------------------------------------- the package as an integrator gets it


def test_npm_pack_tarball_installs_and_runs_the_readme_snippet(built_package, demo_chain, tmp_path):
    packed = _run(["npm", "pack", "--ignore-scripts", "--json", "--pack-destination", str(tmp_path)], cwd=PACKAGE)
    info = json.loads(packed.stdout)[0]
    files = {f["path"] for f in info["files"]}
    assert {"package.json", "dist/index.js", "dist/index.d.ts", "dist/generated/abis.d.ts", "README.md"} <= files
    assert not any(f.startswith(("test/", "scripts/")) for f in files), "tests and the generator stay out"

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "package.json").write_text(json.dumps({"name": "consumer", "private": True, "type": "module"}))
    # viem is a peer dependency: the consumer brings its own (here the repository's, linked in).
    _run(["npm", "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--legacy-peer-deps",
          str(tmp_path / info["filename"])], cwd=consumer)
    (consumer / "node_modules" / "viem").symlink_to(REPO_ROOT / "node_modules" / "viem", target_is_directory=True)
    installed = json.loads((consumer / "node_modules" / "@cidhub" / "contracts" / "package.json").read_text())
    assert installed["name"] == "@cidhub/contracts" and installed["peerDependencies"]["viem"]

    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"<!-- dapp-snippet -->\n```js\n(.*?)```\n<!-- /dapp-snippet -->", readme, re.S)
    assert block, "README.md has no dapp-snippet block"
    (consumer / "snippet.mjs").write_text(block.group(1))
    out = _run(["node", "snippet.mjs"], cwd=consumer, env={"CIDHUB_RPC_URL": demo_chain.rpc_url}, timeout=120)
    lines = out.stdout.splitlines()
    print(out.stdout)
    assert len(lines) >= 5, out.stdout
    assert any(re.match(r"model bafk\w+ 15 % to \w+, 20 % to \w+ licensed$", line) for line in lines), out.stdout
    assert any(line.startswith("dataset bafk") for line in lines)


def test_node_suite_against_the_demo_chain(built_package, demo_chain):
    proc = _run(["node", "--test", "--test-reporter=spec", "test/"], cwd=PACKAGE, check=False, timeout=300,
                env={"CIDHUB_RPC_URL": demo_chain.rpc_url, "CIDHUB_DEPLOYMENT": str(demo_chain.deployment_file)})
    print(proc.stdout)
    assert proc.returncode == 0, f"node --test failed:\n{proc.stdout}\n{proc.stderr}"
    assert "# skipped 0" in proc.stdout or "skipped 0" in proc.stdout, "the chain tests ran"
    assert re.search(r"pass (\d+)", proc.stdout) and int(re.search(r"pass (\d+)", proc.stdout).group(1)) >= 15


# ---------------------------------------------------------------- the dApp


def test_dapp_typechecks_strict(tsc_jobs):
    _finished(tsc_jobs["dapp"], "dapp")


def test_dapp_bundles_without_network(tmp_path):
    _run(["node", str(REPO_ROOT / "dapp" / "build.mjs"), "--outdir", str(tmp_path)])
    bundle = (tmp_path / "app.js").read_text()
    assert {"index.html", "style.css", "app.js"} <= {p.name for p in tmp_path.iterdir()}
    # Everything is bundled: no imports left for the browser to fetch from elsewhere.
    assert not re.search(r"""\bimport\s*(?:[\w{}*,\s]+from\s*)?["'](?:https?:)?//""", bundle)
    local_registry = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
    assert local_registry.lower() in bundle.lower(), "the package's 31337 deployment is in the bundle"
    assert shutil.which("node")
