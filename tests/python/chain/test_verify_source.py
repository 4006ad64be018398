"""Source verification: the standard JSON recompiles to the code on chain, and the Etherscan and
Sourcify clients speak the published APIs (tests/doubles/verify_servers.py checks every request
and response against them)."""

from __future__ import annotations

import pytest
import requests
from verify_servers import EtherscanDouble, SourcifyDouble

from cidhub.chain.bytecode import split_creation_input, vyper_metadata
from cidhub.chain.deployment import ContractRecord, Deployment
from cidhub.chain.verify_source import (
    Etherscan,
    Sourcify,
    VerifyError,
    build_submissions,
    compiler_settings,
    compiler_version,
    recompile,
    resolved_sources,
    source_hashes,
)

NAMES = ("Marketplace", "HubTimelock")  # immutables appended; snekmate modules imported


@pytest.fixture(scope="module")
def deployment(project, chain, deployer, registry):
    timelock = project.HubTimelock.deploy(600, [], [], deployer.address, sender=deployer)
    market = project.Marketplace.deploy(registry, timelock, 250, sender=deployer)
    records = {}
    for name, contract in (("Marketplace", market), ("HubTimelock", timelock)):
        tx_hash = str(contract.txn_hash)
        creation = bytes(chain.provider.web3.eth.get_transaction(tx_hash)["input"])
        args = split_creation_input(contract.contract_type, creation)
        records[name] = ContractRecord(address=contract.address, block=contract.creation_metadata.block,
                                       tx_hash=tx_hash, source=contract.contract_type.source_id,
                                       constructor_args="0x" + args.hex())
    sources: dict[str, str] = {}
    for record in records.values():
        sources.update(resolved_sources(record.source))
    vyper = [c for c in project.manifest.compilers if c.name == "vyper"][0]
    return Deployment(ecosystem="ethereum", network="local", chain_id=chain.chain_id, deployer=deployer.address,
                      deploy_block=min(r.block for r in records.values()), commit="test", contracts=records,
                      compiler={"name": "vyper", "version": compiler_version(),
                                "settings": compiler_settings(dict(vyper.settings))},
                      sources=source_hashes(sources))


@pytest.fixture
def services(chain):
    etherscan, sourcify = EtherscanDouble({chain.chain_id}).start(), SourcifyDouble({chain.chain_id}).start()
    yield etherscan, sourcify
    etherscan.stop()
    sourcify.stop()
    assert etherscan.violations == [] and sourcify.violations == []


@pytest.mark.parametrize("name", NAMES)
def test_standard_json__recompiles_to_the_code_on_chain(deployment, chain, name):
    (sub,) = build_submissions(deployment, [name])
    sources = sub.std_input["sources"]
    assert sub.std_input["settings"]["search_paths"] == ["."]
    assert all(not path.startswith(("/", ".")) for path in sources)  # nothing of this machine's paths
    assert "snekmate/auth/access_control.vy" in sources
    built = recompile(sub.std_input, sub.source, name)
    code = bytes(chain.provider.get_code(sub.address))
    assert code[: len(built.runtime)] == built.runtime
    assert len(code) - len(built.runtime) == vyper_metadata(built.initcode).immutables_size
    creation = bytes(chain.provider.web3.eth.get_transaction(sub.creation_tx)["input"])
    assert creation == built.initcode + bytes.fromhex(sub.constructor_args)


def test_verify__etherscan_and_sourcify__verified_then_already_verified(deployment, services):
    etherscan_double, sourcify_double = services
    clients = [Etherscan("test-key", etherscan_double.api_url, poll=0.01), Sourcify(sourcify_double.url, poll=0.01)]
    subs = build_submissions(deployment)
    first = [client.verify(sub) for sub in subs for client in clients]
    assert [v.status for v in first] == ["verified"] * 4
    again = [client.verify(sub) for sub in subs for client in clients]
    assert [v.status for v in again] == ["already"] * 4 and all(v.ok for v in again)
    market = deployment.contracts["Marketplace"]
    sent = {s["contractaddress"]: s for s in etherscan_double.submissions}[market.address]
    assert sent["contractname"] == "contracts/Marketplace.vy:Marketplace"
    assert sent["compilerversion"] == "vyper:0.4.3" and sent["codeformat"] == "vyper-json"
    assert sent["constructorArguments"] == market.constructor_args[2:]
    job = {s["address"]: s for s in sourcify_double.submissions}[market.address]
    assert job["compilerVersion"] == compiler_version() and job["creationTransactionHash"] == market.tx_hash


def test_verify__service_rejects__reported_as_failed(deployment, services):
    etherscan_double, sourcify_double = services
    etherscan_double.judge = sourcify_double.judge = lambda submission: "bytecode does not match"
    (sub,) = build_submissions(deployment, ["HubTimelock"])
    verdicts = [Etherscan("test-key", etherscan_double.api_url, poll=0.01).verify(sub),
                Sourcify(sourcify_double.url, poll=0.01).verify(sub)]
    assert [v.status for v in verdicts] == ["failed", "failed"]
    assert all("bytecode does not match" in v.detail for v in verdicts)


def test_etherscan_double__request_off_the_published_api__answered_notok_and_recorded(chain):
    double = EtherscanDouble({chain.chain_id}).start()
    try:
        answer = requests.post(double.api_url, params={"chainid": chain.chain_id, "module": "contract",
                                                       "action": "verifysourcecode", "apikey": "test-key"},
                               data={"codeformat": "vyper-json", "sourceCode": "{}"}, timeout=10).json()
    finally:
        double.stop()
    assert answer["status"] == "0" and "does not follow the API" in answer["result"]
    assert len(double.violations) == 1 and "contractaddress" in double.violations[0]


def test_build_submissions__source_changed_since_deploy__refused(deployment):
    changed = Deployment.from_json({**deployment.to_json(),
                                    "sources": {**deployment.sources, "contracts/HubTimelock.vy": "sha256:00"}})
    with pytest.raises(VerifyError, match="contracts/HubTimelock.vy differs from the source deployed"):
        build_submissions(changed, ["HubTimelock"])
