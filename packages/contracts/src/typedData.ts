import type { Address } from "viem";

import { addressOf, type CidhubDeployment } from "./deployments.js";
import { eip712Domains } from "./generated/typedData.js";

/** Contracts that sign under an EIP-712 domain of their own. */
export type SigningContract = keyof typeof eip712Domains;

/** The full EIP-712 domain of `contract` in `deployment`, as viem's signTypedData takes it. */
export function eip712Domain<C extends SigningContract>(
  deployment: CidhubDeployment,
  contract: C,
): (typeof eip712Domains)[C] & { chainId: number; verifyingContract: Address } {
  return { ...eip712Domains[contract], chainId: deployment.chainId, verifyingContract: addressOf(deployment, contract) };
}

/**
 * SignedAttestationVerifier's proof: attester (20 bytes) | expiresAt (uint64) | r | s | v (93 bytes), from a 65-byte
 * signature of the Attestation typed data.
 */
export function packAttestationProof(attester: Address, expiresAt: bigint, signature: `0x${string}`): `0x${string}` {
  const sig = signature.slice(2);
  if (sig.length !== 130) throw new Error("an attestation signature is 65 bytes (r, s, v)");
  if (expiresAt < 0n || expiresAt >= 1n << 64n) throw new Error("expiresAt must fit 64 bits");
  let v = parseInt(sig.slice(128, 130), 16);
  if (v < 27) v += 27;
  return `0x${attester.slice(2).toLowerCase()}${expiresAt.toString(16).padStart(16, "0")}${sig.slice(0, 128)}${v
    .toString(16)
    .padStart(2, "0")}`;
}
