import { Address, BigInt, Bytes, crypto, ethereum, log } from "@graphprotocol/graph-ts";
import {
  HubGovernor,
  ProposalCanceled,
  ProposalCreated,
  ProposalExecuted,
  ProposalQueued,
  ProposalThresholdSet,
  QuorumNumeratorUpdated,
  TimelockChange,
  VoteCast,
  VotingDelaySet,
  VotingPeriodSet,
} from "../generated/HubGovernor/HubGovernor";
import { Governor, GovernorSettingChange, Proposal, ProposalAction, TimelockOperation, Vote } from "../generated/schema";
import { ensureDelegate, eventId } from "./helpers";
import { GRACE_PERIOD, operationPreimage, saltPreimage, titleOf } from "./operation";
import { toBytes32 } from "./record";

// HubGovernor: proposals, their actions, tallies and votes, and the governor's settings.

const SUPPORT = ["AGAINST", "FOR", "ABSTAIN"];
const ZERO_WORD = new Uint8Array(32);

function ensureGovernor(address: Address): Governor {
  let governor = Governor.load(address);
  if (governor == null) {
    governor = new Governor(address);
    governor.timelock = Address.zero();
    governor.votingDelay = BigInt.zero();
    governor.votingPeriod = BigInt.zero();
    governor.proposalThreshold = BigInt.zero();
    governor.quorumNumerator = BigInt.zero();
    governor.proposalCount = 0;
  }
  return governor;
}

function proposalKey(proposalId: BigInt): Bytes {
  return Bytes.fromUint8Array(toBytes32(proposalId));
}

function actionKey(proposal: Bytes, index: i32): Bytes {
  return proposal.concatI32(index);
}

function settingChange(event: ethereum.Event, setting: string): GovernorSettingChange {
  let change = new GovernorSettingChange(eventId(event));
  change.governor = event.address;
  change.setting = setting;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  return change;
}

export function handleProposalCreated(event: ProposalCreated): void {
  let p = event.params;
  let governor = ensureGovernor(event.address);
  governor.proposalCount += 1;
  governor.save();

  let key = proposalKey(p.proposal_id);
  let proposal = new Proposal(key);
  proposal.proposalId = p.proposal_id;
  proposal.governor = governor.id;
  proposal.proposer = ensureDelegate(p.proposer).id;
  proposal.title = titleOf(p.description);
  proposal.description = p.description;
  proposal.actionCount = p.targets.length;
  proposal.voteStart = p.vote_start;
  proposal.voteEnd = p.vote_end;
  // The governor keeps the quorum fraction in force at proposal time for each proposal.
  proposal.quorumNumerator = governor.quorumNumerator;
  proposal.status = "CREATED";
  proposal.forVotes = BigInt.zero();
  proposal.againstVotes = BigInt.zero();
  proposal.abstainVotes = BigInt.zero();
  proposal.voteCount = 0;
  proposal.createdAtBlock = event.block.number;
  proposal.createdAt = event.block.timestamp;
  proposal.createdTransaction = event.transaction.hash;
  proposal.save();

  for (let i = 0; i < p.targets.length; i++) {
    let action = new ProposalAction(actionKey(key, i));
    action.proposal = key;
    action.index = i;
    action.target = p.targets[i];
    action.value = p.values[i];
    let calldata = p.calldatas[i];
    action.calldata = calldata;
    action.selector = calldata.length >= 4 ? Bytes.fromUint8Array(calldata.subarray(0, 4)) : null;
    action.save();
  }
}

export function handleVoteCast(event: VoteCast): void {
  let p = event.params;
  let key = proposalKey(p.proposal_id);
  let proposal = Proposal.load(key);
  if (proposal == null) {
    log.warning("VoteCast for unknown proposal {}", [p.proposal_id.toString()]);
    return;
  }
  let voter = ensureDelegate(p.voter);
  let vote = new Vote(key.concat(p.voter));
  vote.proposal = key;
  vote.voter = voter.id;
  let support = p.support as i32;
  vote.support = support < SUPPORT.length ? SUPPORT[support] : "ABSTAIN";
  vote.weight = p.weight;
  vote.reason = p.reason;
  vote.blockNumber = event.block.number;
  vote.timestamp = event.block.timestamp;
  vote.transactionHash = event.transaction.hash;
  vote.save();

  if (support == 0) proposal.againstVotes = proposal.againstVotes.plus(p.weight);
  else if (support == 1) proposal.forVotes = proposal.forVotes.plus(p.weight);
  else proposal.abstainVotes = proposal.abstainVotes.plus(p.weight);
  proposal.voteCount += 1;
  if (proposal.quorum === null) {
    // Votes are only cast after the snapshot, so the quorum (a past total supply) can be read now.
    let quorum = HubGovernor.bind(event.address).try_proposal_quorum(p.proposal_id);
    if (quorum.reverted) log.warning("proposal_quorum({}) reverted", [p.proposal_id.toString()]);
    else proposal.quorum = quorum.value;
  }
  proposal.save();
}

export function handleProposalQueued(event: ProposalQueued): void {
  let p = event.params;
  let key = proposalKey(p.proposal_id);
  let proposal = Proposal.load(key);
  if (proposal == null) {
    log.warning("ProposalQueued for unknown proposal {}", [p.proposal_id.toString()]);
    return;
  }
  proposal.status = "QUEUED";
  proposal.eta = p.eta_seconds;
  proposal.expiresAt = p.eta_seconds.plus(BigInt.fromI64(GRACE_PERIOD));
  proposal.queuedAt = event.block.timestamp;
  proposal.queuedTransaction = event.transaction.hash;
  proposal.save();

  // Each action is its own timelock operation, scheduled just before this event with the salt
  // keccak256(abi.encode(governor, proposalId, index)): find them by their ids.
  for (let i = 0; i < proposal.actionCount; i++) {
    let action = ProposalAction.load(actionKey(key, i));
    if (action == null) continue;
    let salt = crypto.keccak256(Bytes.fromUint8Array(saltPreimage(event.address, p.proposal_id, i)));
    let id = crypto.keccak256(Bytes.fromUint8Array(operationPreimage(action.target, action.value, action.calldata, ZERO_WORD, salt)));
    let operation = TimelockOperation.load(Bytes.fromUint8Array(id));
    if (operation == null) {
      log.warning("no timelock operation {} for action {} of proposal {}", [id.toHexString(), i.toString(), p.proposal_id.toString()]);
      continue;
    }
    operation.proposal = key;
    operation.actionIndex = i;
    operation.save();
  }
}

export function handleProposalExecuted(event: ProposalExecuted): void {
  let proposal = Proposal.load(proposalKey(event.params.proposal_id));
  if (proposal == null) return;
  proposal.status = "EXECUTED";
  proposal.executedAt = event.block.timestamp;
  proposal.executedTransaction = event.transaction.hash;
  proposal.save();
}

export function handleProposalCanceled(event: ProposalCanceled): void {
  let proposal = Proposal.load(proposalKey(event.params.proposal_id));
  if (proposal == null) return;
  proposal.status = "CANCELED";
  proposal.canceledAt = event.block.timestamp;
  proposal.canceledTransaction = event.transaction.hash;
  proposal.save();
}

export function handleVotingDelaySet(event: VotingDelaySet): void {
  let governor = ensureGovernor(event.address);
  governor.votingDelay = event.params.new_voting_delay;
  governor.save();
  let change = settingChange(event, "VOTING_DELAY");
  change.oldValue = event.params.old_voting_delay;
  change.newValue = event.params.new_voting_delay;
  change.save();
}

export function handleVotingPeriodSet(event: VotingPeriodSet): void {
  let governor = ensureGovernor(event.address);
  governor.votingPeriod = event.params.new_voting_period;
  governor.save();
  let change = settingChange(event, "VOTING_PERIOD");
  change.oldValue = event.params.old_voting_period;
  change.newValue = event.params.new_voting_period;
  change.save();
}

export function handleProposalThresholdSet(event: ProposalThresholdSet): void {
  let governor = ensureGovernor(event.address);
  governor.proposalThreshold = event.params.new_proposal_threshold;
  governor.save();
  let change = settingChange(event, "PROPOSAL_THRESHOLD");
  change.oldValue = event.params.old_proposal_threshold;
  change.newValue = event.params.new_proposal_threshold;
  change.save();
}

export function handleQuorumNumeratorUpdated(event: QuorumNumeratorUpdated): void {
  let governor = ensureGovernor(event.address);
  governor.quorumNumerator = event.params.new_quorum_numerator;
  governor.save();
  let change = settingChange(event, "QUORUM_NUMERATOR");
  change.oldValue = event.params.old_quorum_numerator;
  change.newValue = event.params.new_quorum_numerator;
  change.save();
}

export function handleTimelockChange(event: TimelockChange): void {
  let governor = ensureGovernor(event.address);
  governor.timelock = event.params.new_timelock;
  governor.save();
  let change = settingChange(event, "TIMELOCK");
  change.oldTimelock = event.params.old_timelock;
  change.newTimelock = event.params.new_timelock;
  change.save();
}
