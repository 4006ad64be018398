import { Address } from "@graphprotocol/graph-ts";
import { ConsumerNotified, JobAccepted, VerifierApprovalChanged } from "../generated/ComputeAttestations/ComputeAttestations";
import { Asset, ConsumerNotification, Job, Verifier, VerifierApprovalChange } from "../generated/schema";
import { assetKey, ensureAccount, eventId } from "./helpers";

function ensureVerifier(address: Address): Verifier {
  let verifier = Verifier.load(address);
  if (verifier == null) {
    verifier = new Verifier(address);
    verifier.approved = false;
    verifier.save();
  }
  return verifier;
}

// The result asset, its parents (model first, then the datasets) and shares were indexed from
// the registry's events earlier in the same transaction.
export function handleJobAccepted(event: JobAccepted): void {
  let p = event.params;
  let result = assetKey(p.result_id);
  let job = new Job(p.job_hash);
  job.result = result;
  job.verifier = ensureVerifier(p.verifier).id;
  job.paramsCid = p.params_cid;
  job.metadataCid = p.metadata_cid;
  job.submitter = ensureAccount(event.transaction.from).id;
  job.blockNumber = event.block.number;
  job.timestamp = event.block.timestamp;
  job.transactionHash = event.transaction.hash;
  job.save();

  let asset = Asset.load(result);
  if (asset != null) {
    asset.metadataCid = p.metadata_cid;
    asset.save();
  }
}

export function handleConsumerNotified(event: ConsumerNotified): void {
  let notification = new ConsumerNotification(eventId(event));
  notification.job = event.params.job_hash;
  notification.consumer = event.params.consumer;
  notification.success = event.params.success;
  notification.blockNumber = event.block.number;
  notification.transactionHash = event.transaction.hash;
  notification.save();
}

export function handleVerifierApprovalChanged(event: VerifierApprovalChanged): void {
  let verifier = ensureVerifier(event.params.verifier);
  verifier.approved = event.params.approved;
  verifier.save();

  let change = new VerifierApprovalChange(eventId(event));
  change.verifier = verifier.id;
  change.approved = event.params.approved;
  change.manager = event.params.manager;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();
}
