"""Choosing pin targets: ``--pin`` flags and an optional TOML file.

``--pin`` takes, repeatedly:

* ``local`` (the publishing store) or ``local:/other/store`` (a second disk);
* ``kubo`` (``$CIDHUB_KUBO_API``, default ``/ip4/127.0.0.1/tcp/5001/http``) or
  ``kubo:/ip4/10.0.0.5/tcp/5001/http``;
* ``psa`` (``$CIDHUB_PSA_ENDPOINT``, token in ``$CIDHUB_PSA_TOKEN``) or ``psa:https://...``;
* the name of a target defined in the config file.

The config file (``$CIDHUB_PINNING_CONFIG``, default ``~/.cidhub/pinning.toml``)::

    [defaults]
    pin = ["local", "home"]       # used when no --pin is given
    min_confirmations = 2
    availability = 0.9            # p in P = 1 - (1 - p)^k

    [targets.home]
    type = "kubo"
    api = "/ip4/192.168.1.20/tcp/5001/http"

    [targets.pinata]
    type = "psa"
    endpoint = "https://api.pinata.cloud/psa"
    token_env = "PINATA_JWT"      # the token itself never goes in a file

A ``token`` key is refused: secrets come from the environment only.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cidhub.content.store import BlockStore, PinTarget
from cidhub.errors import PinError
from cidhub.ipfs.pinning.kubo import KuboPinTarget
from cidhub.ipfs.pinning.local import LocalBackend
from cidhub.ipfs.pinning.psa import PinningServiceTarget
from cidhub.ipfs.pinning.replication import DEFAULT_P
from cidhub.ipfs.pinning.retry import RetryPolicy

__all__ = ["CONFIG_ENV", "PinningConfig", "load_config", "build_targets", "TARGET_TYPES"]

CONFIG_ENV: Final = "CIDHUB_PINNING_CONFIG"
TARGET_TYPES: Final = ("local", "kubo", "psa")


@dataclass
class PinningConfig:
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_pins: list[str] = field(default_factory=lambda: ["local"])
    min_confirmations: int | None = None
    availability: float = DEFAULT_P
    source: Path | None = None


def load_config(path: str | os.PathLike[str] | None = None) -> PinningConfig:
    """Read the TOML config; a missing default file is an empty config, a missing given one an error."""
    explicit = path or os.environ.get(CONFIG_ENV)
    file = Path(explicit).expanduser() if explicit else Path.home() / ".cidhub" / "pinning.toml"
    if not file.is_file():
        if explicit:
            raise PinError(f"pinning config {file} does not exist")
        return PinningConfig()
    try:
        data = tomllib.loads(file.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PinError(f"cannot read pinning config {file}: {exc}") from None
    targets = data.get("targets", {})
    if not isinstance(targets, dict):
        raise PinError(f"{file}: [targets] must be a table of named targets")
    for name, spec in targets.items():
        if not isinstance(spec, dict) or spec.get("type") not in TARGET_TYPES:
            raise PinError(f"{file}: target {name!r} needs type = one of {', '.join(TARGET_TYPES)}")
        if "token" in spec:
            raise PinError(f"{file}: target {name!r} has a token; put it in the environment and name the "
                           "variable with token_env instead (secrets never go in config files)")
    defaults = data.get("defaults", {})
    return PinningConfig(
        targets=targets,
        default_pins=list(defaults.get("pin", ["local"])),
        min_confirmations=defaults.get("min_confirmations"),
        availability=float(defaults.get("availability", DEFAULT_P)),
        source=file,
    )


def build_targets(
    pins: Sequence[str],
    store: BlockStore,
    config: PinningConfig | None = None,
    *,
    retry: RetryPolicy | None = None,
    psa_pin_timeout: float | None = None,
    origins: Sequence[str] | None = None,
) -> list[PinTarget]:
    """Targets for ``--pin`` values (or the config's defaults when ``pins`` is empty)."""
    config = config or PinningConfig()
    chosen = list(pins) or config.default_pins
    out: list[PinTarget] = []
    counts: dict[str, int] = {}
    for value in chosen:
        if value in config.targets:
            spec = dict(config.targets[value])
            kind, name = spec.pop("type"), value
        else:
            kind, _, address = value.partition(":")
            if kind not in TARGET_TYPES:
                known = ", ".join([*TARGET_TYPES, *config.targets])
                raise PinError(f"unknown pin target {value!r}; use one of: {known} (optionally kind:address)")
            counts[kind] = counts.get(kind, 0) + 1
            name = kind if counts[kind] == 1 else f"{kind}-{counts[kind]}"
            spec = {}
            if address:
                spec[{"local": "path", "kubo": "api", "psa": "endpoint"}[kind]] = address
        out.append(_make(kind, name, spec, store, retry, psa_pin_timeout, origins))
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise PinError(f"the same pin target is given twice: {names}")
    return out


def _make(kind: str, name: str, spec: dict[str, Any], store: BlockStore, retry: RetryPolicy | None,
          psa_pin_timeout: float | None, origins: Sequence[str] | None) -> PinTarget:
    if kind == "local":
        path = spec.get("path")
        return LocalBackend(BlockStore(path, fsync=store.fsync) if path else store, name=name)
    if kind == "kubo":
        return KuboPinTarget(spec.get("api"), name=name, mode=spec.get("mode", "dag-import"), retry=retry,
                             auth=os.environ.get(spec["auth_env"]) if spec.get("auth_env") else None)
    return PinningServiceTarget(
        spec.get("endpoint"), name=name, token_env=spec.get("token_env", "CIDHUB_PSA_TOKEN"),
        origins=spec.get("origins", origins), retry=retry,
        pin_timeout=float(spec.get("pin_timeout", psa_pin_timeout or 600.0)),
        poll_interval=float(spec.get("poll_interval", 1.0)),
    )
