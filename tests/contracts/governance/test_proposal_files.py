"""cidhub.chain.proposals against the deployed suite: files people write become exactly the calls the
governor hashes, and mistakes are reported with what to fix, before anything is sent."""

from __future__ import annotations

import json

import pytest

from cidhub.chain.proposals import ProposalError, encode_proposal, load_proposal, proposal_id
from cidhub.content.cid import cid_from_bytes

from .helpers import HUB, cid


@pytest.fixture
def encode(governance_suite, project, tmp_path):
    def _encode(text: str, suffix: str = ".yaml"):
        path = tmp_path / f"proposal{suffix}"
        path.write_text(text)
        return encode_proposal(load_proposal(path), governance_suite.deployment,
                               lambda name, address: getattr(project, name).at(address))

    return _encode


def test_yaml_file__encoded_from_the_abis(encode, governance_suite, registry_dao, governor, new_asset, creator):
    asset_id = new_asset()
    asset_cid = str(cid_from_bytes(bytes(registry_dao.cid_of(asset_id))))
    reason_bytes = cid()
    reason = str(cid_from_bytes(reason_bytes))
    encoded = encode(
        "description: |\n  # Delist\n  why\n"
        "actions:\n"
        f"  - {{contract: AssetRegistry, function: delist, args: [{asset_cid}, {reason}]}}\n"
        f"  - {{contract: HubToken, function: mint, args: [{creator.address}, 1_000.5 HUB]}}\n"
        "  - {contract: AssetRegistry, function: grantRole, args: [REGISTRAR_ROLE, HubGovernor]}\n")
    suite = governance_suite
    assert encoded.targets == [suite.AssetRegistry.address, suite.HubToken.address, suite.AssetRegistry.address]
    assert encoded.calldatas[0] == bytes(registry_dao.delist.encode_input(asset_id, reason_bytes))
    assert encoded.calldatas[1] == bytes(suite.HubToken.mint.encode_input(creator.address,
                                                                          1_000_500_000_000_000_000_000))
    assert encoded.calldatas[2] == bytes(registry_dao.grantRole.encode_input(registry_dao.REGISTRAR_ROLE(),
                                                                             suite.HubGovernor.address))
    assert encoded.proposal_id == governor.hash_proposal(*encoded.arrays(), encoded.description_hash)
    assert encoded.proposal_id == proposal_id(*encoded.arrays(), encoded.description)


def test_json_file__same_as_yaml(encode, creator):
    spec = {"description": "mint", "actions": [{"contract": "HubToken", "function": "mint",
                                                "args": [creator.address, str(5 * HUB)], "value": 0}]}
    from_json = encode(json.dumps(spec), ".json")
    from_yaml = encode("description: mint\nactions:\n"
                       f"  - {{contract: HubToken, function: mint, args: [{creator.address}, 5 HUB]}}\n")
    assert from_json.calldatas == from_yaml.calldatas


def test_hex_address_in_yaml__stays_an_address(encode, creator):
    """YAML 1.1 reads 0x... as a number; the loader keeps it as text."""
    encoded = encode("description: x\nactions:\n  - contract: HubToken\n    function: mint\n"
                     f"    args: [{creator.address}, 1]\n")
    assert creator.address[2:].lower() in encoded.calldatas[0].hex()


@pytest.mark.parametrize(("body", "message"), [
    ("actions:\n  - {contract: HubToken, function: mint, args: [HubTimelock, 1]}\n", "'description' must be"),
    ("description: x\nactions: []\n", "'actions' must be a non-empty list"),
    ("description: x\nactions:\n  - {contract: Nowhere, function: x}\n", "Nowhere is not in the"),
    ("description: x\nactions:\n  - {contract: AssetRegistry, function: delist, args: [1]}\n", "takes 2 arguments"),
    ("description: x\nactions:\n  - {contract: AssetRegistry, function: nope}\n", "has no function nope"),
    ("description: x\nactions:\n  - {contract: AssetRegistry, function: is_delisted, args: [1]}\n", "it is a view"),
    ("description: x\nactions:\n"
     "  - {contract: HubToken, function: mint, args: [HubTimelock, 1.0000000000000000001 HUB]}\n",
     "more than 18 decimals"),
    ("description: x\nactions:\n  - {contract: HubToken, function: mint, args: [HubTimelock, lots]}\n",
     "not a number, a HUB amount or a CID"),
    ("description: x\nactions:\n  - {contract: HubToken, function: mint, args: [Treasury, 1]}\n",
     "neither a 0x address"),
    ("description: x\nactions:\n  - {contract: AssetRegistry, function: delist, args: [1, not-a-cid]}\n",
     "neither 0x-hex nor a CID"),
    ("description: x\nactions:\n  - {contract: AssetRegistry, function: grantRole, args: [NOPE_ROLE, HubTimelock]}\n",
     "no role constant NOPE_ROLE"),
    ("description: x\nactions:\n  - {contract: HubToken, function: mint, args: [HubTimelock, 1], extra: 2}\n",
     "unknown keys"),
    ("description: x\nactions:\n" + "  - {contract: HubToken, function: mint, args: [HubTimelock, 1]}\n" * 11,
     "at most 10"),
    ("description: [unclosed\n", "is not valid YAML"),
])
def test_bad_files__say_what_to_fix(encode, body, message):
    with pytest.raises(ProposalError, match=message.replace("[", r"\[").replace("(", r"\(")):
        encode(body)


def test_calldata_over_the_timelock_bound__rejected(encode):
    body = ("description: x\nactions:\n  - {contract: AssetRegistry, function: delist, args: [1, 0x"
            + "00" * 1_100 + "]}\n")
    with pytest.raises(ProposalError, match="at most 1024"):
        encode(body)
