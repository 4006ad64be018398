"""The subgraph against the demo chain (no graph-node runs here, see subgraph/README.md): its per-network config
comes from the same deployments file as @cidhub/contracts' addresses, and the rule its governance mapping uses to
find a queued proposal's timelock operations gives the ids the timelock really scheduled."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

REPO_ROOT = Path(__file__).resolve().parents[2]


def _configure():
    spec = importlib.util.spec_from_file_location("subgraph_configure", REPO_ROOT / "subgraph" / "configure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_networks_json_from_the_deployment_matches_the_package(demo_chain, tmp_path):
    configure = _configure()
    networks = tmp_path / "networks.json"
    assert configure.main([str(demo_chain.deployment_file), "--networks-file", str(networks)]) == 0
    entry = json.loads(networks.read_text())["localhost"]
    assert list(entry) == list(configure.DATA_SOURCES)
    generated = (REPO_ROOT / "packages" / "contracts" / "src" / "generated" / "deployments.ts").read_text()
    for name, source in entry.items():
        # The package's entry for 31337 names the same address and block for every data source.
        address, block = source["address"], source["startBlock"]
        expected = f'"{name}": {{\n        "address": "{address}",\n        "blockNumber": {block}\n'
        assert expected in generated, name


def test_queued_proposal_operations_are_found_by_the_mapping_rule(demo_chain):
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(demo_chain.rpc_url))
    manifest = json.loads((REPO_ROOT / ".build" / "__local__.json").read_text())
    abi = {name: manifest["contractTypes"][name]["abi"] for name in ("HubGovernor", "HubTimelock")}
    governor = w3.eth.contract(address=demo_chain.address("HubGovernor"), abi=abi["HubGovernor"])
    timelock = w3.eth.contract(address=demo_chain.address("HubTimelock"), abi=abi["HubTimelock"])
    start = demo_chain.deployment["deploy_block"]
    created = {log.args.proposal_id: log.args for log in governor.events.ProposalCreated.get_logs(from_block=start)}
    queued = governor.events.ProposalQueued.get_logs(from_block=start)
    assert queued, "the demo queues a proposal"
    scheduled = {log.args.id: log.args for log in timelock.events.CallScheduled.get_logs(from_block=start)}
    for q in queued:
        proposal = created[q.args.proposal_id]
        for index, (target, value, data) in enumerate(zip(proposal.targets, proposal.values, proposal.calldatas,
                                                          strict=True)):
            # subgraph/src/operation.ts: saltPreimage and operationPreimage, hashed by governor.ts.
            salt = keccak(encode(["address", "uint256", "uint256"], [governor.address, q.args.proposal_id, index]))
            op_id = keccak(encode(["address", "uint256", "bytes", "bytes32", "bytes32"],
                                  [target, value, data, b"\0" * 32, salt]))
            assert op_id in scheduled, f"action {index}: no CallScheduled {op_id.hex()}"
            call = scheduled[op_id]
            assert (to_checksum_address(call.target), call.amount, call.payload) == (target, value, data)
