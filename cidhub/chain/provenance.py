"""An asset's parents: read from the chain and checked against the registry's commitment.

The AssetRegistry does not copy parent lists into storage (one fresh slot per parent would make
every derived asset and every compute result 44k gas dearer). It keeps one word per asset:

    top 216 bits: keccak256(abi.encode(uint256[] parents, uint16[] shares_bps))
    low 40 bits:  the block whose ProvenanceRecorded event lists them

so the list is one `eth_getLogs` on one block away, and whoever reads it can check it. This
module does both; `Marketplace.distribute` takes the lists in calldata and checks them the same
way on chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from eth_abi import encode as abi_encode
from eth_utils import keccak

from cidhub.errors import CidhubError

BLOCK_BITS = 40
_HASH_MASK = ((1 << 256) - 1) ^ ((1 << BLOCK_BITS) - 1)


class ProvenanceError(CidhubError):
    pass


class Parent(NamedTuple):
    asset_id: int
    share_bps: int


def commitment(parents: Sequence[int], shares_bps: Sequence[int]) -> bytes:
    """The registry's provenance commitment: keccak256(abi.encode(parents, shares)), low 40 bits cleared."""
    digest = int.from_bytes(keccak(abi_encode(["uint256[]", "uint16[]"], [list(parents), list(shares_bps)])), "big")
    return (digest & _HASH_MASK).to_bytes(32, "big")


def split_parents(parents: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """(ids, shares) as `Marketplace.distribute` and `AssetRegistry.verify_parents` take them."""
    pairs = list(parents)
    return [int(p) for p, _ in pairs], [int(s) for _, s in pairs]


def parents_of(registry: Any, asset_id: int) -> list[Parent]:
    """The asset's parents in registration order, fetched from its ProvenanceRecorded event.

    Raises ProvenanceError when the node no longer serves that block's logs (a pruned node) or
    when what it serves does not match the commitment: the answer is never a guess.
    """
    record = registry.provenance_of(asset_id)
    if record.parent_count == 0:
        return []
    block = int(record.block_number)
    expected = bytes(record.commitment)
    for log in registry.ProvenanceRecorded.range(block, block + 1, search_topics={"asset_id": asset_id}):
        parents, shares = [int(p) for p in log.parents], [int(s) for s in log.shares_bps]
        if int(log.asset_id) == asset_id and commitment(parents, shares) == expected:
            return [Parent(p, s) for p, s in zip(parents, shares, strict=True)]
    raise ProvenanceError(
        f"asset 0x{asset_id:064x} has {record.parent_count} parents, but block {block} holds no "
        "ProvenanceRecorded event matching the registry's commitment; use a node that serves that block's logs"
    )


def parents_args(registry: Any, asset_id: int) -> tuple[list[int], list[int]]:
    """The (parents, shares_bps) arguments `Marketplace.distribute(asset_id, ...)` must be given."""
    return split_parents(parents_of(registry, asset_id))
