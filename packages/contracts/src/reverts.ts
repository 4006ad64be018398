import { revertReasons, type RevertReason, type RevertScope } from "./generated/revertReasons.js";

const KNOWN: ReadonlySet<string> = new Set(revertReasons.map((r) => r.reason));

/** Who speaks in a revert reason's sentence, by the reason's scope ("market: ..." -> the marketplace). */
const SUBJECTS: Record<RevertScope, string> = {
  access_control: "The contract",
  attest: "The compute attestation hub",
  cid: "The registry's CID parser",
  ecdsa: "The signature check",
  erc20: "The HUB token",
  erc721: "The asset registry",
  governor: "The governor",
  market: "The marketplace",
  ownable: "The HUB token",
  registry: "The asset registry",
  timelock_controller: "The DAO's timelock",
  token: "The HUB token",
  votes: "The HUB token",
};

/**
 * Sentences for the reasons a dApp user meets most. Every other reason gets a sentence from its scope and text
 * ("The marketplace refused: cap too large."). Keyed by RevertReason, so a reason that disappears from the contracts
 * fails the type check here.
 */
const SENTENCES: Partial<Record<RevertReason, string>> = {
  "access_control: account is missing role": "Your account does not hold the role this action needs.",
  "erc20: insufficient allowance": "The token allowance is too small: approve the amount first.",
  "erc20: transfer amount exceeds balance": "Your token balance is too small for this payment.",
  "governor: invalid signature": "The ballot's signature does not match the voter.",
  "governor: signature expired": "The signed ballot has expired: sign it again.",
  "governor: vote already cast": "This account has already voted on the proposal.",
  "governor: vote not currently active": "Voting on this proposal is not open now.",
  "governor: proposer votes below threshold": "You need more delegated votes to make a proposal.",
  "governor: timelock delay not over": "The proposal is queued, but its timelock delay is not over yet.",
  "market: already licensed for ever": "This account already holds a perpetual licence for the asset.",
  "market: asset delisted": "The asset was delisted by the curators, so its licences are not for sale.",
  "market: caller is not the asset owner": "Only the asset's owner can do this.",
  "market: ether sent to a token offer": "This offer is paid in a token, not in ETH.",
  "market: fee-on-transfer token": "The payment token takes a fee on transfer, which the marketplace refuses.",
  "market: nothing to distribute": "There is no revenue waiting to be settled for this asset.",
  "market: nothing to sweep": "No royalties are waiting at this asset's receiver in this currency.",
  "market: nothing to withdraw": "You have nothing to withdraw in this currency.",
  "market: offer expired": "The offer's sale window has closed.",
  "market: offer not active": "The offer is no longer active.",
  "market: offer not started": "The offer's sale window has not opened yet.",
  "market: offer sold out": "Every licence of this offer has been sold.",
  "market: provenance mismatch": "The parents given do not match the asset's registered provenance.",
  "market: token transfer failed": "The token payment failed: check your balance and allowance.",
  "market: unsupported token": "The marketplace does not accept this token.",
  "market: wrong payment amount": "The amount sent differs from the offer's price.",
  "market: zero licensee": "A licence needs a licensee address.",
  "registry: caller is not owner nor approved": "Only the asset's owner (or an approved operator) can do this.",
  "registry: cid already registered": "This content is already registered as an asset.",
  "registry: unknown asset": "There is no asset with this id.",
  "votes: invalid nonce": "The signature uses an old nonce: sign again.",
  "votes: signature expired": "The signed delegation has expired: sign it again.",
};

/** Is `text` one of the revert reasons the deployed contracts can give? */
export function isRevertReason(text: string): text is RevertReason {
  return KNOWN.has(text);
}

/** A plain sentence for a contract's revert reason (any "scope: what" string; unknown ones are quoted). */
export function describeRevertReason(reason: string): string {
  const curated = SENTENCES[reason as RevertReason];
  if (curated) return curated;
  const m = /^([a-z][a-z0-9_]*): (.+)$/.exec(reason);
  if (!m) return `The contract refused the transaction: ${reason}.`;
  const subject = SUBJECTS[m[1] as RevertScope] ?? "The contract";
  const what = m[2].replace(/[.\s]+$/, "");
  return `${subject} refused the transaction: ${what}.`;
}

type ErrorLike = {
  name?: unknown;
  code?: unknown;
  reason?: unknown;
  shortMessage?: unknown;
  details?: unknown;
  message?: unknown;
  cause?: unknown;
  data?: unknown;
};

function* errorChain(error: unknown): Generator<ErrorLike> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    yield current as ErrorLike;
    current = (current as ErrorLike).cause;
  }
}

const texts = (e: ErrorLike): string[] => {
  const out: string[] = [];
  for (const value of [e.reason, e.details, e.shortMessage, e.message]) if (typeof value === "string") out.push(value);
  const data = e.data as { args?: unknown[]; message?: unknown } | undefined;
  if (data && Array.isArray(data.args) && typeof data.args[0] === "string") out.push(data.args[0]);
  if (data && typeof data.message === "string") out.push(data.message);
  return out;
};

/**
 * The revert reason carried by an error from viem (ContractFunctionRevertedError's `reason`), a wallet or the node
 * ("execution reverted: market: offer sold out"), or undefined if it carries none. Known reasons are preferred.
 */
export function revertReasonOf(error: unknown): string | undefined {
  let fallback: string | undefined;
  for (const e of errorChain(error)) {
    if (typeof e.reason === "string" && e.reason) {
      if (isRevertReason(e.reason)) return e.reason;
      fallback ??= e.reason;
    }
    for (const text of texts(e)) {
      for (const r of revertReasons) if (text.includes(r.reason)) return r.reason;
      const m = /reverted(?: with reason string)?:?\s*'?"?([a-z][a-z0-9_]*: [^'"\n]+?)['"]?(?:\n|$)/.exec(text);
      if (m) fallback ??= m[1].trim();
    }
  }
  return fallback;
}

/** Any error from sending or simulating a transaction through viem and a wallet, as one sentence for a person. */
export function explainError(error: unknown): string {
  const reason = revertReasonOf(error);
  if (reason) return describeRevertReason(reason);
  for (const e of errorChain(error)) {
    const name = typeof e.name === "string" ? e.name : "";
    const all = texts(e).join(" ").toLowerCase();
    if (e.code === 4001 || name === "UserRejectedRequestError" || /user (rejected|denied)/.test(all)) {
      return "You declined the request in your wallet.";
    }
    if (name === "ChainMismatchError" || /chain mismatch|does not match the target chain/.test(all)) {
      return "Your wallet is on another network than this page: switch networks and try again.";
    }
    if (name === "InsufficientFundsError" || /insufficient funds/.test(all)) {
      return "Your account does not have enough ETH for this payment and its gas.";
    }
    if (e.code === 4100 || name === "UnauthorizedProviderError") {
      return "Your wallet has not given this page access to the account: connect it first.";
    }
    if (name === "HttpRequestError" || /failed to fetch|fetch failed|networkerror|econnrefused/.test(all)) {
      return "The wallet's network could not be reached: check its RPC endpoint.";
    }
    if (name === "ContractFunctionRevertedError" || /execution reverted/.test(all)) {
      return "The contract refused the transaction without giving a reason.";
    }
  }
  const first = [...errorChain(error)][0];
  const message = first ? (typeof first.shortMessage === "string" ? first.shortMessage : String(first.message ?? "")) : "";
  return message ? `Something went wrong: ${message}` : "Something went wrong.";
}
