"""EIP-170: every deployable contract keeps at least MIN_SIZE_MARGIN (1 KiB) below the 24 KiB limit.

Measured on the code as `deploy_suite` deploys it (immutables included), the figure EIP-170 limits;
`ape run bench_sizes` records the same figures in bench/results/sizes.json.
"""

from __future__ import annotations

from pathlib import Path

from cidhub.bench import EIP170_LIMIT, MIN_SIZE_MARGIN, deployable_contracts

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def test_every_deployable_contract__is_deployed_by_the_suite(governance_suite):
    assert set(deployable_contracts(CONTRACTS)) <= set(governance_suite.deployment.contracts)


def test_every_deployable_contract__keeps_1_kib_below_eip170(governance_suite, chain):
    deployment = governance_suite.deployment
    names = deployable_contracts(CONTRACTS)
    sizes = {name: len(chain.provider.get_code(deployment.address_of(name))) for name in names}

    too_big = {name: size for name, size in sizes.items() if size > EIP170_LIMIT - MIN_SIZE_MARGIN}
    assert not too_big, f"less than {MIN_SIZE_MARGIN} bytes below EIP-170's {EIP170_LIMIT}: {too_big}"
    assert {"AssetRegistry", "Marketplace"} <= set(sizes)
