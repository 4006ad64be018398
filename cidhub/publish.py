"""Publishing an asset: compute its CID, keep its blocks, upload its card, register it on-chain.

Every check that can fail runs before the transaction is sent (the path is readable, the card
is JSON, the parents exist, the CID is not registered yet, shares and royalty are in range), so
a mistake costs no gas and names what to fix. The content and its card are stored in the local
block store (the default pin target) before registration, so nothing is registered whose bytes
this machine does not hold.

With a :class:`PinningPlan` (``ape run publish --pin ...``) the content and card are also
pinned on every target, each target's answer is checked against the CID computed here, and
registration happens only once ``min_confirmations`` targets confirmed. A publish journal
(:mod:`cidhub.journal`) makes a rerun after a crash resume: no pin is sent twice, no asset is
registered twice.

A **private** asset (``PublishRequest(private=True, access_endpoint=...)`` with a keystore,
``ape run publish --private``) is sealed first (:mod:`cidhub.content.sealed`: a fresh data key,
AES-256-GCM STREAM); the ciphertext's CID is what is stored, pinned and registered, the data key
goes to the access service's keystore before the registration is sent, and the card says only
that the asset is private, the scheme, the plaintext size and where to ask for access.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multiformats import CID

from cidhub.chain.registry import Kind, Registration, RegistrationError, format_asset_id, parse_asset_ref
from cidhub.content.cid import cid_to_bytes
from cidhub.content.keystore import Keystore
from cidhub.content.sealed import SCHEME, SCHEME_DESCRIPTION, digest_stream, seal_stream
from cidhub.content.store import BlockStore, LocalPinTarget, PinTarget
from cidhub.content.unixfs import FileImporter, ImportResult, get_profile, import_bytes, import_file
from cidhub.errors import CidhubError

if TYPE_CHECKING:
    from cidhub.journal import PublishJournal

CARD_SCHEMA = "https://cidhub.dev/schemas/asset-card/v1"


class PublishError(CidhubError):
    """Publishing stopped before anything was sent; the message says why and what to do."""


class AlreadyRegisteredError(PublishError):
    def __init__(self, cid: CID, asset_id: int, owner: str):
        self.cid, self.asset_id, self.owner = cid, asset_id, owner
        super().__init__(
            f"{cid} is already registered as asset {format_asset_id(asset_id)} (owner {owner}); "
            "nothing was sent. Publish a new version with --previous if the content changed."
        )


@dataclass
class PublishRequest:
    path: Path
    kind: Kind
    metadata_path: Path | None = None
    licence_id: int = 0
    parents: Sequence[str | int] = ()
    shares_bps: Sequence[int] = ()
    royalty_bps: int = 0
    profile: str = "unixfs-v1-2025"
    name: str | None = None
    # An earlier version this asset succeeds (id or CID): registered with register_version.
    previous: str | int | None = None
    # Private: seal the content, register the ciphertext, deposit the data key in the keystore.
    private: bool = False
    # The access service's base URL (".../access/v1") the card names for a private asset.
    access_endpoint: str | None = None


@dataclass
class PreparedAsset:
    """Everything that goes on-chain, computed and stored locally, nothing sent yet."""

    request: PublishRequest
    content: ImportResult
    card_cid: CID
    card: bytes
    registration: Registration
    # Private assets: the plaintext's size (content.size is the ciphertext's).
    plaintext_size: int | None = None

    @property
    def asset_id(self) -> int:
        return self.registration.asset_id


@dataclass
class PublishResult:
    asset_id: int
    cid: str
    metadata_cid: str
    kind: str
    size: int
    parents: list[str] = field(default_factory=list)
    owner: str = ""
    tx_hash: str | None = None
    block: int | None = None
    gas_used: int | None = None
    # Set by a publish with a PinningPlan: per-target results and the availability estimate.
    pinning: dict[str, Any] | None = None
    # True when this run completed a registration an interrupted run had already sent.
    resumed: bool = False
    # Private assets: the plaintext size and the access endpoint (the CID is the ciphertext's).
    private: bool = False
    plaintext_size: int | None = None
    access_endpoint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "private": self.private,
            "plaintext_size": self.plaintext_size,
            "access_endpoint": self.access_endpoint,
            "asset_id": format_asset_id(self.asset_id),
            "cid": self.cid,
            "metadata_cid": self.metadata_cid,
            "kind": self.kind,
            "size": self.size,
            "parents": self.parents,
            "owner": self.owner,
            "tx_hash": self.tx_hash,
            "block": self.block,
            "gas_used": self.gas_used,
            "pinning": self.pinning,
            "resumed": self.resumed,
        }


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise PublishError(f"{path} does not exist")
    if not os.access(path, os.R_OK):
        raise PublishError(f"{path} is not readable (check its permissions)")


def default_card(request: PublishRequest, content: ImportResult, parent_cids: Iterable[str]) -> dict[str, Any]:
    """A minimal model/data card, deterministic so that publishing twice yields the same card CID."""
    return {
        "$schema": CARD_SCHEMA,
        "name": request.name or request.path.name,
        "kind": request.kind.name.lower(),
        "content": {"cid": str(content.cid), "size": content.size, "cid_profile": content.profile,
                    "type": content.kind},
        "licence_id": request.licence_id,
        "derived_from": list(parent_cids),
    }


def private_card(request: PublishRequest, content: ImportResult, plaintext_size: int, parent_cids: Iterable[str],
                 base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The public card of a private asset: what is needed to buy and read it, and nothing about its bytes.

    No plaintext hash or CID (either would let anyone confirm a guess of the content), no file
    name unless ``request.name`` gives one. ``base`` is the publisher's own card, kept as written.
    """
    card = dict(base) if base is not None else {
        "$schema": CARD_SCHEMA,
        "name": request.name or f"private {request.kind.name.lower()}",
        "kind": request.kind.name.lower(),
        "content": {"cid": str(content.cid), "size": content.size, "cid_profile": content.profile, "type": "sealed"},
        "licence_id": request.licence_id,
        "derived_from": list(parent_cids),
    }
    card["access"] = {
        "private": True,
        "scheme": SCHEME,
        "cipher": SCHEME_DESCRIPTION,
        "plaintext_size": plaintext_size,
        "endpoint": request.access_endpoint,
        "sign_in": "EIP-4361 (Sign-In with Ethereum); licence checked with Marketplace.has_access",
    }
    return card


def _check_private(request: PublishRequest, keystore: Keystore | None) -> None:
    if not request.private:
        return
    if keystore is None:
        raise PublishError("a private asset needs the access service's keystore for its data key "
                           "(--keystore DIR and the master key in $CIDHUB_ACCESS_MASTER_KEY)")
    if not request.access_endpoint:
        raise PublishError("a private asset needs --access-endpoint URL: the access service buyers will sign in to")
    if not request.access_endpoint.startswith(("http://", "https://")):
        raise PublishError(f"access endpoint {request.access_endpoint!r} is not an http(s) URL")
    if not request.path.is_file():
        raise PublishError(f"{request.path} is not a regular file; only single files can be published private")


def _seal_into_store(request: PublishRequest, store: BlockStore, keystore: Keystore) -> tuple[ImportResult, int]:
    """Seal the file into the store (two reads: hash, then seal); deposit its data key. Returns (ciphertext, size)."""
    from cidhub.chain.registry import asset_id_for

    with open(request.path, "rb") as stream:
        digest = digest_stream(stream)
    # Same plaintext -> same params -> same ciphertext and CID: an interrupted publish resumes.
    params = keystore.seal_params(digest.sha256)
    importer = FileImporter(request.profile, store.put_block)
    with open(request.path, "rb") as stream:
        for piece in seal_stream(stream, params, digest):
            importer.write(piece)
    content = importer.finish()
    keystore.put(asset_id_for(content.cid), str(content.cid), params.key)
    return content, digest.size


def prepare(request: PublishRequest, store: BlockStore, *, progress: bool = False,
            keystore: Keystore | None = None) -> PreparedAsset:
    """Compute and store the content and its card; validate the registration. Sends nothing.

    ``progress`` shows a progress bar (on stderr) while a file is read and hashed. A private
    request is sealed, and its data key deposited in ``keystore``.
    """
    _check_readable(request.path)
    get_profile(request.profile)  # unknown profile -> clear error before reading anything
    _check_private(request, keystore)
    parents = [parse_asset_ref(p) for p in request.parents]
    card_bytes: bytes | None = None
    if request.metadata_path is not None:
        _check_readable(request.metadata_path)
        card_bytes = request.metadata_path.read_bytes()
        try:
            json.loads(card_bytes)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PublishError(f"metadata card {request.metadata_path} is not valid JSON: {exc}") from None
    plaintext_size: int | None = None
    try:
        if request.private:
            assert keystore is not None
            content, plaintext_size = _seal_into_store(request, store, keystore)
        elif progress and request.path.is_file():
            content = _add_with_progress(store, request.path, request.profile)
        else:
            content = store.add_file(request.path, request.profile)
    except OSError as exc:
        raise PublishError(f"cannot read {request.path}: {exc.strerror or exc}") from None
    parent_ids = [format_asset_id(p) for p in parents]
    if request.private:
        assert plaintext_size is not None
        base = None
        if card_bytes is not None:
            base = json.loads(card_bytes)
            if not isinstance(base, dict):
                raise PublishError(f"metadata card {request.metadata_path} must be a JSON object for a private asset")
        card = private_card(request, content, plaintext_size, parent_ids, base)
        card_bytes = (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()
    elif card_bytes is None:
        card = default_card(request, content, parent_ids)
        card_bytes = (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()
    card_result = import_bytes(card_bytes, request.profile, store.put_block)
    try:
        registration = Registration.build(
            content.cid, request.kind, card_result.cid, request.licence_id, parents, request.shares_bps,
            request.royalty_bps,
        )
    except RegistrationError as exc:
        raise PublishError(str(exc)) from None
    label = request.name or (f"private {request.kind.name.lower()}" if request.private else request.path.name)
    LocalPinTarget(store).pin(content.cid, label=label)
    LocalPinTarget(store).pin(card_result.cid, label=f"card of {label}")
    return PreparedAsset(request, content, card_result.cid, card_bytes, registration, plaintext_size)


def check_onchain(prepared: PreparedAsset, registry: Any) -> None:
    """Raise before sending if the chain would reject the registration."""
    existing = registry.asset_id_of(cid_to_bytes(prepared.content.cid))
    if existing:
        raise AlreadyRegisteredError(prepared.content.cid, existing, registry.ownerOf(existing))
    previous = prepared.request.previous
    if previous is not None:
        previous_id = parse_asset_ref(previous)
        if not asset_exists(registry, previous_id):
            raise PublishError(f"previous version {format_asset_id(previous_id)} is not registered on this chain")
        latest = registry.latest_version(previous_id)
        if latest != previous_id:
            raise PublishError(
                f"{format_asset_id(previous_id)} already has a newer version {format_asset_id(latest)}; "
                "pass that one as --previous"
            )
    for parent in prepared.registration.parents:
        if not asset_exists(registry, parent):
            raise PublishError(
                f"parent {format_asset_id(parent)} is not registered on this chain; publish it first"
            )


def asset_exists(registry: Any, asset_id: int) -> bool:
    from ape.exceptions import ContractLogicError

    try:
        registry.ownerOf(asset_id)
    except ContractLogicError:
        return False
    return True


def register(prepared: PreparedAsset, registry: Any, sender: Any) -> PublishResult:
    """Send the registration and read the result back from the receipt's events."""
    check_onchain(prepared, registry)
    args = prepared.registration.as_args()
    if prepared.request.previous is not None:
        receipt = registry.register_version(parse_asset_ref(prepared.request.previous), *args, sender=sender)
    else:
        receipt = registry.register(*args, sender=sender)
    events = receipt.decode_logs(registry.AssetRegistered)
    if not events:
        raise PublishError(f"transaction {receipt.txn_hash} emitted no AssetRegistered event")
    asset_id = events[0].asset_id
    return PublishResult(
        asset_id=asset_id,
        cid=str(prepared.content.cid),
        metadata_cid=str(prepared.card_cid),
        kind=prepared.registration.kind.name.lower(),
        size=prepared.content.size,
        parents=[format_asset_id(p) for p in prepared.registration.parents],
        owner=sender.address,
        tx_hash=str(receipt.txn_hash),
        block=receipt.block_number,
        gas_used=receipt.gas_used,
        private=prepared.request.private,
        plaintext_size=prepared.plaintext_size,
        access_endpoint=prepared.request.access_endpoint if prepared.request.private else None,
    )


def publish(
    request: PublishRequest,
    registry: Any,
    sender: Any,
    store: BlockStore,
    *,
    pinning: PinningPlan | None = None,
    chain: ChainContext | None = None,
    keystore: Keystore | None = None,
) -> PublishResult:
    """prepare + register: the whole flow behind `ape run publish`.

    Without ``pinning`` the content is kept in the local store only (the original flow, no
    journal). With it, see :func:`publish_pinned`. ``keystore`` receives a private asset's data key.
    """
    if pinning is None:
        return register(prepare(request, store, keystore=keystore), registry, sender)
    return publish_pinned(request, registry, sender, store, pinning, chain or ChainContext.from_ape(),
                          keystore=keystore)


@dataclass
class PinningPlan:
    """Where to pin before registering, and how many targets must confirm.

    Attributes:
        targets: pin targets (``cidhub.ipfs.pinning.build_targets`` makes them from ``--pin``).
        min_confirmations: targets that must confirm; default all of them.
        p: per-target availability for the estimate ``P = 1 - (1 - p)^k``.
        progress: show progress bars while hashing and uploading.
    """

    targets: Sequence[PinTarget]
    min_confirmations: int | None = None
    p: float = 0.9
    progress: bool = False
    parallel: bool = True


@dataclass
class ChainContext:
    """The two facts about the chain the journal needs; from Ape unless a caller supplies them."""

    chain_id: int
    height: Callable[[], int]

    @classmethod
    def from_ape(cls) -> ChainContext:
        from ape import chain

        return cls(chain.chain_id, lambda: chain.blocks.height)


def publish_pinned(
    request: PublishRequest, registry: Any, sender: Any, store: BlockStore, plan: PinningPlan, chain: ChainContext,
    *, keystore: Keystore | None = None,
) -> PublishResult:
    """Compute, pin on the plan's targets (verified), then register; resumable through the journal."""
    from cidhub.ipfs.pinning import PinJob, car_source, replicate
    from cidhub.journal import PublishJournal

    prepared = prepare(request, store, progress=plan.progress, keystore=keystore)
    journal_dir = store.root / "journal"

    def open_journal() -> PublishJournal:
        return PublishJournal.open(journal_dir, chain_id=chain.chain_id, registry=str(registry.address),
                                   sender=str(sender.address), content_cid=prepared.content.cid,
                                   card_cid=prepared.card_cid)

    interrupted = PublishJournal.exists(journal_dir, chain_id=chain.chain_id, registry=str(registry.address),
                                        sender=str(sender.address), content_cid=prepared.content.cid)
    if interrupted:
        journal = open_journal()
        finished = _finish_interrupted(journal, prepared, registry, sender, chain)
        if finished is not None:
            return finished
    try:
        check_onchain(prepared, registry)
    except AlreadyRegisteredError:
        if interrupted:
            journal.discard("the CID was registered by someone else meanwhile")
        raise
    if not interrupted:
        journal = open_journal()
    # A private asset's pins name neither its file nor its path: backends that re-import a file
    # (Kubo `add` mode) would upload the plaintext, so they get the ciphertext's CAR only.
    name = request.name or (f"private {request.kind.name.lower()}" if request.private else request.path.name)
    with _upload_progress(plan, name, prepared.content.dag_size) as on_bytes:
        jobs = [
            PinJob(prepared.content.cid, car_source(store, prepared.content.cid, on_bytes), name,
                   None if request.private else request.path, get_profile(request.profile), prepared.content.size),
            PinJob(prepared.card_cid, car_source(store, prepared.card_cid), f"card of {name}"),
        ]
        report = replicate(
            jobs, plan.targets, min_confirmations=plan.min_confirmations or len(plan.targets), p=plan.p,
            done=journal.confirmed_pins(), parallel=plan.parallel,
            on_pinned=lambda target, job, status: journal.record_pin(target, job.root, status.detail),
        )
    report.raise_if_short()
    journal.mark_pinned()
    journal.mark_registering(chain.height())
    result = register(prepared, registry, sender)
    result.pinning = report.as_dict()
    journal.mark_registered(result.as_dict())
    return result


def _finish_interrupted(
    journal: Any, prepared: PreparedAsset, registry: Any, sender: Any, chain: ChainContext
) -> PublishResult | None:
    """If an interrupted run's transaction landed, complete its journal and return its result."""
    if journal.state != "registering":
        return None
    asset_id = registry.asset_id_of(cid_to_bytes(prepared.content.cid))
    if not asset_id or str(registry.ownerOf(asset_id)).lower() != str(sender.address).lower():
        return None
    tx_hash, block = _find_registration(registry, asset_id, journal.registering_block, chain)
    pins = journal.confirmed_pins()
    result = PublishResult(
        asset_id=asset_id,
        cid=str(prepared.content.cid),
        metadata_cid=str(prepared.card_cid),
        kind=prepared.registration.kind.name.lower(),
        size=prepared.content.size,
        parents=[format_asset_id(p) for p in prepared.registration.parents],
        owner=str(sender.address),
        tx_hash=tx_hash,
        block=block,
        pinning={"targets": [{"target": t, "confirmed": True, "resumed": True} for t in pins],
                 "confirmed": len(pins)},
        resumed=True,
        private=prepared.request.private,
        plaintext_size=prepared.plaintext_size,
        access_endpoint=prepared.request.access_endpoint if prepared.request.private else None,
    )
    journal.mark_registered(result.as_dict())
    return result


def _find_registration(registry: Any, asset_id: int, from_block: int | None,
                       chain: ChainContext) -> tuple[str | None, int | None]:
    """The transaction that registered ``asset_id``, searched from the journal's block on."""
    if from_block is None:
        return None, None
    try:
        for log in registry.AssetRegistered.range(from_block, chain.height() + 1):
            if log.asset_id == asset_id:
                return str(log.transaction_hash), int(log.block_number)
    except Exception:  # noqa: BLE001 - a provider without log queries: the hash is only informative
        return None, None
    return None, None


def _add_with_progress(store: BlockStore, path: Path, profile: str) -> ImportResult:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    size = path.stat().st_size
    columns = (TextColumn("hashing {task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar, open(path, "rb", buffering=0) as raw:
        task = bar.add_task(path.name, total=size)
        reader = _CountingReader(raw, lambda n: bar.advance(task, n))
        return import_file(reader, profile, store.put_block)  # type: ignore[arg-type]


@contextlib.contextmanager
def _upload_progress(plan: PinningPlan, name: str, dag_size: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the bytes every remote target reads from the CAR (local ones read none)."""
    remote = sum(1 for t in plan.targets if not isinstance(t, LocalPinTarget))
    if not plan.progress or remote == 0:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn("uploading {task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(name, total=dag_size * remote)
        yield lambda n: bar.advance(task, n)


class _CountingReader:
    """A binary stream that reports how many bytes were read (for progress bars)."""

    def __init__(self, raw: Any, on_bytes: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_bytes = on_bytes

    def readinto(self, buffer: Any) -> int | None:
        n: int | None = self._raw.readinto(buffer)
        if n:
            self._on_bytes(n)
        return n
