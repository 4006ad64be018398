import { Address, BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";
import { Account, Delegate } from "../generated/schema";
import { toBytes32 } from "./record";

// 10_000 basis points: the Marketplace's MAX_BPS.
export const MAX_BPS = BigInt.fromI32(10000);

// An asset's entity id: the uint256 asset id as 32 big-endian bytes.
export function assetKey(assetId: BigInt): Bytes {
  return Bytes.fromUint8Array(toBytes32(assetId));
}

// Id of an entity recorded once per event: transaction hash ++ log index.
export function eventId(event: ethereum.Event): Bytes {
  return event.transaction.hash.concatI32(event.logIndex.toI32());
}

export function ensureAccount(address: Address): Account {
  let account = Account.load(address);
  if (account == null) {
    account = new Account(address);
    account.save();
  }
  return account;
}

// Two ids joined (asset ++ account, asset ++ token, ...).
export function pairKey(a: Bytes, b: Bytes): Bytes {
  return a.concat(b);
}

// A delegate of the DAO (an address that holds, held or cast votes), created with no voting power.
export function ensureDelegate(address: Address): Delegate {
  let delegate = Delegate.load(address);
  if (delegate == null) {
    delegate = new Delegate(address);
    delegate.votingPower = BigInt.zero();
    delegate.delegatorCount = 0;
    delegate.save();
  }
  return delegate;
}
