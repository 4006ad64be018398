"""The private-asset part of `make demo`: a model published sealed, a stranger refused with the
reason, a buyer who pays and then downloads it, with the plaintext checked against the commitment."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import requests

from cidhub.access.client import AccessClient, AccessDeniedError
from cidhub.access.http import start_access_node
from cidhub.chain.licences import LicenceOracle
from cidhub.chain.market import buy, create_offer
from cidhub.chain.registry import Kind, format_asset_id
from cidhub.content.cid import parse_cid
from cidhub.content.keystore import Keystore
from cidhub.content.store import BlockStore
from cidhub.ipfs.node.dagread import iter_file
from cidhub.output import print_table, short_hex
from cidhub.publish import PublishRequest, publish

MiB = 1024 * 1024


@dataclass
class PrivateDemoResult:
    """What the demo showed, for its test."""

    asset_id: int
    refused_reason: str
    downloaded: bytes
    plaintext: bytes
    card: dict[str, Any]


def _model_bytes(size: int) -> bytes:
    """Deterministic stand-in weights (a SHA-256 counter stream), a few chunks long."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"anomaly-premium weights %d" % counter).digest()
        counter += 1
    return bytes(out[:size])


def run_private_demo(registry: Any, market: Any, store: BlockStore, *, publisher: Any, buyer: Any, outsider: Any,
                     rpc_url: str, size: int = 2 * MiB + 123_456) -> PrivateDemoResult:
    """Publish a private model, show a stranger refused and a buyer served, on the demo's chain."""
    click.secho("Private assets: sealed on IPFS, read by licence holders through the access service", bold=True)
    work = Path(tempfile.mkdtemp(prefix="cidhub-private-demo-"))
    keystore = Keystore(work / "keystore", os.urandom(32))  # the master key lives in this process only
    node = start_access_node(store, keystore, LicenceOracle.connect(rpc_url, market.address))
    try:
        click.echo(f"   access service {node.access_url} (SIWE domain {node.service.signin.domain}, "
                   f"chain {node.service.signin.chain_id}), gateway {node.url}/ipfs/")
        plaintext = _model_bytes(size)
        model = work / "anomaly-premium.weights"
        model.write_bytes(plaintext)
        result = publish(PublishRequest(model, Kind.MODEL, private=True, access_endpoint=node.access_url,
                                        name="anomaly-premium (private weights)", licence_id=3, royalty_bps=500),
                         registry, publisher, store, keystore=keystore)
        card = json.loads(b"".join(iter_file(store, parse_cid(result.metadata_cid))))
        asset = format_asset_id(result.asset_id)
        print_table(f"published private model {short_hex(asset)}", ["what", "value"], [
            ["registered CID (ciphertext)", result.cid],
            ["card says", json.dumps({k: card["access"][k] for k in ("private", "scheme", "plaintext_size",
                                                                      "endpoint")})],
            ["data key", f"in the service's keystore ({keystore.root.name}/, wrapped under its master key)"],
        ])
        public = requests.get(f"{node.url}/ipfs/{result.cid}", timeout=30).content
        click.echo(f"   the public gateway serves {len(public):,} bytes of ciphertext (starts {public[:16]!r}); "
                   f"plaintext in it: {plaintext[:32] in public}")
        offer = create_offer(market, registry, publisher, result.asset_id, price=2 * 10**16, duration=30 * 86_400)

        stranger = AccessClient(node.access_url, outsider)
        stranger.sign_in()
        try:
            stranger.read(asset, 0, 1024)
            raise click.ClickException("a stranger without a licence was served the private model")
        except AccessDeniedError as exc:
            refused = exc.reason
            click.echo(f"   {short_hex(outsider.address)} signed in (EIP-4361) but holds no licence: "
                       f"HTTP {exc.status}, reason {exc.reason!r}")

        receipt = buy(market, buyer, offer.offer_id)
        click.echo(f"   {short_hex(buyer.address)} bought a 30-day licence (offer {offer.offer_id}, "
                   f"gas {receipt.gas_used:,})")
        client = AccessClient(node.access_url, buyer)
        out = work / "downloaded.weights"
        got = client.download(asset, out)
        downloaded = out.read_bytes()
        tail = client.read(asset, size - 1000)
        print_table("downloaded by the licence holder", ["bytes", "sha256 (checked against the sealed commitment)",
                                                          "same as published", "Range read of the last 1000 B"], [
            [f"{got.size:,}", got.sha256, "yes" if downloaded == plaintext else "NO",
             "ok" if tail == plaintext[-1000:] else "WRONG"]])
        if downloaded != plaintext:
            raise click.ClickException("the download does not match the published model")
        return PrivateDemoResult(result.asset_id, refused, downloaded, plaintext, card)
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
