"""The subgraph (subgraph/): manifest against the compiled contracts, committed ABIs, a real
`graph codegen` + `graph build`, its AssemblyScript record decoder run against
cidhub.chain.registry, and the governance mappings' timelock-operation encodings run against eth_abi.

What is not tested here: the mappings' behaviour against a graph-node (none runs on these
machines, and matchstick is downloaded from GitHub at run time). The pure part of the mappings,
src/record.ts, is compiled on its own and executed in node below; the rest is type-checked by
`graph build`.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from cidhub.chain import registry as reg
from cidhub.content.cid import cid_to_bytes, make_cid, parse_cid
from cidhub.chain.registry import AssetRecord, Kind

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBGRAPH = REPO_ROOT / "subgraph"
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
RECORD_TS = SUBGRAPH / "src" / "record.ts"

# Events the subgraph leaves out on purpose (roles, HubToken's owner and minters included, are in
# deployments/*.json and on chain; approvals and ERC-4906 pings carry nothing the entities need;
# RoyaltyMarketSet is the registry's one-time link to the Marketplace, deploy wiring that
# `ape run roles` checks).
NOT_INDEXED = {"RoleGranted", "RoleRevoked", "RoleAdminChanged", "Approval", "ApprovalForAll", "MetadataUpdate",
               "OwnershipTransferred", "RoleMinterChanged", "RoyaltyMarketSet"}
GOVERNANCE = ("HubToken", "HubGovernor", "HubTimelock")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"subgraph_{name}", SUBGRAPH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


export_abis = _load("export_abis")
configure = _load("configure")


def _manifest() -> dict[str, Any]:
    return yaml.safe_load((SUBGRAPH / "subgraph.yaml").read_text())


def _graph_signature(event: dict[str, Any]) -> str:
    """An ABI event as graph-cli spells it in eventHandlers: `Name(indexed uint256,bytes)`."""

    def kind(param: dict[str, Any]) -> str:
        t = param["type"]
        if t.startswith("tuple"):
            t = "(" + ",".join(kind(c) for c in param["components"]) + ")" + t[len("tuple"):]
        return t

    params = ",".join(("indexed " if p.get("indexed") else "") + kind(p) for p in event["inputs"])
    return f"{event['name']}({params})"


def _node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    # Not a skip: CI installs node_modules (make setup), and a missing tool must fail loudly.
    assert tool.exists(), f"{tool} is missing: run `make setup` (npm install) first"
    assert shutil.which("node"), "node is not on PATH"
    return tool


# ---------------------------------------------------------------- manifest and ABIs


def test_manifest_data_sources_are_the_deployed_contracts():
    manifest = _manifest()
    sources = manifest["dataSources"]
    assert [s["name"] for s in sources] == list(configure.DATA_SOURCES) == list(export_abis.CONTRACTS)
    for source in sources:
        name = source["name"]
        assert source["source"]["abi"] == name
        assert [a["file"] for a in source["mapping"]["abis"]] == [f"./abis/{name}.json"]
        assert (SUBGRAPH / source["mapping"]["file"]).is_file()


def test_manifest_handlers_exist_in_compiled_abis(project):
    compiled = export_abis.compiled_abis(project)
    for source in _manifest()["dataSources"]:
        name = source["name"]
        events = [e for e in compiled[name] if e["type"] == "event"]
        signatures = {_graph_signature(e) for e in events}
        handlers = source["mapping"]["eventHandlers"]
        handled = {h["event"] for h in handlers}
        missing = handled - signatures
        assert not missing, f"{name}: the manifest handles events the compiled contract does not emit: {missing}"
        # Every event the contract emits is indexed, unless it is left out on purpose.
        unhandled = {e["name"] for e in events if _graph_signature(e) not in handled} - NOT_INDEXED
        assert not unhandled, f"{name}: events not indexed by the subgraph: {sorted(unhandled)}"
        # Each handler is exported by the mapping file.
        mapping = (SUBGRAPH / source["mapping"]["file"]).read_text()
        for h in handlers:
            assert re.search(rf"^export function {h['handler']}\(", mapping, re.M), (
                f"{source['mapping']['file']} does not export {h['handler']}"
            )


def test_committed_abis_match_compiled(project):
    compiled = export_abis.compiled_abis(project)
    committed = export_abis.committed_abis()
    for name in export_abis.CONTRACTS:
        assert name in committed, f"subgraph/abis/{name}.json is missing: run python subgraph/export_abis.py"
        assert committed[name] == compiled[name], (
            f"subgraph/abis/{name}.json is stale: run python subgraph/export_abis.py"
        )


def test_schema_kinds_match_registry():
    schema = (SUBGRAPH / "schema.graphql").read_text()
    enum = re.search(r"enum AssetKind \{([^}]*)\}", schema)
    assert enum, "schema.graphql has no AssetKind enum"
    assert enum.group(1).split() == [k.name for k in Kind]


# ---------------------------------------------------------------- configure.py


def _deployment(chain_id: int = 31337) -> dict[str, Any]:
    return {
        "ecosystem": "ethereum",
        "network": "local",
        "chain_id": chain_id,
        "deploy_block": 4,
        "contracts": {
            "AssetRegistry": {"address": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9", "block": 4},
            "Marketplace": {"address": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9", "block": 5},
            "ComputeAttestations": {"address": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707", "block": 6},
            "HubToken": {"address": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "block": 2},
            "HubGovernor": {"address": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "block": 3},
            "HubTimelock": {"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "block": 1},
        },
    }


def test_configure_writes_networks_json(tmp_path):
    deployment = tmp_path / "ethereum-local.json"
    deployment.write_text(json.dumps(_deployment()))
    networks = tmp_path / "networks.json"
    networks.write_text(json.dumps({"sepolia": {"AssetRegistry": {"address": "0x01", "startBlock": 9}}}))

    assert configure.main([str(deployment), "--networks-file", str(networks)]) == 0
    written = json.loads(networks.read_text())
    assert written["sepolia"] == {"AssetRegistry": {"address": "0x01", "startBlock": 9}}, "other networks are kept"
    assert written["localhost"] == {
        "AssetRegistry": {"address": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9", "startBlock": 4},
        "Marketplace": {"address": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9", "startBlock": 5},
        "ComputeAttestations": {"address": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707", "startBlock": 6},
        "HubToken": {"address": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "startBlock": 2},
        "HubGovernor": {"address": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "startBlock": 3},
        "HubTimelock": {"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "startBlock": 1},
    }

    assert configure.main([str(deployment), "--networks-file", str(networks), "--graph-network", "mainnet"]) == 0
    assert set(json.loads(networks.read_text())) == {"localhost", "mainnet", "sepolia"}


def test_configure_refuses_unknown_chain_and_partial_deployment(tmp_path, capsys):
    networks = tmp_path / "networks.json"
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps(_deployment(chain_id=987654321)))
    assert configure.main([str(unknown), "--networks-file", str(networks)]) == 1
    assert "--graph-network" in capsys.readouterr().err

    for missing in ("ComputeAttestations", "HubGovernor"):
        partial = _deployment()
        del partial["contracts"][missing]
        partial_file = tmp_path / "partial.json"
        partial_file.write_text(json.dumps(partial))
        assert configure.main([str(partial_file), "--networks-file", str(networks)]) == 1
        assert missing in capsys.readouterr().err
    assert not networks.exists()


# ---------------------------------------------------------------- graph codegen + graph build


def _graph(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GRAPH_SKIP_NEW_VERSION_CHECK="true", NO_COLOR="1")
    proc = subprocess.run(
        [str(_node_tool("graph")), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"graph {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _wasm_exports(path: Path) -> list[str]:
    script = "const fs=require('fs');console.log(JSON.stringify(WebAssembly.Module.exports(" \
             "new WebAssembly.Module(fs.readFileSync(process.argv[1]))).map(e=>e.name)))"
    out = subprocess.run(["node", "-e", script, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_graph_codegen_and_build(tmp_path):
    # A copy, so that codegen/build output and the --network rewrite of subgraph.yaml stay out
    # of the work tree; graph-cli and graph-ts are found through the node_modules link.
    work = tmp_path / "subgraph"
    original_manifest = (SUBGRAPH / "subgraph.yaml").read_bytes()
    shutil.copytree(SUBGRAPH, work, ignore=shutil.ignore_patterns("generated", "build", "networks.json"))
    (tmp_path / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    deployment = tmp_path / "ethereum-local.json"
    deployment.write_text(json.dumps(_deployment()))
    assert configure.main([str(deployment), "--networks-file", str(work / "networks.json")]) == 0

    _graph(["codegen"], work)
    assert (work / "generated" / "schema.ts").is_file()
    for name in configure.DATA_SOURCES:
        assert (work / "generated" / name / f"{name}.ts").is_file()

    _graph(["build", "--network", "localhost"], work)
    built = yaml.safe_load((work / "build" / "subgraph.yaml").read_text())
    expected = _deployment()["contracts"]
    manifest = _manifest()
    for source, original in zip(built["dataSources"], manifest["dataSources"]):
        name = source["name"]
        assert source["network"] == "localhost"
        assert source["source"]["address"] == expected[name]["address"]
        assert source["source"]["startBlock"] == expected[name]["block"]
        wasm = work / "build" / source["mapping"]["file"]
        assert wasm.read_bytes()[:4] == b"\0asm"
        exports = set(_wasm_exports(wasm))
        handlers = {h["handler"] for h in original["mapping"]["eventHandlers"]}
        assert handlers <= exports, f"{name}.wasm lacks handlers {handlers - exports}"
    assert (work / "subgraph.yaml").read_bytes() != original_manifest, "--network rewrites the copy's manifest"
    # ... and the repository's own manifest was left alone.
    assert (SUBGRAPH / "subgraph.yaml").read_bytes() == original_manifest


# ---------------------------------------------------------------- the AssemblyScript record decoder

_CONSTANTS = {
    # record.ts name -> cidhub.chain.registry value
    "KIND_MASK": reg._KIND_MASK,
    "DELISTED": reg._DELISTED,
    "CONTENT_V0": reg._CONTENT_V0,
    "LONG_MULTIHASH": reg._LONG_MULTIHASH,
    "METADATA_V0": reg._METADATA_V0,
    "PARENT_COUNT_SHIFT": reg._PARENT_COUNT_SHIFT,
    "ROYALTY_SHIFT": reg._ROYALTY_SHIFT,
    "CONTENT_CODEC_SHIFT": reg._CONTENT_CODEC_SHIFT,
    "METADATA_CODEC_SHIFT": reg._METADATA_CODEC_SHIFT,
    "LICENCE_SHIFT": reg._LICENCE_SHIFT,
    "CODEC_MASK": reg.MAX_CODEC,
}


def _eval_int(expr: str) -> int:
    """Evaluate an integer constant expression of record.ts (literals, << >> | & - + ~, parentheses)."""
    ops = {ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b, ast.BitOr: lambda a, b: a | b,
           ast.BitAnd: lambda a, b: a & b, ast.Sub: lambda a, b: a - b, ast.Add: lambda a, b: a + b}

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(f"not a constant expression: {expr!r}")

    return ev(ast.parse(expr, mode="eval").body)


def _record_ts_constants() -> dict[str, int]:
    source = RECORD_TS.read_text()
    found = re.findall(r"^export const ([A-Z0-9_]+): (?:u64|i32) = ([^;]+);", source, re.M)
    return {name: _eval_int(expr) for name, expr in found}


def test_record_constants_match_python():
    ts = _record_ts_constants()
    for name, value in _CONSTANTS.items():
        assert ts.get(name) == value, f"record.ts {name} = {ts.get(name)}, cidhub.chain.registry has {value}"
    # Field widths: the largest value Python decodes for each field, from a word of all ones
    # (kind bits cleared: kinds above OTHER do not exist).
    top = AssetRecord.unpack(((1 << 256) - 1) & ~reg._KIND_MASK)
    assert ts["PARENT_COUNT_MASK"] == top.parent_count
    assert ts["ROYALTY_MASK"] == top.royalty_bps
    assert ts["LICENCE_MASK"] == top.licence_id
    assert ts["CODEC_MASK"] == top.content_codec == top.metadata_codec


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """src/record.ts compiled alone (tests/record_harness.ts) with graph-cli's asc, run in node."""
    wasm = tmp_path_factory.mktemp("record") / "record_harness.wasm"
    proc = subprocess.run(
        [str(_node_tool("asc")), "tests/record_harness.ts", "--runtime", "stub", "-O3", "--outFile", str(wasm)],
        cwd=SUBGRAPH, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"asc failed:\n{proc.stdout}\n{proc.stderr}"

    def run(cases: dict[str, Any]) -> dict[str, Any]:
        full = {"records": [], "asset_ids": [], "content_cids": [], "delisted": [], "metadata": [], "cids": [],
                "salts": [], "operations": [], "titles": []}
        full.update(cases)
        out = subprocess.run(
            ["node", str(SUBGRAPH / "tests" / "run_harness.mjs"), str(wasm)],
            input=json.dumps(full), capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    return run


def _random_record(rng: random.Random, junk_above: int = 96) -> int:
    """A record word with a valid kind, random other fields and random bits above them."""
    word = rng.getrandbits(junk_above) & ~reg._KIND_MASK | rng.randrange(len(Kind))
    return word


def test_record_decoder_matches_python(harness):
    rng = random.Random(20240611)
    words = [0, (1 << 85) - 1 - 0xF, (1 << 256) - 1 - 0xF]
    words += [k | 1 << bit for k in range(len(Kind)) for bit in range(4, 96)]  # every single bit
    words += [_random_record(rng) for _ in range(300)]
    words += [_random_record(rng, 256) for _ in range(100)]  # junk above bit 95 is ignored
    result = harness({"records": [format(w, "x") for w in words]})

    assert result["kinds"] == [k.name for k in Kind]
    fields = ("kind", "delisted", "content_v0", "long_multihash", "metadata_v0", "parent_count", "royalty_bps",
              "content_codec", "metadata_codec", "licence_id")
    for word, got in zip(words, result["records"], strict=True):
        want = AssetRecord.unpack(word)
        assert got == {f: int(getattr(want, f)) for f in fields}, f"record {word:#x}"


def test_asset_key_and_content_cid_match_python(harness):
    rng = random.Random(7)
    ids = [1, 0x80, 0xFF, 1 << 255, (1 << 256) - 1] + [rng.getrandbits(256) for _ in range(50)]
    codecs = [0x55, 0x70, 0x71, 0x0129, 0x0202, 0xB403]
    cases = [(i, v0, rng.choice(codecs)) for i in ids for v0 in (False, True)]
    result = harness({
        "asset_ids": [format(i, "x") for i in ids],
        "content_cids": [[format(i, "x"), v0, codec] for i, v0, codec in cases],
    })
    assert result["keys"] == [i.to_bytes(32, "big").hex() for i in ids]
    for (asset_id, v0, codec), got in zip(cases, result["content_cids"], strict=True):
        record = AssetRecord.unpack(reg._CONTENT_V0 * v0 | codec << reg._CONTENT_CODEC_SHIFT)
        assert got == cid_to_bytes(record.content_cid(asset_id)).hex(), (asset_id, v0, codec)


def test_record_updates_match_the_registry(harness):
    """Delist/relist and set_metadata rewrite the record as the registry rewrites its aux word."""
    rng = random.Random(11)
    words = [_random_record(rng) for _ in range(100)] + [0, (1 << 96) - 1 - 0xF]
    codecs = [0x55, 0x70, 0x71, 0x0129, 0xB403, reg.MAX_CODEC]
    delist = [(w, rng.random() < 0.5) for w in words]
    metadata = [(w, rng.random() < 0.5, rng.choice(codecs)) for w in words]
    result = harness({
        "delisted": [[format(w, "x"), flag] for w, flag in delist],
        "metadata": [[format(w, "x"), v0, codec] for w, v0, codec in metadata],
    })
    for (word, flag), got in zip(delist, result["delisted"], strict=True):
        want = word | reg._DELISTED if flag else word & ~reg._DELISTED
        assert int(got, 16) == want
    metadata_fields = reg._METADATA_V0 | reg.MAX_CODEC << reg._METADATA_CODEC_SHIFT
    for (word, v0, codec), got in zip(metadata, result["metadata"], strict=True):
        want = word & ~metadata_fields | codec << reg._METADATA_CODEC_SHIFT | (reg._METADATA_V0 if v0 else 0)
        assert int(got, 16) == want
        decoded = AssetRecord.unpack(int(got, 16))
        assert (decoded.metadata_v0, decoded.metadata_codec) == (v0, codec)


def test_cid_codec_matches_python(harness):
    rng = random.Random(3)
    cids = [cid_to_bytes(make_cid(0, "dag-pb", rng.randbytes(32)))]
    cids += [cid_to_bytes(make_cid(1, codec, rng.randbytes(32))) for codec in (0x55, 0x70, 0x71, 0x0129, 0xB403)]
    bad = [b"", b"\x12", b"\x02\x55\x12\x20", b"\x01\xff\xff\xff\xff"]
    result = harness({"cids": [c.hex() for c in cids + bad]})
    for cid, (codec, v0) in zip(cids, result["cid_codecs"], strict=False):
        parsed = parse_cid(cid)
        assert (codec, v0) == (parsed.codec.code, parsed.version == 0), cid.hex()
    assert [codec for codec, _ in result["cid_codecs"][len(cids):]] == [-1] * len(bad)


# ---------------------------------------------------------------- governance


def test_governance_data_sources_index_every_governance_event(project):
    names = [source["name"] for source in _manifest()["dataSources"]]
    assert set(GOVERNANCE) <= set(names)
    schema = (SUBGRAPH / "schema.graphql").read_text()
    for entity in ("Governor", "Proposal", "ProposalAction", "Vote", "Delegate", "TokenHolder", "VotingPowerChange",
                   "DelegateChange", "GovernanceToken", "Timelock", "TimelockOperation", "GovernorSettingChange"):
        assert re.search(rf'^"[^"]+"\ntype {entity} @entity', schema, re.M) or \
            re.search(rf'"""\ntype {entity} @entity', schema), f"{entity} has no description"
    # The enums mirror the contracts: OpenZeppelin's vote types in HubGovernor's order.
    governor = (REPO_ROOT / "contracts" / "HubGovernor.vy").read_text()
    support = dict(re.findall(r"^_(AGAINST|FOR|ABSTAIN): constant\(uint8\) = (\d)$", governor, re.M))
    enum = re.search(r"enum VoteSupport \{([^}]*)\}", schema).group(1).split()
    assert {name: enum.index(name) for name in support} == {name: int(value) for name, value in support.items()}
    assert len(support) == 3


def test_grace_period_matches_the_governor():
    governor = (REPO_ROOT / "contracts" / "HubGovernor.vy").read_text()
    contract = re.search(r"^GRACE_PERIOD: public\(constant\(uint256\)\) = ([^\n#]+)", governor, re.M).group(1)
    mapping = re.search(r"^export const GRACE_PERIOD: i64 = ([^;]+);", (SUBGRAPH / "src" / "operation.ts").read_text(),
                        re.M).group(1)
    assert eval(contract.replace("_", ""), {}) == eval(mapping, {})  # noqa: S307 - integer literals and '*'


def test_timelock_operation_encodings_match_the_governor(harness):
    """The mapping finds a queued proposal's timelock operations by hashing these preimages: they must
    be HubGovernor's abi_encode(self, proposal_id, index) and the timelock's
    abi_encode(target, value, payload, predecessor, salt) byte for byte."""
    from eth_abi import encode
    from eth_utils import keccak

    rng = random.Random(5)
    governors = ["9fe46736679d2d9a65f0992f2272de9f3c7fa6e0", "ff" * 20, "00" * 19 + "01"]
    salts = [(g, rng.getrandbits(bits), rng.randrange(11)) for g in governors for bits in (1, 64, 256)]
    datas = [b"", b"\x01", bytes(range(31)), bytes(range(32)), bytes(range(33)), rng.randbytes(1024)]
    operations = [(rng.randbytes(20).hex(), rng.getrandbits(bits), data, rng.randbytes(32), keccak(data))
                  for data in datas for bits in (0, 8, 256)]
    result = harness({
        "salts": [[g, format(pid, "x"), i] for g, pid, i in salts],
        "operations": [[t, format(v, "x"), d.hex(), p.hex(), salt.hex()] for t, v, d, p, salt in operations],
        "titles": ["# Delist the dataset\nbody", "## Two marks", "No mark", "#   spaced  \n", "", "ünïcödé title"],
    })
    for (governor, pid, index), got in zip(salts, result["salts"], strict=True):
        assert got == encode(["address", "uint256", "uint256"], ["0x" + governor, pid, index]).hex()
    for (target, value, data, predecessor, salt), got in zip(operations, result["operations"], strict=True):
        want = encode(["address", "uint256", "bytes", "bytes32", "bytes32"],
                      ["0x" + target, value, data, predecessor, salt])
        assert got == want.hex(), (len(data), value)
    assert result["titles"] == ["Delist the dataset", "Two marks", "No mark", "spaced", "", "ünïcödé title"]
