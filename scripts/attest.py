"""Verifiable compute from the command line.

    ape run attest run --model ASSET --data ASSET [--data ...] --owner ADDR
                       [--verifier signed|optimistic|zk] --out job.json
    ape run attest submit JOB --account A [--attester TEST::N]     signed: re-run, sign, submit
                                                                    optimistic: claim with the bond
                                                                    zk: --proof proof.json (zkProof, instances)
    ape run attest challenge JOB --account A                        only if the claim does not hold (or --force)
    ape run attest finalize JOB --account A                         after the window: bond back, result registered
    ape run attest resolve JOB --upheld|--rejected --account A      the arbiter's ruling
    ape run attest withdraw --account A                             bonds and winnings
    ape run attest zk-inputs JOB                                    the public inputs a zk proof of JOB must start with
    ape run attest verify JOB                                       re-run from the CIDs: does the claim hold?
    ape run attest status [JOB]                                     one job, or every job on the chain

JOB is a job file written by `run`, a job hash, or the asset id / CID of an accepted result.
Every command checks what it can before sending, and takes --json.
"""

import json
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.chain.registry import format_asset_id, parse_asset_ref
from cidhub.compute.jobs import (
    AttestError,
    Job,
    ScoreParams,
    build_job,
    job_document,
    load_job_document,
    reproduce,
    run_job,
)
from cidhub.compute.onchain import (
    AttestContracts,
    attester_key,
    challenge,
    claim,
    finalize,
    find_job,
    job_hash_of_result,
    job_status,
    list_jobs,
    resolve,
    sign_for_chain,
    submit_signed,
    submit_zk,
    withdraw_bonds,
    zk_public_inputs,
)
from cidhub.compute.runner import ComputeError
from cidhub.content.store import BlockStore
from cidhub.errors import CidhubError
from cidhub.output import machine_output, print_json, print_table, short_hex

EXIT_DOES_NOT_HOLD = 3
EXIT_CANNOT_CHECK = 4

_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
_data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                                help="Block store (default: $CIDHUB_DATA_DIR or ~/.cidhub/blocks).")


def _fail(exc: Exception):
    raise click.ClickException(str(exc)) from None


def _load(ref: str, contracts: AttestContracts) -> Job:
    """A job file, a job hash, or an accepted result's asset id / CID."""
    path = Path(ref)
    if path.is_file():
        try:
            job, _ = load_job_document(json.loads(path.read_text()))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AttestError(f"{path} is not a job file: {exc}") from None
        return job
    text = ref.strip()
    if text.lower().startswith("0x") and len(text) == 66:
        try:
            return find_job(contracts, text)
        except AttestError:
            try:  # maybe a result's asset id
                return find_job(contracts, job_hash_of_result(contracts, int(text, 16)))
            except AttestError:
                raise AttestError(f"no job {text} on this chain (neither a claimed or accepted job's hash nor an "
                                  "accepted result's asset id); give the job file") from None
    return find_job(contracts, job_hash_of_result(contracts, parse_asset_ref(text)))


def _show(title: str, result: dict, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        print_table(title, ["field", "value"], [[k, v] for k, v in result.items()])


@click.group()
def cli():
    """Attested compute jobs: run, submit, challenge, finalize, verify, status."""


@cli.command(cls=ConnectedProviderCommand, name="run")
@click.option("--model", required=True, help="The model asset (id or CID).")
@click.option("--data", "datasets", multiple=True, required=True, help="An input dataset asset (repeat, in order).")
@click.option("--owner", required=True, help="Who receives the result asset.")
@click.option("--verifier", "verifier_kind", type=click.Choice(["signed", "optimistic", "zk"]), default="signed",
              show_default=True)
@click.option("--model-share", default=2_000, show_default=True, type=int, help="The model's upstream share, bps.")
@click.option("--data-share", "data_shares", multiple=True, type=int,
              help="Each dataset's upstream share, bps (repeat; default 1000 each).")
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Params JSON (default: cidhub's scoring defaults).")
@click.option("--licence-id", default=0, type=int)
@click.option("--royalty-bps", default=0, type=int)
@click.option("--consumer", default="0x" + "00" * 20, help="A contract to notify on acceptance.")
@click.option("--name", help="The result card's name.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the job file here.")
@_data_dir_option
@_json_option
def run_cmd(model, datasets, owner, verifier_kind, model_share, data_shares, params_file, licence_id, royalty_bps,
            consumer, name, out, data_dir, as_json):
    """Run the scoring job locally on the assets' content and write the job file."""
    from ape import chain

    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        store = BlockStore(data_dir)
        model_id = parse_asset_ref(model)
        dataset_ids = [parse_asset_ref(d) for d in datasets]
        shares = list(data_shares) or [1_000] * len(dataset_ids)
        params = params_file.read_bytes() if params_file else ScoreParams()
        result = run_job(store, contracts.content_cid_of(model_id), [contracts.content_cid_of(d) for d in dataset_ids],
                         params)
        job = build_job(store, result, model_id=model_id, dataset_ids=dataset_ids, model_share_bps=model_share,
                        dataset_shares_bps=shares, owner=owner, verifier=contracts.verifier(verifier_kind).address,
                        verifier_kind=verifier_kind, licence_id=licence_id, royalty_bps=royalty_bps,
                        consumer=consumer, name=name)
    except (CidhubError, ComputeError, OSError) as exc:
        _fail(exc)
    doc = job_document(job, verifier_kind=verifier_kind, chain_id=chain.chain_id, hub=contracts.hub.address, run=result)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2) + "\n")
    if as_json:
        print_json({**doc, "file": str(out) if out else None})
        return
    summary = result.summary()
    print_table(f"job {short_hex(job.job_hash)}" + (f" -> {out}" if out else ""), ["field", "value"], [
        ["job hash", job.job_hash], ["verifier", f"{verifier_kind} ({job.verifier})"],
        ["model", format_asset_id(job.model_id)], *[["dataset", format_asset_id(d)] for d in job.dataset_ids],
        ["params CID", str(job.params_cid)], ["output CID", str(job.output_cid)],
        ["result card CID", str(job.metadata_cid)],
        ["rows / flagged", f"{summary['rows']} / {summary['flagged']}"], ["owner", job.owner],
    ])


@cli.command(cls=ConnectedProviderCommand)
@click.argument("job_ref", metavar="JOB")
@account_option()
@click.option("--attester", help="Signed jobs: the attester, TEST::N on a local chain (else $CIDHUB_ATTESTER_KEY).")
@click.option("--valid-for", default=3_600, show_default=True, type=int,
              help="Signed jobs: seconds the attestation lives.")
@click.option("--proof", "proof_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='zk jobs: JSON {"proof": "0x...", "instances": [...]}.')
@_data_dir_option
@_json_option
def submit(job_ref, account, attester, valid_for, proof_file, data_dir, as_json):
    """Submit a job through the verifier it names (a claim, for the optimistic verifier)."""
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        job = _load(job_ref, contracts)
        kind = contracts.kind_of(job.verifier)
        if kind == "signed":
            attestation = sign_for_chain(contracts, job, attester_key(attester), BlockStore(data_dir),
                                         valid_for=valid_for)
            result = {"route": "signed", "attester": attestation.attester,
                      **submit_signed(contracts, attestation, account).as_dict()}
        elif kind == "optimistic":
            result = {"route": "optimistic claim", **claim(contracts, job, account)}
        elif kind == "zk":
            if not proof_file:
                raise AttestError("a zk job needs --proof (the circuit's proof and public inputs)")
            proof = json.loads(proof_file.read_text())
            result = {"route": "zk", **submit_zk(contracts, job, bytes.fromhex(proof["proof"].removeprefix("0x")),
                                                 [int(i, 0) if isinstance(i, str) else int(i)
                                                  for i in proof["instances"]], account).as_dict()}
        else:
            raise AttestError(f"the job names verifier {job.verifier}, which is not one of this deployment's")
    except (CidhubError, KeyError, ValueError) as exc:
        _fail(exc)
    _show("submitted", result, as_json)


@cli.command(cls=ConnectedProviderCommand, name="zk-inputs")
@click.argument("job_ref", metavar="JOB")
@_json_option
def zk_inputs_cmd(job_ref, as_json):
    """The public inputs a zk proof of JOB must start with on this chain (hand them to the prover).

    The first two bind the proof to the whole job (owner, shares, licence, royalty, metadata, consumer...),
    this chain and this adapter; then the model, each dataset, the params and the output, as 128-bit limbs.
    """
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        job = _load(job_ref, contracts)
        values = zk_public_inputs(contracts, job)
    except CidhubError as exc:
        _fail(exc)
    names = ["binding", "model", *[f"dataset {i}" for i in range(len(job.dataset_ids))], "params", "output"]
    labels = [f"{name} {half}" for name in names for half in ("hi", "lo")]
    if as_json:
        print_json({"job_hash": job.job_hash, "instances": [str(v) for v in values], "labels": labels})
        return
    print_table(f"public inputs of job {short_hex(job.job_hash)}", ["#", "input", "value"],
                [[i, label, str(v)] for i, (label, v) in enumerate(zip(labels, values, strict=True))])


@cli.command(cls=ConnectedProviderCommand, name="challenge")
@click.argument("job_ref", metavar="JOB")
@account_option()
@click.option("--force", is_flag=True,
              help="Challenge even if the claim reproduces here (you will likely lose the bond).")
@_data_dir_option
@_json_option
def challenge_cmd(job_ref, account, force, data_dir, as_json):
    """Challenge an optimistic claim, after re-running it: only a claim that does not hold.

    That includes a claim no run can reproduce (an input that is not a file cidhub can read, such as a
    params CID with a codec outside the multicodec table): its output cannot be right. A claim that
    cannot be checked *here* (content missing from the local store) needs --force.
    """
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        job = _load(job_ref, contracts)
        verdict = reproduce(job, BlockStore(data_dir), contracts.content_cid_of)
        if verdict.holds and not force:
            raise AttestError(f"the claim holds here ({verdict.reason}); challenging it would lose the bond "
                              "(--force to challenge anyway)")
        if verdict.holds is None and not force:
            raise AttestError(f"the claim cannot be checked here ({verdict.reason}); --force to challenge anyway")
        result = {**challenge(contracts, job.struct_hash(), account), "recomputed_output": verdict.recomputed_output}
    except CidhubError as exc:
        _fail(exc)
    _show("challenged", result, as_json)


@cli.command(cls=ConnectedProviderCommand, name="finalize")
@click.argument("job_ref", metavar="JOB")
@account_option()
@click.option("--no-submit", is_flag=True,
              help="Only finalize the claim (return the bond); do not register the result.")
@_json_option
def finalize_cmd(job_ref, account, no_submit, as_json):
    """Finalize an unchallenged claim after its window, then register the result."""
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        result = finalize(contracts, _load(job_ref, contracts), account, submit=not no_submit)
    except CidhubError as exc:
        _fail(exc)
    if as_json:
        print_json(result)
    else:
        _show("finalized", {k: json.dumps(v) if isinstance(v, dict) else v for k, v in result.items()}, False)


@cli.command(cls=ConnectedProviderCommand, name="resolve")
@click.argument("job_ref", metavar="JOB")
@account_option()
@click.option("--upheld/--rejected", required=True, help="The arbiter's ruling on the challenged claim.")
@_json_option
def resolve_cmd(job_ref, account, upheld, as_json):
    """Rule on a challenged claim (ARBITER_ROLE)."""
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        result = resolve(contracts, _load(job_ref, contracts).struct_hash(), upheld, account)
    except CidhubError as exc:
        _fail(exc)
    _show("resolved", result, as_json)


@cli.command(cls=ConnectedProviderCommand, name="withdraw")
@account_option()
@_json_option
def withdraw_cmd(account, as_json):
    """Withdraw bonds and winnings owed by the OptimisticVerifier."""
    machine_output(as_json)
    try:
        amount = withdraw_bonds(AttestContracts.load(), account)
    except CidhubError as exc:
        _fail(exc)
    _show("withdrawn", {"account": account.address, "amount": amount}, as_json)


@cli.command(cls=ConnectedProviderCommand, name="verify")
@click.argument("job_ref", metavar="JOB")
@_data_dir_option
@_json_option
def verify_cmd(job_ref, data_dir, as_json):
    """Re-run a job from its CIDs (content from the local block store): does its output claim hold?

    Exit status: 0 it holds, 3 it does not, 4 it cannot be checked here (content missing).
    """
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        job = _load(job_ref, contracts)
        verdict = reproduce(job, BlockStore(data_dir), contracts.content_cid_of)
        status = job_status(contracts, job)
    except CidhubError as exc:
        _fail(exc)
    result = {**verdict.as_dict(), "verifier": status.verifier_kind, "accepted": status.accepted,
              "result_id": format_asset_id(status.result_id) if status.result_id is not None else None}
    if as_json:
        print_json(result)
    else:
        print_table(f"job {short_hex(job.job_hash)}", ["field", "value"], [
            ["claim holds", {True: "yes", False: "NO", None: "cannot check"}[verdict.holds]], ["why", verdict.reason],
            ["claimed output", verdict.claimed_output], ["recomputed output", verdict.recomputed_output or "-"],
            ["verifier", status.verifier_kind], ["accepted on-chain", "yes" if status.accepted else "no"],
            *[[k, v] for k, v in verdict.inputs.items()],
        ])
    raise SystemExit({True: 0, False: EXIT_DOES_NOT_HOLD, None: EXIT_CANNOT_CHECK}[verdict.holds])


@cli.command(cls=ConnectedProviderCommand, name="status")
@click.argument("job_ref", metavar="JOB", required=False)
@_json_option
def status_cmd(job_ref, as_json):
    """One job's state (claim, acceptance, the result's provenance), or every job on the chain."""
    machine_output(as_json)
    try:
        contracts = AttestContracts.load()
        if job_ref is None:
            rows = list_jobs(contracts)
            if as_json:
                print_json(rows)
            else:
                print_table("jobs", ["job", "verifier", "claim", "accepted", "result"], [
                    [short_hex(r["job_hash"]), r["verifier"], r.get("claim_status", "-"),
                     "yes" if r.get("accepted") else "no", short_hex(r["result_id"]) if r.get("result_id") else "-"]
                    for r in rows])
            return
        status = job_status(contracts, _load(job_ref, contracts))
    except CidhubError as exc:
        _fail(exc)
    if as_json:
        print_json(status.as_dict())
        return
    rows = [["job hash", status.job_hash], ["verifier", status.verifier_kind],
            ["accepted", "yes" if status.accepted else "no"]]
    if status.result_id is not None:
        rows.append(["result", format_asset_id(status.result_id)])
        rows += [[f"parent ({p['share_bps'] / 100:g} %)", f"{p['asset_id']} owned by {p['owner']}"]
                 for p in status.provenance]
    if status.claim:
        rows += [[f"claim {k}", v] for k, v in status.claim.items() if v is not None]
    if status.zk_proved is not None:
        rows.append(["zk proof recorded", "yes" if status.zk_proved else "no"])
    print_table("job status", ["field", "value"], rows)
