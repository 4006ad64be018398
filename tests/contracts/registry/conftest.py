"""Fixtures of the AssetRegistry tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

import pytest

from cidhub.registry import Kind

from . import cids


@pytest.fixture
def new_asset(registry, creator):
    """Factory: register an asset and return its id, read from the `AssetRegistered` event.

    Cheaper than the shared `register_asset` (no call trace for `return_value`), for tests
    that only need assets to exist.
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


@pytest.fixture(scope="module", autouse=True)
def _set_up_before_isolation(registry, deployer, dao, curator, creator, buyer, registrar, attacker, other):
    """Deploy the registry and resolve every role account before Ape's per-test snapshot.

    Tests pick accounts by name (`request.getfixturevalue`); a broader-scoped fixture first
    requested inside a test makes Ape re-base its isolation snapshots, which is slow.
    """
