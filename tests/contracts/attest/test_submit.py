"""`submit` and `check_job`: a job accepted through its verifier registers its output as a
result asset derived from the model and the datasets; every bad job reverts with its reason."""

from __future__ import annotations

import ape
import pytest

from cidhub.chain.provenance import parents_of
from cidhub.chain.registry import Kind
from cidhub.content.cid import cid_to_bytes, make_cid

from .helpers import ZERO_ADDRESS, fresh_cid


def test_submit__signed_job__registers_result_with_provenance(hub, registry, make_job, submit_signed, model, dataset,
                                                               buyer, signed):
    job = make_job()

    tx = submit_signed(job)

    result_id = job.output_id
    assert tx.return_value == result_id
    asset = registry.asset(result_id)
    assert (asset.owner, asset.kind, asset.licence_id, asset.royalty_bps) == (buyer.address, Kind.RESULT, 4, 300)
    assert bytes(asset.content_cid) == cid_to_bytes(job.output_cid)
    assert bytes(asset.metadata_cid) == cid_to_bytes(job.metadata_cid)
    assert [(p.asset_id, p.share_bps) for p in parents_of(registry, result_id)] == [(model, 2_000), (dataset, 1_000)]
    (event,) = tx.decode_logs(hub.JobAccepted)
    assert bytes(event.job_hash) == job.struct_hash()
    assert (event.result_id, event.verifier) == (result_id, signed.address)
    assert bytes(event.params_cid) == cid_to_bytes(job.params_cid)
    assert bytes(event.metadata_cid) == cid_to_bytes(job.metadata_cid)
    assert not tx.decode_logs(hub.ConsumerNotified)


def test_submit__many_datasets__parents_in_job_order(registry, make_job, submit_signed, new_asset, model):
    datasets = [new_asset() for _ in range(8)]
    job = make_job(dataset_ids=datasets, dataset_shares_bps=[100, 200, 300, 400, 500, 600, 700, 800],
                   model_share_bps=1_400)

    submit_signed(job)

    parents = [(p.asset_id, p.share_bps) for p in parents_of(registry, job.output_id)]
    assert parents == [(model, 1_400), *zip(datasets, [100, 200, 300, 400, 500, 600, 700, 800], strict=True)]


def test_submit__result_of_earlier_job_as_input__pipeline(registry, make_job, submit_signed):
    first = make_job()
    submit_signed(first)

    second = make_job(dataset_ids=[first.output_id])
    submit_signed(second)

    assert [p.asset_id for p in parents_of(registry, second.output_id)][1] == first.output_id


def test_submit__non_sha256_output_cid__id_is_keccak_of_multihash(registry, make_job, submit_signed):
    output = make_cid(1, "raw", b"\x5a" * 32, "blake3")
    job = make_job(output_cid=output)

    tx = submit_signed(job)

    assert tx.return_value == job.output_id == registry.asset_id_of(cid_to_bytes(output))


def test_check_job__valid__returns_what_the_verifier_sees(hub, make_job, model, dataset):
    job = make_job()

    ref = hub.check_job(job.as_args())

    assert bytes(ref.job_hash) == job.struct_hash()
    assert (ref.model_id, list(ref.dataset_ids), ref.params_key, ref.output_id) == (
        model, [dataset], job.params_key, job.output_id)


# ---------------------------------------------------------------- bad jobs: `submit` and `check_job` agree


@pytest.fixture(scope="module")
def bad_assets(registry, creator, curator):
    """Assets a job must not use, registered once before the module's snapshot."""

    def register(kind, owner=creator) -> int:
        tx = registry.register(cid_to_bytes(fresh_cid()), int(kind), cid_to_bytes(fresh_cid()), 0, [], [], 0,
                               sender=owner)
        return tx.decode_logs(registry.AssetRegistered)[0].asset_id

    assets = {"dataset": register(Kind.DATASET), "code": register(Kind.CODE),
              "delisted_model": register(Kind.MODEL), "delisted_data": register(Kind.DATASET)}
    for name in ("delisted_model", "delisted_data"):
        registry.delist(assets[name], cid_to_bytes(fresh_cid()), sender=curator)
    registered = fresh_cid()
    registry.register(cid_to_bytes(registered), 0, cid_to_bytes(fresh_cid()), 0, [], [], 0, sender=creator)
    assets["registered_cid"] = registered
    return assets


@pytest.fixture(scope="module", autouse=True)
def _bad_assets_before_isolation(bad_assets):
    pass


def _bad_job(reason, make_job, bad_assets, model, eoa):
    return {
        "attest: unknown model": lambda: make_job(model_id=12_345),
        "attest: not a model": lambda: make_job(model_id=bad_assets["dataset"]),
        "attest: model delisted": lambda: make_job(model_id=bad_assets["delisted_model"]),
        "attest: unknown dataset": lambda: make_job(dataset_ids=[54_321]),
        "attest: input is not a dataset": lambda: make_job(dataset_ids=[bad_assets["code"]]),
        "attest: dataset delisted": lambda: make_job(dataset_ids=[bad_assets["delisted_data"]]),
        "attest: output already registered": lambda: make_job(output_cid=bad_assets["registered_cid"]),
        "attest: no input datasets": lambda: make_job(dataset_ids=[], dataset_shares_bps=[]),
        "attest: datasets and shares differ in length": lambda: make_job(dataset_shares_bps=[100, 100]),
        "attest: zero owner": lambda: make_job(owner=ZERO_ADDRESS),
        "attest: consumer is not a contract": lambda: make_job(consumer=eoa),
        "attest: share below minimum": lambda: make_job(model_share_bps=99),
        "attest: upstream shares over cap": lambda: make_job(model_share_bps=4_001),
        "attest: duplicate input": lambda: make_job(dataset_ids=[model]),
    }[reason]()


@pytest.mark.parametrize("reason", [
    "attest: unknown model", "attest: not a model", "attest: model delisted", "attest: unknown dataset",
    "attest: input is not a dataset", "attest: dataset delisted", "attest: output already registered",
    "attest: no input datasets", "attest: datasets and shares differ in length", "attest: zero owner",
    "attest: consumer is not a contract", "attest: share below minimum", "attest: upstream shares over cap",
    "attest: duplicate input",
])
def test_submit__bad_job__reverts_and_check_job_agrees(hub, make_job, bad_assets, model, other, sign, attacker, reason):
    job = _bad_job(reason, make_job, bad_assets, model, other.address)

    with ape.reverts(reason):
        hub.check_job(job.as_args())
    with ape.reverts(reason):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__dataset_share_below_minimum__reverts(hub, make_job, sign, attacker):
    job = make_job(dataset_shares_bps=[99])

    with ape.reverts("attest: share below minimum"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__duplicate_dataset__reverts(hub, make_job, sign, attacker, dataset):
    job = make_job(dataset_ids=[dataset, dataset], dataset_shares_bps=[100, 100])

    with ape.reverts("attest: duplicate input"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__shares_exactly_at_cap__accepted(registry, make_job, submit_signed):
    job = make_job(model_share_bps=4_000, dataset_shares_bps=[1_000])

    submit_signed(job)

    assert sum(p.share_bps for p in parents_of(registry, job.output_id)) == 5_000


def test_submit__verifier_not_approved__reverts(hub, make_job, sign, attacker, project, deployer):
    rogue = project.SignedAttestationVerifier.deploy(hub, sender=deployer)  # never approved
    job = make_job(verifier=rogue.address)

    with ape.reverts("attest: verifier not approved"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__verifier_approval_withdrawn__reverts(hub, make_job, sign, attacker, signed, dao):
    job = make_job()
    proof = sign(job)
    hub.set_verifier(signed, False, sender=dao)

    with ape.reverts("attest: verifier not approved"):
        hub.submit(job.as_args(), proof, sender=attacker)


def test_submit__evidence_for_another_verifier__reverts(hub, make_job, sign, attacker, optimistic):
    # A valid signature, but the job names the optimistic verifier, which has no claim for it.
    job = make_job(verifier=optimistic.address)

    with ape.reverts("attest: no such claim"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__replayed_attestation__reverts(hub, make_job, sign, attacker):
    job = make_job()
    proof = sign(job)
    hub.submit(job.as_args(), proof, sender=attacker)

    with ape.reverts("attest: output already registered"):
        hub.submit(job.as_args(), proof, sender=attacker)


def test_submit__same_output_other_job__reverts(hub, make_job, submit_signed, sign, attacker, other):
    # Each output CID is accepted at most once, whoever claims it and however.
    job = make_job()
    submit_signed(job)
    twin = make_job(output_cid=job.output_cid, owner=other.address)

    with ape.reverts("attest: output already registered"):
        hub.submit(twin.as_args(), sign(twin), sender=attacker)


def test_submit__registry_reason_passed_on(hub, make_job, sign, attacker):
    # The hub has no reason of its own for a metadata CID the registry refuses: the registry's comes through.
    job = make_job(metadata_cid=make_cid(1, "raw", b"\x01" * 32, "blake3"))

    with ape.reverts("registry: metadata cid must be sha2-256"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__royalty_over_registry_cap__registry_reason(hub, make_job, sign, attacker):
    job = make_job(royalty_bps=2_501)

    with ape.reverts("registry: royalty over cap"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__hub_without_registrar_role__registry_reason(hub, registry, make_job, sign, attacker, deployer):
    registry.revokeRole(registry.REGISTRAR_ROLE(), hub, sender=deployer)
    job = make_job()

    with ape.reverts("registry: caller is not a registrar"):
        hub.submit(job.as_args(), sign(job), sender=attacker)


def test_submit__malformed_params_cid__reverts(hub, make_job, sign, attacker):
    job = make_job()
    args = list(job.as_args())
    args[4] = b"\x02\x55\x12\x20" + b"\x01" * 32

    with ape.reverts("cid: unsupported version"):
        hub.submit(tuple(args), sign(job), sender=attacker)
