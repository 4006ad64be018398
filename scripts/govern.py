"""DAO proposals from the command line: `ape run govern <command> --network ... --account ...`.

    ape run govern propose proposal.yaml      # actions by contract + function + args, see cidhub.chain.proposals
    ape run govern vote 0x1a2b3c for --reason "..."
    ape run govern queue 0x1a2b3c
    ape run govern execute 0x1a2b3c
    ape run govern cancel 0x1a2b3c
    ape run govern delegate [0xDELEGATEE]
    ape run govern status [0x1a2b3c] [--json]

Proposal ids are accepted in full (decimal or 0x-hex) or as the unique hex prefix `status` shows.
Everything that can be checked is checked before a transaction is sent.
"""

from pathlib import Path

import click
from ape import project
from ape.cli import ConnectedProviderCommand, account_option
from ape.exceptions import ContractLogicError

from cidhub.chain.assets import current_deployment
from cidhub.chain.governance import (
    STATUS_COLUMNS,
    Support,
    cancel,
    cast_vote,
    delegate,
    execute,
    find_proposal,
    format_votes,
    list_proposals,
    propose,
    queue,
    status_rows,
    when,
)
from cidhub.chain.proposals import encode_proposal, load_proposal
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table

json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (stdout holds only it).")


def _suite():
    deployment = current_deployment()
    governor = project.HubGovernor.at(deployment.address_of("HubGovernor"))
    token = project.HubToken.at(deployment.address_of("HubToken"))
    return deployment, governor, token


def _fail(exc: Exception) -> click.ClickException:
    if isinstance(exc, ContractLogicError):
        return click.ClickException(f"the transaction reverted: {exc.message}")
    return click.ClickException(str(exc))


def _tx(receipt, as_json: bool, what: str, **extra) -> None:
    if as_json:
        print_json({"tx_hash": receipt.txn_hash, "block": receipt.block_number, "gas_used": receipt.gas_used, **extra})
    else:
        click.echo(f"{what} (tx {receipt.txn_hash}, gas {receipt.gas_used:,})")


@click.group()
def cli():
    """Propose, vote, queue, execute and follow DAO proposals."""


@cli.command(name="propose", cls=ConnectedProviderCommand)
@click.argument("file", type=click.Path(path_type=Path))
@account_option()
@click.option("--dry-run", is_flag=True, help="Encode and show the proposal, send nothing.")
@click.option("--no-proposer-suffix", is_flag=True,
              help="Do not end the description with #proposer=<your address> (then anyone can propose the same "
                   "description first and burn its id).")
@json_option
def propose_cmd(file, account, dry_run, no_proposer_suffix, as_json):
    """Propose the actions of FILE (YAML or JSON).

    The description gets a last line `#proposer=<your address>`, OpenZeppelin's front-running
    protection: the governor accepts it from you only, so nobody can take the proposal's id first.
    """
    machine_output(as_json)
    try:
        deployment, governor, token = _suite()
        spec = load_proposal(file)
        encoded = encode_proposal(spec, deployment, lambda name, address: getattr(project, name).at(address),
                                  proposer=None if no_proposer_suffix else account.address)
        result = {
            "proposal_id": str(encoded.proposal_id), "proposal_id_hex": f"0x{encoded.proposal_id:064x}",
            "title": spec.title, "description": encoded.description,
            "actions": [{"call": label, "target": t, "value": str(v), "calldata": "0x" + c.hex()}
                        for label, t, v, c in zip(encoded.labels, encoded.targets, encoded.values, encoded.calldatas)],
        }
        if not dry_run:
            pid, receipt = propose(governor, token, encoded, account, reserve=not no_proposer_suffix)
            result.update(tx_hash=receipt.txn_hash, gas_used=receipt.gas_used, vote_start=governor.proposal_snapshot(pid),
                          vote_end=governor.proposal_deadline(pid))
    except (CidhubError, ContractLogicError) as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(result)
        return
    print_table(f"{'would propose' if dry_run else 'proposed'}: {spec.title}", ["#", "call", "target", "calldata"], [
        [i, a["call"], a["target"], a["calldata"][:26] + ("…" if len(a["calldata"]) > 26 else "")]
        for i, a in enumerate(result["actions"], 1)])
    click.echo(f"proposal id {result['proposal_id_hex']}")
    if not dry_run:
        click.echo(f"voting opens {when(result['vote_start'])}, closes {when(result['vote_end'])}")


@cli.command(cls=ConnectedProviderCommand)
@click.argument("proposal")
@click.argument("support")
@account_option()
@click.option("--reason", help="Published with the vote.")
@json_option
def vote(proposal, support, account, reason, as_json):
    """Vote on PROPOSAL: SUPPORT is for, against or abstain."""
    machine_output(as_json)
    try:
        deployment, governor, _ = _suite()
        choice = Support.parse(support)
        view = find_proposal(governor, proposal, deployment.deploy_block)
        receipt = cast_vote(governor, view, choice, account, reason)
        (event,) = receipt.decode_logs(governor.VoteCast)
    except (CidhubError, ContractLogicError) as exc:
        raise _fail(exc) from None
    _tx(receipt, as_json, f"{account.address} voted {choice.name.lower()} on {view.short_id} "
        f"with {format_votes(event.weight)} votes", proposal_id=str(view.proposal_id), support=choice.name.lower(),
        weight=str(event.weight))


@cli.command(name="queue", cls=ConnectedProviderCommand)
@click.argument("proposal")
@account_option()
@json_option
def queue_cmd(proposal, account, as_json):
    """Queue a succeeded PROPOSAL in the timelock."""
    machine_output(as_json)
    try:
        deployment, governor, _ = _suite()
        view = find_proposal(governor, proposal, deployment.deploy_block)
        receipt = queue(governor, view, account)
        eta = governor.proposal_eta(view.proposal_id)
    except (CidhubError, ContractLogicError) as exc:
        raise _fail(exc) from None
    _tx(receipt, as_json, f"queued {view.short_id}; executable from {when(eta)}", proposal_id=str(view.proposal_id), eta=eta)


@cli.command(name="execute", cls=ConnectedProviderCommand)
@click.argument("proposal")
@account_option()
@json_option
def execute_cmd(proposal, account, as_json):
    """Execute a queued PROPOSAL whose ETA has come."""
    machine_output(as_json)
    try:
        deployment, governor, _ = _suite()
        view = find_proposal(governor, proposal, deployment.deploy_block)
        receipt = execute(governor, view, account)
    except (CidhubError, ContractLogicError) as exc:
        raise _fail(exc) from None
    _tx(receipt, as_json, f"executed {view.short_id}: {view.title}", proposal_id=str(view.proposal_id))


@cli.command(name="cancel", cls=ConnectedProviderCommand)
@click.argument("proposal")
@account_option()
@json_option
def cancel_cmd(proposal, account, as_json):
    """Cancel PROPOSAL (its proposer while Pending; anyone once the proposer is below the threshold)."""
    machine_output(as_json)
    try:
        deployment, governor, _ = _suite()
        view = find_proposal(governor, proposal, deployment.deploy_block)
        receipt = cancel(governor, view, account)
    except (CidhubError, ContractLogicError) as exc:
        raise _fail(exc) from None
    _tx(receipt, as_json, f"canceled {view.short_id}", proposal_id=str(view.proposal_id))


@cli.command(name="delegate", cls=ConnectedProviderCommand)
@click.argument("delegatee", required=False)
@account_option()
@json_option
def delegate_cmd(delegatee, account, as_json):
    """Delegate your HUB votes to DELEGATEE (default: yourself, to vote in person)."""
    machine_output(as_json)
    try:
        _, _, token = _suite()
        receipt = delegate(token, account, delegatee)
        votes = token.get_votes(delegatee or account.address)
    except (CidhubError, ContractLogicError) as exc:
        raise _fail(exc) from None
    _tx(receipt, as_json, f"{account.address} delegates to {delegatee or 'itself'}; "
        f"{delegatee or account.address} now has {format_votes(votes)} votes", delegatee=delegatee or account.address,
        votes=str(votes))


@cli.command(cls=ConnectedProviderCommand)
@click.argument("proposal", required=False)
@json_option
def status(proposal, as_json):
    """Every proposal with its state, tallies, quorum and timing (or one, with its actions)."""
    machine_output(as_json)
    try:
        deployment, governor, _ = _suite()
        views = ([find_proposal(governor, proposal, deployment.deploy_block)] if proposal
                 else list_proposals(governor, deployment.deploy_block))
    except CidhubError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json({"governor": governor.address, "proposals": [v.as_dict() for v in views]})
        return
    print_table(f"proposals on {deployment.key} (governor {governor.address})", STATUS_COLUMNS, status_rows(views))
    if proposal:
        view = views[0]
        print_table("actions", ["#", "target", "value", "calldata"], [
            [i, t, v, "0x" + c.hex()] for i, (t, v, c) in enumerate(zip(*view.arrays()), 1)])
        click.echo(view.description)
