"""The DAO part of `make demo`: the deployer hands every lever to the timelock, HUB goes to the
community, members delegate, a proposal delists an asset, lowers the marketplace fee and mints a
contributor grant, votes are cast (one by signature, one with borrowed tokens that do not count),
and after time travel on anvil the timelock executes it. Every step goes through the same code as
`ape run govern` and `ape run roles`.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import click
import yaml
from eth_abi import encode as abi_encode
from eth_utils import keccak

from cidhub.chain.deployment import DAO_CONTRACT, SUITE_ROLES, Deployment, role_holders, write_deployment
from cidhub.chain.governance import (
    STATUS_COLUMNS,
    GovernanceError,
    ProposalState,
    Support,
    advance_time,
    audit_roles,
    cast_vote,
    delegate,
    execute,
    find_proposal,
    format_votes,
    hand_over,
    propose,
    queue,
    status_rows,
    when,
)
from cidhub.chain.proposals import Action, encode_proposal, load_proposal
from cidhub.chain.registry import format_asset_id
from cidhub.content.cid import cid_from_bytes, make_cid
from cidhub.output import print_table, short_hex

HUB = 10**18
GRANTS = (1_000_000, 800_000, 600_000, 300_000)  # HUB to each member, from the contributors' share


def marketplace_fee_action(deployment: Deployment, fee_bps: int) -> Action | None:
    """The marketplace's fee lever as a proposal action; None while the deployment has no Marketplace."""
    if "Marketplace" not in deployment.contracts:
        return None
    return Action("Marketplace", "set_fee", [fee_bps, DAO_CONTRACT])


def _ballot_signature(governor: Any, voter: Any, proposal_id: int, support: int, expiry: int) -> bytes:
    """An EIP-712 Ballot signed by `voter` (a wallet would produce the same bytes)."""
    from ape import chain

    domain = keccak(abi_encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
         keccak(text=governor.name()), keccak(text=governor.version()), chain.chain_id, governor.address]))
    struct = keccak(abi_encode(["bytes32", "uint256", "uint8", "address", "uint256", "uint256"],
                               [governor.BALLOT_TYPEHASH(), proposal_id, support, voter.address,
                                governor.nonces(voter.address), expiry]))
    sig = voter.sign_raw_msghash(keccak(b"\x19\x01" + domain + struct))
    return bytes(sig.r) + bytes(sig.s) + bytes([sig.v])


def run_governance_demo(project: Any, deployment: Deployment, *, deployer: Any, members: list[Any], relayer: Any,
                        delist: int, names: dict[int, str]) -> None:
    from ape import chain

    contract_at = lambda name, address: getattr(project, name).at(address)  # noqa: E731
    contracts = {name: contract_at(name, rec.address) for name, rec in deployment.contracts.items()}
    token, timelock, governor = contracts["HubToken"], contracts[DAO_CONTRACT], contracts["HubGovernor"]
    labels = {**{rec.address: name for name, rec in deployment.contracts.items()},
              timelock.address: "timelock", governor.address: "governor", deployer.address: "deployer",
              **{m.address: f"member {i}" for i, m in enumerate(members, 1)}}

    click.secho("DAO: the deployer hands every lever of the suite to the timelock", bold=True)
    hand_over(contracts, deployer, {DAO_CONTRACT: timelock.address, "HubGovernor": governor.address},
              from_block=deployment.deploy_block, revoke_others=True)
    for name, contract in contracts.items():
        deployment.roles[name] = role_holders(contract, SUITE_ROLES.get(name, ()), deployment.deploy_block)
    write_deployment(deployment)
    audit = audit_roles(deployment, contract_at)
    print_table("who holds the levers (from events; `ape run roles`)", ["contract", "role", "held by", "status"], [
        [r.contract, r.role, ", ".join(labels.get(h, short_hex(h)) for h in r.holders) or "nobody", r.status]
        for r in audit.roles])
    if audit.failures(strict=True):
        raise click.ClickException("hand-over incomplete: " + "; ".join(audit.failures(strict=True)))

    click.secho("DAO: HUB to the community, and delegation", bold=True)
    for member, amount in zip(members, GRANTS, strict=True):
        token.transfer(member, amount * HUB, sender=deployer)
    first, second, third, fourth = members
    delegate(token, first)
    delegate(token, second)
    delegate(token, third, second.address)  # third trusts second to vote for it
    # fourth delegates without paying gas: it signs, the relayer submits.
    expiry = chain.blocks.head.timestamp + 3_600
    digest = keccak(b"\x19\x01" + bytes(token.DOMAIN_SEPARATOR()) + keccak(abi_encode(
        ["bytes32", "address", "uint256", "uint256"],
        [keccak(text="Delegation(address delegatee,uint256 nonce,uint256 expiry)"), fourth.address,
         token.nonces(fourth.address), expiry])))
    sig = fourth.sign_raw_msghash(digest)
    token.delegate_by_sig(fourth, fourth, token.nonces(fourth.address), expiry,
                          bytes(sig.r) + bytes(sig.s) + bytes([sig.v]), sender=relayer)
    advance_time(1)
    print_table("HUB holders", ["member", "balance", "delegates to", "votes"], [
        [labels[m.address], format_votes(token.balanceOf(m)), labels.get(token.delegates(m), "-"),
         format_votes(token.get_votes(m))] for m in members])
    click.echo(f"   treasury (timelock) {format_votes(token.balanceOf(timelock))} HUB, not delegated; "
               f"deployer keeps {format_votes(token.balanceOf(deployer))} HUB undelegated")

    click.secho("DAO: a proposal, written as a file and encoded from the ABIs (`ape run govern propose`)", bold=True)
    # Arguments as people write them: the asset by its content CID, the published reason's CID.
    registry = contracts["AssetRegistry"]
    asset_cid = str(cid_from_bytes(bytes(registry.cid_of(delist))))
    reason_cid = str(make_cid(1, "raw", hashlib.sha256(b"cidhub demo: why the dataset is delisted").digest()))
    actions = [{"contract": "AssetRegistry", "function": "delist", "args": [asset_cid, reason_cid]},
               {"contract": "HubToken", "function": "mint", "args": [fourth.address, "25000 HUB"]}]
    fee = marketplace_fee_action(deployment, 100)
    if fee is not None:
        actions.insert(1, {"contract": fee.contract, "function": fee.function, "args": fee.args})
    spec = {
        "description": f"# Delist {names.get(delist, 'an asset')}, lower the fee, fund a contributor\n"
                       "The card links data published without consent; the protocol fee goes to 1 %; "
                       "member 4 gets a 25,000 HUB grant for the documentation.",
        "actions": actions,
    }
    with tempfile.TemporaryDirectory(prefix="cidhub-proposal-") as tmp:
        path = Path(tmp) / "proposal.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        encoded = encode_proposal(load_proposal(path), deployment, contract_at, proposer=first.address)
    pid, receipt = propose(governor, token, encoded, first)
    print_table(f"proposal {pid:064x}"[:19], ["#", "call"], [[i, label] for i, label in enumerate(encoded.labels, 1)])
    view = find_proposal(governor, pid, deployment.deploy_block)
    click.echo(f"   proposed by member 1 (gas {receipt.gas_used:,}); voting opens {when(view.vote_start)}")

    click.secho("DAO: time travel past the voting delay, then votes", bold=True)
    advance_time(view.vote_start - chain.blocks.head.timestamp + 1)
    view = find_proposal(governor, pid, deployment.deploy_block)
    cast_vote(governor, view, Support.FOR, first, "Consent matters; 1 % keeps the market competitive.")
    cast_vote(governor, view, Support.FOR, second)
    ballot_expiry = chain.blocks.head.timestamp + 3_600
    signature = _ballot_signature(governor, fourth, pid, int(Support.ABSTAIN), ballot_expiry)
    governor.cast_vote_by_sig(pid, int(Support.ABSTAIN), fourth, ballot_expiry, signature, sender=relayer)
    # A late whale: tokens acquired after the snapshot do not vote.
    token.transfer(relayer, 1_000_000 * HUB, sender=deployer)
    delegate(token, relayer)
    late = cast_vote(governor, view, Support.AGAINST, relayer).decode_logs(governor.VoteCast)[0]
    click.echo(f"   member 1 for, member 2 for (with member 3's votes), member 4 abstains by signature (relayed); "
               f"a holder who got {format_votes(token.balanceOf(relayer))} HUB after the snapshot votes against "
               f"with weight {format_votes(late.weight)}")
    advance_time(view.vote_end - chain.blocks.head.timestamp + 1)
    print_table("`ape run govern status`", STATUS_COLUMNS,
                status_rows([find_proposal(governor, pid, deployment.deploy_block)]))

    click.secho("DAO: queue in the timelock, wait out its delay, execute", bold=True)
    queue(governor, find_proposal(governor, pid, deployment.deploy_block), first)
    view = find_proposal(governor, pid, deployment.deploy_block)
    try:
        execute(governor, view, second)
    except GovernanceError as exc:
        click.echo(f"   too early: {exc}")
    advance_time(view.eta - chain.blocks.head.timestamp)
    execute(governor, find_proposal(governor, pid, deployment.deploy_block), second)
    view = find_proposal(governor, pid, deployment.deploy_block)
    assert view.state == ProposalState.EXECUTED
    effects = [["asset delisted", f"{names.get(delist, format_asset_id(delist))}: {registry.is_delisted(delist)}"],
               ["grant minted", f"member 4 holds {format_votes(token.balanceOf(fourth))} HUB"]]
    if "Marketplace" in contracts:
        market = contracts["Marketplace"]
        fee = f"{market.fee_bps() / 100:g} % to {labels.get(market.treasury(), market.treasury())}"
        effects.insert(1, ["marketplace fee", fee])
    print_table(f"executed by the timelock: {view.title}", ["effect", "now"], effects)
    failures = audit_roles(deployment, contract_at).failures(strict=True)
    click.echo("   `ape run roles`: "
               + ("every lever is held by the DAO alone" if not failures else "; ".join(failures)))
