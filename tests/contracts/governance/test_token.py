"""HubToken: initial distribution, minting only by the DAO, and every balance change moving votes."""

from __future__ import annotations

import ape

from .helpers import HUB, ZERO


def test_initial_distribution__treasury_and_allocations(hub_token, timelock, creator, buyer, other, curator, deployer):
    assert hub_token.balanceOf(timelock) == 1_050_000 * HUB
    balances = [hub_token.balanceOf(a) for a in (creator, buyer, other, curator)]
    assert balances == [h * HUB for h in (400_000, 300_000, 200_000, 50_000)]
    assert hub_token.balanceOf(deployer) == 0
    assert hub_token.totalSupply() == 2_000_000 * HUB
    assert (hub_token.name(), hub_token.symbol(), hub_token.decimals()) == ("cidhub", "HUB", 18)


def test_owner_and_only_minter_is_the_timelock(hub_token, timelock, deployer):
    assert hub_token.owner() == timelock.address
    assert hub_token.is_minter(timelock)
    assert not hub_token.is_minter(deployer)


def test_mint__by_anyone_but_the_dao__reverts(hub_token, deployer, attacker):
    for account in (deployer, attacker):
        with ape.reverts("erc20: access is denied"):
            hub_token.mint(account, HUB, sender=account)


def test_set_minter__only_the_owner(hub_token, deployer):
    with ape.reverts("ownable: caller is not the owner"):
        hub_token.set_minter(deployer, True, sender=deployer)


# Reverting deployments are sent by `dao`, an account that deploys nothing else: Ape caches
# contract types by address, and after the chain is reverted between tests another account's
# next CREATE address may still be cached as some other test's contract (Ape then decodes the
# failed constructor call with the wrong ABI).


def test_deploy__lengths_differ__reverts(project, dao, deployer, timelock):
    with ape.reverts("token: recipients and amounts differ in length"):
        project.HubToken.deploy([deployer.address], [], timelock, sender=dao)


def test_deploy__zero_dao__reverts(project, dao):
    with ape.reverts("token: zero dao"):
        project.HubToken.deploy([], [], ZERO, sender=dao)


def test_deploy__dao_is_deployer__deployer_stays_owner_and_minter(project, deployer):
    token = project.HubToken.deploy([deployer.address], [5 * HUB], deployer, sender=deployer)
    assert token.owner() == deployer.address and token.is_minter(deployer)
    token.mint(deployer, HUB, sender=deployer)
    assert token.totalSupply() == 6 * HUB


def test_mint__over_max_supply__reverts(project, deployer):
    token = project.HubToken.deploy([deployer.address], [2**208 - 2], deployer, sender=deployer)
    token.mint(deployer, 1, sender=deployer)  # exactly MAX_SUPPLY
    assert token.totalSupply() == token.MAX_SUPPLY() == 2**208 - 1
    with ape.reverts("votes: total supply over the maximum"):
        token.mint(deployer, 1, sender=deployer)


def test_transfer__moves_votes_between_delegates(hub_token, creator, buyer):
    before = hub_token.get_votes(creator), hub_token.get_votes(buyer)
    tx = hub_token.transfer(buyer, 1_000 * HUB, sender=creator)
    assert hub_token.get_votes(creator) == before[0] - 1_000 * HUB
    assert hub_token.get_votes(buyer) == before[1] + 1_000 * HUB
    changed = tx.decode_logs(hub_token.DelegateVotesChanged)
    assert [(e.delegate, e.previous_votes, e.new_votes) for e in changed] == [
        (creator.address, before[0], before[0] - 1_000 * HUB), (buyer.address, before[1], before[1] + 1_000 * HUB)]


def test_transfer__to_undelegated_holder__votes_leave_the_count(hub_token, creator, attacker):
    votes = hub_token.get_votes(creator)
    hub_token.transfer(attacker, 10 * HUB, sender=creator)
    assert hub_token.get_votes(creator) == votes - 10 * HUB
    assert hub_token.get_votes(attacker) == 0
    assert hub_token.balanceOf(attacker) == 10 * HUB


def test_transfer_from__moves_votes_and_spends_allowance(hub_token, creator, buyer, other):
    hub_token.approve(other, 50 * HUB, sender=creator)
    votes = hub_token.get_votes(creator)
    hub_token.transferFrom(creator, buyer, 20 * HUB, sender=other)
    assert hub_token.allowance(creator, other) == 30 * HUB
    assert hub_token.get_votes(creator) == votes - 20 * HUB
    with ape.reverts("erc20: insufficient allowance"):
        hub_token.transferFrom(creator, buyer, 31 * HUB, sender=other)


def test_burn_and_burn_from__reduce_votes_and_total_supply(hub_token, chain, creator, other):
    supply, votes = hub_token.totalSupply(), hub_token.get_votes(creator)
    hub_token.burn(100 * HUB, sender=creator)
    hub_token.approve(other, 50 * HUB, sender=creator)
    hub_token.burn_from(creator, 50 * HUB, sender=other)
    assert hub_token.totalSupply() == supply - 150 * HUB
    assert hub_token.get_votes(creator) == votes - 150 * HUB
    chain.mine(deltatime=5)
    assert hub_token.get_past_total_supply(chain.blocks.head.timestamp - 1) == supply - 150 * HUB


def test_dao_mint__through_a_proposal__adds_supply_and_votes(hub_token, governor, timelock, queued, advance, creator,
                                                             registrar):
    calldata = bytes(hub_token.mint.encode_input(registrar.address, 7 * HUB))
    proposal = queued(targets=[hub_token.address], calldatas=[calldata])
    advance(timelock.get_minimum_delay() + 1)
    supply = hub_token.totalSupply()
    governor.execute(*proposal.args(), sender=creator)
    assert hub_token.balanceOf(registrar) == 7 * HUB
    assert hub_token.totalSupply() == supply + 7 * HUB


def test_permit_and_delegation_share_one_nonce(hub_token, chain, creator, buyer, other):
    """As in OpenZeppelin's ERC20Permit + ERC20Votes: a signed delegation uses up the nonce a permit
    signed for the same value would need, so neither signature can be replayed as the other."""
    from .signing import delegation_digest, packed, permit_digest, sign

    expiry = chain.blocks.head.timestamp + 3_600
    permit = sign(creator,
                  permit_digest(hub_token.address, chain.chain_id, creator.address, other.address, HUB, 0, expiry))
    delegation = delegation_digest(hub_token.address, chain.chain_id, buyer.address, 0, expiry)
    hub_token.delegate_by_sig(creator, buyer, 0, expiry, packed(*sign(creator, delegation)), sender=buyer)
    assert hub_token.nonces(creator) == 1
    with ape.reverts("erc20: invalid signature"):
        hub_token.permit(creator, other, HUB, expiry, *permit, sender=other)


def test_no_erc165_claims(hub_token):
    """ERC-20 tokens do not answer ERC-165; the ABI has no supportsInterface to mislead tools."""
    assert "supportsInterface" not in {m.name for m in hub_token.contract_type.view_methods}
