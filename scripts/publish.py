"""Publish an asset: `ape run publish PATH --kind model --metadata card.json --parent ID --share BPS`.

Computes the CID, stores the content and its card in the local block store, checks everything
that can be checked, then registers it in the AssetRegistry of the current network.

Pinning: `--pin local|kubo|psa` (repeatable, also `kubo:/ip4/.../http`, `psa:https://...`, or
a target named in the pinning config), `--replicas K` targets, `--min-confirmations M` of them
must confirm (checked against the locally computed CID) before anything is registered. A
rerun after an interruption resumes from the publish journal.

Private: `--private --access-endpoint https://access.example/access/v1` seals the file (a fresh
data key, AES-256-GCM STREAM), registers the ciphertext's CID and deposits the data key in the
access service's keystore (`--keystore DIR`, master key from $CIDHUB_ACCESS_MASTER_KEY or
`--master-keyfile`). Only licence holders can then read it, through that service.
"""


import sys
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from cidhub.chain.assets import registry_contract
from cidhub.chain.registry import Kind
from cidhub.chain.signing import unlock_from_env
from cidhub.content.keystore import Keystore, default_keystore_dir, load_master_key
from cidhub.content.store import BlockStore
from cidhub.content.unixfs import PROFILES
from cidhub.errors import CidhubError
from cidhub.ipfs.pinning import RetryPolicy, build_targets, load_config
from cidhub.output import machine_output, print_json, print_table
from cidhub.publish import PinningPlan, PublishRequest, publish


@click.command(cls=ConnectedProviderCommand)
@click.argument("path", type=click.Path(path_type=Path))
@account_option()
@click.option("--kind", default="dataset", show_default=True, type=click.Choice([k.name.lower() for k in Kind]))
@click.option("--metadata", "metadata_path", type=click.Path(path_type=Path), help="JSON model/data card (default: generated).")
@click.option("--parent", "parents", multiple=True, help="Parent asset (id or CID); repeat for several.")
@click.option("--share", "shares", multiple=True, type=int, help="Upstream share in bps, one per --parent.")
@click.option("--royalty", "royalty_bps", default=0, show_default=True, type=int, help="ERC-2981 royalty in bps.")
@click.option("--licence", "licence_id", default=0, show_default=True, type=int, help="Licence terms id.")
@click.option("--previous", help="Register as a new version of this asset (id or CID).")
@click.option("--profile", default="unixfs-v1-2025", show_default=True, type=click.Choice(sorted(PROFILES)))
@click.option("--data-dir", type=click.Path(path_type=Path), help="Local block store (default ~/.cidhub or $CIDHUB_DATA_DIR).")
@click.option("--name", help="Name in the generated card (default: the file name).")
@click.option("--pin", "pins", multiple=True, metavar="TARGET",
              help="Pin target: local, kubo, psa, kind:address, or a configured name (repeatable) [default: local].")
@click.option("--replicas", type=click.IntRange(min=1), help="Number of targets to pin on [default: all given].")
@click.option("--min-confirmations", type=click.IntRange(min=1), help="Targets that must confirm [default: --replicas].")
@click.option("--availability", "p", type=click.FloatRange(0, 1), help="Per-target availability p for P = 1-(1-p)^k.")
@click.option("--origin", "origins", multiple=True, metavar="MULTIADDR", help="Where a pinning service can fetch the data.")
@click.option("--pin-timeout", type=float, default=600.0, show_default=True, help="Seconds a pinning service may take.")
@click.option("--pin-config", type=click.Path(path_type=Path), help="Pinning config [default: $CIDHUB_PINNING_CONFIG or ~/.cidhub/pinning.toml].")
@click.option("--progress/--no-progress", default=None, help="Progress bars [default: when stderr is a terminal].")
@click.option("--private", is_flag=True, help="Seal the content: only licence holders read it, via the access service.")
@click.option("--access-endpoint", envvar="CIDHUB_ACCESS_ENDPOINT",
              help="Access service URL named in a private asset's card [default: $CIDHUB_ACCESS_ENDPOINT].")
@click.option("--keystore", "keystore_dir", type=click.Path(path_type=Path),
              help="The access service's keystore [default: $CIDHUB_KEYSTORE_DIR or ~/.cidhub/keystore].")
@click.option("--master-keyfile", type=click.Path(path_type=Path),
              help="Keystore master key file (0600) [default: $CIDHUB_ACCESS_MASTER_KEY].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def cli(path, account, kind, metadata_path, parents, shares, royalty_bps, licence_id, previous, profile, data_dir,
        name, pins, replicas, min_confirmations, p, origins, pin_timeout, pin_config, progress, private,
        access_endpoint, keystore_dir, master_keyfile, as_json):
    machine_output(as_json)
    request = PublishRequest(
        path=path, kind=Kind.parse(kind), metadata_path=metadata_path, licence_id=licence_id, parents=parents,
        shares_bps=shares, royalty_bps=royalty_bps, profile=profile, name=name, previous=previous,
        private=private, access_endpoint=access_endpoint,
    )
    store = BlockStore(data_dir)
    try:
        keystore = None
        if private:
            keystore = Keystore(keystore_dir or default_keystore_dir(), load_master_key(master_keyfile))
        config = load_config(pin_config)
        targets = build_targets(pins, store, config, retry=RetryPolicy(), psa_pin_timeout=pin_timeout,
                                origins=list(origins) or None)
        if replicas is not None:
            if replicas > len(targets):
                raise click.UsageError(f"--replicas {replicas} needs {replicas} pin targets, only {len(targets)} given "
                                       f"({', '.join(t.name for t in targets)}); add --pin")
            targets = targets[:replicas]
        plan = PinningPlan(
            targets, min_confirmations or config.min_confirmations, p if p is not None else config.availability,
            progress=progress if progress is not None else (sys.stderr.isatty() and not as_json),
        )
        registry = registry_contract()
        unlock_from_env(account)  # APE_ACCOUNTS_<alias>_PASSPHRASE set: sign without prompts
        result = publish(request, registry, account, store, pinning=plan, keystore=keystore)
    except CidhubError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(result.as_dict())
        return
    print_table(
        f"published {path}" + (" (resumed: the interrupted run's registration)" if result.resumed else ""),
        ["asset id", "kind", "CID", "card CID", "gas used"],
        [[result.as_dict()["asset_id"], result.kind, result.cid, result.metadata_cid, result.gas_used]],
    )
    if result.private:
        print_table("private: the CID above is the ciphertext's", ["plaintext bytes", "access endpoint", "keystore"],
                    [[result.plaintext_size, result.access_endpoint, str(keystore.root if keystore else "-")]])
    pinning = result.pinning or {}
    if pinning.get("targets"):
        print_table(
            f"pins: {pinning.get('confirmed')} of {len(pinning['targets'])} targets confirmed"
            + (f", availability P = 1-(1-{pinning['p']:g})^{pinning['confirmed']} = {pinning['availability']:.6f}"
               if "availability" in pinning else ""),
            ["target", "holds the content", "details"],
            [[t["target"], "yes" if t.get("confirmed") else "no",
              "from an earlier run" if t.get("resumed") else (t.get("error") or ", ".join(sorted(set(filter(None, (t.get("details") or {}).values())))) or "-")]
             for t in pinning["targets"]],
        )
