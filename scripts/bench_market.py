"""Marketplace gas benchmarks: `ape run bench_market --network ethereum:local:foundry`.

Tx gas from receipts (21,000 base and calldata included), merged into bench/results/gas.json.
"Steady state" is what a popular asset pays: its pool and the treasury's balance are already
non-zero, the licensee is new.
"""

import hashlib
from pathlib import Path

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand

from cidhub.bench import GAS_RESULTS as RESULTS
from cidhub.bench import report_for, write_results
from cidhub.content.cid import RAW, cid_to_bytes, make_cid
from cidhub.output import print_table

TARGETS = {
    "buy_licence_eth": (80_000, "Seaport 1.6: 161,947 with 2 fee recipients"),
    "distribute_marginal_per_recipient": (7_000, "0xSplits v1 ~6.6k per recipient"),
    "withdraw_eth": (35_000, ""),
}


def _cid(seed: str) -> bytes:
    return cid_to_bytes(make_cid(1, RAW, hashlib.sha256(seed.encode()).digest()))


@click.command(cls=ConnectedProviderCommand)
@click.option("--output", type=click.Path(path_type=Path), default=RESULTS, show_default=True)
def cli(output):
    deployer, treasury, owner, *rest = accounts.test_accounts
    buyers = [accounts.test_accounts.generate_test_account() for _ in range(12)]
    for b in buyers:
        deployer.transfer(b, 10**20)
    registry = project.AssetRegistry.deploy(sender=deployer)
    market = project.Marketplace.deploy(registry, treasury, 250, sender=deployer)
    token = project.MockERC20.deploy("Test USD", "TUSD", 0, sender=deployer)
    market.grantRole(market.TOKEN_MANAGER_ROLE(), deployer, sender=deployer)
    market.set_token_allowed(token, True, sender=deployer)
    meta = _cid("card")
    seq = iter(range(10**6))

    def asset(parents=()):
        cid = _cid(f"asset{next(seq)}")
        tx = registry.register(cid, 1, meta, 1, list(parents), [1000] * len(parents), 0, sender=owner)
        return tx.events[-1].asset_id

    def sorted_payees(n):
        return sorted((b.address for b in buyers[:n]), key=lambda a: int(a, 16))

    gas: dict[str, int] = {}
    # The headline case: 2 parents, 3 split recipients.
    p1, p2 = asset(), asset()
    main = asset([p1, p2])
    payees = sorted_payees(3)
    market.set_split(main, payees, [3334, 3333, 3333], sender=owner)
    offer = market.create_offer(main, "0x" + "00" * 20, 10**16, 0, 0, 0, 0, sender=owner).return_value
    gas["buy_licence_eth_first_sale"] = market.buy(offer, buyers[0], value=10**16, sender=buyers[0]).gas_used
    gas["buy_licence_eth"] = market.buy(offer, buyers[1], value=10**16, sender=buyers[1]).gas_used

    # Independent of recipients and ancestors: 1 and 10 recipients, a 5-deep chain.
    for n in (1, 10):
        a = asset([p1, p2])
        weights = [10_000 // n + (10_000 % n if i == 0 else 0) for i in range(n)]
        market.set_split(a, sorted_payees(n), weights, sender=owner)
        o = market.create_offer(a, "0x" + "00" * 20, 10**16, 0, 0, 0, 0, sender=owner).return_value
        market.buy(o, buyers[0], value=10**16, sender=buyers[0])
        gas[f"buy_licence_eth_{n}_recipients"] = market.buy(o, buyers[1], value=10**16, sender=buyers[1]).gas_used
    chain_ids = [asset()]
    for _ in range(5):
        chain_ids.append(asset([chain_ids[-1]]))
    o = market.create_offer(chain_ids[-1], "0x" + "00" * 20, 10**16, 0, 0, 0, 0, sender=owner).return_value
    market.buy(o, buyers[0], value=10**16, sender=buyers[0])
    gas["buy_licence_eth_5_deep_chain"] = market.buy(o, buyers[1], value=10**16, sender=buyers[1]).gas_used

    t_offer = market.create_offer(main, token, 10**18, 86_400 * 30, 0, 0, 0, sender=owner).return_value
    for b in buyers[4:6]:
        token.mint(b, 10**20, sender=deployer)
        token.approve(market, 2**255, sender=b)
    market.buy(t_offer, buyers[4], sender=buyers[4])
    gas["buy_licence_erc20"] = market.buy(t_offer, buyers[5], sender=buyers[5]).gas_used

    # distribute: cost for N recipients with balances already non-zero (later rounds).
    per_n = {}
    for n in (2, 10):
        a = asset([p1, p2])
        recipients = sorted_payees(n)
        weights = [10_000 // n + (10_000 % n if i == 0 else 0) for i in range(n)]
        market.set_split(a, recipients, weights, sender=owner)
        o = market.create_offer(a, "0x" + "00" * 20, 10**16, 0, 0, 0, 0, sender=owner).return_value
        for round_ in range(2):
            market.buy(o, buyers[round_], value=10**16, sender=buyers[round_])
            tx = market.distribute(a, "0x" + "00" * 20, [p1, p2], [1000, 1000], recipients, weights, sender=deployer)
        per_n[n] = tx.gas_used
    gas["distribute_2_recipients"] = per_n[2]
    gas["distribute_10_recipients"] = per_n[10]
    gas["distribute_marginal_per_recipient"] = (per_n[10] - per_n[2]) // 8
    gas["withdraw_eth"] = market.withdraw("0x" + "00" * 20, sender=buyers[3]).gas_used
    gas["withdraw_erc20"] = market.withdraw(token, sender=treasury).gas_used

    # ERC-2981 royalties: paid to the asset's receiver by a sale elsewhere, swept into its pool.
    # "first": the sweep deploys the asset's forwarder and fills an empty pool; then steady state.
    registry.set_royalty_market(market, sender=deployer)
    royal = asset([p1, p2])
    receiver = market.royalty_receiver_of(royal)
    gas["royalty_payment_eth_to_receiver"] = buyers[6].transfer(receiver, 10**15).gas_used
    gas["sweep_royalties_eth_first"] = market.sweep_royalties(royal, "0x" + "00" * 20, sender=deployer).gas_used
    buyers[6].transfer(receiver, 10**15)
    gas["sweep_royalties_eth"] = market.sweep_royalties(royal, "0x" + "00" * 20, sender=deployer).gas_used
    token.mint(buyers[7], 10**20, sender=deployer)
    for key in ("sweep_royalties_erc20_first", "sweep_royalties_erc20"):
        token.transfer(receiver, 10**18, sender=buyers[7])
        gas[key] = market.sweep_royalties(royal, token, sender=deployer).gas_used

    results = write_results(output, report_for(gas, TARGETS))
    print_table(f"marketplace gas (tx) -> {output}", ["operation", "gas", "target", "ok"], [
        [op, f"{gas[op]:,}", f"{results[op]['target']:,}" if results[op]["target"] else "-",
         {True: "yes", False: "NO", None: "-"}[results[op]["meets_target"]]]
        for op in gas
    ])
