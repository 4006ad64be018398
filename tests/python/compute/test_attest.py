"""The off-chain half of compute attestations: the exact scoring job, the job type and its hash,
attester signatures and proofs, and re-running a job from the block store before signing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from cidhub.chain.registry import asset_id_for
from cidhub.compute.jobs import (
    JOB_TYPEHASH,
    AttestError,
    Job,
    build_job,
    encode_zk_proof,
    job_document,
    job_hash_eip712,
    limbs,
    load_job_document,
    pack_signed_proof,
    read_content,
    reproduce,
    run_job,
    sign_attestation,
    sign_job,
    unpack_signed_proof,
    zk_instances,
    zk_job_binding,
)
from cidhub.compute.runner import ComputeError, ScoreParams, score
from cidhub.content.cid import make_cid
from cidhub.content.unixfs import import_bytes

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
MODEL = (SAMPLES / "models/anomaly-finetuned.json").read_bytes()
BASE = (SAMPLES / "models/anomaly-base.json").read_bytes()
DATA = (SAMPLES / "datasets/sensor-readings.csv").read_bytes()
#: The sample job's output, pinned: a change here changes every output CID ever attested.
SAMPLE_OUTPUT_CID = "bafkreidcszcp6fj4vtrs2w7pt2bzn3juol4kf4jxrzs5eidcynfuakv2ku"
SAMPLE_PARAMS_CID = "bafkreie5dpxpumlv6u2yxhdk6am4dcbx5gnwelugs4h6t6xbyllt3x56yy"
KEY = "0x" + "a7" * 32
OWNER = "0x" + "11" * 20
VERIFIER = "0x" + "22" * 20


def _cid(seed: bytes):
    return make_cid(1, "raw", hashlib.sha256(seed).digest())


def _job(**overrides) -> Job:
    fields = dict(model_id=5, dataset_ids=[7], model_share_bps=2_000, dataset_shares_bps=[1_000],
                  params_cid=_cid(b"p"), output_cid=_cid(b"o"), metadata_cid=_cid(b"m"), owner=OWNER,
                  verifier=VERIFIER)
    fields.update(overrides)
    return Job.build(**fields)


# ---------------------------------------------------------------------------- the scoring job


def test_score__sample__pinned_output_cid():
    output = score(MODEL, [DATA], ScoreParams().to_bytes())

    assert str(import_bytes(output).cid) == SAMPLE_OUTPUT_CID
    assert str(import_bytes(ScoreParams().to_bytes()).cid) == SAMPLE_PARAMS_CID


def test_score__canonical_layout():
    lines = score(MODEL, [DATA], ScoreParams().to_bytes()).decode().split("\n")

    assert lines[0] == "dataset,row,logit,score,anomaly"
    assert lines[-1] == ""  # one trailing newline, \n only
    assert len(lines) - 2 == DATA.decode().count("\n") - 1
    assert lines[1].split(",")[:2] == ["0", "0"]


def test_score__matches_float_reference_to_the_rounding():
    # The exact computation agrees with a plain float sigmoid to within the last printed digit.
    import math

    model = json.loads(MODEL)
    rows = [r.split(",") for r in DATA.decode().strip().split("\n")[1:]]
    out = [r.split(",") for r in score(MODEL, [DATA], ScoreParams().to_bytes()).decode().strip().split("\n")[1:]]
    for row, line in zip(rows, out, strict=True):
        z = sum(w * float(x) for w, x in zip(model["weights"], row[:3], strict=True)) + model["bias"]
        assert abs(float(line[3]) - 1 / (1 + math.exp(-z))) <= 5e-7
        assert abs(Decimal(line[2]) - Decimal(str(z))) < Decimal("1e-9")


def test_score__same_inputs_same_bytes__order_of_datasets_counts():
    params = ScoreParams().to_bytes()
    half = b"\n".join(DATA.split(b"\n")[:10]) + b"\n"

    assert score(MODEL, [DATA, half], params) == score(MODEL, [DATA, half], params)
    assert score(MODEL, [DATA, half], params) != score(MODEL, [half, DATA], params)


def test_score__other_model_other_output():
    params = ScoreParams().to_bytes()

    assert score(MODEL, [DATA], params) != score(BASE, [DATA], params)


@pytest.mark.parametrize("data, message", [
    (b"temperature_c,humidity_pct\n1,2\n", "no column 'vibration_mm_s'"),
    (b"temperature_c,humidity_pct,vibration_mm_s\n1.23456,2,3\n", "more than 4 decimal places"),
    (b"temperature_c,humidity_pct,vibration_mm_s\nhot,2,3\n", "is not a number"),
    (b"temperature_c,humidity_pct,vibration_mm_s\n1,2\n", "2 cells, the header has 3"),
    (b"temperature_c,humidity_pct,vibration_mm_s\n99999,2,3\n", "too large"),
    (b"temperature_c,humidity_pct,vibration_mm_s\n", "has no rows"),
    (b"temperature_c,humidity_pct,vibration_mm_s\nnan,2,3\n", "not finite"),
])
def test_score__data_it_cannot_score_exactly__refused(data, message):
    with pytest.raises(ComputeError, match=message):
        score(MODEL, [data], ScoreParams().to_bytes())


def test_params__only_canonical_form_accepted():
    pretty = json.dumps(json.loads(ScoreParams().to_bytes()), indent=2).encode()

    with pytest.raises(ComputeError, match="canonical"):
        score(MODEL, [DATA], pretty)


def test_params__more_decimals_allowed_when_asked():
    data = b"temperature_c,humidity_pct,vibration_mm_s\n1.23456,2,3\n"

    score(MODEL, [data], ScoreParams(fixed_point_decimals=5).to_bytes())


@pytest.mark.parametrize("model, message", [
    (b"{}", "not a cidhub-linear-v1"),
    (json.dumps({"format": "cidhub-linear-v1", "features": ["a"], "weights": [1, 2]}).encode(), "as many weights"),
    (json.dumps({"format": "cidhub-linear-v1", "features": ["a"], "weights": [1], "activation": "relu"}).encode(),
     "not supported"),
])
def test_score__bad_model__refused(model, message):
    with pytest.raises(ComputeError, match=message):
        score(model, [DATA], ScoreParams().to_bytes())


# ---------------------------------------------------------------------------- the job type


def test_job_hash__hand_rule_equals_eip712_encoder():
    job = _job(dataset_ids=[7, 8, 9], dataset_shares_bps=[100, 200, 300], consumer="0x" + "33" * 20)

    assert job.struct_hash() == job_hash_eip712(job)


@settings(max_examples=60, deadline=None)
@given(
    model=st.integers(1, 2**256 - 1),
    datasets=st.lists(st.integers(1, 2**256 - 1), min_size=1, max_size=8, unique=True),
    licence=st.integers(0, 2**16 - 1), royalty=st.integers(0, 2_500),
    seeds=st.tuples(st.binary(max_size=8), st.binary(max_size=8), st.binary(max_size=8)),
)
def test_job_hash__hand_rule_equals_eip712_encoder__any_job(model, datasets, licence, royalty, seeds):
    if model in datasets:
        datasets = [d for d in datasets if d != model] or [model ^ 1]
    job = Job(model, tuple(datasets), 100, tuple([100] * len(datasets)), _cid(seeds[0]), _cid(b"o" + seeds[1]),
              _cid(b"m" + seeds[2]), OWNER, VERIFIER, licence, royalty)

    assert job.struct_hash() == job_hash_eip712(job)


def test_job_typehash__documented_string():
    from eth_utils import keccak

    assert JOB_TYPEHASH == keccak(text="Job(uint256 modelId,uint256[] datasetIds,uint16 modelShareBps,"
                                       "uint16[] datasetSharesBps,bytes paramsCid,bytes outputCid,bytes metadataCid,"
                                       "uint16 licenceId,uint16 royaltyBps,address owner,address verifier,"
                                       "address consumer)")


@pytest.mark.parametrize("overrides, message", [
    (dict(dataset_ids=[], dataset_shares_bps=[]), "1 to 8 input datasets"),
    (dict(dataset_ids=list(range(10, 19)), dataset_shares_bps=[100] * 9), "1 to 8 input datasets"),
    (dict(dataset_shares_bps=[100, 100]), "one share per dataset"),
    (dict(dataset_ids=[5]), "listed twice"),
    (dict(model_share_bps=99), "at least 100 bps"),
    (dict(model_share_bps=4_500, dataset_shares_bps=[600]), "cap is 5000 bps"),
    (dict(royalty_bps=2_501), "royalty"),
    (dict(owner="0x" + "00" * 20), "needs an owner"),
    (dict(owner="nobody"), "not an address"),
    (dict(output_cid="bafy-not-a-cid"), "output CID"),
])
def test_job_build__bad_job__actionable_error(overrides, message):
    with pytest.raises(AttestError, match=message):
        _job(**overrides)


def test_job_json__roundtrip_and_tamper_check():
    job = _job(dataset_ids=[7, 8], dataset_shares_bps=[100, 200], licence_id=3)
    doc = json.loads(json.dumps(job_document(job, verifier_kind="signed", chain_id=1)))

    assert load_job_document(doc)[0] == job
    doc["job"]["model_share_bps"] = 2_001
    with pytest.raises(AttestError, match="edited by hand"):
        load_job_document(doc)


def test_job_ids__registry_rule():
    blake3 = make_cid(1, "raw", b"\x05" * 32, "blake3")
    job = _job(output_cid=blake3)

    assert job.output_id == asset_id_for(blake3) != int.from_bytes(b"\x05" * 32, "big")
    assert job.params_key == int.from_bytes(hashlib.sha256(b"p").digest(), "big")


# ---------------------------------------------------------------------------- proofs


def test_signed_proof__pack_unpack():
    proof = pack_signed_proof(OWNER, 123, 28, 5, 6)

    assert len(proof) == 93
    assert unpack_signed_proof(proof) == (OWNER, 123, 28, 5, 6)


def test_sign_job__recoverable_low_s():
    job = _job()
    attestation = sign_job(job, KEY, expires_at=10**10, chain_id=31_337)

    _, _, v, _, s = unpack_signed_proof(attestation.proof)
    assert attestation.attester == Account.from_key(KEY).address
    assert v in (27, 28) and s <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def test_zk_instances__limbs_in_documented_order():
    job = _job(dataset_ids=[7, 2**200 + 9], dataset_shares_bps=[100, 100])

    values = zk_instances(job, 31_337, extra=[42])

    binding = keccak(abi_encode(["bytes32", "uint256", "address", "bytes32"], [
        keccak(text="ZkJobBinding(uint256 chainId,address adapter,bytes32 jobHash)"), 31_337, job.verifier,
        job.struct_hash()]))
    assert zk_job_binding(job, 31_337) == binding
    keys = [int.from_bytes(binding, "big"), 5, 7, 2**200 + 9, job.params_key, job.output_id]
    assert values == [x for k in keys for x in (k >> 128, k & (2**128 - 1))] + [42]
    assert all(v < 2**128 for v in values)
    assert limbs(2**255) == (2**127, 0)
    assert encode_zk_proof(b"\x01", [1, 2])[:32] == (64).to_bytes(32, "big")


@pytest.mark.parametrize("change", [
    {"owner": "0x" + "5e" * 20}, {"model_share_bps": 100}, {"dataset_shares_bps": (100,)}, {"licence_id": 9},
    {"royalty_bps": 250}, {"consumer": "0x" + "c0" * 20}, {"verifier": "0x" + "ad" * 20},
])
def test_zk_job_binding__any_term_changed__other_binding(change):
    job = _job()

    assert zk_job_binding(replace(job, **change), 1) != zk_job_binding(job, 1)
    assert zk_job_binding(job, 2) != zk_job_binding(job, 1)


# ---------------------------------------------------------------------------- running and checking jobs


@pytest.fixture
def inputs(store):
    model = store.add_file(SAMPLES / "models/anomaly-finetuned.json")
    data = store.add_file(SAMPLES / "datasets/sensor-readings.csv")
    ids = {asset_id_for(model.cid): model.cid, asset_id_for(data.cid): data.cid}
    return asset_id_for(model.cid), asset_id_for(data.cid), ids


def test_run_job__stores_params_output_and_card(store, inputs):
    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])

    assert str(run.output_cid) == SAMPLE_OUTPUT_CID
    job = build_job(store, run, model_id=model_id, dataset_ids=[data_id], model_share_bps=2_000,
                    dataset_shares_bps=[1_000], owner=OWNER, verifier=VERIFIER, verifier_kind="signed")
    card = json.loads(read_content(store, job.metadata_cid))
    assert card["kind"] == "result" and card["content"]["cid"] == SAMPLE_OUTPUT_CID
    assert card["job"]["params_cid"] == str(run.params_cid)
    assert store.has(run.output_cid) and store.has(run.params_cid)


def test_reproduce__honest_job__holds(store, inputs):
    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=run.params_cid, output_cid=run.output_cid)

    verdict = reproduce(job, store, ids.__getitem__)

    assert verdict.holds is True and verdict.recomputed_output == SAMPLE_OUTPUT_CID


def test_reproduce__wrong_output__does_not_hold_and_refuses_to_sign(store, inputs):
    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=run.params_cid, output_cid=_cid(b"forged"))

    verdict = reproduce(job, store, ids.__getitem__)

    assert verdict.holds is False and verdict.recomputed_output == SAMPLE_OUTPUT_CID
    with pytest.raises(AttestError, match="refusing to sign"):
        sign_attestation(job, KEY, store, ids.__getitem__, expires_at=10**10, chain_id=1)


def test_reproduce__content_missing__cannot_check_and_refuses_to_sign(store, tmp_path, inputs):
    from cidhub.content.store import BlockStore

    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=run.params_cid, output_cid=run.output_cid)
    empty = BlockStore(tmp_path / "empty", fsync=False)

    verdict = reproduce(job, empty, ids.__getitem__)

    assert verdict.holds is None and "not in the local block store" in verdict.reason
    with pytest.raises(AttestError, match="refusing to sign"):
        sign_attestation(job, KEY, empty, ids.__getitem__, expires_at=10**10, chain_id=1)


def test_sign_attestation__reproducible__signed(store, inputs):
    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=run.params_cid, output_cid=run.output_cid)

    attestation = sign_attestation(job, KEY, store, ids.__getitem__, expires_at=10**10, chain_id=1)

    assert attestation.attester == Account.from_key(KEY).address and len(attestation.proof) == 93


# ---------------------------------------------------------------------------- CIDs the contracts take, any codes


def _v1(codec: int, hash_code: int, digest: bytes) -> bytes:
    from multiformats import varint

    return b"\x01" + varint.encode(codec) + varint.encode(hash_code) + varint.encode(len(digest)) + digest


# codes outside the multicodec table, codes that are not hash functions, and keccak-256, whose
# multiformats implementation needs a package that is not installed: the contracts take them all
EXOTIC = {
    "codec 0x1fffff": _v1(0x1F_FFFF, 0x12, b"\x11" * 32),
    "codec 0x300000 (unassigned)": _v1(0x30_0000 & 0x1F_FFFF, 0x12, b"\x12" * 32),
    "hash 0x1b (keccak-256)": _v1(0x55, 0x1B, b"\x13" * 32),
    "hash 0x3f42 (not a hash)": _v1(0x55, 0x3F42, b"\x14" * 32),
    "hash 0x1ffffe, 20-byte digest": _v1(0x70, 0x1F_FFFE, b"\x15" * 20),
    "codec 0x12 (a hash code)": _v1(0x12, 0x12, b"\x16" * 32),
}


@pytest.mark.parametrize("raw", EXOTIC.values(), ids=EXOTIC.keys())
def test_parse_cid__codes_outside_the_table__cid_error_only(raw):
    from cidhub.content.cid import CidError, cid_from_bytes, parse_cid

    with pytest.raises(CidError):
        cid_from_bytes(raw)
    with pytest.raises(CidError):
        parse_cid("b" + __import__("base64").b32encode(raw).decode().lower().rstrip("="))


@pytest.mark.parametrize("raw", EXOTIC.values(), ids=EXOTIC.keys())
def test_job__exotic_cids_from_the_chain__load_hash_and_roundtrip(raw):
    from cidhub.compute.jobs import chain_cid
    from cidhub.content.cid import ChainCid

    job = Job.from_chain((5, [7], 2_000, [1_000], raw, raw, bytes(_cid(b"card")), 0, 0, OWNER, VERIFIER,
                          "0x" + "00" * 20))

    assert isinstance(job.params_cid, ChainCid) and bytes(job.params_cid) == raw
    assert job.as_args()[4] == raw and job.as_args()[5] == raw
    assert job.struct_hash() == job_hash_eip712(job)
    again, _ = load_job_document(json.loads(json.dumps(job_document(job, verifier_kind="optimistic"))))
    assert again == job and again.job_hash == job.job_hash
    assert chain_cid(str(job.params_cid)) == job.params_cid
    multihash = raw[1 + len(__import__("multiformats").varint.encode(job.params_cid.codec)):]
    sha256_word = job.params_cid.hash_code == 0x12 and len(job.params_cid.digest) == 32
    assert job.params_key == (int.from_bytes(job.params_cid.digest, "big") if sha256_word
                              else int.from_bytes(keccak(multihash), "big"))


@pytest.mark.parametrize("raw", [
    b"\x01\x55\x12\x00",  # zero-length digest
    b"\x01\x55\x12\x21" + b"\x01" * 32,  # shorter than declared
    b"\x01\x80\x01\x12\x20" + b"\x01" * 32,  # non-minimal codec varint (0x80 0x01 is 128: fine) ...
    b"\x01\xd5\x80\x00\x12\x20" + b"\x01" * 32,  # ... but 0xd5 0x80 0x00 pads 0x55
    b"\x01\xff\xff\xff\x01\x12\x20" + b"\x01" * 32,  # a four-byte varint
    b"\x02\x55\x12\x20" + b"\x01" * 32,  # version 2
    _v1(0x55, 0x13, b"\x01" * 65),  # digest over 64 bytes
])
def test_parse_chain_cid__what_the_contracts_refuse__refused(raw):
    from cidhub.content.cid import CidError, parse_chain_cid

    if raw.startswith(b"\x01\x80\x01"):
        assert parse_chain_cid(raw).codec == 128
        return
    with pytest.raises(CidError):
        parse_chain_cid(raw)


def test_reproduce__exotic_params_cid__nobody_can_reproduce_so_it_does_not_hold(store, inputs):
    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    for raw in EXOTIC.values():
        job = Job.from_chain((model_id, [data_id], 2_000, [1_000], raw, bytes(run.output_cid), bytes(_cid(b"card")),
                              0, 0, OWNER, VERIFIER, "0x" + "00" * 20))

        verdict = reproduce(job, store, ids.__getitem__)

        assert verdict.holds is False, verdict.reason
        assert "cannot be reproduced by anyone" in verdict.reason and verdict.inputs["params"] == str(job.params_cid)
        with pytest.raises(AttestError, match="refusing to sign"):
            sign_attestation(job, KEY, store, ids.__getitem__, expires_at=10**10, chain_id=1)


def test_reproduce__exotic_model_cid_in_the_registry__does_not_hold(store, inputs):
    from cidhub.compute.jobs import chain_cid

    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    odd = {**ids, model_id: chain_cid(EXOTIC["codec 0x1fffff"])}
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=run.params_cid, output_cid=run.output_cid)

    verdict = reproduce(job, store, odd.__getitem__)

    assert verdict.holds is False and "the model CID" in verdict.reason


def test_reproduce__params_not_a_file__does_not_hold(store, inputs):
    model_id, data_id, ids = inputs
    run = run_job(store, ids[model_id], [ids[data_id]])
    cbor = make_cid(1, "dag-cbor", hashlib.sha256(b"params").digest())
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=cbor, output_cid=run.output_cid)

    verdict = reproduce(job, store, ids.__getitem__)

    assert verdict.holds is False and "not a file" in verdict.reason


def test_reproduce__inputs_the_job_cannot_run_on__does_not_hold(store, inputs):
    from cidhub.compute.jobs import _add

    model_id, data_id, ids = inputs
    bad_params = _add(store, b'{"format":"something else"}\n', "bad params")
    job = _job(model_id=model_id, dataset_ids=[data_id], params_cid=bad_params, output_cid=_cid(b"anything"))

    verdict = reproduce(job, store, ids.__getitem__)

    assert verdict.holds is False and "cannot run on its inputs" in verdict.reason
