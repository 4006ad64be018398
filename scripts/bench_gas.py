"""Gas benchmarks: `make bench` (= `ape run bench_gas --network ethereum:local:foundry`).

Every figure is the whole transaction's gas from its receipt on anvil (21,000 base and calldata
included), the way ../shared/REFERENCE-FIGURES.md counts "tx" gas. CIDs are derived from fixed
seeds, so calldata (and therefore gas) is the same on every run.
"""

import hashlib
from pathlib import Path

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from cidhub.bench import GAS_RESULTS, report_for, write_results
from cidhub.content.cid import RAW, cid_to_bytes, make_cid
from cidhub.output import print_table

RESULTS = GAS_RESULTS

# operation -> (target, what we compare with)
TARGETS = {
    "register_asset_new_creator": (100_000, "Solady ERC-721 mint ~95k tx; OZ enumerable ~167k tx"),
    "register_asset_returning_creator": (80_000, "ERC721A mint 57k exec (~78k tx)"),
    "register_asset_2_parents": (None, "Story Protocol: 16 parents max"),
    "register_batch_10_per_asset": (None, ""),
}


def _cid(seed: str, codec: int = RAW) -> bytes:
    return cid_to_bytes(make_cid(1, codec, hashlib.sha256(seed.encode()).digest()))


@click.command(cls=ConnectedProviderCommand)
@click.option("--output", type=click.Path(path_type=Path), default=RESULTS, show_default=True)
def cli(output):
    deployer, curator, first, second, third = accounts.test_accounts[:5]
    registry = project.AssetRegistry.deploy(sender=deployer)
    registry.grantRole(registry.CURATOR_ROLE(), curator, sender=deployer)
    meta = _cid("card")
    gas: dict[str, int] = {}

    def register(who, seed, parents=(), shares=()):
        return registry.register(_cid(seed), 1, meta, 1, list(parents), list(shares), 500, sender=who)

    gas["register_asset_new_creator"] = register(first, "a").gas_used
    tx = register(first, "b")
    gas["register_asset_returning_creator"] = tx.gas_used
    p1 = register(first, "p1").events[-1].asset_id
    p2 = register(first, "p2").events[-1].asset_id
    gas["register_asset_2_parents"] = register(first, "c", [p1, p2], [1_000, 500]).gas_used
    gas["register_asset_16_parents"] = register(
        first, "d", [register(first, f"q{i}").events[-1].asset_id for i in range(16)], [100] * 16).gas_used
    v0 = cid_to_bytes(make_cid(0, "dag-pb", hashlib.sha256(b"v0").digest()))
    gas["register_asset_cidv0"] = registry.register(v0, 0, meta, 1, [], [], 0, sender=first).gas_used
    items = [(_cid(f"batch{i}"), 0, meta, 1, [], [], 0) for i in range(10)]
    gas["register_batch_10_per_asset"] = registry.register_batch(items, sender=second).gas_used // 10
    last = tx.events[-1].asset_id
    tx = registry.register_version(last, _cid("b2"), 1, meta, 1, [], [], 500, sender=first)
    gas["register_version"] = tx.gas_used
    gas["set_metadata"] = registry.set_metadata(p1, _cid("card2"), sender=first).gas_used
    gas["delist"] = registry.delist(p2, meta, sender=curator).gas_used
    gas["transfer_from"] = registry.transferFrom(first, third, p1, sender=first).gas_used

    results = write_results(output, report_for(gas, TARGETS))
    print_table(f"gas (tx, from receipts) -> {output}", ["operation", "gas", "target", "ok", "reference"], [
        [op, f"{r['gas']:,}", f"{r['target']:,}" if r["target"] else "-",
         {True: "yes", False: "NO", None: "-"}[r["meets_target"]], r["reference"]]
        for op, r in results.items() if op in gas
    ])
