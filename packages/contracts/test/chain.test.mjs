// @cidhub/contracts against a real chain: anvil with the demo's data (what `make dapp` starts), reached with viem.
// tests/dapp/test_contracts_package.py prepares that chain and runs this file with
//   CIDHUB_RPC_URL      the anvil endpoint
//   CIDHUB_DEPLOYMENT   the deployments/ethereum-local.json `ape run demo` wrote for it
// Without CIDHUB_RPC_URL the tests here are skipped (the unit tests still run).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";

import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeEventLog,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  getAddress,
  hashStruct,
  hashTypedData,
  http,
  keccak256,
  parseEventLogs,
  parseSignature,
  stringToHex,
  zeroAddress,
} from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

import {
  abis,
  addressOf,
  assetKinds,
  assetRegistryAbi,
  attestationTypes,
  ballotTypes,
  computeAttestationsAbi,
  contractNames,
  delegationTypes,
  eip712Domain,
  explainError,
  fromDeploymentFile,
  getDeployment,
  hubGovernorAbi,
  hubTokenAbi,
  jobTypes,
  marketplaceAbi,
  packAttestationProof,
  permitTypes,
  proposalStates,
  readAsset,
  readAssetIds,
  readProvenance,
  revertReasonOf,
  signedAttestationVerifierAbi,
  startBlockOf,
} from "../dist/index.js";

const RPC = process.env.CIDHUB_RPC_URL;
const skip = RPC ? false : "CIDHUB_RPC_URL is not set (tests/dapp/test_contracts_package.py sets it)";
const MNEMONIC = "test test test test test test test test test test test junk";
// The demo's roles (scripts/demo.py): 1 curator, 2 data owner, 3 model owner, 4 co-author, 5-7 buyers.
const account = (index) => mnemonicToAccount(MNEMONIC, { addressIndex: index });
const MEMBER_1 = account(1); // 1,000,000 HUB, delegated to itself
const MEMBER_2 = account(2); // 800,000 HUB, holds member 3's votes
const MEMBER_3 = account(3); // 600,000 HUB, delegated to member 2
const MEMBER_4 = account(4); // 325,000 HUB, delegated to itself
// A fresh account per run, funded by anvil: it holds no licence yet whatever ran before.
const BUYER = privateKeyToAccount(generatePrivateKey());
const RELAYER = account(9);

let client, testClient, deployment, registry, market, governor, token;
const wallet = (acct) => createWalletClient({ account: acct, chain: foundry, transport: http(RPC) });

async function send(acct, request) {
  const { request: prepared } = await client.simulateContract({ account: acct, ...request });
  const hash = await wallet(acct).writeContract(prepared);
  const receipt = await client.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "success");
  return receipt;
}

async function now() {
  return (await client.getBlock()).timestamp;
}

describe("against the demo chain", { skip }, () => {
  before(async () => {
    client = createPublicClient({ chain: foundry, transport: http(RPC), pollingInterval: 100 });
    testClient = createTestClient({ chain: foundry, mode: "anvil", transport: http(RPC) });
    deployment = getDeployment(await client.getChainId());
    registry = addressOf(deployment, "AssetRegistry");
    market = addressOf(deployment, "Marketplace");
    governor = addressOf(deployment, "HubGovernor");
    token = addressOf(deployment, "HubToken");
    await testClient.setBalance({ address: BUYER.address, value: 10n ** 20n });
  });

  test("the package's deployment for 31337 is where a fresh `make dapp` chain has the suite", async () => {
    const written = fromDeploymentFile(JSON.parse(readFileSync(process.env.CIDHUB_DEPLOYMENT, "utf8")));
    assert.deepEqual(getDeployment(31337), written);
    for (const name of contractNames) {
      const code = await client.getCode({ address: addressOf(deployment, name) });
      assert.ok(code && code.length > 2, `${name} has code`);
    }
  });

  test("reads an asset and its lineage", async () => {
    const ids = await readAssetIds(client, deployment);
    assert.ok(ids.length >= 5, `the demo registers assets (${ids.length})`);
    const graph = await readProvenance(client, deployment);
    // The demo's fine-tuned model: a model with two parents (the dataset and the base model).
    const assets = await Promise.all(ids.map((id) => readAsset(client, deployment, id)));
    const model = assets.find((a) => a.kind === "model" && a.parentCount === 2);
    assert.ok(model, "the fine-tuned model");
    const parents = graph.parentsOf(model.id);
    assert.deepEqual(parents.map((p) => p.shareBps), [1500, 2000]);
    const byId = new Map(assets.map((a) => [a.id, a]));
    assert.deepEqual(parents.map((p) => byId.get(p.parent).kind), ["dataset", "model"]);
    assert.equal(await client.readContract({ address: registry, abi: assetRegistryAbi, functionName: "verify_parents",
      args: [model.id, parents.map((p) => p.parent), parents.map((p) => p.shareBps)] }), true);
    const lineage = graph.lineage(model.id);
    assert.deepEqual(lineage.nodes.filter((n) => n.depth === -1).map((n) => n.id).sort(), parents.map((p) => p.parent).sort());
    assert.ok(lineage.nodes.some((n) => n.depth === 1 && byId.get(n.id).kind === "result"), "a result computed from it");
    // The CID strings agree with the registry's own printing (tokenURI: ipfs://<base32 CIDv1>).
    const uri = await client.readContract({ address: registry, abi: assetRegistryAbi, functionName: "tokenURI", args: [model.id] });
    assert.equal(uri, `ipfs://${model.metadataCid}`);
    assert.match(model.contentCid, /^bafk/);
    assert.equal(assetKinds[Number(await client.readContract({ address: registry, abi: assetRegistryAbi, functionName: "kind_of", args: [model.id] }))], "model");
  });

  test("decodes every event kind of every contract", async () => {
    // Each event of each ABI, encoded with sample values and decoded back.
    const sample = (param, i) => {
      const { type } = param;
      const array = /\[(\d*)\]$/.exec(type);
      if (array) {
        const inner = { ...param, type: type.slice(0, array.index) };
        return Array.from({ length: Number(array[1] || 2) }, (_, k) => sample(inner, i + k));
      }
      if (type === "tuple") return Object.fromEntries(param.components.map((c, k) => [c.name, sample(c, i + k)]));
      // viem decodes integers of up to 48 bits as numbers, wider ones as bigints.
      if (/^u?int\d+$/.test(type)) {
        const value = type.startsWith("u") ? i + 7 : -(i + 7);
        return Number(type.replace(/^u?int/, "")) <= 48 ? value : BigInt(value);
      }
      if (type === "address") return getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`);
      if (type === "bool") return i % 2 === 0;
      if (type === "string") return `text ${i}`;
      if (type === "bytes") return `0x${"ab".repeat(i + 1)}`;
      if (/^bytes\d+$/.test(type)) return `0x${(i + 1).toString(16).padStart(2, "0").repeat(Number(type.slice(5)))}`;
      throw new Error(`no sample for ${type}`);
    };
    let kinds = 0;
    for (const name of contractNames) {
      for (const event of abis[name].filter((e) => e.type === "event")) {
        const args = Object.fromEntries(event.inputs.map((p, i) => [p.name, sample(p, i)]));
        const indexed = event.inputs.filter((p) => p.indexed);
        const plain = event.inputs.filter((p) => !p.indexed);
        const topics = encodeEventTopics({ abi: [event], eventName: event.name,
          args: Object.fromEntries(indexed.map((p) => [p.name, args[p.name]])) });
        const data = encodeAbiParameters(plain, plain.map((p) => args[p.name]));
        const decoded = decodeEventLog({ abi: abis[name], data, topics });
        assert.equal(decoded.eventName, event.name);
        assert.deepEqual(decoded.args, args, `${name}.${event.name}`);
        kinds++;
      }
    }
    assert.ok(kinds >= 40, `${kinds} event kinds`);

    // Every log the demo left at the suite's addresses decodes with its contract's ABI.
    const byAddress = new Map(contractNames.map((n) => [addressOf(deployment, n).toLowerCase(), n]));
    const logs = await client.getLogs({ address: [...byAddress.keys()], fromBlock: BigInt(deployment.deployBlock), toBlock: "latest" });
    const seen = new Set();
    for (const log of logs) {
      const name = byAddress.get(log.address.toLowerCase());
      const decoded = decodeEventLog({ abi: abis[name], data: log.data, topics: log.topics });
      seen.add(`${name}.${decoded.eventName}`);
    }
    for (const expected of ["AssetRegistry.AssetRegistered", "AssetRegistry.ProvenanceRecorded", "AssetRegistry.AssetDelisted",
      "Marketplace.OfferCreated", "Marketplace.LicencePurchased", "Marketplace.RevenueDistributed", "Marketplace.Withdrawn",
      "HubGovernor.ProposalCreated", "HubGovernor.VoteCast", "HubGovernor.ProposalExecuted", "HubToken.DelegateChanged",
      "HubTimelock.CallScheduled", "ComputeAttestations.JobAccepted"]) {
      assert.ok(seen.has(expected), `the demo emitted ${expected} (seen: ${[...seen].sort().join(", ")})`);
    }
  });

  test("buys a licence, then has_access", async () => {
    const offerLogs = await client.getContractEvents({ address: market, abi: marketplaceAbi, eventName: "OfferCreated",
      fromBlock: startBlockOf(deployment, "Marketplace"), strict: true });
    // An ETH offer of a listed asset.
    let chosen;
    for (const log of offerLogs) {
      const delisted = await client.readContract({ address: registry, abi: assetRegistryAbi, functionName: "is_delisted", args: [log.args.asset_id] });
      if (log.args.token === zeroAddress && !delisted) { chosen = log.args; break; }
    }
    assert.ok(chosen, "an ETH offer of a listed asset");
    const offer = await client.readContract({ address: market, abi: marketplaceAbi, functionName: "offer", args: [chosen.offer_id] });
    assert.equal(await client.readContract({ address: market, abi: marketplaceAbi, functionName: "has_access", args: [offer.asset_id, BUYER.address] }), false);

    const receipt = await send(BUYER, { address: market, abi: marketplaceAbi, functionName: "buy", args: [chosen.offer_id, BUYER.address], value: offer.price });
    const [bought] = parseEventLogs({ abi: marketplaceAbi, eventName: "LicencePurchased", logs: receipt.logs });
    assert.equal(bought.args.licensee, BUYER.address);
    assert.equal(bought.args.price, offer.price);
    assert.equal(await client.readContract({ address: market, abi: marketplaceAbi, functionName: "has_access", args: [offer.asset_id, BUYER.address] }), true);
    assert.equal(await client.readContract({ address: market, abi: marketplaceAbi, functionName: "licence_of", args: [offer.asset_id, BUYER.address] }), bought.args.expires_at);

    // The wrong amount: refused, with the contract's reason as a sentence.
    await assert.rejects(
      client.simulateContract({ account: BUYER, address: market, abi: marketplaceAbi, functionName: "buy", args: [chosen.offer_id, BUYER.address], value: 1n }),
      (error) => {
        assert.equal(revertReasonOf(error), "market: wrong payment amount");
        assert.equal(explainError(error), "The amount sent differs from the offer's price.");
        return true;
      });
  });

  test("a delisted asset's offer is refused with a plain sentence", async () => {
    const delisted = await client.getContractEvents({ address: registry, abi: assetRegistryAbi, eventName: "AssetDelisted",
      fromBlock: startBlockOf(deployment, "AssetRegistry"), strict: true });
    assert.ok(delisted.length, "the demo's DAO delisted the dataset");
    const [offerLog] = await client.getContractEvents({ address: market, abi: marketplaceAbi, eventName: "OfferCreated",
      args: { asset_id: delisted[0].args.asset_id }, fromBlock: startBlockOf(deployment, "Marketplace"), strict: true });
    const offer = await client.readContract({ address: market, abi: marketplaceAbi, functionName: "offer", args: [offerLog.args.offer_id] });
    await assert.rejects(
      client.simulateContract({ account: BUYER, address: market, abi: marketplaceAbi, functionName: "buy", args: [offerLog.args.offer_id, BUYER.address], value: offer.price }),
      (error) => explainError(error) === "The asset was delisted by the curators, so its licences are not for sale.");
  });

  test("signs a ballot with ballotTypes and relays it", async () => {
    const description = `# Test: lower the fee to 0.5 %\nProposed by the node test at ${Date.now()}.`;
    const calldata = encodeFunctionData({ abi: marketplaceAbi, functionName: "set_fee", args: [50n, addressOf(deployment, "HubTimelock")] });
    const proposed = await send(MEMBER_1, { address: governor, abi: hubGovernorAbi, functionName: "propose", args: [[market], [0n], [calldata], description] });
    const [created] = parseEventLogs({ abi: hubGovernorAbi, eventName: "ProposalCreated", logs: proposed.logs });
    const proposalId = created.args.proposal_id;
    assert.equal(proposalId, await client.readContract({ address: governor, abi: hubGovernorAbi, functionName: "hash_proposal",
      args: [[market], [0n], [calldata], keccak256(stringToHex(description))] }));

    const delay = await client.readContract({ address: governor, abi: hubGovernorAbi, functionName: "voting_delay" });
    await testClient.increaseTime({ seconds: Number(delay) + 1 });
    await testClient.mine({ blocks: 1 });
    assert.equal(proposalStates[await client.readContract({ address: governor, abi: hubGovernorAbi, functionName: "state", args: [proposalId] })], "active");

    const nonce = await client.readContract({ address: governor, abi: hubGovernorAbi, functionName: "nonces", args: [MEMBER_4.address] });
    const expiry = (await now()) + 3600n;
    const message = { proposalId, support: 1, voter: MEMBER_4.address, nonce, expiry };
    const signature = await MEMBER_4.signTypedData({ domain: eip712Domain(deployment, "HubGovernor"), types: ballotTypes, primaryType: "Ballot", message });
    const relayed = await send(RELAYER, { address: governor, abi: hubGovernorAbi, functionName: "cast_vote_by_sig", args: [proposalId, 1, MEMBER_4.address, expiry, signature] });
    const [vote] = parseEventLogs({ abi: hubGovernorAbi, eventName: "VoteCast", logs: relayed.logs });
    const snapshot = await client.readContract({ address: governor, abi: hubGovernorAbi, functionName: "proposal_snapshot", args: [proposalId] });
    const weight = await client.readContract({ address: token, abi: hubTokenAbi, functionName: "getPastVotes", args: [MEMBER_4.address, snapshot] });
    assert.deepEqual([vote.args.voter, vote.args.support, vote.args.weight], [MEMBER_4.address, 1, weight]);
    assert.ok(weight > 0n);
    const [, forVotes] = await client.readContract({ address: governor, abi: hubGovernorAbi, functionName: "proposal_votes", args: [proposalId] });
    assert.equal(forVotes, weight);

    // The same ballot again: the nonce is spent, so the signature no longer matches.
    await assert.rejects(
      client.simulateContract({ account: RELAYER, address: governor, abi: hubGovernorAbi, functionName: "cast_vote_by_sig", args: [proposalId, 1, MEMBER_4.address, expiry, signature] }),
      (error) => revertReasonOf(error) === "governor: invalid signature");
  });

  test("permit and delegation signatures (HubToken's domain) verify on-chain", async () => {
    const domain = eip712Domain(deployment, "HubToken");
    const onChain = await client.readContract({ address: token, abi: hubTokenAbi, functionName: "eip712Domain" });
    assert.deepEqual([onChain[1], onChain[2], onChain[3], onChain[4]], [domain.name, domain.version, BigInt(domain.chainId), domain.verifyingContract]);

    const value = 1234n * 10n ** 18n;
    const deadline = (await now()) + 3600n;
    let nonce = await client.readContract({ address: token, abi: hubTokenAbi, functionName: "nonces", args: [MEMBER_2.address] });
    const permit = await MEMBER_2.signTypedData({ domain, types: permitTypes, primaryType: "Permit",
      message: { owner: MEMBER_2.address, spender: RELAYER.address, value, nonce, deadline } });
    const { v, r, s } = parseSignature(permit);
    await send(RELAYER, { address: token, abi: hubTokenAbi, functionName: "permit", args: [MEMBER_2.address, RELAYER.address, value, deadline, Number(v), r, s] });
    assert.equal(await client.readContract({ address: token, abi: hubTokenAbi, functionName: "allowance", args: [MEMBER_2.address, RELAYER.address] }), value);

    // Member 3 moves its votes (to itself from member 2 after the demo) by a relayed, signed delegation.
    const before = await client.readContract({ address: token, abi: hubTokenAbi, functionName: "delegates", args: [MEMBER_3.address] });
    const delegatee = before === MEMBER_3.address ? MEMBER_2.address : MEMBER_3.address;
    nonce = await client.readContract({ address: token, abi: hubTokenAbi, functionName: "nonces", args: [MEMBER_3.address] });
    const expiry = (await now()) + 3600n;
    const delegation = await MEMBER_3.signTypedData({ domain, types: delegationTypes, primaryType: "Delegation",
      message: { delegatee, nonce, expiry } });
    await send(RELAYER, { address: token, abi: hubTokenAbi, functionName: "delegate_by_sig", args: [MEMBER_3.address, delegatee, nonce, expiry, delegation] });
    assert.equal(await client.readContract({ address: token, abi: hubTokenAbi, functionName: "delegates", args: [MEMBER_3.address] }), delegatee);
  });

  test("the job hash (jobTypes) and a signed attestation (attestationTypes) verify on-chain", async () => {
    const hub = addressOf(deployment, "ComputeAttestations");
    const verifier = addressOf(deployment, "SignedAttestationVerifier");
    const job = {
      modelId: 11n, datasetIds: [22n, 33n], modelShareBps: 1000, datasetSharesBps: [500, 700],
      paramsCid: "0x01551220" + "aa".repeat(32), outputCid: "0x01551220" + "bb".repeat(32), metadataCid: "0x01551220" + "cc".repeat(32),
      licenceId: 3, royaltyBps: 250, owner: MEMBER_4.address, verifier, consumer: zeroAddress,
    };
    const tuple = { model_id: job.modelId, dataset_ids: job.datasetIds, model_share_bps: job.modelShareBps,
      dataset_shares_bps: job.datasetSharesBps, params_cid: job.paramsCid, output_cid: job.outputCid, metadata_cid: job.metadataCid,
      licence_id: job.licenceId, royalty_bps: job.royaltyBps, owner: job.owner, verifier: job.verifier, consumer: job.consumer };
    const jobHash = hashStruct({ types: jobTypes, primaryType: "Job", data: job });
    assert.equal(jobHash, await client.readContract({ address: hub, abi: computeAttestationsAbi, functionName: "job_hash", args: [tuple] }));

    // A new attester key, approved the way the DAO would (the timelock holds ATTESTER_MANAGER_ROLE).
    const attester = privateKeyToAccount(generatePrivateKey());
    const timelock = addressOf(deployment, "HubTimelock");
    await testClient.impersonateAccount({ address: timelock });
    await testClient.setBalance({ address: timelock, value: 10n ** 18n });
    const hash = await createWalletClient({ chain: foundry, transport: http(RPC) }).writeContract({
      account: timelock, address: verifier, abi: signedAttestationVerifierAbi, functionName: "add_attester", args: [attester.address] });
    await client.waitForTransactionReceipt({ hash });
    await testClient.stopImpersonatingAccount({ address: timelock });

    const expiresAt = (await now()) + 3600n;
    const domain = eip712Domain(deployment, "SignedAttestationVerifier");
    const typed = { domain, types: attestationTypes, primaryType: "Attestation", message: { job, expiresAt } };
    assert.equal(hashTypedData(typed), await client.readContract({ address: verifier, abi: signedAttestationVerifierAbi,
      functionName: "attestation_digest", args: [jobHash, expiresAt] }));
    const signature = await attester.signTypedData(typed);
    const ref = { job_hash: jobHash, model_id: job.modelId, dataset_ids: job.datasetIds, params_key: 0n, output_id: 0n };
    const proof = packAttestationProof(attester.address, expiresAt, signature);
    assert.equal(await client.readContract({ address: verifier, abi: signedAttestationVerifierAbi, functionName: "verify", args: [ref, proof] }), true);
    // Another job's hash: the same signature is refused, with the verifier's reason.
    await assert.rejects(
      client.readContract({ address: verifier, abi: signedAttestationVerifierAbi, functionName: "verify", args: [{ ...ref, job_hash: keccak256("0x01") }, proof] }),
      (error) => revertReasonOf(error) === "attest: wrong signer");
  });
});
