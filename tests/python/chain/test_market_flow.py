"""The marketplace orchestration (cidhub.chain.market, cidhub.chain.revenue) on a real anvil chain."""

from __future__ import annotations

import pytest

from cidhub.chain.market import (
    ETH,
    MarketError,
    buy,
    create_offer,
    normalise_split,
    parse_token,
    set_split,
)
from cidhub.chain.provenance import parents_args
from cidhub.chain.revenue import (
    History,
    build_statement,
    candidate_payees,
    plan_and_distribute,
    sale_attribution,
    settlement_order,
    split_amount,
    withdraw_all,
)

PRICE = 10**16


@pytest.fixture(scope="module")
def market(project, registry, deployer, dao):
    contract = project.Marketplace.deploy(registry, dao, 250, sender=deployer)
    contract.grantRole(contract.TOKEN_MANAGER_ROLE(), deployer, sender=deployer)
    return contract


@pytest.fixture(scope="module")
def tusd(project, market, deployer, accounts):
    token = project.MockERC20.deploy("Test USD", "TUSD", 0, sender=deployer)
    market.set_token_allowed(token, True, sender=deployer)
    for account in accounts[4:8]:
        token.mint(account, 10**24, sender=deployer)
    return token


@pytest.fixture
def lineage(register_asset, creator, other):
    """dataset (other) and base model (creator) -> fine-tuned (creator) -> adapter (other)."""
    dataset, _ = register_asset(kind=0, sender=other)
    base, _ = register_asset(kind=1)
    tuned, _ = register_asset(parents=[dataset, base], shares=[1_500, 2_000])
    adapter, _ = register_asset(parents=[tuned], shares=[5_000], sender=other)
    return dataset, base, tuned, adapter


def test_normalise_split__sorts_and_validates():
    a, b = "0x" + "22" * 20, "0x" + "11" * 20
    assert normalise_split([a, b], [4_000, 6_000]) == ([b, a], [6_000, 4_000])
    with pytest.raises(MarketError, match="add up to 9999 bps"):
        normalise_split([a, b], [4_000, 5_999])
    with pytest.raises(MarketError, match="appears twice"):
        normalise_split([a, a.upper().replace("0X", "0x")], [5_000, 5_000])
    with pytest.raises(MarketError, match="zero address"):
        normalise_split([ETH], [10_000])
    with pytest.raises(MarketError, match="at most 64"):
        normalise_split(["0x%040x" % (i + 1) for i in range(65)], [1] * 65)


def test_parse_token():
    assert parse_token("eth") == ETH and parse_token(None) == ETH
    with pytest.raises(MarketError, match="neither ETH nor"):
        parse_token("USDC")


def test_split_amount__matches_contract_rounding():
    upstream, credits = split_amount(1_000_003, [(1, 1_500), (2, 2_000)], ["0xa", "0xb", "0xc"], [3_334, 3_333, 3_333],
                                     "0xowner")
    assert upstream == {1: 150_000, 2: 200_000}
    # rest 650,003: floor shares 216,711 / 216,645 / 216,645 and 2 wei of dust to the first
    assert credits == {"0xa": 216_713, "0xb": 216_645, "0xc": 216_645}
    assert sum(upstream.values()) + sum(credits.values()) == 1_000_003
    assert split_amount(999, [], [], [], "0xowner") == ({}, {"0xowner": 999})


def test_checks_before_sending__no_transaction(market, registry, lineage, creator, buyer, other):
    dataset, base, tuned, _ = lineage
    nonce = creator.nonce
    with pytest.raises(MarketError, match="does not own"):
        create_offer(market, registry, creator, dataset, price=PRICE)
    with pytest.raises(MarketError, match="not allowed for payment"):
        create_offer(market, registry, creator, base, token="0x" + "12" * 20, price=PRICE)
    with pytest.raises(MarketError, match="end before it starts"):
        create_offer(market, registry, creator, base, price=PRICE, starts_at=2_000_000_000, ends_at=1_999_999_999)
    assert creator.nonce == nonce
    offer = create_offer(market, registry, creator, base, price=PRICE, max_licences=1)
    buy(market, buyer, offer.offer_id)
    nonce = other.nonce
    with pytest.raises(MarketError, match="sold out"):
        buy(market, other, offer.offer_id)
    with pytest.raises(MarketError, match="not active"):
        buy(market, other, 999)
    assert other.nonce == nonce


def test_erc20_buy__needs_allowance_or_approve(market, registry, tusd, lineage, creator, buyer):
    _, base, _, _ = lineage
    offer = create_offer(market, registry, creator, base, token=tusd.address, price=5 * 10**18, duration=3600)
    tusd.approve(market, 0, sender=buyer)
    with pytest.raises(MarketError, match="approve the marketplace"):
        buy(market, buyer, offer.offer_id, token_contract=tusd)
    receipt = buy(market, buyer, offer.offer_id, token_contract=tusd, approve=True)
    assert receipt.decode_logs(market.LicencePurchased)[0].price == 5 * 10**18
    assert market.has_access(base, buyer)


def test_distribute_dry_run_equals_real_run_and_statement_reconciles(
    chain, market, registry, tusd, lineage, deployer, creator, other, accounts
):
    dataset, base, tuned, adapter = lineage
    co_author = accounts[8]
    set_split(market, registry, creator, tuned, [creator.address, co_author.address], [7_001, 2_999])
    buyers = accounts[4:8]
    eth_offer = create_offer(market, registry, other, adapter, price=PRICE + 7)  # odd price: rounding dust
    token_offer = create_offer(market, registry, creator, tuned, token=tusd.address, price=10**18 + 3, duration=60)
    sales = [buy(market, b, eth_offer.offer_id) for b in buyers]
    for b in buyers[:2]:
        buy(market, b, token_offer.offer_id, token_contract=tusd, approve=True)

    deploy_block = min(registry.creation_metadata.block, market.creation_metadata.block)
    history = History.load(registry, market, deploy_block)
    assert settlement_order(history, [adapter]) == [adapter, tuned, base, dataset]
    tokens = [ETH, tusd.address]
    planned = plan_and_distribute(registry, market, history, [adapter, tuned], tokens, None, dry_run=True)
    done = plan_and_distribute(registry, market, history, [adapter, tuned], tokens, deployer)
    assert [(s.asset_id, s.token, s.amount, s.upstream, s.credits) for s in planned] == \
        [(s.asset_id, s.token, s.amount, s.upstream, s.credits) for s in done]
    for asset in (dataset, base, tuned, adapter):
        assert market.pending(asset, ETH) == 0 and market.pending(asset, tusd) == 0

    withdrawn = withdraw_all(market, candidate_payees(History.load(registry, market, deploy_block)), tokens, deployer)
    assert withdrawn and all(w["error"] is None for w in withdrawn)
    statement = build_statement(History.load(registry, market, deploy_block), market)
    assert statement.reconciled
    assert all(row["balance"] == 0 for row in statement.summary)
    # Every wei paid in was paid out: nothing is left in the contract.
    assert chain.provider.get_balance(market.address) == 0 and tusd.balanceOf(market) == 0
    earned_eth = sum(a for (payee, asset, token), a in statement.earnings.items() if token == ETH)
    assert earned_eth == 4 * (PRICE + 7)

    # The sale breakdown of one purchase adds up to its price.
    rows = sale_attribution(History.load(registry, market, deploy_block), registry, market, str(sales[0].txn_hash))
    assert sum(r["amount"] for r in rows) == PRICE + 7
    assert {r["role"] for r in rows} == {"protocol fee", "creator", "upstream"}


def test_statement__detects_a_mismatch(market, registry, lineage, creator, buyer):
    """A statement is only worth something if it can fail: feed it a wrong split history."""
    _, base, _, _ = lineage
    offer = create_offer(market, registry, creator, base, price=PRICE)
    buy(market, buyer, offer.offer_id)
    market.distribute(base, ETH, *parents_args(registry, base), [], [], sender=buyer)
    deploy_block = market.creation_metadata.block
    history = History.load(registry, market, deploy_block)
    history.events = [e for e in history.events if e[1] != "Transfer"]  # owner unknown -> credit goes astray
    assert not build_statement(history, market).reconciled
