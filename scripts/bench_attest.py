"""Compute-attestation gas benchmarks: `ape run bench_attest --network ethereum:local:foundry`.

Tx gas from receipts (21,000 base and calldata included), merged into bench/results/gas.json.
The headline job is the demo's shape: one model and one dataset, so the result has two parents.
"Returning owner" means the result's owner already holds an asset (its ERC-721 balance slot is
not new), as an operator running jobs for a requester does from the second job on. CIDs derive
from fixed seeds, so calldata (and gas) is the same on every run.
"""

import hashlib
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from eth_account import Account

from cidhub.bench import GAS_RESULTS, report_for, write_results
from cidhub.compute.jobs import Job, sign_job, zk_instances
from cidhub.content.cid import RAW, cid_to_bytes, make_cid
from cidhub.output import print_table

TARGETS = {
    "submit_signed_attestation": (180_000,
                                  "registry register_for with 2 parents alone: see register_for_2_parents_baseline"),
}
BOND = 10**17
WINDOW = 3_600
ATTESTER_KEY = "0x" + "a7" * 32


def _cid(seed: str):
    return make_cid(1, RAW, hashlib.sha256(seed.encode()).digest())


@click.command(cls=ConnectedProviderCommand)
@click.option("--output", type=click.Path(path_type=Path), default=GAS_RESULTS, show_default=True)
def cli(output):
    deployer, model_owner, data_owner, operator, requester, challenger, newcomer = accounts.test_accounts[:7]
    attester = Account.from_key(ATTESTER_KEY)
    registry = project.AssetRegistry.deploy(sender=deployer)
    hub = project.ComputeAttestations.deploy(registry, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), hub, sender=deployer)
    registry.grantRole(registry.REGISTRAR_ROLE(), deployer, sender=deployer)
    hub.grantRole(hub.VERIFIER_MANAGER_ROLE(), deployer, sender=deployer)
    signed = project.SignedAttestationVerifier.deploy(hub, sender=deployer)
    signed.grantRole(signed.ATTESTER_MANAGER_ROLE(), deployer, sender=deployer)
    signed.add_attester(attester.address, sender=deployer)
    optimistic = project.OptimisticVerifier.deploy(hub, BOND, WINDOW, 86_400, sender=deployer)
    zk = project.ZkVerifierAdapter.deploy(hub, sender=deployer)
    zk.grantRole(zk.CIRCUIT_MANAGER_ROLE(), deployer, sender=deployer)
    circuit = project.AttZkVerifier.deploy(sender=deployer)
    for verifier in (signed, optimistic, zk):
        hub.set_verifier(verifier, True, sender=deployer)

    def asset(seed, kind, owner):
        tx = registry.register(cid_to_bytes(_cid(seed)), kind, cid_to_bytes(_cid("card-" + seed)), 1, [], [], 0,
                               sender=owner)
        return tx.decode_logs(registry.AssetRegistered)[0].asset_id

    model = asset("model", 1, model_owner)
    zk_model = asset("zk-model", 1, model_owner)
    zk.set_circuit(zk_model, circuit, sender=deployer)
    datasets = [asset(f"data{i}", 0, data_owner) for i in range(4)]
    # The requester already owns one asset: its balance slot exists (the steady state).
    asset("requester-first", 0, requester)
    seq = iter(range(10**6))

    def job(verifier, *, owner=requester, inputs=1, model_id=model):
        n = next(seq)
        return Job.build(model_id=model_id, dataset_ids=datasets[:inputs], model_share_bps=2_000,
                         dataset_shares_bps=[500] * inputs, params_cid=_cid("params"), output_cid=_cid(f"out{n}"),
                         metadata_cid=_cid(f"result-card{n}"), owner=owner.address, verifier=verifier.address,
                         licence_id=1, royalty_bps=250)

    def submit_signed(j):
        proof = sign_job(j, ATTESTER_KEY, expires_at=chain.pending_timestamp + 3_600, chain_id=chain.chain_id).proof
        return hub.submit(j.as_args(), proof, sender=operator)

    gas: dict[str, int] = {}
    gas["register_for_2_parents_baseline"] = registry.register_for(
        requester, cid_to_bytes(_cid("baseline")), 3, cid_to_bytes(_cid("baseline-card")), 1, [model, datasets[0]],
        [2_000, 500], 250, sender=deployer).gas_used
    submit_signed(job(signed))  # warm-up: first result ever (fresh registry counters are not part of the figure)
    gas["submit_signed_attestation"] = submit_signed(job(signed)).gas_used
    gas["submit_signed_attestation_new_owner"] = submit_signed(job(signed, owner=newcomer)).gas_used
    gas["submit_signed_attestation_4_datasets"] = submit_signed(job(signed, inputs=4)).gas_used

    claimed = job(optimistic)
    gas["optimistic_claim"] = optimistic.claim(claimed.as_args(), value=BOND, sender=operator).gas_used
    disputed = job(optimistic)
    optimistic.claim(disputed.as_args(), value=BOND, sender=operator)
    gas["optimistic_challenge"] = optimistic.challenge(disputed.struct_hash(), value=BOND, sender=challenger).gas_used
    chain.pending_timestamp += WINDOW
    gas["optimistic_finalize"] = optimistic.finalize(claimed.struct_hash(), sender=operator).gas_used
    gas["optimistic_submit"] = hub.submit(claimed.as_args(), b"", sender=operator).gas_used
    gas["optimistic_withdraw"] = optimistic.withdraw(sender=operator).gas_used

    proved = job(zk, model_id=zk_model)
    values = zk_instances(proved, chain.chain_id)
    from eth_abi import encode as abi_encode
    from eth_utils import keccak

    test_proof = keccak(abi_encode(["uint256[]"], [values]))
    gas["zk_prove_and_submit_test_verifier"] = zk.prove_and_submit(proved.as_args(), test_proof, values,
                                                                   sender=operator).gas_used

    results = write_results(output, report_for(gas, TARGETS))
    print_table(f"attestation gas (tx) -> {output}", ["operation", "gas", "target", "ok"], [
        [op, f"{gas[op]:,}", f"{results[op]['target']:,}" if results[op]["target"] else "-",
         {True: "yes", False: "NO", None: "-"}[results[op]["meets_target"]]]
        for op in gas
    ])
