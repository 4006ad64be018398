import { erc20Abi, zeroAddress, type Address } from "viem";
import {
  addressOf,
  gatewayUrl,
  marketplaceAbi,
  readAsset,
  readAssetIds,
  readProvenance,
  startBlockOf,
  type AssetView,
  type ProvenanceGraph,
} from "@cidhub/contracts";

import type { Connection } from "./wallet";

export type Card = Record<string, unknown>;

export interface Token {
  readonly address: Address;
  readonly symbol: string;
  readonly decimals: number;
}

export interface Offer {
  readonly id: bigint;
  readonly assetId: bigint;
  readonly token: Token;
  readonly price: bigint;
  readonly duration: bigint;
  readonly maxLicences: bigint;
  readonly sold: bigint;
  readonly startsAt: bigint;
  readonly endsAt: bigint;
  readonly active: boolean;
}

export const ETH: Token = { address: zeroAddress, symbol: "ETH", decimals: 18 };

/** Everything read once per connection: the assets, the provenance graph, the payment tokens. */
export interface Snapshot {
  readonly assets: readonly AssetView[];
  readonly graph: ProvenanceGraph;
  readonly tokens: readonly Token[];
}

function need(conn: Connection) {
  if (!conn.deployment) throw new Error(conn.deploymentError ?? "no deployment on this chain");
  return conn.deployment;
}

export async function loadSnapshot(conn: Connection): Promise<Snapshot> {
  const deployment = need(conn);
  const client = conn.publicClient;
  const [ids, graph, tokens] = await Promise.all([
    readAssetIds(client, deployment),
    readProvenance(client, deployment),
    loadTokens(conn),
  ]);
  const assets = await Promise.all(ids.map((id) => readAsset(client, deployment, id)));
  return { assets, graph, tokens };
}

/** ETH and every ERC-20 the marketplace accepts now (TokenAllowed events, checked with token_allowed). */
async function loadTokens(conn: Connection): Promise<Token[]> {
  const deployment = need(conn);
  const market = addressOf(deployment, "Marketplace");
  const logs = await conn.publicClient.getContractEvents({
    address: market,
    abi: marketplaceAbi,
    eventName: "TokenAllowed",
    fromBlock: startBlockOf(deployment, "Marketplace"),
    toBlock: "latest",
    strict: true,
  });
  const candidates = [...new Set(logs.map((l) => l.args.token))];
  const tokens: Token[] = [ETH];
  for (const address of candidates) {
    const allowed = await conn.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: "token_allowed", args: [address] });
    if (!allowed) continue;
    const [symbol, decimals] = await Promise.all([
      conn.publicClient.readContract({ address, abi: erc20Abi, functionName: "symbol" }).catch(() => "tokens"),
      conn.publicClient.readContract({ address, abi: erc20Abi, functionName: "decimals" }).catch(() => 18),
    ]);
    tokens.push({ address, symbol, decimals });
  }
  return tokens;
}

export function tokenOf(snapshot: Snapshot, address: Address): Token {
  return snapshot.tokens.find((t) => t.address.toLowerCase() === address.toLowerCase()) ?? { address, symbol: "tokens", decimals: 18 };
}

/** The asset's offers (OfferCreated events) with their current terms (`offer(id)`). */
export async function loadOffers(conn: Connection, snapshot: Snapshot, assetId: bigint): Promise<Offer[]> {
  const deployment = need(conn);
  const market = addressOf(deployment, "Marketplace");
  const logs = await conn.publicClient.getContractEvents({
    address: market,
    abi: marketplaceAbi,
    eventName: "OfferCreated",
    args: { asset_id: assetId },
    fromBlock: startBlockOf(deployment, "Marketplace"),
    toBlock: "latest",
    strict: true,
  });
  return Promise.all(
    logs.map(async (log) => {
      const o = await conn.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: "offer", args: [log.args.offer_id] });
      return {
        id: log.args.offer_id,
        assetId: o.asset_id,
        token: tokenOf(snapshot, o.token),
        price: o.price,
        duration: o.duration,
        maxLicences: o.max_licences,
        sold: o.sold,
        startsAt: o.starts_at,
        endsAt: o.ends_at,
        active: o.active,
      };
    }),
  );
}

export interface Access {
  readonly hasAccess: boolean;
  /** 0: never licensed; 2**256 - 1: perpetual */
  readonly expiresAt: bigint;
}

export async function loadAccess(conn: Connection, assetId: bigint, account: Address): Promise<Access> {
  const market = addressOf(need(conn), "Marketplace");
  const [hasAccess, expiresAt] = await Promise.all([
    conn.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: "has_access", args: [assetId, account] }),
    conn.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: "licence_of", args: [assetId, account] }),
  ]);
  return { hasAccess, expiresAt };
}

export interface Earnings {
  /** Withdrawable now, per token (`balance_of`). */
  readonly balances: readonly { token: Token; amount: bigint }[];
  /** Revenue of the account's assets waiting to be settled (`pending`), per asset and token. */
  readonly pending: readonly { asset: AssetView; token: Token; amount: bigint }[];
}

export async function loadEarnings(conn: Connection, snapshot: Snapshot, account: Address): Promise<Earnings> {
  const market = addressOf(need(conn), "Marketplace");
  const read = conn.publicClient;
  const balances = await Promise.all(
    snapshot.tokens.map(async (token) => ({
      token,
      amount: await read.readContract({ address: market, abi: marketplaceAbi, functionName: "balance_of", args: [account, token.address] }),
    })),
  );
  const owned = snapshot.assets.filter((a) => a.owner.toLowerCase() === account.toLowerCase());
  const pending = (
    await Promise.all(
      owned.flatMap((asset) =>
        snapshot.tokens.map(async (token) => ({
          asset,
          token,
          amount: await read.readContract({ address: market, abi: marketplaceAbi, functionName: "pending", args: [asset.id, token.address] }),
        })),
      ),
    )
  ).filter((p) => p.amount > 0n);
  return { balances, pending };
}

const cards = new Map<string, Promise<Card | null>>();

/** The asset's metadata card (JSON) from the IPFS gateway; null if it cannot be fetched or parsed. */
export function loadCard(cid: string, gateway: string): Promise<Card | null> {
  let card = cards.get(cid);
  if (!card) {
    card = fetch(gatewayUrl(cid, gateway))
      .then(async (r) => (r.ok ? ((await r.json()) as unknown) : null))
      .then((json) => (json && typeof json === "object" && !Array.isArray(json) ? (json as Card) : null))
      .catch(() => null);
    cards.set(cid, card);
  }
  return card;
}
