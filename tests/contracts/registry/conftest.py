"""Fixtures of the AssetRegistry tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

import pytest

from cidhub.chain.registry import Kind

from . import cids


@pytest.fixture(scope="module")
def new_asset(registry, creator):
    """Factory: register an asset and return its id, read from the `AssetRegistered` event.

    Cheaper than the shared `register_asset` (no call trace for `return_value`), for tests
    that only need assets to exist. Module-scoped so that module-scoped fixtures can register
    their assets once per module (Ape restores the chain to that state before every test).
    """

    def _new_asset(
        *,
        cid: bytes | None = None,
        kind: int = Kind.DATASET,
        metadata: bytes | None = None,
        licence_id: int = 7,
        parents=(),
        shares=None,
        royalty_bps: int = 250,
        sender=None,
    ) -> int:
        parents = list(parents)
        shares = list(shares) if shares is not None else [100] * len(parents)
        tx = registry.register(
            cid or cids.sha256_v1(),
            int(kind),
            metadata or cids.metadata(),
            licence_id,
            parents,
            shares,
            royalty_bps,
            sender=sender or creator,
        )
        (event,) = tx.decode_logs(registry.AssetRegistered)
        return event.asset_id

    return _new_asset



@pytest.fixture(scope="module")
def royalty_market(project, registry, deployer):
    """A Marketplace linked to the module's registry, so that `royaltyInfo` names receivers."""
    market = project.Marketplace.deploy(registry, deployer, 250, sender=deployer)
    registry.set_royalty_market(market, sender=deployer)
    return market
