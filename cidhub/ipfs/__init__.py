"""Moving blocks between machines: pinning backends (:mod:`~cidhub.ipfs.pinning`), the embedded
node with its gateway and Kubo RPC (:mod:`~cidhub.ipfs.node`), and checking what a remote holds
(:mod:`~cidhub.ipfs.verify`).

Built on :mod:`cidhub.content`; knows nothing of the chain (an import-linter contract says so).
"""
