"""The embedded IPFS node: a Trustless Gateway and the Kubo RPC subset over the local store.

See :mod:`cidhub.node.server` (the HTTP server), :mod:`cidhub.node.rpc` (Kubo RPC commands)
and :mod:`cidhub.node.gateway` (gateway responses). ``cidhub node`` runs it from the shell.
"""

from cidhub.node.server import EmbeddedNode, NodeHandler, NodeServer, is_loopback

__all__ = ["EmbeddedNode", "NodeHandler", "NodeServer", "is_loopback"]
