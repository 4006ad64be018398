"""The demo's private-asset part, run against the test chain as `make demo` runs it."""

from __future__ import annotations

from cidhub.demo.private import run_private_demo


def test_run_private_demo__stranger_refused__buyer_served(chain, registry, market, access_store, creator, buyer,
                                                          attacker):
    shown = run_private_demo(registry, market, access_store, publisher=creator, buyer=buyer, outsider=attacker,
                             rpc_url=chain.provider.uri, size=1_100_000)
    assert shown.refused_reason == "no licence"
    assert shown.downloaded == shown.plaintext
    assert shown.card["access"]["private"] is True
