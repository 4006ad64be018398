"""Data keys of private assets, encrypted at rest under a master key.

The keystore is a directory::

    keystore.json                 {"version": 1, "master_key_id": "<16 bytes hex>"}
    assets/<asset id hex>.json    one data key per asset, wrapped
    seal/<hmac hex>.json          seal params of a plaintext being published (resume), wrapped

Every secret is wrapped with AES-256-GCM under a key derived (HKDF-SHA256) from the 32-byte
master key, with a fresh random nonce and associated data naming the record (the asset id and
the ciphertext's CID, or the seal index), so a record copied onto another name fails to open.
The master key never touches the disk here: it comes from ``$CIDHUB_ACCESS_MASTER_KEY`` (64 hex
characters) or a keyfile readable by its owner only (:func:`load_master_key`). ``master_key_id``
is derived from the master key by HKDF (not the key itself), so a service started with the wrong
master key says so at once instead of failing on the first request.

Files are written atomically (temporary file, fsync, rename, fsync of the directory) with mode
0600. The seal index is an HMAC of the plaintext's SHA-256 under a derived key, so the file names
say nothing about the plaintexts.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cidhub.content.sealed import KEY_SIZE, SealParams
from cidhub.errors import CidhubError

__all__ = [
    "MASTER_KEY_ENV", "KEYSTORE_DIR_ENV", "KeystoreError", "WrongMasterKeyError", "MissingKeyError",
    "KeyRecord", "Keystore", "load_master_key", "generate_master_key", "default_keystore_dir",
]

MASTER_KEY_ENV: Final = "CIDHUB_ACCESS_MASTER_KEY"
KEYSTORE_DIR_ENV: Final = "CIDHUB_KEYSTORE_DIR"
_VERSION: Final = 1
_NONCE: Final = 12


class KeystoreError(CidhubError):
    """The keystore cannot be opened or read as asked."""


class WrongMasterKeyError(KeystoreError):
    """The master key given is not the one the keystore was created with."""


class MissingKeyError(KeystoreError):
    """The keystore holds no data key for the asset asked for."""


def default_keystore_dir() -> Path:
    env = os.environ.get(KEYSTORE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cidhub" / "keystore"


def generate_master_key() -> str:
    """A new master key as 64 hex characters (store it in a secret manager or a 0600 keyfile)."""
    return os.urandom(32).hex()


def _parse_master_key(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeystoreError(f"the master key in {where} is not hex; expected 64 hex characters "
                            "(`cidhub access keygen` makes one)") from None
    if len(key) != 32:
        raise KeystoreError(f"the master key in {where} is {len(key)} bytes; expected 32 (64 hex characters)")
    return key


def load_master_key(keyfile: str | os.PathLike[str] | None = None, *, env: str = MASTER_KEY_ENV) -> bytes:
    """The master key from ``keyfile`` if given, else from the environment variable ``env``.

    A keyfile must not be readable or writable by group or others (like an SSH key).
    """
    if keyfile is not None:
        path = Path(keyfile).expanduser()
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise KeystoreError(f"master keyfile {path} does not exist") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeystoreError(f"master keyfile {path} is accessible by group or others (mode {oct(mode & 0o777)}); "
                                f"run `chmod 600 {path}`")
        return _parse_master_key(path.read_text(), str(path))
    value = os.environ.get(env)
    if not value:
        raise KeystoreError(f"no master key: set ${env} (64 hex characters) or pass a keyfile")
    return _parse_master_key(value, f"${env}")


def _derive(master: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"cidhub keystore v1 {label}".encode()).derive(master)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass(frozen=True)
class KeyRecord:
    """One private asset's data key, and the CID of the sealed content it opens."""

    asset_id: int
    cid: str
    data_key: bytes

    def __repr__(self) -> str:
        return f"KeyRecord(asset_id=0x{self.asset_id:064x}, cid={self.cid}, data_key=<hidden>)"


class Keystore:
    """Open (or create) the keystore at ``root`` with ``master_key``.

    Raises :class:`WrongMasterKeyError` if the directory was created with another master key.
    """

    def __init__(self, root: str | os.PathLike[str], master_key: bytes, *, create: bool = True) -> None:
        if len(master_key) != 32:
            raise KeystoreError("the master key must be 32 bytes")
        self.root = Path(root).expanduser()
        self._wrap = AESGCM(_derive(master_key, "wrap"))
        self._index_key = _derive(master_key, "seal index")
        self.master_key_id = _derive(master_key, "key id")[:16].hex()
        meta = self.root / "keystore.json"
        if meta.exists():
            try:
                stored = json.loads(meta.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise KeystoreError(f"{meta} is unreadable: {exc}") from None
            if stored.get("master_key_id") != self.master_key_id:
                raise WrongMasterKeyError(
                    f"the master key does not open the keystore at {self.root}: it was created with master key id "
                    f"{stored.get('master_key_id')}, the key given has id {self.master_key_id}. Use the keystore's "
                    f"own master key (${MASTER_KEY_ENV} or --master-keyfile)")
        elif create:
            _write_atomic(meta, (json.dumps({"version": _VERSION, "master_key_id": self.master_key_id},
                                            indent=2) + "\n").encode())
        else:
            raise KeystoreError(f"no keystore at {self.root} (keystore.json missing)")

    # ---- wrapping

    def _seal(self, secret: bytes, aad: bytes) -> dict[str, Any]:
        nonce = os.urandom(_NONCE)
        return {"nonce": _b64(nonce), "wrapped": _b64(self._wrap.encrypt(nonce, secret, aad))}

    def _open(self, record: dict[str, Any], aad: bytes, where: Path) -> bytes:
        try:
            return self._wrap.decrypt(base64.b64decode(record["nonce"]), base64.b64decode(record["wrapped"]), aad)
        except (KeyError, ValueError, TypeError):
            raise KeystoreError(f"{where} is not a keystore record") from None
        except InvalidTag:
            raise WrongMasterKeyError(f"{where} does not open with this master key (the record was altered, moved "
                                      "to another asset's name, or wrapped under another master key)") from None

    @staticmethod
    def _asset_aad(asset_id: int, cid: str) -> bytes:
        return f"cidhub keystore v1 asset 0x{asset_id:064x} {cid}".encode()

    def _asset_path(self, asset_id: int) -> Path:
        return self.root / "assets" / f"{asset_id:064x}.json"

    # ---- data keys

    def put(self, asset_id: int, cid: str, data_key: bytes) -> None:
        """Store (or replace) the data key of ``asset_id`` whose sealed content is ``cid``."""
        if len(data_key) != KEY_SIZE:
            raise KeystoreError(f"a data key is {KEY_SIZE} bytes")
        body = {"version": _VERSION, "asset_id": f"0x{asset_id:064x}", "cid": str(cid),
                **self._seal(data_key, self._asset_aad(asset_id, str(cid)))}
        _write_atomic(self._asset_path(asset_id), (json.dumps(body, indent=2) + "\n").encode())

    def has(self, asset_id: int) -> bool:
        return self._asset_path(asset_id).is_file()

    def get(self, asset_id: int) -> KeyRecord:
        path = self._asset_path(asset_id)
        try:
            body = json.loads(path.read_text())
        except FileNotFoundError:
            raise MissingKeyError(f"the keystore at {self.root} holds no data key for asset 0x{asset_id:064x}; "
                                  "this service cannot open it (was it published with this keystore?)") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise KeystoreError(f"{path} is unreadable: {exc}") from None
        cid = str(body.get("cid", ""))
        key = self._open(body, self._asset_aad(asset_id, cid), path)
        return KeyRecord(asset_id, cid, key)

    def asset_ids(self) -> list[int]:
        folder = self.root / "assets"
        if not folder.is_dir():
            return []
        return sorted(int(p.stem, 16) for p in folder.glob("*.json"))

    def copy_to(self, other: Keystore, asset_ids: list[int] | None = None) -> int:
        """Re-wrap data keys into ``other`` (e.g. a second service's keystore, under its own master key)."""
        count = 0
        for asset_id in asset_ids if asset_ids is not None else self.asset_ids():
            record = self.get(asset_id)
            other.put(record.asset_id, record.cid, record.data_key)
            count += 1
        return count

    # ---- seal params of a publish in progress

    def seal_params(self, plaintext_sha256: bytes) -> SealParams:
        """The params to seal this plaintext with: fresh the first time, the same on a rerun.

        A rerun of an interrupted private publish must produce the same ciphertext (hence the same
        CID, which its journal names); sealing the same plaintext again with the same key, salt and
        nonce prefix gives exactly that and reveals nothing new.
        """
        index = hmac.new(self._index_key, plaintext_sha256, "sha256").hexdigest()
        path = self.root / "seal" / f"{index}.json"
        aad = f"cidhub keystore v1 seal {index}".encode()
        if path.is_file():
            try:
                body = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise KeystoreError(f"{path} is unreadable: {exc}") from None
            return SealParams.unpack(self._open(body, aad, path))
        params = SealParams.fresh()
        _write_atomic(path, (json.dumps({"version": _VERSION, **self._seal(params.pack(), aad)}, indent=2)
                             + "\n").encode())
        return params
