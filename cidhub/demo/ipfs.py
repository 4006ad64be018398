"""The IPFS part of `make demo`: start the embedded node, publish an asset through its Kubo RPC
with the ``kubo`` backend, then fetch it back through the node's gateway and verify every block.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from cidhub.chain.registry import Kind, format_asset_id
from cidhub.content.store import BlockStore
from cidhub.ipfs.node.server import EmbeddedNode
from cidhub.ipfs.pinning import KuboPinTarget, LocalBackend
from cidhub.ipfs.verify import verify_gateway
from cidhub.output import print_table, short_hex
from cidhub.publish import PinningPlan, PublishRequest, publish


def run_ipfs_demo(registry: Any, publisher: Any, store: BlockStore, *, parent: int | None = None) -> None:
    """Publish an evaluation report via the embedded node (kubo backend) and verify it via its gateway."""
    click.secho("IPFS: the embedded node as a Kubo RPC and a trustless gateway", bold=True)
    work = Path(tempfile.mkdtemp(prefix="cidhub-node-demo-"))
    node = EmbeddedNode(BlockStore(work / "node", fsync=False)).start()
    try:
        click.echo(f"   node RPC {node.api_multiaddr}, gateway {node.url}/ipfs/")
        report = work / "evaluation-report.json"
        report.write_text(json.dumps({
            "task": "anomaly detection on sensor-readings", "metric": "F1", "value": 0.91,
            "evaluated": format_asset_id(parent) if parent is not None else None,
        }, indent=2) + "\n")
        plan = PinningPlan([LocalBackend(store), KuboPinTarget(node.api_multiaddr, name="embedded-kubo")],
                           min_confirmations=2, p=0.9)
        result = publish(PublishRequest(report, Kind.RESULT, parents=[parent] if parent is not None else (),
                                        shares_bps=[500] if parent is not None else ()),
                         registry, publisher, store, pinning=plan)
        pinning = result.pinning or {}
        print_table(
            f"published {report.name} as asset {short_hex(format_asset_id(result.asset_id))} "
            f"(P = 1-(1-0.9)^{pinning.get('confirmed')} = {pinning.get('availability', 0):.2f})",
            ["target", "holds it", "how"],
            [[t["target"], "yes" if t["confirmed"] else "no",
              ", ".join(sorted(set(filter(None, t["details"].values())))) or "-"]
             for t in pinning.get("targets", [])],
        )
        check = verify_gateway(result.cid, node.url)
        verdict = "every block matches its CID" if check.ok else f"FAILED: {check.error}"
        click.echo(f"   verified {result.cid} through {node.url}/ipfs/...?format=car: {check.blocks} block(s), "
                   f"{check.bytes} bytes, {verdict}")
    finally:
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
