"""Finding the deployed suite on whatever network Ape is connected to, and reading it back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cidhub.chain.deployment import Deployment, load_deployment
from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import Kind, format_asset_id
from cidhub.content.cid import cid_from_bytes, to_base32_v1


def current_deployment() -> Deployment:
    from ape import chain

    network = chain.provider.network
    return load_deployment(network.ecosystem.name, network.name, chain.chain_id)


def registry_contract(deployment: Deployment | None = None) -> Any:
    from ape import project

    deployment = deployment or current_deployment()
    return project.AssetRegistry.at(deployment.address_of("AssetRegistry"))


def market_contract(deployment: Deployment | None = None) -> Any:
    from ape import project

    deployment = deployment or current_deployment()
    return project.Marketplace.at(deployment.address_of("Marketplace"))


@dataclass
class AssetView:
    """One registered asset as people read it."""

    asset_id: int
    kind: str
    cid: str
    metadata_cid: str
    owner: str
    licence_id: int
    royalty_bps: int
    parents: list[tuple[int, int]]
    delisted: bool
    previous_version: int
    latest_version: int
    token_uri: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset_id": format_asset_id(self.asset_id),
            "kind": self.kind,
            "cid": self.cid,
            "metadata_cid": self.metadata_cid,
            "owner": self.owner,
            "licence_id": self.licence_id,
            "royalty_bps": self.royalty_bps,
            "parents": [{"asset_id": format_asset_id(p), "share_bps": s} for p, s in self.parents],
            "delisted": self.delisted,
            "previous_version": format_asset_id(self.previous_version) if self.previous_version else None,
            "latest_version": format_asset_id(self.latest_version),
            "token_uri": self.token_uri,
        }


def read_asset(registry: Any, asset_id: int) -> AssetView:
    record = registry.asset(asset_id)
    return AssetView(
        asset_id=asset_id,
        kind=Kind(record.kind).name.lower(),
        cid=str(cid_from_bytes(bytes(record.content_cid))),
        metadata_cid=str(to_base32_v1(bytes(record.metadata_cid))),
        owner=record.owner,
        licence_id=record.licence_id,
        royalty_bps=record.royalty_bps,
        parents=[(p.asset_id, p.share_bps) for p in parents_of(registry, asset_id)],
        delisted=record.delisted,
        previous_version=record.previous_version,
        latest_version=record.latest_version,
        token_uri=registry.tokenURI(asset_id),
    )


def registered_ids(registry: Any, from_block: int) -> list[int]:
    """Asset ids in registration order, from the registry's AssetRegistered events."""
    from ape import chain

    return [log.asset_id for log in registry.AssetRegistered.range(from_block, chain.blocks.height + 1)]


def list_assets(registry: Any, from_block: int) -> list[AssetView]:
    return [read_asset(registry, asset_id) for asset_id in registered_ids(registry, from_block)]
