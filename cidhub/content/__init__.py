"""Content addressing: bytes to CIDs and back.

The bottom layer. It imports nothing else of cidhub's but :mod:`cidhub.errors`:
:mod:`~cidhub.content.cid` (parse and print CIDs), :mod:`~cidhub.content.varint`,
:mod:`~cidhub.content.dagpb` (dag-pb and UnixFS Data encoding), :mod:`~cidhub.content.hamt`
(HAMT-sharded directories, written and read as Kubo does), :mod:`~cidhub.content.unixfs`
(UnixFS import under named profiles), :mod:`~cidhub.content.car` (CARv1 write and verify) and
:mod:`~cidhub.content.store` (the local block store).
"""
