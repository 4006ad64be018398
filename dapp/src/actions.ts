import { erc20Abi, zeroAddress, type Address, type Hash } from "viem";
import { addressOf, marketplaceAbi } from "@cidhub/contracts";

import type { Offer, Snapshot, Token } from "./data";
import type { Connection } from "./wallet";

function prepared(conn: Connection): { account: Address; market: Address } {
  if (!conn.account) throw new Error("Connect your wallet first.");
  if (!conn.deployment) throw new Error(conn.deploymentError ?? "no deployment on this chain");
  return { account: conn.account, market: addressOf(conn.deployment, "Marketplace") };
}

async function confirmed(conn: Connection, hash: Hash): Promise<void> {
  const receipt = await conn.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error("The transaction was mined but reverted.");
}

/**
 * Buys one licence of `offer` for the connected account: approves the marketplace first for a token offer whose
 * allowance is short. Every call is simulated first, so a revert surfaces with its reason before anything is sent.
 */
export async function buyLicence(conn: Connection, offer: Offer, onStep: (text: string) => void): Promise<Hash> {
  const { account, market } = prepared(conn);
  if (offer.token.address !== zeroAddress && offer.price > 0n) {
    const allowance = await conn.publicClient.readContract({
      address: offer.token.address, abi: erc20Abi, functionName: "allowance", args: [account, market],
    });
    if (allowance < offer.price) {
      onStep(`Approve the marketplace to take ${offer.token.symbol} for the licence in your wallet…`);
      const { request } = await conn.publicClient.simulateContract({
        account, address: offer.token.address, abi: erc20Abi, functionName: "approve", args: [market, offer.price],
      });
      await confirmed(conn, await conn.walletClient.writeContract({ ...request, chain: null }));
    }
  }
  onStep("Confirm the purchase in your wallet…");
  const { request } = await conn.publicClient.simulateContract({
    account,
    address: market,
    abi: marketplaceAbi,
    functionName: "buy",
    args: [offer.id, account],
    value: offer.token.address === zeroAddress ? offer.price : 0n,
  });
  const hash = await conn.walletClient.writeContract({ ...request, chain: null });
  onStep("Waiting for the purchase to be mined…");
  await confirmed(conn, hash);
  return hash;
}

/** Settles an asset's pending revenue in `token`: upstream shares to its parents' pools, the rest to its split. */
export async function settle(conn: Connection, snapshot: Snapshot, assetId: bigint, token: Token, onStep: (text: string) => void): Promise<Hash> {
  const { account, market } = prepared(conn);
  const parents = snapshot.graph.parentsOf(assetId);
  const [recipients, weights] = await conn.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: "split_of", args: [assetId] });
  onStep("Confirm the settlement in your wallet…");
  const { request } = await conn.publicClient.simulateContract({
    account,
    address: market,
    abi: marketplaceAbi,
    functionName: "distribute",
    args: [assetId, token.address, parents.map((p) => p.parent), parents.map((p) => p.shareBps), recipients, weights],
  });
  const hash = await conn.walletClient.writeContract({ ...request, chain: null });
  onStep("Waiting for the settlement to be mined…");
  await confirmed(conn, hash);
  return hash;
}

/** Withdraws the connected account's whole balance in `token` from the marketplace to the account. */
export async function withdraw(conn: Connection, token: Token, onStep: (text: string) => void): Promise<Hash> {
  const { account, market } = prepared(conn);
  onStep("Confirm the withdrawal in your wallet…");
  const { request } = await conn.publicClient.simulateContract({
    account, address: market, abi: marketplaceAbi, functionName: "withdraw", args: [token.address],
  });
  const hash = await conn.walletClient.writeContract({ ...request, chain: null });
  onStep("Waiting for the withdrawal to be mined…");
  await confirmed(conn, hash);
  return hash;
}
