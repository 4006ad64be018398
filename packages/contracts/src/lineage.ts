import type { PublicClient } from "viem";

import { addressOf, startBlockOf, type CidhubDeployment } from "./deployments.js";
import { assetRegistryAbi } from "./generated/abis.js";

/** One registration's provenance, as its ProvenanceRecorded event lists it. */
export interface ProvenanceRecord {
  readonly assetId: bigint;
  readonly parents: readonly bigint[];
  readonly sharesBps: readonly number[];
}

/** A provenance edge: `child` pays `shareBps` of its revenue upstream to `parent`. */
export interface LineageEdge {
  readonly parent: bigint;
  readonly child: bigint;
  readonly shareBps: number;
  /** The parent's position in the child's registration (the order `distribute` takes them in). */
  readonly position: number;
}

/** An asset in a lineage: depth < 0 for ancestors (-1 parents), 0 for the asset, > 0 for descendants. */
export interface LineageNode {
  readonly id: bigint;
  readonly depth: number;
}

export interface Lineage {
  readonly root: bigint;
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
}

/** The provenance graph of every registered asset, built from ProvenanceRecorded events. */
export class ProvenanceGraph {
  readonly #parents = new Map<bigint, LineageEdge[]>();
  readonly #children = new Map<bigint, LineageEdge[]>();

  constructor(records: Iterable<ProvenanceRecord>) {
    for (const record of records) {
      if (record.parents.length !== record.sharesBps.length) {
        throw new Error(`asset ${record.assetId}: parents and shares differ in length`);
      }
      const edges = record.parents.map((parent, position) => ({
        parent,
        child: record.assetId,
        shareBps: Number(record.sharesBps[position]),
        position,
      }));
      this.#parents.set(record.assetId, edges);
      for (const edge of edges) {
        const list = this.#children.get(edge.parent) ?? [];
        list.push(edge);
        this.#children.set(edge.parent, list);
      }
    }
  }

  /** The asset's parents with their shares, in registration order (what `Marketplace.distribute` takes). */
  parentsOf(id: bigint): readonly LineageEdge[] {
    return this.#parents.get(id) ?? [];
  }

  /** The assets registered with `id` as a parent. */
  childrenOf(id: bigint): readonly LineageEdge[] {
    return this.#children.get(id) ?? [];
  }

  /** Ancestors and descendants of `id` (each at its shortest distance) and the edges between them. */
  lineage(id: bigint, maxDepth = 16): Lineage {
    const depth = new Map<bigint, number>([[id, 0]]);
    const edges = new Map<string, LineageEdge>();
    const walk = (next: (n: bigint) => readonly LineageEdge[], far: (e: LineageEdge) => bigint, sign: number) => {
      let frontier = [id];
      for (let d = 1; d <= maxDepth && frontier.length; d++) {
        const following: bigint[] = [];
        for (const node of frontier) {
          for (const edge of next(node)) {
            edges.set(`${edge.parent}:${edge.child}:${edge.position}`, edge);
            const other = far(edge);
            if (!depth.has(other)) {
              depth.set(other, sign * d);
              following.push(other);
            }
          }
        }
        frontier = following;
      }
    };
    walk((n) => this.parentsOf(n), (e) => e.parent, -1);
    walk((n) => this.childrenOf(n), (e) => e.child, 1);
    return {
      root: id,
      nodes: [...depth].map(([node, d]) => ({ id: node, depth: d })),
      edges: [...edges.values()],
    };
  }
}

/** Every ProvenanceRecorded event of the deployment's registry, as a ProvenanceGraph. */
export async function readProvenance(client: PublicClient, deployment: CidhubDeployment): Promise<ProvenanceGraph> {
  const logs = await client.getContractEvents({
    address: addressOf(deployment, "AssetRegistry"),
    abi: assetRegistryAbi,
    eventName: "ProvenanceRecorded",
    fromBlock: startBlockOf(deployment, "AssetRegistry"),
    toBlock: "latest",
    strict: true,
  });
  return new ProvenanceGraph(
    logs.map((log) => ({ assetId: log.args.asset_id, parents: log.args.parents, sharesBps: log.args.shares_bps })),
  );
}
