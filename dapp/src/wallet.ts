import {
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  type Address,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
} from "viem";
import { getDeployment, type CidhubDeployment } from "@cidhub/contracts";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

/** The wallet, the chain it is on and the cidhub deployment there: everything the views read and write through. */
export interface Connection {
  readonly provider: EIP1193Provider;
  readonly chainId: number;
  readonly account: Address | null;
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient;
  /** null when the package knows no deployment on this chain (`deploymentError` says why). */
  readonly deployment: CidhubDeployment | null;
  readonly deploymentError: string | null;
}

export function injectedProvider(): EIP1193Provider | null {
  return window.ethereum ?? null;
}

/** Reads the wallet's chain and (without prompting unless `request`) its account. */
export async function connect(
  provider: EIP1193Provider,
  custom_: readonly CidhubDeployment[],
  request: boolean,
): Promise<Connection> {
  const accounts = (await provider.request({ method: request ? "eth_requestAccounts" : "eth_accounts" })) as string[];
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  const transport = custom(provider);
  // Reads go through the wallet too (no RPC endpoint of our own); a local chain answers fast, so poll often.
  const publicClient = createPublicClient({ transport, pollingInterval: chainId === 31337 ? 250 : 4_000 });
  const account = accounts[0] ? getAddress(accounts[0]) : null;
  const walletClient = createWalletClient({ transport, account: account ?? undefined });
  let deployment: CidhubDeployment | null = null;
  let deploymentError: string | null = null;
  try {
    deployment = getDeployment(chainId, custom_);
  } catch (error) {
    deploymentError = error instanceof Error ? error.message : String(error);
  }
  return { provider, chainId, account, publicClient, walletClient, deployment, deploymentError };
}
