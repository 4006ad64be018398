"""SignedAttestationVerifier: EIP-712 attestations by approved keys (TEE enclaves, oracles)."""

from __future__ import annotations

import ape
import pytest
from eth_account import Account

from cidhub.compute.jobs import attestation_digest, pack_signed_proof, sign_job, typed_attestation, unpack_signed_proof

from .helpers import SECP256K1_N, ZERO_ADDRESS


def test_verify__valid_attestation__accepted_and_registered(hub, registry, make_job, sign, attacker, signed):
    job = make_job()
    ref = hub.check_job(job.as_args())

    assert signed.verify(ref, sign(job), sender=hub.address) is True
    hub.submit(job.as_args(), sign(job), sender=attacker)
    assert registry.ownerOf(job.output_id) == job.owner


def test_verify__asked_by_another_than_its_hub__reverts(hub, signed, make_job, sign, attacker):
    job = make_job()
    ref = hub.check_job(job.as_args())

    with ape.reverts("attest: caller is not the hub"):
        signed.verify(ref, sign(job), sender=attacker)


def test_verify__replayed_through_another_hub__reverts(hub, second_hub, registry, make_job, sign, attacker):
    # Another hub that approved this verifier cannot accept its attestations: each is good for
    # exactly one acceptance in the hub the verifier serves.
    job = make_job()
    proof = sign(job)

    with ape.reverts("attest: caller is not the hub"):
        second_hub.submit(job.as_args(), proof, sender=attacker)
    hub.submit(job.as_args(), proof, sender=attacker)
    assert registry.ownerOf(job.output_id) == job.owner


def test_verify__after_key_rotation__old_key_refused_new_key_accepted(hub, signed, make_job, sign, attacker, dao,
                                                                      attester_key, stranger_key):
    # The DAO rotates the attester: attestations of the revoked key die with it, even unexpired ones.
    job = make_job()
    old = sign(job)
    signed.add_attester(stranger_key.address, sender=dao)
    signed.revoke_attester(attester_key.address, sender=dao)

    with ape.reverts("attest: attester revoked"):
        hub.submit(job.as_args(), old, sender=attacker)
    hub.submit(job.as_args(), sign(job, key=stranger_key), sender=attacker)


def test_domain__eip712_fields(signed, chain):
    fields = signed.eip712Domain()

    assert (fields[1], fields[2], fields[3], fields[4]) == ("cidhub compute attestations", "1", chain.chain_id,
                                                            signed.address)


def test_attestation_digest__matches_eth_account(signed, make_job, chain):
    job = make_job()

    onchain = bytes(signed.attestation_digest(job.struct_hash(), 1_234_567))

    assert onchain == attestation_digest(job, 1_234_567, chain.chain_id, signed.address)


def test_verify__attestation_valid_until_its_last_second(hub, make_job, sign, attacker, chain):
    job = make_job()
    expiry = chain.pending_timestamp + 100
    proof = sign(job, expires_at=expiry)
    chain.pending_timestamp = expiry

    hub.submit(job.as_args(), proof, sender=attacker)


def test_verify__expired__reverts(hub, make_job, sign, attacker, chain):
    job = make_job()
    expiry = chain.pending_timestamp + 100
    proof = sign(job, expires_at=expiry)
    chain.pending_timestamp = expiry + 1

    with ape.reverts("attest: attestation expired"):
        hub.submit(job.as_args(), proof, sender=attacker)


def test_verify__unknown_key__reverts(hub, make_job, sign, attacker, stranger_key):
    job = make_job()

    with ape.reverts("attest: unknown attester"):
        hub.submit(job.as_args(), sign(job, key=stranger_key), sender=attacker)


def test_verify__revoked_attester__reverts_even_for_earlier_signature(hub, make_job, sign, attacker, signed, dao,
                                                                     attester_key):
    job = make_job()
    proof = sign(job)
    signed.revoke_attester(attester_key.address, sender=dao)

    with ape.reverts("attest: attester revoked"):
        hub.submit(job.as_args(), proof, sender=attacker)


def test_verify__wrong_signer__reverts(hub, make_job, sign, attacker, attester_key, stranger_key):
    # The proof names the approved attester, but another key signed.
    job = make_job()
    _, expiry, v, r, s = unpack_signed_proof(sign(job, key=stranger_key))

    with ape.reverts("attest: wrong signer"):
        hub.submit(job.as_args(), pack_signed_proof(attester_key.address, expiry, v, r, s), sender=attacker)


def test_verify__signature_for_another_job__reverts(hub, make_job, sign, attacker):
    job, other = make_job(), make_job()

    with ape.reverts("attest: wrong signer"):
        hub.submit(job.as_args(), sign(other), sender=attacker)


def test_verify__tampered_expiry__reverts(hub, make_job, sign, attacker):
    job = make_job()
    attester, expiry, v, r, s = unpack_signed_proof(sign(job))

    with ape.reverts("attest: wrong signer"):
        hub.submit(job.as_args(), pack_signed_proof(attester, expiry + 1, v, r, s), sender=attacker)


@pytest.mark.parametrize("domain", ["chain", "contract", "name", "version"])
def test_verify__wrong_domain__reverts(hub, make_job, attacker, attester_key, chain, signed, domain):
    job = make_job()
    expiry = chain.pending_timestamp + 3_600
    document = typed_attestation(job, expiry, chain.chain_id, signed.address)
    document["domain"] = {**document["domain"], **{
        "chain": {"chainId": 1}, "contract": {"verifyingContract": "0x" + "42" * 20},
        "name": {"name": "cidhub"}, "version": {"version": "2"}}[domain]}
    sig = Account.sign_typed_data(attester_key.key, full_message=document)

    with ape.reverts("attest: wrong signer"):
        hub.submit(job.as_args(), pack_signed_proof(attester_key.address, expiry, sig.v, sig.r, sig.s),
                   sender=attacker)


def test_verify__signed_for_another_verifier_instance__reverts(project, hub, make_job, attacker, attester_key,
                                                              deployer, dao, chain, signed):
    # The same key approved on two verifiers: a signature under one's domain is not valid on the other.
    twin = project.SignedAttestationVerifier.deploy(hub, sender=deployer)
    twin.grantRole(twin.ATTESTER_MANAGER_ROLE(), dao, sender=deployer)
    twin.add_attester(attester_key.address, sender=dao)
    hub.set_verifier(twin, True, sender=dao)
    job = make_job(verifier=twin.address)
    expiry = chain.pending_timestamp + 3_600
    document = typed_attestation(job, expiry, chain.chain_id, twin.address)
    document["domain"]["verifyingContract"] = signed.address  # the other instance's domain
    sig = Account.sign_typed_data(attester_key.key, full_message=document)

    with ape.reverts("attest: wrong signer"):
        hub.submit(job.as_args(), pack_signed_proof(attester_key.address, expiry, sig.v, sig.r, sig.s),
                   sender=attacker)


def test_verify__malleable_high_s__reverts(hub, make_job, sign, attacker):
    # (r, n - s, v ^ 1) is the same signature's other valid form; only low s is accepted.
    job = make_job()
    attester, expiry, v, r, s = unpack_signed_proof(sign(job))

    with ape.reverts("attest: malleable signature"):
        hub.submit(job.as_args(), pack_signed_proof(attester, expiry, 55 - v, r, SECP256K1_N - s), sender=attacker)


@pytest.mark.parametrize("v", [0, 1, 26, 29])
def test_verify__bad_v__reverts(hub, make_job, sign, attacker, v):
    job = make_job()
    attester, expiry, _, r, s = unpack_signed_proof(sign(job))

    with ape.reverts("attest: bad signature v"):
        hub.submit(job.as_args(), pack_signed_proof(attester, expiry, v, r, s), sender=attacker)


def test_verify__zero_r__reverts(hub, make_job, sign, attacker):
    job = make_job()
    attester, expiry, v, _, s = unpack_signed_proof(sign(job))

    with ape.reverts("ecdsa: invalid signature"):
        hub.submit(job.as_args(), pack_signed_proof(attester, expiry, v, 0, s), sender=attacker)


@pytest.mark.parametrize("length", [0, 65, 92, 94, 128])
def test_verify__bad_proof_length__reverts(hub, make_job, sign, attacker, length):
    job = make_job()
    proof = (sign(job) * 2)[:length]

    with ape.reverts("attest: bad proof length"):
        hub.submit(job.as_args(), proof, sender=attacker)


def test_verify__eip2098_compact_signature__refused(hub, make_job, sign, attacker):
    # A 64-byte (r, vs) signature does not fit the 93-byte proof: refused before recovery.
    job = make_job()
    proof = sign(job)
    with ape.reverts("attest: bad proof length"):
        hub.submit(job.as_args(), proof[:28] + proof[28:92], sender=attacker)


def test_verify__attester_cannot_sign_for_a_job_naming_another_verifier(hub, make_job, sign, attacker, zk_adapter):
    # The job hash commits to the verifier, so the signature does not carry over to another route.
    job = make_job()
    rerouted = make_job(**{**job.__dict__, "verifier": zk_adapter.address})

    with ape.reverts("attest: job not proved"):
        hub.submit(rerouted.as_args(), sign(job), sender=attacker)


# ---------------------------------------------------------------- attester keys


def test_add_attester__manager__active_and_logged(signed, dao, stranger_key):
    tx = signed.add_attester(stranger_key.address, sender=dao)

    assert signed.attester_status(stranger_key.address) == signed.ACTIVE()
    (event,) = tx.decode_logs(signed.AttesterAdded)
    assert (event.attester, event.manager) == (stranger_key.address, dao.address)


def test_add_attester__new_key_signs__accepted(hub, make_job, sign, attacker, signed, dao, stranger_key):
    signed.add_attester(stranger_key.address, sender=dao)
    job = make_job()

    hub.submit(job.as_args(), sign(job, key=stranger_key), sender=attacker)


@pytest.mark.parametrize("caller", ["attacker", "deployer", "curator"])
def test_add_attester__not_manager__reverts(signed, request, stranger_key, caller):
    with ape.reverts("attest: caller is not an attester manager"):
        signed.add_attester(stranger_key.address, sender=request.getfixturevalue(caller))


def test_add_attester__zero__reverts(signed, dao):
    with ape.reverts("attest: zero attester"):
        signed.add_attester(ZERO_ADDRESS, sender=dao)


def test_add_attester__already_active__reverts(signed, dao, attester_key):
    with ape.reverts("attest: attester already active"):
        signed.add_attester(attester_key.address, sender=dao)


def test_add_attester__revoked_key_stays_revoked(signed, dao, attester_key):
    signed.revoke_attester(attester_key.address, sender=dao)

    with ape.reverts("attest: attester was revoked"):
        signed.add_attester(attester_key.address, sender=dao)


def test_revoke_attester__logged(signed, dao, attester_key):
    tx = signed.revoke_attester(attester_key.address, sender=dao)

    assert signed.attester_status(attester_key.address) == signed.REVOKED()
    (event,) = tx.decode_logs(signed.AttesterRevoked)
    assert event.attester == attester_key.address


def test_revoke_attester__not_active__reverts(signed, dao, stranger_key):
    with ape.reverts("attest: not an active attester"):
        signed.revoke_attester(stranger_key.address, sender=dao)


def test_revoke_attester__not_manager__reverts(signed, attacker, attester_key):
    with ape.reverts("attest: caller is not an attester manager"):
        signed.revoke_attester(attester_key.address, sender=attacker)


def test_sign_job__python_proof_layout(make_job, attester_key, chain, signed):
    job = make_job()
    attestation = sign_job(job, attester_key.key, expires_at=99, chain_id=chain.chain_id)

    attester, expiry, v, r, s = unpack_signed_proof(attestation.proof)
    assert (attester, expiry, v in (27, 28), s <= SECP256K1_N // 2) == (attester_key.address, 99, True, True)
    assert Account._recover_hash(attestation_digest(job, 99, chain.chain_id, signed.address), vrs=(v, r, s)) == \
        attester_key.address


@pytest.mark.parametrize("v,r,s", [(27, 0, 0), (29, 1, 1), (0, 0, 0)])
def test_verify__zero_attester_with_unrecoverable_signature__reverts(hub, make_job, attacker, chain, v, r, s):
    """Issue #10, finding 1: the zero address can never be an attester (add_attester refuses it), and
    snekmate's `_recover_vrs` reverts rather than recover it, so a proof naming it never verifies."""
    job = make_job()
    proof = pack_signed_proof(ZERO_ADDRESS, chain.pending_timestamp + 3_600, v, r, s)

    with ape.reverts("attest: unknown attester"):
        hub.submit(job.as_args(), proof, sender=attacker)
