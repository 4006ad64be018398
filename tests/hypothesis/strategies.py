"""Hypothesis strategies shared by the property tests and the state machines.

CIDs: ``cids()`` draws valid CIDs across versions, text bases, content codecs and hash functions,
with digests of the size each hash function produces. ``malformed_cid_text()`` and
``malformed_cid_bytes()`` draw inputs that must be rejected: random junk plus targeted damage
to valid CIDs (truncation, a flipped character, a wrong prefix, appended bytes). ``chain_cids()``
draws what the contracts accept whatever the codes (codecs and hash functions outside the
multicodec table).

Adversarial inputs for the contracts (issue #10), each with the oracle to judge the outcome by:
``addresses()`` (the zero address, EOAs, the suite's own contracts, ERC-1271 wallets, contracts
without a code path, precompiles, keyless addresses), ``signatures()`` (the signer's own in 65-
and 64-byte forms, empty, short, long, high-s, bad v, r = 0, zero, junk, another key's) with
``ecdsa_signer()`` / ``vrs_signer()``, ``jobs()`` (every compute-job field drawn independently) and
``job_mutations()`` (a copy with exactly one field changed, still valid for the hub), and
``at_bounds()`` (settings at and one past their bounds, 2**255, 2**256 - 1).
"""

from __future__ import annotations

import string

from hypothesis import strategies as st
from multiformats import CID

#: (multihash name, digest size) pairs exercised by the properties.
HASH_FUNCTIONS: tuple[tuple[str, int], ...] = (
    ("sha2-256", 32),
    ("sha2-512", 64),
    ("sha3-256", 32),
    ("blake2b-256", 32),
    ("blake3", 32),
    ("identity", 0),  # identity: the "digest" is the content itself, any small length
)
CONTENT_CODECS: tuple[str, ...] = ("raw", "dag-pb", "dag-cbor", "dag-json", "libp2p-key", "git-raw")
TEXT_BASES: tuple[str, ...] = ("base32", "base58btc")


@st.composite
def multihash_parts(draw: st.DrawFn) -> tuple[str, bytes]:
    """A hash function name and a digest of the right size for it."""
    name, size = draw(st.sampled_from(HASH_FUNCTIONS))
    if name == "identity":
        return name, draw(st.binary(min_size=0, max_size=48))
    return name, draw(st.binary(min_size=size, max_size=size))


@st.composite
def cids_v0(draw: st.DrawFn) -> CID:
    """CIDv0: dag-pb, sha2-256, base58btc."""
    return CID("base58btc", 0, "dag-pb", ("sha2-256", draw(st.binary(min_size=32, max_size=32))))


@st.composite
def cids_v1(draw: st.DrawFn, bases: tuple[str, ...] = TEXT_BASES) -> CID:
    """CIDv1 with any of the tested codecs, hash functions and text bases."""
    hash_name, digest = draw(multihash_parts())
    codec = draw(st.sampled_from(CONTENT_CODECS))
    base = draw(st.sampled_from(bases))
    return CID(base, 1, codec, (hash_name, digest))


def cids() -> st.SearchStrategy[CID]:
    """Any valid CID (v0 or v1)."""
    return st.one_of(cids_v0(), cids_v1())


def _damage_text(text: str, data: st.DataObject) -> str:
    kind = data.draw(st.sampled_from(["truncate", "flip", "extend", "prefix"]))
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text) - 1))]
    if kind == "flip":
        i = data.draw(st.integers(0, len(text) - 1))
        ch = data.draw(st.sampled_from("0OIl!#-_/ +=é\x00"))
        return text[:i] + ch + text[i + 1 :]
    if kind == "extend":
        return text + data.draw(st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=4))
    return data.draw(st.sampled_from("xyQ!0 ")) + text[1:]


@st.composite
def malformed_cid_text(draw: st.DrawFn) -> str:
    """Strings that are mostly invalid CIDs (callers must not assume every draw is invalid:
    e.g. appending characters can still give a valid base58 CIDv1 of another digest length)."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.text(max_size=80))
    if choice == 1:
        return draw(st.text(alphabet="bafyQmz" + string.ascii_lowercase + "234567", max_size=80))
    return _damage_text(str(draw(cids())), draw(st.data()))


@st.composite
def malformed_cid_bytes(draw: st.DrawFn) -> bytes:
    """Byte strings that are mostly invalid binary CIDs."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.binary(max_size=80))
    raw = bytes(draw(cids()))
    if choice == 1:
        return raw[: draw(st.integers(0, len(raw) - 1))]
    return raw + draw(st.binary(min_size=1, max_size=8))


# ==================================================================================================
# Adversarial strategies for the contracts (issue #10: "make the tests able to find their kind").
#
# The suite's property tests and state machines drew addresses from a handful of funded EOAs,
# signatures only from the right key, jobs that differed in one field at most, and settings from
# the middle of their range, so seven holes went unseen: the zero address "signing" with an empty
# signature, proofs not bound to every job field, settings without bounds... The strategies below
# draw what an attacker would send. They know nothing about Ape: tests pass in the addresses,
# keys and ids they have deployed, and check outcomes against the oracles here (`ecdsa_signer`,
# `vrs_signer`), never against the form a draw was labelled with.
# ==================================================================================================

from dataclasses import dataclass, replace  # noqa: E402

from eth_account import Account  # noqa: E402
from eth_keys import keys as _eth_keys  # noqa: E402
from eth_keys.exceptions import BadSignature as _BadSignature  # noqa: E402
from eth_utils import to_checksum_address  # noqa: E402

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
#: Precompiles: no code (`is_contract` is false) yet they answer calls; 0x01 is ecrecover itself.
PRECOMPILES: tuple[str, ...] = tuple(to_checksum_address(i.to_bytes(20, "big")) for i in (1, 2, 3, 4, 9))


@dataclass(frozen=True)
class AddressPool:
    """The addresses a test has, by what they are.

    eoas: externally owned accounts whose keys the test holds (the role fixtures);
    suite: the suite's own contracts (registry, marketplace, token, governor, timelock, hub,
           verifiers...) -- the addresses a confused-deputy bug needs;
    wallets: ERC-1271 contract wallets (contracts/test/PropWallet.vy), in their various modes;
    rejecting: contracts without a code path for the call: every call and every ether transfer
           reverts (contracts/test/PropInert.vy), or returns garbage.
    """

    eoas: tuple[str, ...] = ()
    suite: tuple[str, ...] = ()
    wallets: tuple[str, ...] = ()
    rejecting: tuple[str, ...] = ()

    def known(self) -> tuple[str, ...]:
        """Every address of the pool (deduplicated, in a fixed order), plus the zero address."""
        seen: dict[str, None] = {ZERO_ADDRESS: None}
        for address in (*self.eoas, *self.suite, *self.wallets, *self.rejecting):
            seen.setdefault(to_checksum_address(address), None)
        return tuple(seen)


@st.composite
def keyless_addresses(draw: st.DrawFn) -> str:
    """An address nobody holds a key for: a precompile, a tiny number, or 20 arbitrary bytes."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.sampled_from(PRECOMPILES))
    if choice == 1:
        return to_checksum_address(draw(st.integers(0x10, 0xFFFF)).to_bytes(20, "big"))
    return to_checksum_address(draw(st.binary(min_size=20, max_size=20)))


def addresses(pool: AddressPool, *, zero: bool = True, eoas: bool = True, suite: bool = True, wallets: bool = True,
              rejecting: bool = True, keyless: bool = True, zero_weight: int = 1) -> st.SearchStrategy[str]:
    """An address of any kind the pool has, each kind about equally often (the zero address
    `zero_weight` times as often as one kind). The zero address comes first, so that hypothesis
    shrinks a failure towards it when it is to blame."""
    options: list[st.SearchStrategy[str]] = []
    if zero:
        options.extend([st.just(ZERO_ADDRESS)] * zero_weight)
    for wanted, group in ((eoas, pool.eoas), (suite, pool.suite), (wallets, pool.wallets),
                          (rejecting, pool.rejecting)):
        if wanted and group:
            options.append(st.sampled_from([to_checksum_address(a) for a in group]))
    if keyless:
        options.append(keyless_addresses())
    if not options:
        raise ValueError("addresses(): every kind of address was excluded")
    return st.one_of(*options)


# -------------------------------------------------------------------------------------- signatures

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2  # EIP-2: the largest `s` of a canonical signature
#: Every form `signatures()` draws. "valid" and "compact" are the right key's signature (65-byte
#: and EIP-2098 64-byte); the others must be refused by an EOA signer's entry point.
SIGNATURE_FORMS: tuple[str, ...] = ("valid", "compact", "empty", "short", "long", "high-s", "bad-v", "wrong-key",
                                    "wrong-key-compact", "zero", "junk", "zero-r")
#: The forms an entry point taking (v, r, s) can be given (no lengths to play with).
VRS_FORMS: tuple[str, ...] = ("valid", "high-s", "bad-v", "wrong-key", "zero", "junk", "zero-r")
BAD_V: tuple[int, ...] = (0, 1, 2, 26, 29, 30, 35, 36, 37, 38, 255)


@dataclass(frozen=True)
class Signature:
    """One drawn signature. `data` is the `bytes signature` form (65-byte r ‖ s ‖ v, 64-byte
    r ‖ vs, or whatever the form makes of it); `v`, `r`, `s` the split form for (v, r, s)
    entry points (for length forms: the valid signature's, they cannot express the damage)."""

    form: str
    data: bytes
    v: int
    r: int
    s: int

    def __repr__(self) -> str:  # short, for hypothesis's falsifying examples
        return f"Signature({self.form}, {len(self.data)} bytes, v={self.v}, s={'high' if self.s > HALF_N else 'low'})"


def sign_digest(key: bytes | str, digest: bytes) -> tuple[int, int, int]:
    """(v, r, s) of `key`'s signature of the raw 32-byte digest (v in {27, 28}, low s)."""
    signed = Account.unsafe_sign_hash(digest, key)
    return signed.v, signed.r, signed.s


def pack_signature(v: int, r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v % 256])


def compact_signature(v: int, r: int, s: int) -> bytes:
    """EIP-2098: r ‖ (v - 27) << 255 | s."""
    return r.to_bytes(32, "big") + (((v - 27) << 255) | s).to_bytes(32, "big")


@st.composite
def signatures(draw: st.DrawFn, digest: bytes, key: bytes | str, *, wrong_keys: tuple[bytes | str, ...] = (),
               forms: tuple[str, ...] = SIGNATURE_FORMS) -> Signature:
    """A signature of `digest` in one of `forms`: by `key` (valid, compact, high-s, bad-v, long,
    short), by one of `wrong_keys`, or no signature at all (empty, zero, junk)."""
    form = draw(st.sampled_from(forms), label="signature form")
    v, r, s = sign_digest(key, digest)
    if form in ("wrong-key", "wrong-key-compact"):
        other = draw(st.sampled_from(wrong_keys or ("0x" + "5e" * 32,)), label="wrong key")
        v, r, s = sign_digest(other, digest)
    if form in ("valid", "wrong-key"):
        return Signature(form, pack_signature(v, r, s), v, r, s)
    if form in ("compact", "wrong-key-compact"):
        return Signature(form, compact_signature(v, r, s), v, r, s)
    if form == "empty":
        return Signature(form, b"", v, r, s)
    if form == "short":
        if draw(st.booleans(), label="truncated"):
            data = pack_signature(v, r, s)[: draw(st.integers(1, 63), label="length")]
        else:
            data = draw(st.binary(min_size=1, max_size=63), label="bytes")
        return Signature(form, data, v, r, s)
    if form == "long":
        return Signature(form, pack_signature(v, r, s) + draw(st.binary(min_size=1, max_size=40), label="tail"),
                         v, r, s)
    if form == "high-s":
        # The other signature of the same digest by the same key: s' = n - s, v flipped (EIP-2 forbids it).
        v, s = 55 - v, SECP256K1_N - s
        return Signature(form, pack_signature(v, r, s), v, r, s)
    if form == "bad-v":
        v = draw(st.sampled_from(BAD_V), label="v")
        return Signature(form, pack_signature(v, r, s), v, r, s)
    if form == "zero":
        return Signature(form, bytes(65), 0, 0, 0)
    if form == "zero-r":
        return Signature(form, pack_signature(v, 0, s), v, 0, s)
    # junk: 65 arbitrary bytes with a plausible v
    r = draw(st.integers(0, 2**256 - 1), label="r")
    s = draw(st.integers(0, 2**256 - 1), label="s")
    v = draw(st.sampled_from((27, 28)), label="v")
    return Signature(form, pack_signature(v, r, s), v, r, s)


def vrs_signer(digest: bytes, v: int, r: int, s: int) -> str | None:
    """Whom snekmate's ecdsa (and the ecrecover precompile behind it) credits with (v, r, s), or
    None if it refuses the signature: v must be 27 or 28, r and s in [1, n), s at most n / 2."""
    if v not in (27, 28) or not 0 < r < SECP256K1_N or not 0 < s <= HALF_N:
        return None
    try:
        public_key = _eth_keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (_BadSignature, ValueError):
        return None
    return public_key.to_checksum_address()


def ecdsa_signer(digest: bytes, data: bytes) -> str | None:
    """Whom a `bytes` signature (65-byte r ‖ s ‖ v or 64-byte EIP-2098) is a signature of, or None."""
    if len(data) == 65:
        return vrs_signer(digest, data[64], int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big"))
    if len(data) == 64:
        vs = int.from_bytes(data[32:], "big")
        return vrs_signer(digest, 27 + (vs >> 255), int.from_bytes(data[:32], "big"), vs & ((1 << 255) - 1))
    return None


# -------------------------------------------------------------------------------------------- jobs

from cidhub.compute.jobs import (  # noqa: E402
    MAX_INPUTS as JOB_MAX_INPUTS,
    MAX_UPSTREAM_BPS as JOB_MAX_UPSTREAM_BPS,
    MIN_SHARE_BPS as JOB_MIN_SHARE_BPS,
    Job,
)
from cidhub.chain.registry import MAX_ROYALTY_BPS as JOB_MAX_ROYALTY_BPS  # noqa: E402

#: The fields of a compute job, in the order of the contract's struct (cidhub.compute.jobs.JOB_TYPE).
JOB_FIELDS: tuple[str, ...] = ("model_id", "dataset_ids", "model_share_bps", "dataset_shares_bps", "params_cid",
                               "output_cid", "metadata_cid", "licence_id", "royalty_bps", "owner", "verifier",
                               "consumer")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


#: The contracts' CID bounds (contracts/modules/cid.vy; cidhub.content.cid.CHAIN_*): codes below 2**21
#: (three-byte varints), digests of 1 to 64 bytes, 72 bytes in all.
CHAIN_MAX_CODE = (1 << 21) - 1
CHAIN_MAX_CID_BYTES = 72
#: Codes at the edges of what the multicodec table and the varint framing know: assigned codecs
#: of one, two and three bytes, unassigned ones, the largest three-byte code; hash functions
#: multiformats knows but cannot run without an extra package (keccak-256), identity, unknown.
EXOTIC_CODECS: tuple[int, ...] = (0x00, 0x55, 0x70, 0x71, 0x78, 0x0129, 0x0200, 0x7F, 0x80, 0x3FFF, 0x4000,
                                  0x7FFF, 0x3E00, 0xB220, CHAIN_MAX_CODE)
EXOTIC_HASH_CODES: tuple[int, ...] = (0x00, 0x12, 0x13, 0x14, 0x16, 0x1B, 0x1E, 0x22, 0xB220, 0xB260, 0x1052,
                                      0x7F, 0x80, 0x3FFF, CHAIN_MAX_CODE)


@st.composite
def chain_cids(draw: st.DrawFn, tag: str = "cid") -> bytes:
    """A binary CIDv1 the contracts accept whatever its codes: codec and hash function drawn
    from the edges (EXOTIC_*) or anywhere below 2**21, assigned or not, and a digest of a length
    that fits. This is what tooling failed on (finding 7): the chain takes codes the multicodec
    table does not know."""
    import hashlib

    codec = draw(st.one_of(st.sampled_from(EXOTIC_CODECS), st.integers(0, CHAIN_MAX_CODE)), label=f"{tag} codec")
    hash_code = draw(st.one_of(st.sampled_from(EXOTIC_HASH_CODES), st.integers(0, CHAIN_MAX_CODE)),
                     label=f"{tag} hash code")
    head = b"\x01" + _varint(codec) + _varint(hash_code)
    length = draw(st.integers(1, min(64, CHAIN_MAX_CID_BYTES - len(head) - 1)), label=f"{tag} digest length")
    seed = draw(st.integers(0, 2**64 - 1), label=f"{tag} seed")
    digest = hashlib.shake_256(b"cidhub-chain-cid:%s:%d" % (tag.encode(), seed)).digest(length)
    if not any(digest):  # the registry refuses an all-zero digest
        digest = b"\x01" + digest[1:]
    return head + _varint(length) + digest


@st.composite
def job_cids(draw: st.DrawFn, tag: str = "job", exotic: bool = True):
    """A CID the hub accepts for a job field: one of the common content forms, or (with `exotic`,
    about one draw in four) a CID with codes outside the multicodec table (`chain_cids`); digest
    from a draw (so a replay draws the same CID; nothing random outside hypothesis)."""
    import hashlib

    if exotic and draw(st.integers(0, 3), label=f"{tag} exotic") == 3:
        from cidhub.compute.jobs import chain_cid

        return chain_cid(draw(chain_cids(tag), label=f"{tag} chain cid"))
    seed = draw(st.integers(0, 2**64 - 1), label=f"{tag} seed")
    codec = draw(st.sampled_from(("raw", "dag-pb", "dag-cbor", "dag-json")), label=f"{tag} codec")
    digest = hashlib.sha256(b"cidhub-job-cid:%s:%d" % (tag.encode(), seed)).digest()
    if codec == "dag-pb" and draw(st.booleans(), label=f"{tag} v0"):
        return CID("base58btc", 0, "dag-pb", ("sha2-256", digest))
    return CID("base32", 1, codec, ("sha2-256", digest))


@st.composite
def upstream_shares(draw: st.DrawFn, count: int) -> tuple[int, tuple[int, ...]]:
    """(model share, dataset shares): each at least MIN_SHARE_BPS, all together at most the cap."""
    budget = JOB_MAX_UPSTREAM_BPS - JOB_MIN_SHARE_BPS * (count + 1)
    shares = []
    for _ in range(count + 1):
        extra = draw(st.integers(0, budget), label="share above minimum")
        budget -= extra
        shares.append(JOB_MIN_SHARE_BPS + extra)
    return shares[0], tuple(shares[1:])


@st.composite
def jobs(draw: st.DrawFn, *, models: tuple[int, ...], datasets: tuple[int, ...], verifiers: tuple[str, ...],
         owners: st.SearchStrategy[str], consumers: st.SearchStrategy[str] | None = None,
         royalties: st.SearchStrategy[int] | None = None, exotic_metadata: bool = False) -> Job:
    """A job the hub's own checks accept, every field drawn independently: model and datasets
    among the registered ones (1 to MAX_INPUTS, any order), shares anywhere in their range,
    params/output/metadata CIDs of several forms, any licence, royalty up to the cap, any owner
    `owners` draws (callers exclude the zero address), verifier, and consumer (zero or a contract).

    The registry takes only a sha2-256 metadata CID and a royalty up to its cap: `exotic_metadata`
    and `royalties` go past that, for properties about who refuses such a job, and when."""
    model_id = draw(st.sampled_from(models), label="model")
    usable = [d for d in datasets if d != model_id]
    dataset_ids = tuple(draw(st.lists(st.sampled_from(usable), min_size=1, max_size=min(JOB_MAX_INPUTS, len(usable)),
                                      unique=True), label="datasets"))
    model_share, dataset_shares = draw(upstream_shares(len(dataset_ids)), label="shares")
    return Job(
        model_id=model_id, dataset_ids=dataset_ids, model_share_bps=model_share, dataset_shares_bps=dataset_shares,
        params_cid=draw(job_cids("params"), label="params"), output_cid=draw(job_cids("output"), label="output"),
        metadata_cid=draw(job_cids("metadata", exotic=exotic_metadata), label="metadata"),
        owner=draw(owners, label="owner"),
        verifier=draw(st.sampled_from(verifiers), label="verifier"),
        licence_id=draw(st.integers(0, 2**16 - 1), label="licence"),
        royalty_bps=draw(royalties if royalties is not None else st.integers(0, JOB_MAX_ROYALTY_BPS), label="royalty"),
        consumer=draw(consumers, label="consumer") if consumers is not None else ZERO_ADDRESS,
    )


def _twin(cid, codec: str):
    """The same multihash under another codec: the same asset id, another CID (and job hash)."""
    if isinstance(cid, CID):
        return CID("base32", 1, codec, cid.digest)
    from cidhub.compute.jobs import chain_cid  # a ChainCid: rebuild the bytes around its multihash

    code = {"raw": 0x55, "dag-pb": 0x70, "dag-cbor": 0x71, "dag-json": 0x0129}[codec]
    return chain_cid(b"\x01" + _varint(code) + bytes(cid)[cid.multihash_start:])


@st.composite
def job_mutations(draw: st.DrawFn, job: Job, *, models: tuple[int, ...], datasets: tuple[int, ...],
                  verifiers: tuple[str, ...], owners: st.SearchStrategy[str],
                  consumers: st.SearchStrategy[str] | None = None,
                  fields: tuple[str, ...] = JOB_FIELDS) -> tuple[str, Job]:
    """(field, job) where exactly one field of `job` differs, to a value the hub's own checks still
    accept: a copy of an accepted job that a proof or signature of `job` must not vouch for.

    Every field can be drawn; one that has no other valid value here (one model only, a single
    verifier...) is skipped for the next one."""
    start = draw(st.integers(0, len(fields) - 1), label="field")
    for offset in range(len(fields)):
        name = fields[(start + offset) % len(fields)]
        value = draw(_mutated_value(job, name, models, datasets, verifiers, owners, consumers), label=name)
        if value is not None and value != getattr(job, name):
            return name, replace(job, **{name: value})
    raise ValueError("job_mutations(): no field of the job can change")


@st.composite
def _mutated_value(draw, job: Job, name: str, models, datasets, verifiers, owners, consumers):
    if name == "model_id":
        others = [m for m in models if m != job.model_id and m not in job.dataset_ids]
        return draw(st.sampled_from(others)) if others else None
    if name == "dataset_ids":
        spare = [d for d in datasets if d != job.model_id and d not in job.dataset_ids]
        ids = list(job.dataset_ids)
        how = draw(st.sampled_from(("replace", "reorder")))
        if how == "reorder" and len(ids) > 1:
            i = draw(st.integers(0, len(ids) - 2))
            ids[i], ids[i + 1] = ids[i + 1], ids[i]
            return tuple(ids) if ids[i] != ids[i + 1] else None
        if not spare:
            return None
        ids[draw(st.integers(0, len(ids) - 1))] = draw(st.sampled_from(spare))
        return tuple(ids)
    if name == "model_share_bps":
        room = JOB_MAX_UPSTREAM_BPS - sum(job.dataset_shares_bps)
        value = draw(st.integers(JOB_MIN_SHARE_BPS, room))
        return value if value != job.model_share_bps else None
    if name == "dataset_shares_bps":
        shares = list(job.dataset_shares_bps)
        i = draw(st.integers(0, len(shares) - 1))
        room = JOB_MAX_UPSTREAM_BPS - job.model_share_bps - (sum(shares) - shares[i])
        shares[i] = draw(st.integers(JOB_MIN_SHARE_BPS, room))
        return tuple(shares)
    if name in ("params_cid", "output_cid", "metadata_cid"):
        current = getattr(job, name)
        if draw(st.booleans()):  # same digest, another codec: same asset id, another CID
            codec = draw(st.sampled_from(("raw", "dag-pb", "dag-cbor", "dag-json")))
            twin = _twin(current, codec)
            return twin if bytes(twin) != bytes(current) else None
        return draw(job_cids(name.removesuffix("_cid"), exotic=name != "metadata_cid"))
    if name == "licence_id":
        return draw(st.integers(0, 2**16 - 1))
    if name == "royalty_bps":
        return draw(st.integers(0, JOB_MAX_ROYALTY_BPS))
    if name == "owner":
        return to_checksum_address(draw(owners))
    if name == "verifier":
        others = [v for v in verifiers if v.lower() != job.verifier.lower()]
        return draw(st.sampled_from(others)) if others else None
    if name == "consumer":
        return to_checksum_address(draw(consumers)) if consumers is not None else None
    raise ValueError(f"unknown job field {name!r}")


# ---------------------------------------------------------------------------- settings at bounds

U256_MAX = 2**256 - 1


def at_bounds(low: int, high: int, *, inside: bool = True) -> st.SearchStrategy[int]:
    """A value at or just past the edges of [low, high]: 0, low - 1, low, low + 1, high - 1, high,
    high + 1, 2**255, 2**256 - 1 (those that fit a uint256), and with `inside` sometimes any value
    in between. A setter must accept exactly [low, high]."""
    edges = {0, low - 1, low, low + 1, high - 1, high, high + 1, 2**255, U256_MAX}
    values = sorted(v for v in edges if 0 <= v <= U256_MAX)
    if inside and low <= high:
        return st.one_of(st.sampled_from(values), st.integers(low, high))
    return st.sampled_from(values)
