"""pytest fixtures for projects that need an IPFS node in their tests (no Kubo required).

Import them into a test module or a conftest::

    from cidhub.ipfs.node.testing import ipfs_node, ipfs_node_factory  # noqa: F401

    def test_upload(ipfs_node):
        client = ipfshttpclient.Client(ipfs_node.api_multiaddr)
        ...

Every node listens on 127.0.0.1 on a port the OS picks (free by construction), keeps its
blocks under the test's ``tmp_path`` and is stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cidhub.content.store import BlockStore
from cidhub.ipfs.node.server import EmbeddedNode

__all__ = ["ipfs_node", "ipfs_node_factory"]


@pytest.fixture
def ipfs_node_factory(tmp_path: Path) -> Iterator[Callable[..., EmbeddedNode]]:
    """Factory: ``make(store=None, **node_kwargs)`` starts another node; all stop at teardown."""
    nodes: list[EmbeddedNode] = []

    def make(store: BlockStore | None = None, **kwargs: Any) -> EmbeddedNode:
        store = store or BlockStore(tmp_path / f"node-{len(nodes)}", fsync=False)
        node = EmbeddedNode(store, "127.0.0.1", 0, **kwargs).start()
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        node.stop()


@pytest.fixture
def ipfs_node(ipfs_node_factory: Callable[..., EmbeddedNode]) -> EmbeddedNode:
    """One running embedded node over an empty store."""
    return ipfs_node_factory()
