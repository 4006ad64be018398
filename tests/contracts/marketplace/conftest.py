"""Fixtures of the Marketplace tests (the shared ones live in tests/conftest.py).

`market` is deployed once per module with a FEE_BPS fee credited to `treasury`; `dao` holds
FEE_MANAGER_ROLE and TOKEN_MANAGER_ROLE, `deployer` only DEFAULT_ADMIN_ROLE. `usd` is an allowed,
plain MockERC20 that `buyer` and `other` hold and have approved to the market.
"""

from __future__ import annotations

import pytest

from cidhub.chain.registry import Kind

from .helpers import ETH, FEE_BPS, fresh_cid

TOKEN_FUNDS = 10**24


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def market(project, registry, deployer, dao, treasury):
    contract = project.Marketplace.deploy(registry, treasury, FEE_BPS, sender=deployer)
    contract.grantRole(contract.FEE_MANAGER_ROLE(), dao, sender=deployer)
    contract.grantRole(contract.TOKEN_MANAGER_ROLE(), dao, sender=deployer)
    return contract


def _funded_token(project, market, deployer, holders, name, symbol, fee_bps=0):
    token = project.MockERC20.deploy(name, symbol, fee_bps, sender=deployer)
    for holder in holders:
        token.mint(holder, TOKEN_FUNDS, sender=deployer)
        token.approve(market, 2**256 - 1, sender=holder)
    return token


@pytest.fixture(scope="module")
def usd(project, market, deployer, dao, buyer, other, attacker):
    token = _funded_token(project, market, deployer, [buyer, other, attacker], "Test USD", "TUSD")
    market.set_token_allowed(token, True, sender=dao)
    return token


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(market, usd, treasury, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    """Deploy everything module-scoped before Ape's per-test snapshot (see the registry suite)."""


@pytest.fixture
def new_asset(registry, creator):
    """Factory: register an asset owned by `sender` (default `creator`) and return its id."""

    def _new_asset(*, parents=(), shares=None, kind=Kind.DATASET, sender=None) -> int:
        parents = list(parents)
        shares = list(shares) if shares is not None else [1_000] * len(parents)
        tx = registry.register(fresh_cid(), int(kind), fresh_cid(), 1, parents, shares, 0, sender=sender or creator)
        (event,) = tx.decode_logs(registry.AssetRegistered)
        return event.asset_id

    return _new_asset


@pytest.fixture
def asset_id(new_asset):
    """A fresh asset of `creator`'s without parents."""
    return new_asset()


@pytest.fixture
def make_offer(market, creator):
    """Factory: create an offer and return its id (from the `OfferCreated` event)."""

    def _make_offer(asset_id, *, token=ETH, price=10**16, duration=0, max_licences=0, starts_at=0, ends_at=0,
                    sender=None) -> int:
        tx = market.create_offer(asset_id, token, price, duration, max_licences, starts_at, ends_at,
                                 sender=sender or creator)
        (event,) = tx.decode_logs(market.OfferCreated)
        return event.offer_id

    return _make_offer


@pytest.fixture
def payee(project, deployer):
    """Factory: deploy a MockPayee configured with (mode, target, data)."""

    def _payee(mode: int = 0, target=None, data: bytes = b""):
        contract = project.MockPayee.deploy(sender=deployer)
        if mode or target:
            contract.configure(mode, target or ETH, data, sender=deployer)
        return contract

    return _payee


@pytest.fixture(scope="module", autouse=True)
def _no_revert_call_trees():
    """Skip printing a call tree for every expected revert.

    ape-foundry prints the trace of each reverted transaction (it does not change what
    `ape.reverts` checks); building it re-derives the test accounts' keys and costs ~0.3 s a revert,
    about a third of this suite's run time.
    """
    from ape_ethereum.trace import Trace

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Trace, "show", lambda self, *args, **kwargs: None)
        yield
