"""Governance gas benchmarks: `ape run bench_governance --network ethereum:local:foundry`.

Whole-transaction gas from receipts on anvil (21,000 base and calldata included), merged into
bench/results/gas.json next to the other suites. Every operation is measured in the situation
its name says: `delegate` is an account's first self-delegation (it has a balance and no
checkpoints yet); `token_transfer_between_delegates` moves tokens between two self-delegated
holders at a new timepoint (both write a fresh checkpoint); `cast_vote` is the first vote on a
proposal (the governor writes tallies at proposal time, so later votes cost the same).
"""

import hashlib
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from eth_abi import encode as abi_encode
from eth_utils import keccak

from cidhub.bench import GAS_RESULTS, report_for, write_results
from cidhub.chain.governance import GovernanceConfig, Support, advance_time, deploy_dao
from cidhub.content.cid import RAW, cid_to_bytes, make_cid
from cidhub.output import print_table

UNIT = 10**18

# operation -> (target, what we compare with); see ../shared/REFERENCE-FIGURES.md
TARGETS = {
    "gov_delegate_first_self": (95_000, "OpenZeppelin Votes delegate avg 92,513 tx"),
    "gov_cast_vote": (70_000, "Nouns V3 castVote 97,235; V2 82,886"),
    "gov_propose_1_action": (None, "Nouns V3 propose 446,166 (short description)"),
    "gov_queue_1_action": (None, ""),
    "gov_execute_1_action": (None, ""),
    "gov_token_transfer_between_delegates": (None, "two fresh checkpoints (2 x 22.1k) + ERC-20 transfer"),
}


def _cid(seed: str) -> bytes:
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(seed.encode()).digest()))


def _ballot_signature(governor, signer, proposal_id: int, support: int, nonce: int, expiry: int) -> bytes:
    typehash = keccak(text="Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,uint256 expiry)")
    domain = keccak(abi_encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
         keccak(text="cidhub governor"), keccak(text="1"), chain.chain_id, governor.address]))
    struct = keccak(abi_encode(["bytes32", "uint256", "uint8", "address", "uint256", "uint256"],
                               [typehash, proposal_id, support, signer.address, nonce, expiry]))
    sig = signer.sign_raw_msghash(keccak(b"\x19\x01" + domain + struct))
    return bytes(sig.r) + bytes(sig.s) + bytes([sig.v])


@click.command(cls=ConnectedProviderCommand)
@click.option("--output", type=click.Path(path_type=Path), default=GAS_RESULTS, show_default=True)
def cli(output):
    deployer, alice, bob, carol, dave = accounts.test_accounts[:5]
    config = GovernanceConfig(voting_delay=60, voting_period=3_600, timelock_delay=600,
                              proposal_threshold=1_000 * UNIT, quorum_bps=400)
    allocations = [(alice.address, 400_000 * UNIT), (bob.address, 300_000 * UNIT), (carol.address, 200_000 * UNIT),
                   (dave.address, 100_000 * UNIT)]
    dao = deploy_dao(project, deployer, config, allocations)
    token, timelock, governor = dao.token, dao.timelock, dao.governor
    for role in (timelock.PROPOSER_ROLE(), timelock.CANCELLER_ROLE(), timelock.EXECUTOR_ROLE()):
        timelock.grantRole(role, governor, sender=deployer)
    registry = project.AssetRegistry.deploy(sender=deployer)
    registry.grantRole(registry.CURATOR_ROLE(), timelock, sender=deployer)
    asset_id = registry.register(_cid("benchmark asset"), 0, _cid("card"), 1, [], [], 0, sender=carol).return_value
    gas: dict[str, int] = {}

    gas["gov_delegate_first_self"] = token.invoke_transaction("delegate", alice, sender=alice).gas_used
    advance_time(12)
    gas["gov_delegate_first_to_other"] = token.invoke_transaction("delegate", alice, sender=dave).gas_used
    token.invoke_transaction("delegate", bob, sender=bob)
    token.invoke_transaction("delegate", carol, sender=carol)
    advance_time(12)  # a new timepoint: the transfer writes fresh checkpoints, as it usually does
    gas["gov_token_transfer_between_delegates"] = token.transfer(bob, 1_000 * UNIT, sender=alice).gas_used
    gas["gov_token_transfer_same_timepoint"] = token.transfer(bob, 1_000 * UNIT, sender=alice).gas_used
    advance_time(12)

    description = "Delist benchmark asset"
    calldata = registry.delist.encode_input(asset_id, _cid("reason"))
    receipt = governor.propose([registry.address], [0], [calldata], description, sender=alice)
    gas["gov_propose_1_action"] = receipt.gas_used
    proposal_id = receipt.decode_logs(governor.ProposalCreated)[0].proposal_id
    advance_time(config.voting_delay + 1)
    gas["gov_cast_vote"] = governor.cast_vote(proposal_id, int(Support.FOR), sender=alice).gas_used
    gas["gov_cast_vote_with_reason"] = governor.cast_vote_with_reason(
        proposal_id, int(Support.AGAINST), "Not convinced the card is wrong.", sender=bob).gas_used
    expiry = chain.blocks.head.timestamp + 3_600
    signature = _ballot_signature(governor, carol, proposal_id, int(Support.ABSTAIN), 0, expiry)
    gas["gov_cast_vote_by_sig"] = governor.cast_vote_by_sig(
        proposal_id, int(Support.ABSTAIN), carol, expiry, signature, sender=deployer).gas_used
    advance_time(config.voting_period + 1)
    description_hash = keccak(text=description)
    tx = governor.queue([registry.address], [0], [calldata], description_hash, sender=dave)
    gas["gov_queue_1_action"] = tx.gas_used
    advance_time(config.timelock_delay + 1)
    gas["gov_execute_1_action"] = governor.execute([registry.address], [0], [calldata], description_hash,
                                                   sender=dave).gas_used
    assert registry.is_delisted(asset_id)

    # A three-action proposal, to show how queue/execute grow per action.
    calls = [registry.delist.encode_input(registry.register(_cid(f"extra {i}"), 0, _cid("card"), 1, [], [], 0,
                                                                 sender=carol).return_value, _cid("reason"))
             for i in range(3)]
    targets, values = [registry.address] * 3, [0] * 3
    receipt = governor.propose(targets, values, calls, "Delist three assets", sender=alice)
    gas["gov_propose_3_actions"] = receipt.gas_used
    proposal_id = receipt.decode_logs(governor.ProposalCreated)[0].proposal_id
    advance_time(config.voting_delay + 1)
    governor.cast_vote(proposal_id, int(Support.FOR), sender=alice)
    advance_time(config.voting_period + 1)
    description_hash = keccak(text="Delist three assets")
    gas["gov_queue_3_actions"] = governor.queue(targets, values, calls, description_hash, sender=dave).gas_used
    advance_time(config.timelock_delay + 1)
    gas["gov_execute_3_actions"] = governor.execute(targets, values, calls, description_hash, sender=dave).gas_used

    results = write_results(output, report_for(gas, TARGETS))
    print_table(f"governance gas (tx, from receipts) -> {output}", ["operation", "gas", "target", "ok", "reference"], [
        [op, f"{results[op]['gas']:,}", f"{results[op]['target']:,}" if results[op]["target"] else "-",
         {True: "yes", False: "NO", None: "-"}[results[op]["meets_target"]], results[op]["reference"]]
        for op in gas
    ])
