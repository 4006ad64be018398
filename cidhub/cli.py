"""The ``cidhub`` command.

``main`` is a click group so later features add subcommands (``verify``, ``node``...) with
``@main.command()``. Output contracts scripts rely on:

* ``cidhub cid PATH`` prints the CID and a newline, nothing else (like
  ``ipfs add --only-hash -Q``), so ``CID=$(cidhub cid file)`` just works.
* Every user error (missing or unreadable path, unknown profile, bad CID, missing block) is
  one line on stderr starting with ``Error:`` and exit status 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from cidhub import __version__
from cidhub.content.car import pack_car
from cidhub.content.cid import describe_cid
from cidhub.content.store import DATA_DIR_ENV, BlockStore
from cidhub.content.unixfs import DEFAULT_PROFILE, PROFILES, Block, BlockSink, get_profile, import_path
from cidhub.errors import CidhubError

__all__ = ["main"]

#: Exit status for every user-caused failure (matches click's usage errors).
EXIT_USER_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Turn expected failures into ``Error: ...`` on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CidhubError as exc:
            _fail(str(exc))
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}")

    return wrapper  # type: ignore[return-value]


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_USER_ERROR)


_profile_option = click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default=DEFAULT_PROFILE.name,
    show_default=True,
    help="UnixFS import settings (IPIP-499 profile names).",
)
_hidden_option = click.option(
    "--hidden", is_flag=True, help="Include files and directories whose name starts with '.'."
)
_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Block store directory [default: ${DATA_DIR_ENV} or ~/.cidhub/blocks].",
)
_existing_path = click.Path(exists=True, dir_okay=True, file_okay=True, path_type=Path)
_progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr [default: when stderr is a terminal].",
)


def _content_bytes(path: Path, include_hidden: bool) -> int:
    """The bytes the importer will read: the file, or the regular files it will include."""
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for root, dirs, files in os.walk(path):
        if not include_hidden:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files = [f for f in files if not f.startswith(".")]
        for name in files:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                total += os.path.getsize(full)
    return total


@contextlib.contextmanager
def _progress(path: Path, include_hidden: bool, wanted: bool | None, then: BlockSink | None = None
              ) -> Iterator[BlockSink | None]:
    """A block sink that advances a bar by the bytes of each block (and passes blocks on).

    Block bytes slightly exceed content bytes (dag-pb framing, parent nodes), so the bar is
    clamped at the content size; it measures reading and hashing, which is the slow part.
    """
    show = sys.stderr.isatty() if wanted is None else wanted
    if not show:
        yield then
        return
    total = max(_content_bytes(path, include_hidden), 1)
    with click.progressbar(length=total, label=f"importing {path.name}", file=sys.stderr,
                           show_percent=True, show_eta=True) as bar:
        bar.is_hidden = False  # asked for explicitly, or stderr is a terminal

        def sink(block: Block) -> None:
            bar.update(min(len(block.data), total - bar.pos))
            if then is not None:
                then(block)

        yield sink
        bar.update(total - bar.pos)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cidhub")
def main() -> None:
    """cidhub: content identifiers, local blocks and CAR files for the cidhub asset registry."""


@main.command("cid")
@click.argument("path", type=_existing_path)
@_profile_option
@_hidden_option
@_progress_option
@_user_errors
def cid_command(path: Path, profile: str, hidden: bool, progress: bool | None) -> None:
    """Print the UnixFS CID of PATH (file or directory) without storing anything."""
    with _progress(path, hidden, progress) as sink:
        result = import_path(path, get_profile(profile), sink, include_hidden=hidden)
    click.echo(str(result.cid))


@main.command("add")
@click.argument("path", type=_existing_path)
@_profile_option
@_hidden_option
@_data_dir_option
@_progress_option
@_user_errors
def add_command(path: Path, profile: str, hidden: bool, data_dir: Path | None, progress: bool | None) -> None:
    """Import PATH into the local block store and print its CID."""
    store = BlockStore(data_dir)
    with _progress(path, hidden, progress, store.put_block) as sink:
        result = import_path(path, get_profile(profile), sink, include_hidden=hidden)
    click.echo(str(result.cid))


@main.command("car")
@click.argument("root")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@_data_dir_option
@_user_errors
def car_command(root: str, out: Path, data_dir: Path | None) -> None:
    """Export the DAG under ROOT from the local store as a CARv1 file OUT ('-' for stdout)."""
    store = BlockStore(data_dir)
    if str(out) == "-":
        store.export_car(root, sys.stdout.buffer)
        return
    # Write next to the target and rename, so a missing block never leaves a half CAR at OUT.
    tmp = out.with_name(f".{out.name}.partial")
    try:
        with open(tmp, "wb") as stream:
            count = store.export_car(root, stream)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    click.echo(f"wrote {count} blocks to {out}", err=True)


@main.command("pack")
@click.argument("path", type=_existing_path)
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@_profile_option
@_hidden_option
@_user_errors
def pack_command(path: Path, out: Path, profile: str, hidden: bool) -> None:
    """Write PATH as a CARv1 file OUT ('-' for stdout) without the store; print the root CID."""
    prof = get_profile(profile)
    if str(out) == "-":
        stream: BinaryIO = sys.stdout.buffer
        result = pack_car(path, stream, prof, include_hidden=hidden)
        click.echo(str(result.cid), err=True)
        return
    with open(out, "wb") as stream:
        result = pack_car(path, stream, prof, include_hidden=hidden)
    click.echo(str(result.cid))


@main.command("inspect")
@click.argument("cid")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@_user_errors
def inspect_command(cid: str, as_json: bool) -> None:
    """Show a CID's version, codec, multihash and its base32 / base58btc forms."""
    info = describe_cid(cid)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    rows = [
        ("cid", info["cid"]),
        ("version", info["version"]),
        ("multibase", info["multibase"]),
        ("codec", f"{info['codec']} (0x{info['codec_code']:x})"),
        ("multihash", f"{info['multihash']} (0x{info['multihash_code']:x})"),
        ("digest", f"{info['digest_hex']} ({info['digest_size']} bytes)"),
        ("base32 v1", info["base32_v1"]),
        ("base58btc v0", info["base58btc_v0"] or "- (only dag-pb sha2-256 CIDs have a v0 form)"),
        ("binary", info["binary_hex"]),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"{label:<{width}}  {value}")


@main.command("node")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=5001, show_default=True, type=int, help="Port (0 picks a free one).")
@_data_dir_option
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host (the RPC API can change pins).")
@click.option("--api-token-env", metavar="VAR", help="Require 'Authorization: Bearer $VAR' on RPC calls.")
@click.option("--allow-origin", "origins", multiple=True, metavar="ORIGIN",
              help="Browser origin allowed to call the RPC (repeatable); others get 403.")
@click.option("--access", "with_access", is_flag=True,
              help="Also serve private assets to licence holders at /access/v1 (needs --rpc, --market, a keystore).")
@click.option("--rpc", envvar="CIDHUB_RPC_URL", metavar="URL", help="JSON-RPC of the chain [default: $CIDHUB_RPC_URL].")
@click.option("--market", envvar="CIDHUB_MARKET", metavar="ADDRESS",
              help="Marketplace address [default: $CIDHUB_MARKET].")
@click.option("--keystore", "keystore_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data-key keystore [default: $CIDHUB_KEYSTORE_DIR or ~/.cidhub/keystore].")
@click.option("--master-keyfile", type=click.Path(dir_okay=False, path_type=Path),
              help="Keystore master key file, mode 0600 [default: $CIDHUB_ACCESS_MASTER_KEY].")
@click.option("--public-url", metavar="URL",
              help="Base URL users reach (SIWE domain and URI) [default: the bound address].")
@click.option("--session-ttl", default=900, show_default=True, type=click.IntRange(min=10),
              help="Session lifetime (s).")
@click.option("--licence-block", default="latest", show_default=True,
              type=click.Choice(["latest", "safe", "finalized"]),
              help="Block tag has_access is read at (safe/finalized: purchases count once they cannot be reorged).")
@_user_errors
def node_command(host: str, port: int, data_dir: Path | None, allow_remote: bool, api_token_env: str | None,
                 origins: tuple[str, ...], with_access: bool, rpc: str | None, market: str | None,
                 keystore_dir: Path | None, master_keyfile: Path | None, public_url: str | None,
                 session_ttl: int, licence_block: str) -> None:
    """Run the embedded IPFS node: Kubo RPC subset at /api/v0/, Trustless Gateway at /ipfs/.

    With --access, also the access service for private assets at /access/v1.
    """
    from cidhub.ipfs.node import EmbeddedNode

    token = None
    if api_token_env:
        token = os.environ.get(api_token_env)
        if not token:
            _fail(f"--api-token-env {api_token_env}: that environment variable is empty or unset")
    store = BlockStore(data_dir)
    node_kwargs: dict[str, Any] = {"allow_remote": allow_remote, "api_token": token, "allowed_origins": origins}
    node: Any
    if with_access:
        from cidhub.access.http import start_access_node
        from cidhub.chain.licences import LicenceOracle
        from cidhub.content.keystore import Keystore, default_keystore_dir, load_master_key

        if not rpc or not market:
            _fail("--access needs the chain: --rpc URL (or $CIDHUB_RPC_URL) and --market ADDRESS (or $CIDHUB_MARKET)")
        keystore = Keystore(keystore_dir or default_keystore_dir(), load_master_key(master_keyfile))
        oracle = LicenceOracle.connect(str(rpc), str(market), block=licence_block)
        node = start_access_node(store, keystore, oracle, host=host, port=port, public_url=public_url,
                                 session_ttl=float(session_ttl), start=False, **node_kwargs)
    else:
        node = EmbeddedNode(store, host, port, **node_kwargs)
    click.echo(f"cidhub node over {store.root}", err=True)
    click.echo(f"RPC API  {node.api_multiaddr}   (ipfshttpclient.Client('{node.api_multiaddr}'))", err=True)
    click.echo(f"Gateway  {node.url}/ipfs/<cid>   (?format=raw | ?format=car)", err=True)
    if with_access:
        signin = node.service.signin
        click.echo(f"Access   {node.access_url}/assets/<asset>   (SIWE domain {signin.domain}, "
                   f"chain {signin.chain_id}, {len(node.service.keystore.asset_ids())} data keys)", err=True)
    try:
        node.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        node.server.server_close()


@main.command("get")
@click.argument("asset")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the plaintext [default: the asset id in the current directory].")
@click.option("--account", "alias", help="Ape account alias to sign in with (TEST::4 for a test account).")
@click.option("--key-env", metavar="VAR", help="Or: an environment variable holding the private key.")
@click.option("--endpoint", metavar="URL", help="Access service URL [default: the one the asset's card names].")
@click.option("--network", help="Ape network choice, to read the asset's card from the registry (without --endpoint).")
@click.option("--gateway", metavar="URL", help="Gateway to fetch the card from [default: the local block store].")
@click.option("--chain-id", type=int, help="Refuse a service checking licences on another chain.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@_data_dir_option
@_progress_option
@_user_errors
def get_command(asset: str, out: Path | None, alias: str | None, key_env: str | None, endpoint: str | None,
                network: str | None, gateway: str | None, chain_id: int | None, as_json: bool, data_dir: Path | None,
                progress: bool | None) -> None:
    """Sign in with your account and download a private ASSET you hold a licence for.

    The plaintext is checked against the commitment sealed with it and written atomically; an
    interrupted download resumes where it stopped. Exit status 3 if the licence is missing.
    """
    from cidhub.access.client import AccessClient, AccessDeniedError
    from cidhub.chain.registry import format_asset_id, parse_asset_ref

    asset_id = parse_asset_ref(asset)
    signer = _load_signer(alias, key_env)
    if endpoint is None:
        endpoint = _card_endpoint(asset_id, network, gateway, data_dir)
    out = out or Path(format_asset_id(asset_id))
    client = AccessClient(endpoint, signer, chain_id=chain_id)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        if show:
            size = client.head(format_asset_id(asset_id))["size"]
            with click.progressbar(length=max(size, 1), label=f"downloading {out.name}", file=sys.stderr) as bar:
                bar.is_hidden = False
                result = client.download(format_asset_id(asset_id), out, on_bytes=bar.update)
        else:
            result = client.download(format_asset_id(asset_id), out)
    except AccessDeniedError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(3)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        resumed = f", resumed from byte {result.resumed_from}" if result.resumed_from else ""
        click.echo(f"wrote {result.size} bytes to {result.path} (sha256 {result.sha256} matches the sealed "
                   f"commitment{resumed})")


def _load_signer(alias: str | None, key_env: str | None) -> Any:
    """The buyer's signer: an Ape account by alias, or an eth-account key from the environment."""
    if bool(alias) == bool(key_env):
        _fail("sign in with exactly one of --account ALIAS (Ape) or --key-env VAR")
    if key_env:
        key = os.environ.get(key_env)
        if not key:
            _fail(f"--key-env {key_env}: that environment variable is empty or unset")
        from eth_account import Account

        return Account.from_key(key)
    from ape import accounts

    assert alias is not None
    if alias.upper().startswith("TEST::"):
        return accounts.test_accounts[int(alias.split("::", 1)[1])]
    return accounts.load(alias)


def _card_endpoint(asset_id: int, network: str | None, gateway: str | None, data_dir: Path | None) -> str:
    """The access endpoint a private asset's card names (card CID from the registry on ``network``)."""
    if not network:
        _fail("give --endpoint URL, or --network to read the asset's card from the registry")
    from ape import networks

    from cidhub.chain.assets import registry_contract
    from cidhub.content.cid import cid_from_bytes

    with networks.parse_network_choice(network):
        card_cid = str(cid_from_bytes(bytes(registry_contract().metadata_cid_of(asset_id))))
    if gateway:
        import requests

        response = requests.get(f"{gateway.rstrip('/')}/ipfs/{card_cid}", timeout=30)
        if response.status_code != 200:
            _fail(f"card {card_cid} not found at {gateway} ({response.status_code})")
        data = response.content
    else:
        from cidhub.content.cid import parse_cid
        from cidhub.ipfs.node.dagread import iter_file

        data = b"".join(iter_file(BlockStore(data_dir), parse_cid(card_cid)))
    try:
        access = json.loads(data)["access"]
    except (ValueError, KeyError, TypeError):
        _fail(f"asset {asset_id:#066x} is not private (its card has no access section)")
    if not access.get("endpoint"):
        _fail("the asset's card names no access endpoint; pass --endpoint URL")
    return str(access["endpoint"])


@main.group("access")
def access_group() -> None:
    """The access service's keys: a master key, and data keys copied to a second service."""


@access_group.command("keygen")
def access_keygen() -> None:
    """Print a new 256-bit master key (64 hex characters) for $CIDHUB_ACCESS_MASTER_KEY or a 0600 keyfile."""
    from cidhub.content.keystore import generate_master_key

    click.echo(generate_master_key())


@access_group.command("copy-keys")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keystore", "keystore_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Source keystore [default: $CIDHUB_KEYSTORE_DIR or ~/.cidhub/keystore].")
@click.option("--master-keyfile", type=click.Path(dir_okay=False, path_type=Path),
              help="Source master key file [default: $CIDHUB_ACCESS_MASTER_KEY].")
@click.option("--to-master-keyfile", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The second service's master key file (0600).")
@_user_errors
def access_copy_keys(destination: Path, keystore_dir: Path | None, master_keyfile: Path | None,
                     to_master_keyfile: Path) -> None:
    """Re-wrap every data key into DESTINATION under another master key (a second service)."""
    from cidhub.content.keystore import Keystore, default_keystore_dir, load_master_key

    source = Keystore(keystore_dir or default_keystore_dir(), load_master_key(master_keyfile), create=False)
    count = source.copy_to(Keystore(destination, load_master_key(to_master_keyfile)))
    click.echo(f"copied {count} data keys to {destination}")


@main.command("verify")
@click.argument("ref")
@click.option("--gateway", "gateways", multiple=True, metavar="URL",
              help="Trustless gateway to fetch from (repeatable) [default: $CIDHUB_GATEWAY].")
@click.option("--kubo", "kubo_apis", multiple=True, metavar="MULTIADDR",
              help="Kubo RPC to fetch blocks from (repeatable).")
@click.option("--local", "use_local", is_flag=True, help="Also check the local block store.")
@click.option("--mode", type=click.Choice(["car", "blocks"]), default="car", show_default=True,
              help="Gateway fetch: one CAR, or one ?format=raw request per block.")
@click.option("--network", help="Ape network choice, to look up an ASSET_ID's CID in the registry.")
@click.option("--timeout", default=60.0, show_default=True, type=float, help="Seconds per request.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@_data_dir_option
@_user_errors
def verify_command(ref: str, gateways: tuple[str, ...], kubo_apis: tuple[str, ...], use_local: bool, mode: str,
                   network: str | None, timeout: float, as_json: bool, data_dir: Path | None) -> None:
    """Fetch CID (or an asset id's CID) back from gateways or nodes and re-hash every block.

    Exit status 0 if every source returned the complete, matching DAG, 1 otherwise.
    """
    from cidhub.ipfs.verify import verify_gateway, verify_target

    cid = _resolve_ref(ref, network)
    gateways = gateways or tuple(filter(None, [os.environ.get("CIDHUB_GATEWAY")]))
    if not (gateways or kubo_apis or use_local):
        _fail("nothing to verify against: give --gateway URL, --kubo MULTIADDR or --local (or set CIDHUB_GATEWAY)")
    reports = [verify_gateway(cid, g, mode=mode, timeout=timeout) for g in gateways]
    if kubo_apis:
        from cidhub.ipfs.pinning import KuboPinTarget, RetryPolicy

        for api in kubo_apis:
            target = KuboPinTarget(api, name=f"kubo {api}", retry=RetryPolicy(attempts=3, timeout=timeout))
            reports.append(verify_target(cid, target))
    if use_local:
        from cidhub.ipfs.pinning import LocalBackend

        reports.append(verify_target(cid, LocalBackend(BlockStore(data_dir), name=f"local {data_dir or ''}".strip())))
    if as_json:
        click.echo(json.dumps({"cid": cid, "ok": all(r.ok for r in reports),
                               "sources": [r.as_dict() for r in reports]}, indent=2))
    else:
        for r in reports:
            verdict = "OK " if r.ok else "BAD"
            click.echo(f"{verdict} {r.source}  {r.method}  {r.blocks} blocks, {r.bytes} bytes"
                       + (f"  -- {r.error}" if r.error else ""))
    sys.exit(0 if all(r.ok for r in reports) else 1)


def _resolve_ref(ref: str, network: str | None) -> str:
    """A CID as given, or the content CID an asset id names in the registry on ``network``."""
    text = ref.strip()
    if not (text.startswith(("0x", "0X")) or text.isdigit()):
        return str(describe_cid(text)["cid"])
    if not network:
        _fail(f"{ref} is an asset id: add --network (e.g. ethereum:local:foundry) to read its CID from the registry")
    from ape import networks

    from cidhub.chain.assets import read_asset, registry_contract
    from cidhub.chain.registry import parse_asset_ref

    with networks.parse_network_choice(network):
        asset = read_asset(registry_contract(), parse_asset_ref(text))
    return asset.cid


if __name__ == "__main__":  # pragma: no cover
    main()
