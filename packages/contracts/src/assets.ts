import type { Address, PublicClient } from "viem";

import { cidToString } from "./cid.js";
import { addressOf, startBlockOf, type CidhubDeployment } from "./deployments.js";
import { assetRegistryAbi } from "./generated/abis.js";
import { assetKinds } from "./generated/constants.js";

export type AssetKind = (typeof assetKinds)[number];

/** What the registry knows about an asset (`AssetRegistry.asset`), with its CIDs as strings. */
export interface AssetView {
  readonly id: bigint;
  readonly owner: Address;
  readonly kind: AssetKind;
  readonly contentCid: string;
  readonly metadataCid: string;
  readonly licenceId: number;
  readonly royaltyBps: number;
  readonly parentCount: number;
  readonly delisted: boolean;
  readonly previousVersion: bigint;
  readonly latestVersion: bigint;
}

/** One asset, read with `AssetRegistry.asset(id)`. */
export async function readAsset(client: PublicClient, deployment: CidhubDeployment, id: bigint): Promise<AssetView> {
  const a = await client.readContract({
    address: addressOf(deployment, "AssetRegistry"),
    abi: assetRegistryAbi,
    functionName: "asset",
    args: [id],
  });
  return {
    id,
    owner: a.owner,
    kind: assetKinds[a.kind] ?? "other",
    contentCid: cidToString(a.content_cid),
    metadataCid: cidToString(a.metadata_cid),
    licenceId: a.licence_id,
    royaltyBps: a.royalty_bps,
    parentCount: a.parent_count,
    delisted: a.delisted,
    previousVersion: a.previous_version,
    latestVersion: a.latest_version,
  };
}

/** The ids of every registered asset, in registration order (from AssetRegistered events). */
export async function readAssetIds(client: PublicClient, deployment: CidhubDeployment): Promise<bigint[]> {
  const logs = await client.getContractEvents({
    address: addressOf(deployment, "AssetRegistry"),
    abi: assetRegistryAbi,
    eventName: "AssetRegistered",
    fromBlock: startBlockOf(deployment, "AssetRegistry"),
    toBlock: "latest",
    strict: true,
  });
  return logs.map((log) => log.args.asset_id);
}
