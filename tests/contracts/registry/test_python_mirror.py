"""cidhub.chain.registry (the Python mirror) and the contract agree on ids and on what is refused."""

from __future__ import annotations

import ape
import pytest
from multiformats import CID

from cidhub.chain.registry import MAX_PARENTS, Kind, Registration, RegistrationError, asset_id_for

from . import cids


@pytest.mark.parametrize("form", list(cids.CONTENT_FORMS))
def test_asset_id_for__matches_contract(registry, creator, form):
    content = cids.CONTENT_FORMS[form]()

    tx = registry.register(content, 0, cids.metadata(), 0, [], [], 0, sender=creator)

    (event,) = tx.decode_logs(registry.AssetRegistered)
    assert asset_id_for(content) == event.asset_id
    assert asset_id_for(CID.decode(content)) == event.asset_id
    assert asset_id_for(str(CID.decode(content))) == event.asset_id  # base58btc text
    if content[0] == 1:
        assert asset_id_for(str(CID.decode(content).set(base="base32"))) == event.asset_id
    assert registry.asset_id_of(content) == event.asset_id


def test_asset_id_for__v0_text_and_v1_text__match_contract(registry, new_asset):
    raw_digest = cids.digest()
    asset_id = new_asset(cid=cids.v0(raw_digest))
    v0_text = str(CID.decode(cids.v0(raw_digest)))
    v1_text = str(CID.decode(cids.sha256_v1(cids.DAG_PB, raw_digest)).set(base="base32"))

    assert v0_text.startswith("Qm") and v1_text.startswith("bafy")
    assert asset_id_for(v0_text) == asset_id_for(v1_text) == asset_id


@pytest.mark.parametrize("form", ["v1-raw", "v0", "v1-blake3", "v1-sha2-512"])
def test_registration__built_in_python__registers_under_its_id(registry, creator, new_asset, form):
    parent = new_asset()
    registration = Registration.build(
        cids.CONTENT_FORMS[form](),
        "model",
        cids.metadata(),
        licence_id=5,
        parents=[parent],
        shares_bps=[1_000],
        royalty_bps=300,
    )

    tx = registry.register(*registration.as_args(), sender=creator)

    (event,) = tx.decode_logs(registry.AssetRegistered)
    assert event.asset_id == registration.asset_id
    assert registry.kind_of(event.asset_id) == Kind.MODEL


REFUSED = {
    "zero-content-digest": (dict(content=cids.sha256_v1(cids.RAW, bytes(32))), "registry: zero digest"),
    "metadata-blake3": (
        dict(metadata=cids.v1(cids.RAW, cids.BLAKE3, cids.digest())),
        "registry: metadata cid must be sha2-256",
    ),
    "too-many-parents": (
        dict(parents=list(range(1, MAX_PARENTS + 2)), shares=[0] * (MAX_PARENTS + 1)),
        "registry: too many parents",
    ),
    "duplicate-parent": (dict(parents="dup", shares=[1, 1]), "registry: duplicate parent"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_registration_validate__refuses_what_contract_refuses(registry, creator, new_asset, name):
    overrides, reason = REFUSED[name]
    args = dict(content=cids.sha256_v1(), metadata=cids.metadata(), parents=[], shares=[], royalty_bps=0)
    args.update(overrides)
    if args["parents"] == "dup":
        existing = new_asset()
        args["parents"] = [existing, existing]

    with pytest.raises(RegistrationError):
        Registration.build(
            args["content"], Kind.DATASET, args["metadata"], parents=args["parents"], shares_bps=args["shares"],
            royalty_bps=args["royalty_bps"],
        )
    with ape.reverts(reason):
        registry.register(
            args["content"], 0, args["metadata"], 0, args["parents"], args["shares"], args["royalty_bps"],
            sender=creator,
        )
