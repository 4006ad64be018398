#!/usr/bin/env node
// Generates @cidhub/contracts' data from the compiled contracts and the deployment files:
//
//   src/generated/abis.ts           every deployable contract's ABI (contracts/<Name>.vy), `as const`
//   src/generated/deployments.ts    addresses and start blocks per chain id, from deployments/*.json
//   src/generated/typedData.ts      the EIP-712 domains and types the contracts check, from their sources
//   src/generated/revertReasons.ts  every `assert ..., "scope: what"` / `raise "..."` a deployed contract can revert with
//
// Everything is read from what `ape compile` wrote (.build/__local__.json: ABIs, the sources compiled and the
// compiler's search paths, where snekmate's modules are), never written by hand, so a recompile regenerates
// cleanly. Usage (from anywhere):
//
//   node packages/contracts/scripts/generate.mjs                      # rewrite src/generated/
//   node packages/contracts/scripts/generate.mjs --check              # exit 1 if src/generated/ is stale
//   ... --local /tmp/x/deployments/ethereum-local.json                # chain 31337 from this file
//
// The 31337 (anvil) entry must come from a deployment on a fresh chain (`make dapp`, or `ape run deploy` on a new
// anvil): anvil's addresses and blocks then depend only on the deploy script, so the entry holds for every fresh
// anvil. tests/dapp/test_contracts_package.py checks it against such a deployment.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO_ROOT = resolve(PACKAGE_DIR, "..", "..");
const LOCAL_CHAIN_ID = 31337;

// ------------------------------------------------------------------------------------------------ inputs

function loadArtifacts(path) {
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist: compile the contracts first (make compile, or ape compile --force)`);
  }
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  const searchPaths = (manifest.compilers ?? []).flatMap((c) => c.settings?.search_paths ?? []);
  return { manifest, searchPaths };
}

/** Deployable contracts: contracts/<Name>.vy directly under contracts/ (not modules/, test/, interfaces/). */
function deployableContracts(manifest) {
  const names = Object.values(manifest.contractTypes)
    .filter((ct) => /^contracts\/[A-Z][A-Za-z0-9]*\.vy$/.test(ct.sourceId ?? ""))
    .map((ct) => ct.contractName)
    .sort();
  if (names.length === 0) throw new Error("no deployable contract (contracts/<Name>.vy) in the compiled artifacts");
  return names;
}

/** Source text by logical path: the project's from the manifest, libraries' (snekmate) from the search paths. */
function sourceReader(manifest, searchPaths) {
  const cache = new Map();
  return (logical) => {
    if (cache.has(logical)) return cache.get(logical);
    let text = manifest.sources?.[logical]?.content ?? null;
    if (text === null && !logical.startsWith("contracts/")) {
      for (const base of searchPaths) {
        const candidate = resolve(REPO_ROOT, base, logical);
        if (existsSync(candidate)) {
          text = readFileSync(candidate, "utf8");
          break;
        }
      }
    }
    cache.set(logical, text);
    return text;
  };
}

// ------------------------------------------------------------------------------------------------ Vyper sources

/** Strips comments and docstrings (keeps string literals, which hold what we look for). */
function stripComments(source) {
  let out = "";
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('"""', i) || source.startsWith("'''", i)) {
      const quote = source.slice(i, i + 3);
      const end = source.indexOf(quote, i + 3);
      const stop = end < 0 ? source.length : end + 3;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (source[i] === '"' || source[i] === "'") {
      const quote = source[i];
      let j = i + 1;
      while (j < source.length && source[j] !== quote && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (source[i] === "#") {
      while (i < source.length && source[i] !== "\n") i++;
    } else {
      out += source[i++];
    }
  }
  return out;
}

/** Logical lines: a statement continued by brackets or a backslash is one line. */
function logicalLines(source) {
  const lines = [];
  let current = "";
  let depth = 0;
  let inString = null;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      current += c;
      if (c === "\\") current += source[++i] ?? "";
      else if (c === inString) inString = null;
      continue;
    }
    if (c === '"' || c === "'") inString = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth = Math.max(0, depth - 1);
    if (c === "\\" && source[i + 1] === "\n") {
      i++;
      current += " ";
      continue;
    }
    if (c === "\n" && depth === 0) {
      if (current.trim()) lines.push(current.trim());
      current = "";
      continue;
    }
    current += c === "\n" ? " " : c;
  }
  if (current.trim()) lines.push(current.trim());
  return lines;
}

/** `from X import Y [as Z]` of a source, resolved to logical .vy paths (interfaces and built-ins skipped). */
function imports(logical, source) {
  const found = [];
  for (const line of logicalLines(stripComments(source))) {
    const m = /^from\s+([.\w]+)\s+import\s+(\w+)(?:\s+as\s+(\w+))?$/.exec(line);
    if (!m) continue;
    const [, from, name, alias] = m;
    if (from.startsWith("ethereum")) continue;
    let base;
    if (from.startsWith(".")) {
      const dots = from.match(/^\.+/)[0].length;
      base = posix.dirname(logical);
      for (let k = 1; k < dots; k++) base = posix.dirname(base);
      const rest = from.slice(dots);
      if (rest) base = posix.join(base, ...rest.split("."));
    } else {
      base = posix.join(...from.split("."));
    }
    if (base.split("/").includes("interfaces")) continue;
    found.push({ path: posix.join(base, `${name}.vy`), alias: alias ?? name });
  }
  return found;
}

/** The contract's own source and every module it imports, transitively. */
function closure(root, read) {
  const seen = new Map();
  const visit = (logical) => {
    if (seen.has(logical)) return;
    const text = read(logical);
    if (text === null) return; // an interface or a built-in
    seen.set(logical, text);
    for (const imp of imports(logical, text)) visit(imp.path);
  };
  visit(root);
  return seen;
}

function stringConstants(source) {
  const constants = {};
  for (const line of logicalLines(stripComments(source))) {
    const m = /^(\w+)\s*:\s*(?:public\()?constant\(String\[\d+\]\)\)?\s*=\s*"([^"]*)"$/.exec(line);
    if (m) constants[m[1]] = m[2];
  }
  return constants;
}

function splitArgs(text) {
  const args = [];
  let depth = 0;
  let current = "";
  let inString = null;
  for (const c of text) {
    if (inString) {
      current += c;
      if (c === inString) inString = null;
      continue;
    }
    if (c === '"' || c === "'") inString = c;
    if ("([".includes(c)) depth++;
    if (")]".includes(c)) depth--;
    if (c === "," && depth === 0) {
      args.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim()) args.push(current.trim());
  return args;
}

// ------------------------------------------------------------------------------------------------ revert reasons

const REASON = /^([a-z][a-z0-9_]*): (.+)$/;

function revertReasonsIn(source) {
  const reasons = [];
  for (const line of logicalLines(stripComments(source))) {
    if (!/^(assert|raise)\b/.test(line)) continue;
    const literals = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    const last = literals.at(-1);
    // assert <cond>, "<reason>" / raise "<reason>": the message is the statement's last literal.
    if (last !== undefined && line.trimEnd().endsWith(`"${last}"`) && REASON.test(last)) reasons.push(last);
  }
  return reasons;
}

function collectRevertReasons(contracts, closures) {
  const byReason = new Map();
  for (const name of contracts) {
    for (const [, text] of closures.get(name)) {
      for (const reason of revertReasonsIn(text)) {
        if (!byReason.has(reason)) byReason.set(reason, new Set());
        byReason.get(reason).add(name);
      }
    }
  }
  return [...byReason.keys()].sort().map((reason) => {
    const [, scope, detail] = REASON.exec(reason);
    return { reason, scope, detail, contracts: [...byReason.get(reason)].sort() };
  });
}

// ------------------------------------------------------------------------------------------------ EIP-712

const ENCODE_TYPE = /^([A-Z]\w*)\(([^()]*)\)/;

/** "Attestation(Job job,uint64 expiresAt)Job(uint256 modelId,...)" -> { Attestation: [...], Job: [...] } */
function parseEncodeType(text) {
  const structs = {};
  let rest = text;
  let primary = null;
  while (rest.length) {
    const m = ENCODE_TYPE.exec(rest);
    if (!m) return null;
    const fields = m[2] === "" ? [] : m[2].split(",").map((member) => {
      const parts = member.trim().split(/\s+/);
      if (parts.length !== 2) throw new Error(`cannot read EIP-712 member ${JSON.stringify(member)} in ${text}`);
      return { name: parts[1], type: parts[0] };
    });
    structs[m[1]] = fields;
    primary ??= m[1];
    rest = rest.slice(m[0].length);
  }
  return primary ? { primary, structs } : null;
}

function typeStringsIn(source) {
  const found = [];
  for (const m of stripComments(source).matchAll(/keccak256\(\s*"([^"]+)"\s*\)/g)) {
    const parsed = parseEncodeType(m[1]);
    if (parsed) found.push({ text: m[1], ...parsed });
  }
  return found;
}

/** The EIP-712 domain (name, version) a deployable contract initializes through a snekmate module, if any. */
function domainOf(name, logical, read) {
  const source = read(logical);
  const constants = stringConstants(source);
  const value = (arg) => {
    const literal = /^"([^"]*)"$/.exec(arg);
    if (literal) return literal[1];
    if (arg in constants) return constants[arg];
    throw new Error(`${name}: cannot resolve the EIP-712 domain argument ${arg}`);
  };
  const body = logicalLines(stripComments(source));
  for (const imp of imports(logical, source)) {
    const module = read(imp.path);
    if (module === null) continue;
    const init = logicalLines(stripComments(module)).find((l) => /^def __init__\(/.test(l));
    if (!init) continue;
    const params = splitArgs(init.slice(init.indexOf("(") + 1, init.lastIndexOf(")"))).map((p) => p.split(":")[0].trim());
    // snekmate's names: eip712_domain_separator(name_, version_); erc20/erc721(..., name_eip712_, version_eip712_)
    const nameAt = params.findIndex((p) => p === "name_eip712_" || (p === "name_" && params.includes("version_")));
    const versionAt = params.findIndex((p) => p === "version_eip712_" || p === "version_");
    if (nameAt < 0 || versionAt < 0) continue;
    const call = body.find((l) => l.startsWith(`${imp.alias}.__init__(`));
    if (!call) continue;
    const args = splitArgs(call.slice(call.indexOf("(") + 1, call.lastIndexOf(")")));
    return { name: value(args[nameAt]), version: value(args[versionAt]) };
  }
  return null;
}

function collectTypedData(contracts, closures, read, sourceIds) {
  const domains = {};
  const types = new Map(); // encodeType string -> { primary, structs, contracts }
  for (const name of contracts) {
    for (const [, text] of closures.get(name)) {
      // EIP712Domain is the domain's own type, which signTypedData derives from the domain.
      for (const t of typeStringsIn(text).filter((x) => x.primary !== "EIP712Domain")) {
        const entry = types.get(t.text) ?? { primary: t.primary, structs: t.structs, contracts: [] };
        if (!entry.contracts.includes(name)) entry.contracts.push(name);
        types.set(t.text, entry);
      }
    }
    if ([...types.values()].some((e) => e.contracts.includes(name))) domains[name] = domainOf(name, sourceIds[name], read);
  }
  // One export per type string: `ballotTypes`; a second Ballot with other members (an OpenZeppelin-style
  // variant, say) is named by the difference: `ballotTypesWithoutExpiry`.
  const firstOf = new Map();
  const capital = (s) => s[0].toUpperCase() + s.slice(1);
  for (const entry of types.values()) {
    const first = firstOf.get(entry.primary);
    if (!first) {
      firstOf.set(entry.primary, entry);
      entry.exportName = `${camel(entry.primary)}Types`;
      continue;
    }
    const names = (e) => e.structs[e.primary].map((f) => f.name);
    const extra = names(entry).filter((n) => !names(first).includes(n));
    const missing = names(first).filter((n) => !names(entry).includes(n));
    const suffix = extra.length ? `With${extra.map(capital).join("And")}`
      : missing.length ? `Without${missing.map(capital).join("And")}` : "V2";
    entry.exportName = `${camel(entry.primary)}Types${suffix}`;
  }
  return { domains, types: [...types.values()] };
}

// ------------------------------------------------------------------------------------------------ deployments

function readDeployments(dir, localFile) {
  // `<chain id>.json` is the deploy script's copy of `<ecosystem>-<network>.json`, keyed by chain id, and
  // `.journal-*` its resumable-deploy journal: read each deployment once, from its network-named file.
  const isDeployment = (f) => f.endsWith(".json") && !f.startsWith(".") && !/^\d+\.json$/.test(f);
  const files = existsSync(dir) ? readdirSync(dir).filter(isDeployment).map((f) => join(dir, f)) : [];
  const byChain = new Map();
  const warnings = [];
  for (const file of files.sort()) {
    const data = JSON.parse(readFileSync(file, "utf8"));
    if (localFile && data.chain_id === LOCAL_CHAIN_ID) continue;
    if (byChain.has(data.chain_id)) {
      throw new Error(`${file} and ${byChain.get(data.chain_id).file} both describe chain ${data.chain_id}`);
    }
    byChain.set(data.chain_id, { file, data });
  }
  if (localFile) byChain.set(LOCAL_CHAIN_ID, { file: localFile, data: JSON.parse(readFileSync(localFile, "utf8")) });
  const local = byChain.get(LOCAL_CHAIN_ID);
  if (local && local.data.deploy_block !== 1) {
    warnings.push(`${local.file}: chain ${LOCAL_CHAIN_ID} deployed from block ${local.data.deploy_block}, not on a ` +
      "fresh anvil; a fresh chain (make dapp) puts the contracts elsewhere");
  }
  return { entries: [...byChain.values()].sort((a, b) => a.data.chain_id - b.data.chain_id), warnings };
}

function deploymentEntry({ file, data }, contracts) {
  for (const key of ["chain_id", "ecosystem", "network", "deploy_block", "contracts"]) {
    if (!(key in data)) throw new Error(`${file} has no ${key}: is it a cidhub deployment file (ape run deploy)?`);
  }
  const entry = {
    chainId: data.chain_id,
    ecosystem: data.ecosystem,
    network: data.network,
    deployBlock: data.deploy_block,
    contracts: {},
  };
  for (const name of contracts) {
    const record = data.contracts[name];
    if (!record) continue;
    entry.contracts[name] = { address: record.address, blockNumber: record.block };
  }
  return entry;
}

// ------------------------------------------------------------------------------------------------ TypeScript output

const HEADER = (what) =>
  `// Generated by packages/contracts/scripts/generate.mjs from ${what}.\n` +
  "// Do not edit: rerun the generator (npm run generate in packages/contracts) after `ape compile`.\n\n";

const camel = (name) => name[0].toLowerCase() + name.slice(1);
const literal = (value, indent = 0) => JSON.stringify(value, null, 2).replace(/\n/g, `\n${" ".repeat(indent)}`);

function renderAbis(manifest, contracts) {
  let out = HEADER(".build/__local__.json (the compiled contracts)");
  for (const name of contracts) {
    out += `/** ${name} (contracts/${name}.vy). */\nexport const ${camel(name)}Abi = ${literal(manifest.contractTypes[name].abi)} as const;\n\n`;
  }
  out += "/** Every deployable contract's ABI by contract name. */\nexport const abis = {\n";
  out += contracts.map((n) => `  ${n}: ${camel(n)}Abi,`).join("\n");
  out += "\n} as const;\n\n/** The names of the deployable contracts. */\n";
  out += `export const contractNames = ${literal(contracts)} as const;\n\nexport type ContractName = (typeof contractNames)[number];\n`;
  return out;
}

function renderDeployments(entries, contracts) {
  let out = HEADER("deployments/*.json (written by `ape run deploy`)");
  out += "/** Where the suite is deployed, by chain id: addresses and the blocks they were deployed in. */\n";
  out += "export const deployments = {\n";
  for (const e of entries) {
    const entry = deploymentEntry(e, contracts);
    out += `  /** ${basename(e.file)} */\n  ${entry.chainId}: ${literal(entry, 2)},\n`;
  }
  out += "} as const;\n";
  return out;
}

function renderTypedData({ domains, types }) {
  let out = HEADER("the contracts' EIP-712 type strings (keccak256(\"Type(...)\") in contracts/ and snekmate)");
  out += "/** The EIP-712 domain (name, version) each contract signs under; chainId and verifyingContract are the\n";
  out += " * deployment's (see `eip712Domain`). */\nexport const eip712Domains = {\n";
  for (const [name, domain] of Object.entries(domains)) {
    if (domain) out += `  ${name}: { name: ${JSON.stringify(domain.name)}, version: ${JSON.stringify(domain.version)} },\n`;
  }
  out += "} as const;\n\n";
  const table = [];
  for (const { primary, structs, contracts, exportName } of types) {
    const signer = contracts.find((c) => domains[c]) ?? null;
    table.push(`  ${exportName}: { primaryType: ${JSON.stringify(primary)}, domain: ${JSON.stringify(signer)} },`);
    out += `/** EIP-712 types of ${primary} (${contracts.join(", ")}${signer ? `; signed under ${signer}'s domain` : "; hashed without a domain"}),\n`;
    out += " * as viem's signTypedData / hashTypedData / hashStruct take them. */\n";
    const body = Object.entries(structs).map(([struct, fields]) =>
      `  ${struct}: [\n${fields.map((f) => `    { name: ${JSON.stringify(f.name)}, type: ${JSON.stringify(f.type)} },`).join("\n")}\n  ],`);
    out += `export const ${exportName} = {\n${body.join("\n")}\n} as const;\n\n`;
  }
  out += "/** Each types export: its primary type and the contract whose EIP-712 domain it is signed under (null: a\n";
  out += " * struct hash only, as the job hash). */\n";
  out += `export const typedDataDefinitions = {\n${table.join("\n")}\n} as const;\n`;
  return out;
}

function renderRevertReasons(reasons) {
  let out = HEADER("every `assert ..., \"scope: what\"` and `raise \"...\"` in the deployable contracts and the modules they import");
  out += "/** Every revert reason a deployed contract can give, with the contracts that can give it. */\n";
  out += `export const revertReasons = ${literal(reasons)} as const;\n\n`;
  out += "export type RevertReason = (typeof revertReasons)[number][\"reason\"];\n";
  out += "export type RevertScope = (typeof revertReasons)[number][\"scope\"];\n";
  return out;
}

// ------------------------------------------------------------------------------------------------ constants

/** Enumerations a dApp shows, read from the contracts' constants. */
function collectConstants(read, sourceIds) {
  const grab = (contract, pattern, what) => {
    const source = sourceIds[contract] && read(sourceIds[contract]);
    const found = source ? [...stripComments(source).matchAll(pattern)].map((m) => [m[1].toLowerCase(), Number(m[2])]) : [];
    if (!found.length) throw new Error(`no ${what} constants found in ${contract}`);
    const names = [];
    for (const [name, value] of found) names[value] = name;
    if (names.some((n) => n === undefined) || names.length !== found.length) {
      throw new Error(`${contract}'s ${what} constants are not numbered 0..n-1`);
    }
    return names;
  };
  return {
    // AssetRegistry: KIND_DATASET: public(constant(uint8)) = 0, ...
    assetKinds: grab("AssetRegistry", /^KIND_(\w+): public\(constant\(uint8\)\) = (\d+)$/gm, "KIND_*"),
    // HubGovernor: OpenZeppelin's ProposalState ordinals, _PENDING: constant(uint8) = 0, ...
    proposalStates: grab("HubGovernor",
      /^_(PENDING|ACTIVE|CANCELED|DEFEATED|SUCCEEDED|QUEUED|EXPIRED|EXECUTED): constant\(uint8\) = (\d+)$/gm, "proposal state"),
    // HubGovernor: vote types, _AGAINST: constant(uint8) = 0, ...
    voteTypes: grab("HubGovernor", /^_(AGAINST|FOR|ABSTAIN): constant\(uint8\) = (\d+)$/gm, "vote type"),
  };
}

function renderConstants(constants) {
  let out = HEADER("the contracts' constants (AssetRegistry KIND_*, HubGovernor's proposal states and vote types)");
  const doc = {
    assetKinds: "Asset kinds by their number in the AssetRegistry (`asset(id).kind`).",
    proposalStates: "HubGovernor's `state(id)` values (OpenZeppelin's ProposalState order).",
    voteTypes: "HubGovernor's `support` values.",
  };
  for (const [name, values] of Object.entries(constants)) {
    out += `/** ${doc[name]} */\nexport const ${name} = ${JSON.stringify(values)} as const;\n\n`;
  }
  return out.trimEnd() + "\n";
}

// ------------------------------------------------------------------------------------------------ main

export function generate({ artifacts, deploymentsDir, localFile }) {
  const { manifest, searchPaths } = loadArtifacts(artifacts);
  const contracts = deployableContracts(manifest);
  const read = sourceReader(manifest, searchPaths);
  const sourceIds = Object.fromEntries(contracts.map((n) => [n, manifest.contractTypes[n].sourceId]));
  const closures = new Map(contracts.map((n) => [n, closure(sourceIds[n], read)]));
  const { entries, warnings } = readDeployments(deploymentsDir, localFile);
  return {
    warnings,
    files: {
      "abis.ts": renderAbis(manifest, contracts),
      "deployments.ts": renderDeployments(entries, contracts),
      "typedData.ts": renderTypedData(collectTypedData(contracts, closures, read, sourceIds)),
      "revertReasons.ts": renderRevertReasons(collectRevertReasons(contracts, closures)),
      "constants.ts": renderConstants(collectConstants(read, sourceIds)),
    },
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      artifacts: { type: "string", default: join(REPO_ROOT, ".build", "__local__.json") },
      deployments: { type: "string", default: join(REPO_ROOT, "deployments") },
      local: { type: "string" },
      out: { type: "string", default: join(PACKAGE_DIR, "src", "generated") },
      check: { type: "boolean", default: false },
    },
  });
  let result;
  try {
    result = generate({ artifacts: values.artifacts, deploymentsDir: values.deployments, localFile: values.local });
  } catch (error) {
    console.error(`error: ${error.message}`);
    return 2;
  }
  for (const w of result.warnings) console.error(`warning: ${w}`);
  const stale = [];
  for (const [file, text] of Object.entries(result.files)) {
    const path = join(values.out, file);
    const current = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (current === text) continue;
    stale.push(relative(process.cwd(), path));
    if (!values.check) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(path, text);
    }
  }
  if (values.check) {
    for (const s of stale) {
      console.error(`${s} differs from what the compiled contracts and deployments give: run ` +
        "node packages/contracts/scripts/generate.mjs (after ape compile, with a fresh anvil deployment for 31337)");
    }
    return stale.length ? 1 : 0;
  }
  console.log(stale.length ? `wrote ${stale.join(", ")}` : "src/generated is up to date");
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
