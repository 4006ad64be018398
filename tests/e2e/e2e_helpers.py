"""Helpers shared by the end-to-end tests (imported as `e2e_helpers`; tests/e2e is on sys.path)."""

from __future__ import annotations

import json
import subprocess


def nonce_of(url: str, address: str) -> int:
    """The account's transaction count, asked of anvil over plain JSON-RPC."""
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [address, "latest"]})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(json.load(resp)["result"], 16)


def json_of(proc: subprocess.CompletedProcess) -> dict:
    """--json output is the only thing on stdout; Ape's own log lines go to stderr."""
    return json.loads(proc.stdout)
