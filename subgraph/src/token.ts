import { Address, BigInt } from "@graphprotocol/graph-ts";
import { DelegateChanged, DelegateVotesChanged, Transfer } from "../generated/HubToken/HubToken";
import { DelegateChange, GovernanceToken, TokenHolder, VotingPowerChange } from "../generated/schema";
import { ensureDelegate, eventId } from "./helpers";

// HubToken: balances, delegation and voting power (EIP-5805), as governance tools show delegates.

function ensureToken(address: Address): GovernanceToken {
  let token = GovernanceToken.load(address);
  if (token == null) {
    token = new GovernanceToken(address);
    token.totalSupply = BigInt.zero();
    token.delegatedVotes = BigInt.zero();
  }
  return token;
}

function ensureHolder(address: Address): TokenHolder {
  let holder = TokenHolder.load(address);
  if (holder == null) {
    holder = new TokenHolder(address);
    holder.balance = BigInt.zero();
  }
  return holder;
}

export function handleTransfer(event: Transfer): void {
  let p = event.params;
  let token = ensureToken(event.address);
  if (p.sender == Address.zero()) token.totalSupply = token.totalSupply.plus(p.value);
  else {
    let from = ensureHolder(p.sender);
    from.balance = from.balance.minus(p.value);
    from.save();
  }
  if (p.receiver == Address.zero()) token.totalSupply = token.totalSupply.minus(p.value);
  else {
    let to = ensureHolder(p.receiver);
    to.balance = to.balance.plus(p.value);
    to.save();
  }
  token.save();
}

export function handleDelegateChanged(event: DelegateChanged): void {
  let p = event.params;
  let holder = ensureHolder(p.delegator);
  if (p.from_delegate != Address.zero()) {
    let previous = ensureDelegate(p.from_delegate);
    previous.delegatorCount -= 1;
    previous.save();
  }
  if (p.to_delegate != Address.zero()) {
    let next = ensureDelegate(p.to_delegate);
    next.delegatorCount += 1;
    next.save();
    holder.delegate = next.id;
  } else {
    holder.delegate = null;
  }
  holder.save();

  let change = new DelegateChange(eventId(event));
  change.delegator = holder.id;
  change.fromDelegate = p.from_delegate;
  change.toDelegate = p.to_delegate;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();
}

export function handleDelegateVotesChanged(event: DelegateVotesChanged): void {
  let p = event.params;
  let delegate = ensureDelegate(p.delegate);
  delegate.votingPower = p.new_votes;
  delegate.save();

  let token = ensureToken(event.address);
  token.delegatedVotes = token.delegatedVotes.plus(p.new_votes).minus(p.previous_votes);
  token.save();

  let change = new VotingPowerChange(eventId(event));
  change.delegate = delegate.id;
  change.previousVotes = p.previous_votes;
  change.newVotes = p.new_votes;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();
}

