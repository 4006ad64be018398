"""dagread.iter_file with a NodeCache (what the access service reads ciphertext with) returns exactly
the bytes of the uncached reader, for any range, on deep trees with raw and dag-pb leaves."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cidhub.content.unixfs import get_profile, import_bytes
from cidhub.ipfs.node import dagread

DATA = os.urandom(5_000)


@pytest.fixture(scope="module", params=["unixfs-v1-2025", "unixfs-v0-2015"])
def tree(request, tmp_path_factory):
    from cidhub.content.store import BlockStore

    store = BlockStore(tmp_path_factory.mktemp("dag"), fsync=False)
    profile = get_profile(request.param).with_overrides(chunk_size=256, max_links=3)  # 4 levels deep
    return store, import_bytes(DATA, profile, store.put_block).cid


@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_cached_ranges_equal_uncached(tree, data):
    store, cid = tree
    cache = dagread.NodeCache(max_nodes=8)  # smaller than the tree: eviction happens
    for _ in range(3):
        offset = data.draw(st.integers(0, len(DATA)))
        length = data.draw(st.one_of(st.none(), st.integers(0, len(DATA))))
        want = b"".join(dagread.iter_file(store, cid, offset, length))
        assert b"".join(dagread.iter_file(store, cid, offset, length, nodes=cache)) == want
        end = len(DATA) if length is None else min(len(DATA), offset + length)
        assert want == DATA[offset:end]
