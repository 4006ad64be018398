"""Which account may send, and unlocking it once for a run of transactions.

Ape keyfile accounts (``ape accounts import NAME``) ask for their passphrase and confirm each
signature. A deploy sends dozens of transactions, so :func:`unlock` asks once: non-interactively
from Ape's own ``APE_ACCOUNTS_<alias>_PASSPHRASE`` environment variable (CI, ``--yes``), or with
one passphrase prompt after the person has confirmed the plan. ``TEST::`` accounts are the
public test mnemonic's: :func:`refuse_test_account` stops them anywhere but a local chain or fork.
"""

from __future__ import annotations

import os
from typing import Any

from cidhub.errors import CidhubError


class SignerError(CidhubError):
    """The chosen account cannot be used for this run; nothing was sent."""


def passphrase_variable(account: Any) -> str:
    return f"APE_ACCOUNTS_{account.alias}_PASSPHRASE"


def is_test_account(account: Any) -> bool:
    from ape.api.accounts import TestAccountAPI

    return isinstance(account, TestAccountAPI)


def refuse_test_account(account: Any, network: Any) -> None:
    """TEST:: accounts come from a public mnemonic: anyone can take what they hold on a real network."""
    if is_test_account(account) and not network.is_dev:
        raise SignerError(
            f"{account.address} is a TEST:: account (the public test mnemonic) and "
            f"{network.ecosystem.name}:{network.name} is not a local chain: import your own key with "
            "`ape accounts import deployer` and pass `--account deployer`. Nothing was sent.")


def is_keyfile_account(account: Any) -> bool:
    try:
        from ape_accounts import KeyfileAccount
    except ImportError:  # pragma: no cover - ape always ships ape_accounts
        return False
    return isinstance(account, KeyfileAccount)


def unlock(account: Any, *, interactive: bool) -> str:
    """Let a keyfile account sign the run's transactions without a prompt each.

    The passphrase comes from APE_ACCOUNTS_<alias>_PASSPHRASE when set; otherwise, only when
    ``interactive``, from one prompt. Returns how it was unlocked, for the log.
    """
    if not is_keyfile_account(account):
        return "no unlock needed"
    variable = passphrase_variable(account)
    passphrase = os.environ.get(variable)
    if passphrase is None and not interactive:
        raise SignerError(f"--yes needs the passphrase of '{account.alias}' in {variable} (Ape's own variable); "
                          "or run without --yes to be asked once. Nothing was sent.")
    try:
        account.set_autosign(True, passphrase=passphrase)
    except Exception as exc:  # noqa: BLE001 - Ape raises its own AccountsError/InvalidPasswordError
        raise SignerError(f"cannot unlock '{account.alias}': {exc}") from None
    return f"unlocked with {variable}" if passphrase is not None else "unlocked with the passphrase you typed"


def unlock_from_env(account: Any) -> bool:
    """Autosign when APE_ACCOUNTS_<alias>_PASSPHRASE is set (other scripts); else keep Ape's prompts."""
    if is_keyfile_account(account) and os.environ.get(passphrase_variable(account)) is not None:
        unlock(account, interactive=False)
        return True
    return False
