/**
 * @cidhub/contracts: everything a dApp needs to talk to cidhub's contracts with viem. The ABIs, deployments,
 * EIP-712 definitions, revert reasons and enumerations under ./generated are generated from the compiled contracts
 * and deployments/*.json (scripts/generate.mjs); the rest are small helpers over them.
 */
export * from "./generated/abis.js";
export * from "./generated/constants.js";
export * from "./generated/deployments.js";
export * from "./generated/revertReasons.js";
export * from "./generated/typedData.js";

export * from "./assets.js";
export * from "./cid.js";
export * from "./deployments.js";
export * from "./lineage.js";
export * from "./reverts.js";
export * from "./typedData.js";
