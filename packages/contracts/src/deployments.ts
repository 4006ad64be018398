import type { Address } from "viem";

import { contractNames, type ContractName } from "./generated/abis.js";
import { deployments } from "./generated/deployments.js";

/** One contract of a deployment: its address and the block it was deployed in (a log query's `fromBlock`). */
export interface ContractDeployment {
  readonly address: Address;
  readonly blockNumber: number;
}

/** The suite on one chain, as `ape run deploy` recorded it in deployments/<ecosystem>-<network>.json. */
export interface CidhubDeployment {
  readonly chainId: number;
  readonly ecosystem: string;
  readonly network: string;
  /** The first block of the deployment: scan events from here. */
  readonly deployBlock: number;
  readonly contracts: { readonly [K in ContractName]?: ContractDeployment };
}

/** What `ape run deploy` writes (the fields read here; the file has more). */
export interface DeploymentFile {
  chain_id: number;
  ecosystem: string;
  network: string;
  deploy_block: number;
  contracts: Record<string, { address: string; block: number }>;
}

export class DeploymentError extends Error {
  override name = "DeploymentError";
}

/** The deployments this package ships, by chain id (31337: a fresh anvil after `make dapp` / `ape run deploy`). */
export const knownDeployments: Readonly<Record<number, CidhubDeployment>> = deployments;

const isAddress = (value: unknown): value is Address => typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value);

/** Reads a deployments/*.json file (parsed JSON) of your own deployment: pass the result to `getDeployment`. */
export function fromDeploymentFile(file: DeploymentFile): CidhubDeployment {
  if (!file || typeof file !== "object") throw new DeploymentError("a deployment file is a JSON object");
  const { chain_id, ecosystem, network, deploy_block } = file;
  if (!Number.isSafeInteger(chain_id) || chain_id <= 0) throw new DeploymentError("the deployment file has no chain_id");
  if (!Number.isSafeInteger(deploy_block) || deploy_block < 0) {
    throw new DeploymentError("the deployment file has no deploy_block");
  }
  const contracts: { [K in ContractName]?: ContractDeployment } = {};
  for (const name of contractNames) {
    const record = file.contracts?.[name];
    if (!record) continue;
    if (!isAddress(record.address)) throw new DeploymentError(`${name} has no valid address in the deployment file`);
    contracts[name] = { address: record.address, blockNumber: record.block ?? deploy_block };
  }
  return { chainId: chain_id, ecosystem: String(ecosystem), network: String(network), deployBlock: deploy_block, contracts };
}

/**
 * The deployment on `chainId`: one of `custom` (your own, e.g. from `fromDeploymentFile`) if it names that chain,
 * else the package's. Throws a DeploymentError naming the chains it knows otherwise.
 */
export function getDeployment(chainId: number | bigint, custom: Iterable<CidhubDeployment> = []): CidhubDeployment {
  const id = Number(chainId);
  for (const deployment of custom) if (deployment.chainId === id) return deployment;
  const known = knownDeployments[id];
  if (known) return known;
  const chains = [...new Set([...[...custom].map((d) => d.chainId), ...Object.keys(knownDeployments).map(Number)])];
  throw new DeploymentError(
    `cidhub is not deployed on chain ${id} as far as this package knows (it knows ${chains.join(", ") || "none"}); ` +
      "switch the wallet to one of those, or pass your own deployment (fromDeploymentFile)",
  );
}

/** A contract's address in a deployment; throws a DeploymentError if the deployment lacks it. */
export function addressOf(deployment: CidhubDeployment, name: ContractName): Address {
  const record = deployment.contracts[name];
  if (!record) throw new DeploymentError(`${name} is not part of the deployment on chain ${deployment.chainId}`);
  return record.address;
}

/** The block a contract was deployed in, as a bigint for viem's `fromBlock`. */
export function startBlockOf(deployment: CidhubDeployment, name: ContractName): bigint {
  const record = deployment.contracts[name];
  if (!record) throw new DeploymentError(`${name} is not part of the deployment on chain ${deployment.chainId}`);
  return BigInt(record.blockNumber);
}
