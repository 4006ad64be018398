// Chain-free tests of @cidhub/contracts (the built package in dist/): run with `node --test test/`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import {
  ProvenanceGraph,
  abis,
  addressOf,
  cidToString,
  contractNames,
  describeRevertReason,
  explainError,
  fromDeploymentFile,
  getDeployment,
  isRevertReason,
  packAttestationProof,
  revertReasonOf,
  revertReasons,
} from "../dist/index.js";

const hex = (bytes) => `0x${Buffer.from(bytes).toString("hex")}`;

test("cidToString prints CIDv1 in base32 and CIDv0 in base58btc", () => {
  const digest = createHash("sha256").update("hello world").digest();
  // "hello world" as a raw-leaf CIDv1 (TOOLCHAIN.md's vector) and its sha2-256 multihash as a CIDv0.
  assert.equal(cidToString(hex([0x01, 0x55, 0x12, 0x20, ...digest])), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  assert.equal(cidToString(new Uint8Array([0x12, 0x20, ...digest])), "QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4");
  assert.throws(() => cidToString("0x"), /empty/);
  assert.throws(() => cidToString("0x02551220"), /version/);
});

test("every deployable contract has an ABI", () => {
  assert.deepEqual(Object.keys(abis).sort(), [...contractNames].sort());
  for (const name of contractNames) assert.ok(abis[name].length > 0, name);
  assert.ok(contractNames.includes("AssetRegistry") && contractNames.includes("HubGovernor"));
});

test("getDeployment: the package's, your own first, and a sentence for an unknown chain", () => {
  const local = getDeployment(31337);
  assert.equal(local.chainId, 31337);
  assert.match(addressOf(local, "AssetRegistry"), /^0x[0-9a-fA-F]{40}$/);
  const mine = fromDeploymentFile({
    chain_id: 31337, ecosystem: "ethereum", network: "local", deploy_block: 7,
    contracts: { AssetRegistry: { address: "0x000000000000000000000000000000000000dEaD", block: 7 } },
  });
  assert.equal(addressOf(getDeployment(31337n, [mine]), "AssetRegistry"), "0x000000000000000000000000000000000000dEaD");
  assert.throws(() => addressOf(mine, "Marketplace"), /Marketplace is not part of the deployment on chain 31337/);
  assert.throws(() => getDeployment(5), /not deployed on chain 5 .*31337/);
  assert.throws(() => fromDeploymentFile({ ecosystem: "x" }), /chain_id/);
});

test("revert reasons: typed list, and a sentence for each", () => {
  assert.ok(revertReasons.length > 100);
  const reasons = revertReasons.map((r) => r.reason);
  assert.equal(new Set(reasons).size, reasons.length, "no duplicates");
  for (const r of revertReasons) {
    assert.equal(r.reason, `${r.scope}: ${r.detail}`);
    assert.ok(r.contracts.length > 0, r.reason);
    const sentence = describeRevertReason(r.reason);
    assert.match(sentence, /^[A-Z].*\.$/, `${r.reason} -> ${sentence}`);
    assert.ok(!sentence.includes(`${r.scope}:`), `${sentence} repeats the code`);
  }
  assert.ok(isRevertReason("market: offer sold out"));
  assert.equal(describeRevertReason("market: offer sold out"), "Every licence of this offer has been sold.");
  assert.equal(describeRevertReason("market: cap too large"), "The marketplace refused the transaction: cap too large.");
});

test("explainError finds the reason in viem-like, wallet and node errors", () => {
  const viemLike = Object.assign(new Error("The contract function \"buy\" reverted."), {
    name: "ContractFunctionExecutionError",
    cause: Object.assign(new Error("reverted"), { name: "ContractFunctionRevertedError", reason: "market: asset delisted" }),
  });
  assert.equal(revertReasonOf(viemLike), "market: asset delisted");
  assert.equal(explainError(viemLike), "The asset was delisted by the curators, so its licences are not for sale.");
  const node = { code: -32000, message: "execution reverted: governor: vote already cast" };
  assert.equal(explainError(node), "This account has already voted on the proposal.");
  assert.equal(explainError({ code: 4001, message: "User rejected the request." }), "You declined the request in your wallet.");
  assert.equal(explainError(new Error("insufficient funds for gas * price + value")),
    "Your account does not have enough ETH for this payment and its gas.");
  assert.equal(explainError({ name: "ContractFunctionRevertedError", message: "execution reverted" }),
    "The contract refused the transaction without giving a reason.");
});

test("ProvenanceGraph: parents in order, children, lineage depths", () => {
  const g = new ProvenanceGraph([
    { assetId: 3n, parents: [1n, 2n], sharesBps: [1500, 2000] },
    { assetId: 4n, parents: [3n, 1n], sharesBps: [2000, 1000] },
  ]);
  assert.deepEqual(g.parentsOf(3n).map((e) => [e.parent, e.shareBps, e.position]), [[1n, 1500, 0], [2n, 2000, 1]]);
  assert.deepEqual(g.childrenOf(1n).map((e) => e.child), [3n, 4n]);
  const lineage = g.lineage(3n);
  const depth = Object.fromEntries(lineage.nodes.map((n) => [String(n.id), n.depth]));
  assert.deepEqual(depth, { 3: 0, 1: -1, 2: -1, 4: 1 });
  assert.equal(lineage.edges.length, 3);
  assert.throws(() => new ProvenanceGraph([{ assetId: 1n, parents: [2n], sharesBps: [] }]), /differ in length/);
});

test("packAttestationProof lays out attester | expiresAt | r | s | v", () => {
  const r = "11".repeat(32), s = "22".repeat(32);
  const proof = packAttestationProof("0x00000000000000000000000000000000000000aB", 0x0102n, `0x${r}${s}1c`);
  assert.equal(proof.length, 2 + 93 * 2);
  assert.equal(proof, `0x${"00".repeat(19)}ab${"0".repeat(12)}0102${r}${s}1c`);
  assert.equal(packAttestationProof("0x00000000000000000000000000000000000000aB", 1n, `0x${r}${s}01`).slice(-2), "1c");
});
