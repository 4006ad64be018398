"""The cidhub demo: `make demo` (= `ape run demo --network ethereum:local:foundry`).

Deploys the suite on a fresh chain, publishes the sample assets the repository ships (a CSV
dataset, a base model, and a model fine-tuned from both, with upstream shares), shows that a
duplicate is refused with a clear message, and prints the registry's contents. Then the
marketplace, compute attestations, the embedded IPFS node, a private model read through the
access service by a licence holder only, and the DAO.
"""

import shutil
import tempfile
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand

from cidhub.chain.assets import list_assets
from cidhub.chain.deploy import deploy_suite
from cidhub.chain.deployment import write_deployment
from cidhub.chain.registry import Kind, format_asset_id
from cidhub.content.store import BlockStore
from cidhub.demo.attest import run_attest_demo
from cidhub.demo.governance import run_governance_demo
from cidhub.demo.ipfs import run_ipfs_demo
from cidhub.demo.market import run_market_demo
from cidhub.demo.private import run_private_demo
from cidhub.output import print_table, short_hex
from cidhub.publish import AlreadyRegisteredError, PublishRequest, publish

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@click.command(cls=ConnectedProviderCommand)
@click.option("--data-dir", type=click.Path(path_type=Path),
              help="Block store to use (default: a fresh temporary one).")
def cli(ecosystem, network, data_dir):
    deployer, curator, data_owner, model_owner, co_author, *buyers = accounts.test_accounts[:8]
    click.secho(f"1. deploy on {ecosystem.name}:{network.name} (chain {chain.chain_id})", bold=True)
    # hand_over=False: the operator runs the market demo with its bootstrap roles; the DAO part at
    # the end hands every lever to the timelock and governs from there.
    deployment = deploy_suite(project, deployer, curator=curator.address, fee_manager=deployer.address,
                              token_manager=deployer.address, ecosystem=ecosystem.name, network=network.name,
                              chain_id=chain.chain_id, hand_over=False)
    path = write_deployment(deployment)
    registry = project.AssetRegistry.at(deployment.address_of("AssetRegistry"))
    market = project.Marketplace.at(deployment.address_of("Marketplace"))
    click.echo(f"   AssetRegistry at {registry.address}, Marketplace at {market.address}, recorded in {path}")

    temp = None if data_dir else Path(tempfile.mkdtemp(prefix="cidhub-demo-"))
    store = BlockStore(data_dir or temp)
    try:
        click.secho("2. publish the sample assets", bold=True)
        dataset = publish(PublishRequest(SAMPLES / "datasets/sensor-readings.csv", Kind.DATASET,
                                         SAMPLES / "cards/sensor-readings.json", licence_id=2, royalty_bps=500),
                          registry, data_owner, store)
        base = publish(PublishRequest(SAMPLES / "models/anomaly-base.json", Kind.MODEL,
                                      SAMPLES / "cards/anomaly-base.json", licence_id=3, royalty_bps=500),
                       registry, model_owner, store)
        derived = publish(PublishRequest(SAMPLES / "models/anomaly-finetuned.json", Kind.MODEL,
                                         SAMPLES / "cards/anomaly-finetuned.json", licence_id=3, royalty_bps=750,
                                         parents=[dataset.cid, base.cid], shares_bps=[1_500, 2_000]),
                          registry, model_owner, store)
        print_table("published", ["asset", "kind", "CID", "owner", "gas used"], [
            [short_hex(format_asset_id(r.asset_id)), r.kind, r.cid, short_hex(r.owner), r.gas_used]
            for r in (dataset, base, derived)
        ])

        click.secho("3. publishing the dataset again is refused before any transaction", bold=True)
        try:
            publish(PublishRequest(SAMPLES / "datasets/sensor-readings.csv", Kind.DATASET), registry, data_owner, store)
        except AlreadyRegisteredError as exc:
            click.echo(f"   refused: {exc}")

        click.secho("4. the registry's contents", bold=True)
        names = {dataset.asset_id: "sensor-readings", base.asset_id: "anomaly-base",
                 derived.asset_id: "anomaly-finetuned"}
        assets = list_assets(registry, deployment.deploy_block)
        print_table("AssetRegistry", ["asset", "kind", "content CID", "owner", "parents (upstream share)", "royalty"], [
            [names.get(a.asset_id, short_hex(format_asset_id(a.asset_id))), a.kind, a.cid, short_hex(a.owner),
             ", ".join(f"{names.get(p, short_hex(format_asset_id(p)))} ({s / 100:g} %)" for p, s in a.parents) or "-",
             f"{a.royalty_bps / 100:g} %"]
            for a in assets
        ])
        for a in assets:
            click.echo(f"   {names.get(a.asset_id, format_asset_id(a.asset_id)):<18} tokenURI {a.token_uri}")

        run_market_demo(project, registry, market, deployment.deploy_block, operator=deployer, data_owner=data_owner,
                        model_owner=model_owner, co_author=co_author, buyers=buyers, dataset=dataset.asset_id,
                        base=base.asset_id, derived=derived.asset_id, names=names)
        run_attest_demo(project, deployment, store, operator=deployer, requester=accounts.test_accounts[9],
                        watcher=buyers[1], buyer=buyers[2], model=derived.asset_id, base=base.asset_id,
                        dataset=dataset.asset_id, names=names)
        run_ipfs_demo(registry, accounts.test_accounts[8], store, parent=derived.asset_id)
        run_private_demo(registry, market, store, publisher=model_owner, buyer=buyers[1],
                         outsider=accounts.test_accounts[9], rpc_url=chain.provider.uri)
        run_governance_demo(project, deployment, deployer=deployer,
                            members=[curator, data_owner, model_owner, co_author],
                            relayer=buyers[0], delist=dataset.asset_id, names=names)
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
