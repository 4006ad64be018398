"""The job hash is defined once: the contract, the hand-written Python rule and eth-account's
EIP-712 encoder must agree, for every shape of job."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from cidhub.compute.jobs import ATTESTATION_TYPEHASH, JOB_TYPE, JOB_TYPEHASH, job_hash_eip712
from cidhub.content.cid import make_cid

from .helpers import fresh_cid


def test_job_typehash__matches_documented_type(hub, signed):
    assert bytes(hub.JOB_TYPEHASH()) == JOB_TYPEHASH == keccak(text=JOB_TYPE)
    assert bytes(signed.ATTESTATION_TYPEHASH()) == ATTESTATION_TYPEHASH


@pytest.mark.parametrize("datasets", [1, 2, 8])
def test_job_hash__contract_python_and_eip712_agree(hub, make_job, new_asset, datasets, attacker, consumer):
    ids = [new_asset() for _ in range(datasets)]
    job = make_job(dataset_ids=ids, dataset_shares_bps=[100 + i for i in range(datasets)], consumer=consumer.address,
                   licence_id=65_535, royalty_bps=2_500)

    onchain = bytes(hub.job_hash(job.as_args()))

    assert onchain == job.struct_hash() == job_hash_eip712(job)


def test_job_hash__cidv0_and_long_multihash_cids(hub, make_job):
    v0 = make_cid(0, "dag-pb", b"\x01" * 32)
    blake3 = make_cid(1, "raw", b"\x02" * 32, "blake3")
    sha512 = make_cid(1, "dag-cbor", b"\x03" * 64, "sha2-512")
    job = make_job(params_cid=sha512, output_cid=blake3, metadata_cid=v0)

    assert bytes(hub.job_hash(job.as_args())) == job.struct_hash() == job_hash_eip712(job)


@pytest.mark.parametrize("field, value", [
    ("model_share_bps", 2_001), ("dataset_shares_bps", (1_001,)), ("licence_id", 5), ("royalty_bps", 301),
    ("owner", "0x" + "12" * 20), ("verifier", "0x" + "34" * 20), ("consumer", "0x" + "56" * 20),
    ("params_cid", None), ("output_cid", None), ("metadata_cid", None),
])
def test_job_hash__every_field_counts(hub, make_job, field, value):
    job = make_job()
    changed = make_job(**{**job.__dict__, field: fresh_cid() if value is None else value})

    assert changed.struct_hash() != job.struct_hash()
    assert bytes(hub.job_hash(changed.as_args())) == changed.struct_hash()


def test_job_hash__dataset_order_counts(hub, make_job, new_asset):
    a, b = new_asset(), new_asset()
    one = make_job(dataset_ids=[a, b], dataset_shares_bps=[100, 200])
    other = make_job(**{**one.__dict__, "dataset_ids": (b, a)})

    assert bytes(hub.job_hash(one.as_args())) != bytes(hub.job_hash(other.as_args()))


def test_job__codes_outside_the_multicodec_table__contract_and_tooling_agree(hub, optimistic, make_job, creator):
    # The contracts take any codec / multihash code below 2**21; cidhub loads such a job from the
    # chain and gets the same hash, params key and output id as the hub.
    from cidhub.compute.jobs import Job

    params = b"\x01\xff\xff\x7f\x12\x20" + b"\x21" * 32  # codec 0x1fffff, sha2-256
    output = b"\x01\x55\x1b\x20" + b"\x22" * 32  # raw, keccak-256
    template = make_job(verifier=optimistic.address)
    args = list(template.as_args())
    args[4], args[5] = params, output
    job = Job.from_chain(tuple(args))

    ref = hub.check_job(job.as_args())

    assert bytes(ref.job_hash) == job.struct_hash() == job_hash_eip712(job)
    assert (ref.params_key, ref.output_id) == (job.params_key, job.output_id)
    tx = optimistic.claim(job.as_args(), value=optimistic.bond(), sender=creator)
    (event,) = tx.decode_logs(optimistic.Claimed)
    assert Job.from_chain(event.job) == job
