"""`make dapp`: the reference dApp (dapp/) against a local chain with the demo's data.

Starts anvil, deploys the suite and loads the demo data into it (``ape run demo`` with
``APE_FOUNDRY_HOST`` pointing at that anvil, so the chain outlives the script), bundles the page with
esbuild, and serves it together with a read-only IPFS gateway (``/ipfs/``) over the demo's block
store, so the page can show the assets' cards. The page talks to the chain only through the
visitor's EIP-1193 wallet; the server holds no keys and answers no RPC.

    python -m cidhub.demo.dapp [--port 8000] [--rpc-port 8545] [--data-dir .cidhub/dapp]

The pieces (:func:`start_anvil`, :func:`load_demo`, :func:`build_bundle`, :class:`DappServer`) are
what tests/dapp/ uses to run the same setup.
"""

from __future__ import annotations

import argparse
import mimetypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cidhub.content.store import BlockStore
from cidhub.errors import CidhubError
from cidhub.ipfs.node.server import NodeHandler, NodeServer

REPO_ROOT = Path(__file__).resolve().parents[2]
DAPP_DIR = REPO_ROOT / "dapp"
DIST_DIR = DAPP_DIR / "dist"
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"

# anvil's default accounts, as the demo uses them.
TEST_MNEMONIC = "test test test test test test test test test test test junk"
DEMO_ROLES = {
    "deployer": 0, "curator": 1, "data owner": 2, "model owner": 3, "co-author": 4,
    "buyer 1": 5, "buyer 2": 6, "buyer 3": 7,
}


class DappError(CidhubError):
    """The local dApp environment could not be set up."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DappError(f"{what} exited with code {proc.returncode} before it listened on port {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise DappError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def start_anvil(port: int) -> subprocess.Popen[bytes]:
    """anvil from node_modules (or PATH) on 127.0.0.1:`port`, chain id 31337, the default test accounts."""
    exe = shutil.which("anvil", path=str(NODE_BIN)) or shutil.which("anvil")
    if not exe:
        raise DappError("anvil not found: run `make setup` (it installs anvil from npm)")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        pass
    else:
        raise DappError(f"port {port} is taken: stop what runs there or pass --rpc-port")
    proc = subprocess.Popen([exe, "--port", str(port), "--host", "127.0.0.1", "--silent", "--gas-limit", "30000000"])
    _wait_for_port(port, proc, "anvil")
    return proc


def load_demo(rpc_url: str, data_dir: Path, cwd: Path = REPO_ROOT, timeout: float = 600) -> str:
    """`ape run demo` against the running chain at `rpc_url`: deploys the suite (deployments/ethereum-local.json
    under `cwd`) and publishes the demo's assets, with their blocks kept in `data_dir`. Returns its output."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": rpc_url,
        "PYTHONPATH": str(REPO_ROOT),
        "PATH": os.pathsep.join([str(bin_dir), str(NODE_BIN), os.environ.get("PATH", "")]),
    }
    proc = subprocess.run(
        [str(bin_dir / "ape"), "run", "demo", "--network", "ethereum:local:foundry", "--data-dir", str(data_dir)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise DappError(f"ape run demo failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def build_bundle(out_dir: Path = DIST_DIR) -> Path:
    """Bundle the page (dapp/build.mjs: esbuild, @cidhub/contracts from packages/contracts/src)."""
    proc = subprocess.run(["node", str(DAPP_DIR / "build.mjs"), "--outdir", str(out_dir)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise DappError(f"bundling the dApp failed:\n{proc.stdout}\n{proc.stderr}")
    return out_dir


class DappHandler(NodeHandler):
    """The page's static files, and the embedded node's gateway under /ipfs/ (read-only; no RPC here)."""

    server: DappServer

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/ipfs/"):
            super()._dispatch()
            return
        if self.command not in ("GET", "HEAD"):
            self.send_bytes(405, b"405 - Method Not Allowed\n", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})
            return
        relative = unquote(url.path).lstrip("/") or "index.html"
        root = self.server.static_dir.resolve()
        target = (root / relative).resolve()
        if root not in target.parents or not target.is_file():
            self.send_bytes(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        self.send_bytes(200, target.read_bytes(), content_type, {"Cache-Control": "no-store"})


class DappServer(NodeServer):
    """Serves `static_dir` at / and `store` at /ipfs/ on loopback; ``port=0`` picks a free port."""

    def __init__(self, static_dir: Path, store: BlockStore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.static_dir = Path(static_dir)
        super().__init__(store, host, port, handler=DappHandler)

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}/"

    def start(self) -> DappServer:
        threading.Thread(target=self.serve_forever, name="cidhub-dapp", kwargs={"poll_interval": 0.1},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8000, help="port of the page (default 8000)")
    parser.add_argument("--rpc-port", type=int, default=8545, help="port of anvil's JSON-RPC (default 8545)")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".cidhub" / "dapp",
                        help="block store for the demo's content (emptied first)")
    args = parser.parse_args(argv)

    anvil = None
    try:
        shutil.rmtree(args.data_dir, ignore_errors=True)
        print(f"building the page (dapp/ -> {DIST_DIR.relative_to(REPO_ROOT)})", flush=True)
        build_bundle()
        anvil = start_anvil(args.rpc_port)
        rpc_url = f"http://127.0.0.1:{args.rpc_port}"
        print(f"anvil on {rpc_url} (chain 31337); deploying and loading the demo data (about 30 s)", flush=True)
        load_demo(rpc_url, args.data_dir)
        server = DappServer(DIST_DIR, BlockStore(args.data_dir), port=args.port).start()
    except (CidhubError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if anvil:
            anvil.terminate()
        return 1
    print(f"""
cidhub dApp: {server.url}

In your wallet (MetaMask, Rabby, ...): add the network "anvil" (RPC {rpc_url}, chain id 31337, currency ETH) and
import anvil's test mnemonic "{TEST_MNEMONIC}". The demo's accounts: {', '.join(f'{k} #{v}' for k, v in
DEMO_ROLES.items())}. #8 holds no licence for the fine-tuned model yet: buy one, then switch to the model owner
(#3) to settle the sale and withdraw it. Ctrl-C stops the page and the chain.""", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set() and anvil.poll() is None:
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        anvil.terminate()
        anvil.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
