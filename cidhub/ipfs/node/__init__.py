"""The embedded IPFS node: a Trustless Gateway and the Kubo RPC subset over the local store.

See :mod:`cidhub.ipfs.node.server` (the HTTP server), :mod:`cidhub.ipfs.node.rpc` (Kubo RPC commands)
and :mod:`cidhub.ipfs.node.gateway` (gateway responses). ``cidhub node`` runs it from the shell.
"""

from cidhub.ipfs.node.server import EmbeddedNode, NodeHandler, NodeServer, is_loopback

__all__ = ["EmbeddedNode", "NodeHandler", "NodeServer", "is_loopback"]
