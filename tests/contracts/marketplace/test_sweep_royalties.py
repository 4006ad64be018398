"""`sweep_royalties`: ERC-2981 royalties paid to an asset's receiver move into its pending pool.

Royalties are paid the way marketplaces pay them: a plain transfer of ether (from an account, or
from a contract with only the 2,300-gas stipend) or of an ERC-20 to the address `royaltyInfo`
names. What a sweep credits must be exactly what reached the Marketplace, every call must keep
"holds == pools + balances" for every token, and only the pool may gain.
"""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.market import royalty_receiver_address
from cidhub.chain.registry import Kind

from .helpers import ETH, fresh_cid, upstream_parts


@pytest.fixture(scope="module", autouse=True)
def _linked(registry, market, deployer):
    registry.set_royalty_market(market, sender=deployer)


def _balance(chain, address) -> int:
    return chain.provider.get_balance(address)


def _holds_what_it_owes(chain, market, token, assets, accounts) -> bool:
    held = _balance(chain, market.address) if token == ETH else token.balanceOf(market)
    key = ETH if token == ETH else token.address
    owed = sum(market.pending(a, key) for a in assets) + sum(market.balance_of(a, key) for a in accounts)
    return held == owed


def test_royalty_receiver_of__same_address_everywhere(registry, market, asset_id):
    # The registry's answer, the Marketplace's and cidhub's off-chain computation agree.
    receiver = market.royalty_receiver_of(asset_id)

    assert registry.royaltyInfo(asset_id, 1)[0] == receiver
    assert receiver == royalty_receiver_address(market.address, asset_id)


def test_sweep_royalties__eth__credits_pool_and_deploys_forwarder(chain, market, asset_id, buyer, other):
    receiver = market.royalty_receiver_of(asset_id)
    buyer.transfer(receiver, 3 * 10**15)
    assert chain.provider.get_code(receiver) == b""  # no code needed to receive

    tx = market.sweep_royalties(asset_id, ETH, sender=other)

    (event,) = tx.decode_logs(market.RoyaltiesSwept)
    assert (event.asset_id, event.token, event.amount, event.caller) == (asset_id, ETH, 3 * 10**15, other.address)
    assert tx.return_value == 3 * 10**15
    assert market.pending(asset_id, ETH) == 3 * 10**15
    assert _balance(chain, receiver) == 0
    assert len(chain.provider.get_code(receiver)) == 62


def test_sweep_royalties__eth_sent_with_stipend__accepted_before_and_after_deployment(
        project, chain, market, asset_id, deployer, buyer):
    # Marketplaces that pay royalties with `transfer`/`send` forward 2,300 gas and no more.
    payer = project.MktStipendPayer.deploy(sender=deployer)
    receiver = market.royalty_receiver_of(asset_id)
    payer.pay(receiver, value=10**15, sender=buyer)
    market.sweep_royalties(asset_id, ETH, sender=buyer)

    payer.pay(receiver, value=2 * 10**15, sender=buyer)  # the forwarder is deployed now
    market.sweep_royalties(asset_id, ETH, sender=buyer)

    assert market.pending(asset_id, ETH) == 3 * 10**15


def test_sweep_royalties__erc20__credits_pool(chain, market, usd, asset_id, buyer, creator):
    receiver = market.royalty_receiver_of(asset_id)
    usd.transfer(receiver, 5 * 10**18, sender=buyer)

    tx = market.sweep_royalties(asset_id, usd, sender=creator)

    assert tx.return_value == 5 * 10**18
    assert market.pending(asset_id, usd) == 5 * 10**18
    assert usd.balanceOf(receiver) == 0
    assert usd.balanceOf(market) == 5 * 10**18


def test_sweep_royalties__eth_and_token_of_one_asset__each_on_its_own(chain, market, usd, asset_id, buyer):
    receiver = market.royalty_receiver_of(asset_id)
    buyer.transfer(receiver, 7)
    usd.transfer(receiver, 11, sender=buyer)

    market.sweep_royalties(asset_id, usd, sender=buyer)
    assert (market.pending(asset_id, ETH), market.pending(asset_id, usd)) == (0, 11)
    market.sweep_royalties(asset_id, ETH, sender=buyer)
    assert (market.pending(asset_id, ETH), market.pending(asset_id, usd)) == (7, 11)


def test_sweep_royalties__twice__second_reverts_and_credits_nothing(market, asset_id, buyer, attacker):
    buyer.transfer(market.royalty_receiver_of(asset_id), 10**15)
    market.sweep_royalties(asset_id, ETH, sender=buyer)

    with ape.reverts("market: nothing to sweep"):
        market.sweep_royalties(asset_id, ETH, sender=attacker)
    assert market.pending(asset_id, ETH) == 10**15


def test_sweep_royalties__nothing_paid__reverts_without_deploying(chain, market, asset_id, buyer):
    with ape.reverts("market: nothing to sweep"):
        market.sweep_royalties(asset_id, ETH, sender=buyer)
    assert chain.provider.get_code(market.royalty_receiver_of(asset_id)) == b""


def test_sweep_royalties__unknown_asset__reverts_and_royalties_wait_for_registration(
        chain, registry, market, creator, buyer):
    # Asset ids are content digests: royalties paid for an id before it is registered wait at its
    # receiver, and are swept once it exists.
    cid = fresh_cid()
    asset_id = int.from_bytes(cid[-32:], "big")
    receiver = market.royalty_receiver_of(asset_id)
    buyer.transfer(receiver, 10**15)

    with ape.reverts("market: unknown asset"):
        market.sweep_royalties(asset_id, ETH, sender=buyer)
    assert _balance(chain, receiver) == 10**15

    registry.register(cid, int(Kind.DATASET), fresh_cid(), 1, [], [], 0, sender=creator)
    market.sweep_royalties(asset_id, ETH, sender=buyer)
    assert market.pending(asset_id, ETH) == 10**15


def test_sweep_royalties__delisted_asset__still_swept(registry, market, curator, asset_id, buyer):
    # Delisting stops sales; what earlier sales paid is still owed upstream.
    buyer.transfer(market.royalty_receiver_of(asset_id), 10**15)
    registry.delist(asset_id, fresh_cid(), sender=curator)

    market.sweep_royalties(asset_id, ETH, sender=buyer)

    assert market.pending(asset_id, ETH) == 10**15


def test_sweep_royalties__token_not_allowed__reverts_until_allowed(project, market, deployer, dao, asset_id, buyer):
    token = project.MockERC20.deploy("Other", "OTH", 0, sender=deployer)
    token.mint(buyer, 10**18, sender=deployer)
    token.transfer(market.royalty_receiver_of(asset_id), 10**18, sender=buyer)

    with ape.reverts("market: unsupported token"):
        market.sweep_royalties(asset_id, token, sender=buyer)

    market.set_token_allowed(token, True, sender=dao)
    market.sweep_royalties(asset_id, token, sender=buyer)
    assert market.pending(asset_id, token) == 10**18


def test_sweep_royalties__anyone__money_only_reaches_the_pool(chain, market, usd, asset_id, buyer, attacker):
    receiver = market.royalty_receiver_of(asset_id)
    usd.transfer(receiver, 10**18, sender=buyer)
    attacker_tokens = usd.balanceOf(attacker)

    market.sweep_royalties(asset_id, usd, sender=attacker)

    assert usd.balanceOf(attacker) == attacker_tokens
    assert market.balance_of(attacker, usd) == 0
    assert market.pending(asset_id, usd) == 10**18


def test_sweep_royalties__fee_on_transfer_token__credits_what_arrived(project, chain, market, deployer, dao,
                                                                       asset_id, buyer):
    taxed = project.MockERC20.deploy("Taxed", "TAX", 100, sender=deployer)  # 1 % of every transfer burnt
    market.set_token_allowed(taxed, True, sender=dao)
    taxed.mint(market.royalty_receiver_of(asset_id), 10_000, sender=deployer)

    tx = market.sweep_royalties(asset_id, taxed, sender=buyer)

    assert tx.return_value == market.pending(asset_id, taxed) == taxed.balanceOf(market) == 9_900


def test_sweep_royalties__token_answers_false__reverts(project, market, deployer, dao, asset_id, buyer):
    token = project.MktFalseToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    receiver = market.royalty_receiver_of(asset_id)
    token.mint(receiver, 1_000, sender=deployer)
    token.set_failing(True, sender=deployer)

    with ape.reverts("market: token transfer failed"):
        market.sweep_royalties(asset_id, token, sender=buyer)
    assert token.balanceOf(receiver) == 1_000
    assert market.pending(asset_id, token) == 0


def test_sweep_royalties__token_overstates_receiver_balance__reverts(project, market, deployer, dao, asset_id,
                                                                      buyer):
    token = project.MktLyingToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    receiver = market.royalty_receiver_of(asset_id)
    token.mint(receiver, 100, sender=deployer)
    token.lie(receiver, 10**18, sender=deployer)

    # The forwarder is told to move what the token reports; the token refuses, nothing is credited.
    with ape.reverts():
        market.sweep_royalties(asset_id, token, sender=buyer)
    assert market.pending(asset_id, token) == 0
    assert token.real_balance(receiver) == 100


def test_sweep_royalties__token_reports_balance_but_moves_nothing__reverts(project, market, deployer, dao,
                                                                            asset_id, buyer):
    token = project.MktLyingToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    receiver = market.royalty_receiver_of(asset_id)
    token.mint(market, 500, sender=deployer)  # whatever the market already holds is not credited
    token.lie(market, 500, sender=deployer)  # the market's own balance never seems to change
    token.mint(receiver, 100, sender=deployer)

    with ape.reverts("market: nothing arrived"):
        market.sweep_royalties(asset_id, token, sender=buyer)
    assert market.pending(asset_id, token) == 0


def test_sweep_royalties__token_understates__moves_what_it_reports_rest_later(project, market, deployer, dao,
                                                                               asset_id, buyer):
    token = project.MktLyingToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    receiver = market.royalty_receiver_of(asset_id)
    token.mint(receiver, 100, sender=deployer)
    token.lie(receiver, 40, sender=deployer)

    market.sweep_royalties(asset_id, token, sender=buyer)
    assert (market.pending(asset_id, token), token.real_balance(receiver)) == (40, 60)

    token.lie(deployer, 0, sender=deployer)  # tells the truth about the receiver again
    market.sweep_royalties(asset_id, token, sender=buyer)
    assert (market.pending(asset_id, token), token.real_balance(receiver), token.real_balance(market)) == (100, 0, 100)


def test_sweep_royalties__reentrant_token__nested_call_blocked(project, market, deployer, dao, asset_id, buyer):
    token = project.MktReentrantToken.deploy(sender=deployer)
    market.set_token_allowed(token, True, sender=dao)
    receiver = market.royalty_receiver_of(asset_id)
    token.mint(receiver, 1_000, sender=deployer)
    token.arm(market, market.sweep_royalties.encode_input(asset_id, token), sender=deployer)

    market.sweep_royalties(asset_id, token, sender=buyer)

    assert token.reentry_attempted() and not token.reentry_succeeded()
    assert market.pending(asset_id, token) == 1_000 == token.balanceOf(market)


def test_sweep_royalties__then_distribute__royalty_climbs_to_parents_and_is_withdrawn(
        chain, market, usd, new_asset, creator, buyer, other, attacker, treasury):
    # parent <- child (20 % upstream). Both owned by `creator` (default split: 100 % to the owner).
    parent = new_asset()
    child = new_asset(parents=[parent], shares=[2_000])
    people = [creator, buyer, other, attacker, treasury]
    for token in (ETH, usd):
        amount = 10**18
        receiver = market.royalty_receiver_of(child)
        if token == ETH:
            buyer.transfer(receiver, amount)
        else:
            usd.transfer(receiver, amount, sender=buyer)
        market.sweep_royalties(child, token, sender=other)
        assert _holds_what_it_owes(chain, market, token, [parent, child], people)

        market.distribute(child, token, [parent], [2_000], [], [], sender=other)
        (to_parent,) = upstream_parts(amount, [2_000])
        assert market.pending(parent, token) == to_parent
        market.distribute(parent, token, [], [], [], [], sender=other)
        assert market.balance_of(creator, token) == amount
        assert _holds_what_it_owes(chain, market, token, [parent, child], people)

        market.withdraw(token, sender=creator)
        assert _holds_what_it_owes(chain, market, token, [parent, child], people)


def test_default__plain_ether__reverts(market, buyer):
    with ape.reverts("market: unexpected call"):
        buyer.transfer(market, 10**15)


def test_default__unknown_function__reverts(market, buyer):
    with ape.reverts("market: unexpected call"):
        buyer.transfer(market, 0, data=b"\xde\xad\xbe\xef")
