import { Address, BigInt } from "@graphprotocol/graph-ts";
import { CallExecuted, CallSalt, CallScheduled, Cancelled, MinimumDelayChange } from "../generated/HubTimelock/HubTimelock";
import { Timelock, TimelockOperation } from "../generated/schema";

// HubTimelock (snekmate's timelock_controller): the operations it schedules, executes and cancels.
// The governor's are linked to their proposal when it is queued (governor.ts).

function ensureTimelock(address: Address): Timelock {
  let timelock = Timelock.load(address);
  if (timelock == null) {
    timelock = new Timelock(address);
    timelock.minDelay = BigInt.zero();
    timelock.save();
  }
  return timelock;
}

export function handleCallScheduled(event: CallScheduled): void {
  let p = event.params;
  let operation = TimelockOperation.load(p.id);
  if (operation != null) {
    // Another call of the same batch (schedule_batch logs one CallScheduled per call).
    operation.callCount += 1;
    operation.save();
    return;
  }
  operation = new TimelockOperation(p.id);
  operation.timelock = ensureTimelock(event.address).id;
  operation.target = p.target;
  operation.value = p.amount;
  operation.data = p.payload;
  operation.callCount = 1;
  operation.predecessor = p.predecessor;
  operation.delay = p.delay;
  operation.status = "SCHEDULED";
  operation.readyAt = event.block.timestamp.plus(p.delay);
  operation.scheduledAt = event.block.timestamp;
  operation.scheduledTransaction = event.transaction.hash;
  operation.save();
}

export function handleCallSalt(event: CallSalt): void {
  let operation = TimelockOperation.load(event.params.id);
  if (operation == null) return;
  operation.salt = event.params.salt;
  operation.save();
}

export function handleCallExecuted(event: CallExecuted): void {
  let operation = TimelockOperation.load(event.params.id);
  if (operation == null) return;
  operation.status = "EXECUTED";
  operation.executedAt = event.block.timestamp;
  operation.executedTransaction = event.transaction.hash;
  operation.save();
}

export function handleCancelled(event: Cancelled): void {
  let operation = TimelockOperation.load(event.params.id);
  if (operation == null) return;
  operation.status = "CANCELLED";
  operation.cancelledAt = event.block.timestamp;
  operation.cancelledTransaction = event.transaction.hash;
  operation.save();
}

export function handleMinimumDelayChange(event: MinimumDelayChange): void {
  let timelock = ensureTimelock(event.address);
  timelock.minDelay = event.params.new_duration;
  timelock.save();
}
