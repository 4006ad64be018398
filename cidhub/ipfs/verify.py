"""``cidhub verify``: fetch an asset's DAG back from somewhere and re-hash every block.

Sources:

* a gateway (``http://host:port``): the whole DAG as one CAR (``?format=car``, Trustless
  Gateway) read with :class:`~cidhub.content.car.CarReader`, which hashes every block as it streams;
  or, with ``mode="blocks"``, one ``?format=raw`` request per block for gateways without CAR
  support;
* a pin target (``kubo``, ``local``): ``get_block`` for every block, walking the DAG.

Either way the report says whether the DAG under the expected CID is complete and every block
matches its CID. Nothing from the source is trusted: a truncated response, a corrupted block,
a CAR for another root or a block that does not hash to its CID all make the check fail with a
message naming the block.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, cast

import requests
import urllib3.exceptions

from cidhub.content.car import CarReader, verify_block
from cidhub.content.cid import CID, CidLike, cid_from_bytes, parse_cid
from cidhub.content.store import PinTarget
from cidhub.content.unixfs import iter_links
from cidhub.errors import CarError, CidhubError, UnixfsError
from cidhub.ipfs.pinning.base import same_dag

__all__ = ["VerifyReport", "verify_gateway", "verify_target", "VerificationError"]

_CAR_ACCEPT: Final = "application/vnd.ipld.car; version=1; order=dfs; dups=n"
_RAW_ACCEPT: Final = "application/vnd.ipld.raw"


class VerificationError(CidhubError):
    """The content could not be verified (raised by callers that want an exception)."""


@dataclass
class VerifyReport:
    cid: str
    source: str
    method: str
    ok: bool
    blocks: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cid": self.cid, "source": self.source, "method": self.method, "ok": self.ok,
            "blocks": self.blocks, "bytes": self.bytes, "seconds": round(self.seconds, 3), "error": self.error,
        }


class _Walk:
    """Tracks which blocks the DAG needs and which arrived, as blocks stream in."""

    def __init__(self, root: CID) -> None:
        self.needed: set[bytes] = {bytes(root)}
        self.seen: set[bytes] = set()
        self.blocks = 0
        self.bytes = 0

    def add(self, cid_bytes: bytes, data: bytes) -> list[bytes]:
        self.blocks += 1
        self.bytes += len(data)
        self.seen.add(cid_bytes)
        try:
            links = list(iter_links(cid_bytes, data))
        except UnixfsError as exc:
            raise CarError(f"block {cid_from_bytes(cid_bytes)} cannot be decoded: {exc}") from None
        self.needed.update(links)
        return links

    def missing(self) -> list[bytes]:
        return sorted(self.needed - self.seen)


def verify_gateway(
    cid: CidLike, gateway: str, *, mode: str = "car", timeout: float = 60.0, session: requests.Session | None = None,
) -> VerifyReport:
    """Fetch ``cid`` from a trustless gateway and verify every block."""
    root = parse_cid(cid)
    base = gateway.rstrip("/")
    http = session or requests.Session()
    report = VerifyReport(str(root), base, f"gateway-{mode}", ok=False)
    started = time.monotonic()
    try:
        if mode == "car":
            _verify_car_from(http, f"{base}/ipfs/{root}?format=car", root, report, timeout)
        elif mode == "blocks":
            _verify_blocks(lambda c: _get_raw(http, base, c, timeout), root, report)
        else:
            raise ValueError(f"unknown verify mode {mode!r}: use car or blocks")
        report.ok = True
    except (CidhubError, requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        report.error = _describe(exc)
    report.seconds = time.monotonic() - started
    return report


def verify_target(cid: CidLike, target: PinTarget) -> VerifyReport:
    """Walk the DAG through ``target.get_block`` and re-hash every block."""
    root = parse_cid(cid)
    report = VerifyReport(str(root), target.name, "blocks", ok=False)
    started = time.monotonic()
    try:
        _verify_blocks(target.get_block, root, report)
        report.ok = True
    except CidhubError as exc:
        report.error = str(exc)
    report.seconds = time.monotonic() - started
    return report


def _verify_car_from(http: requests.Session, url: str, root: CID, report: VerifyReport, timeout: float) -> None:
    with http.get(url, headers={"Accept": _CAR_ACCEPT}, stream=True, timeout=timeout) as response:
        if response.status_code != 200:
            raise CarError(f"{url} answered HTTP {response.status_code}: {response.text[:200].strip()}")
        ctype = response.headers.get("Content-Type", "")
        if not ctype.startswith("application/vnd.ipld.car"):
            raise CarError(f"{url} answered with {ctype or 'no content type'}, not a CAR; try --mode blocks")
        response.raw.decode_content = True
        reader = CarReader(cast(BinaryIO, response.raw))  # verifies every block against its CID while reading
        if not any(same_dag(r, root) for r in reader.roots):
            raise CarError(f"the gateway sent a CAR for {[str(r) for r in reader.roots]}, not for {root}")
        walk = _Walk(root)
        for block in reader:
            walk.add(block.cid_bytes, block.data)
        report.blocks, report.bytes = walk.blocks, walk.bytes
        missing = walk.missing()
        if missing:
            raise CarError(
                f"the CAR is incomplete: {len(missing)} block(s) of the DAG are missing, first "
                f"{cid_from_bytes(missing[0])} (truncated response?)"
            )


def _get_raw(http: requests.Session, base: str, cid: CID, timeout: float) -> bytes:
    response = http.get(f"{base}/ipfs/{cid}?format=raw", headers={"Accept": _RAW_ACCEPT}, timeout=timeout)
    if response.status_code != 200:
        raise CarError(f"{base} answered HTTP {response.status_code} for block {cid}")
    return response.content


def _verify_blocks(get: Any, root: CID, report: VerifyReport) -> None:
    walk = _Walk(root)
    stack = [bytes(root)]
    while stack:
        cid_bytes = stack.pop()
        if cid_bytes in walk.seen:
            continue
        cid = cid_from_bytes(cid_bytes)
        data = get(cid)
        verify_block(cid, data)  # raises CarError naming the block if the bytes are not its own
        links = walk.add(cid_bytes, data)
        stack.extend(reversed(links))
        report.blocks, report.bytes = walk.blocks, walk.bytes


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError)):
        return f"the response ended early (truncated transfer): {exc.__class__.__name__}"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect: {str(exc)[:200]}"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    return str(exc)
