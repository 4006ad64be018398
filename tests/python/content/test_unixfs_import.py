"""cidhub.content.unixfs on its own: published vectors, encoding details, streaming, directories."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cidhub.content.unixfs import (
    DATA_DIRECTORY,
    DATA_FILE,
    DATA_SYMLINK,
    DEFAULT_PROFILE,
    KUBO_CIDV1_LEGACY,
    PROFILES,
    UNIXFS_V0_2015,
    UNIXFS_V1_2025,
    Block,
    FileImporter,
    PBLink,
    PBNode,
    UnixfsData,
    decode_pbnode,
    decode_unixfs_data,
    encode_pbnode,
    encode_unixfs_data,
    get_profile,
    import_bytes,
    import_directory,
    import_file,
    import_path,
)
from cidhub.errors import UnixfsError

HELLO = b"hello world"

# Published vectors (IPIP-499 fixtures, Kubo docs).
HELLO_V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
HELLO_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
EMPTY_V0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
EMPTY_RAW = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # sha256 of no bytes
EMPTY_DIR_V0 = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
EMPTY_DIR_V1 = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"

TINY = UNIXFS_V1_2025.with_overrides(name="tiny", chunk_size=4, max_links=3)
TINY_V0 = UNIXFS_V0_2015.with_overrides(name="tiny-v0", chunk_size=4, max_links=3)


# ---- vectors


def test_hello_world__v0_profile__published_cid():
    assert str(import_bytes(HELLO, UNIXFS_V0_2015).cid) == HELLO_V0


@pytest.mark.parametrize("profile", [UNIXFS_V1_2025, KUBO_CIDV1_LEGACY])
def test_hello_world__raw_leaf_profiles__published_cid(profile):
    assert str(import_bytes(HELLO, profile).cid) == HELLO_RAW


def test_empty_file__v0__published_cid():
    assert str(import_bytes(b"", UNIXFS_V0_2015).cid) == EMPTY_V0


def test_empty_file__raw_leaves__empty_raw_block():
    blocks: list[Block] = []
    result = import_bytes(b"", UNIXFS_V1_2025, blocks.append)
    assert str(result.cid) == EMPTY_RAW
    assert [b.data for b in blocks] == [b""]


@pytest.mark.parametrize(("profile", "expected"), [(UNIXFS_V0_2015, EMPTY_DIR_V0), (UNIXFS_V1_2025, EMPTY_DIR_V1)])
def test_empty_directory__published_cid(tmp_path, profile, expected):
    assert str(import_directory(tmp_path, profile).cid) == expected


# ---- profiles


def test_profiles__registry_values():
    assert DEFAULT_PROFILE is UNIXFS_V1_2025 is get_profile(None) is get_profile("unixfs-v1-2025")
    assert (UNIXFS_V1_2025.cid_version, UNIXFS_V1_2025.raw_leaves, UNIXFS_V1_2025.chunk_size, UNIXFS_V1_2025.max_links) == (1, True, 1_048_576, 1024)
    assert (UNIXFS_V0_2015.cid_version, UNIXFS_V0_2015.raw_leaves, UNIXFS_V0_2015.chunk_size, UNIXFS_V0_2015.max_links) == (0, False, 262_144, 174)
    assert (KUBO_CIDV1_LEGACY.cid_version, KUBO_CIDV1_LEGACY.raw_leaves, KUBO_CIDV1_LEGACY.chunk_size, KUBO_CIDV1_LEGACY.max_links) == (1, True, 262_144, 174)
    assert set(PROFILES) == {"unixfs-v0-2015", "unixfs-v1-2025", "kubo-cidv1-legacy"}


def test_profiles__frozen():
    with pytest.raises(AttributeError):
        UNIXFS_V1_2025.chunk_size = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        PROFILES["x"] = UNIXFS_V1_2025  # type: ignore[index]


def test_get_profile__unknown__lists_choices():
    with pytest.raises(UnixfsError, match="unknown profile 'nope'; choose one of: unixfs-v1-2025"):
        get_profile("nope")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cid_version": 0, "raw_leaves": True}, "CIDv0 cannot address raw leaves"),
        ({"cid_version": 0, "raw_leaves": False, "hash_function": "sha2-512"}, "CIDv0 requires sha2-256"),
        ({"hash_function": "md5"}, "unsupported hash function"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"max_links": 1}, "max_links"),
    ],
)
def test_profile__invalid_settings__rejected(changes, message):
    with pytest.raises(UnixfsError, match=message):
        UNIXFS_V1_2025.with_overrides(**changes)


# ---- encoding


def test_v0_leaf__exact_bytes():
    blocks: list[Block] = []
    import_bytes(HELLO, UNIXFS_V0_2015, blocks.append)
    # PBNode{Data: UnixFS{Type: File, Data: "hello world", filesize: 11}}
    assert blocks[0].data == b"\x0a\x11\x08\x02\x12\x0bhello world\x18\x0b"


def test_pbnode__links_written_before_data():
    node = PBNode((PBLink(b"\x01\x55\x12\x20" + b"\x00" * 32, "", 7),), b"\x08\x02")
    encoded = encode_pbnode(node)
    assert encoded[0] == 0x12  # field 2 (Links) first
    assert encoded.endswith(b"\x0a\x02\x08\x02")  # field 1 (Data) last
    assert decode_pbnode(encoded) == node


def test_pbnode__empty_name_is_written():
    encoded = encode_pbnode(PBNode((PBLink(b"\x12\x20" + b"\x01" * 32, "", 5),)))
    assert b"\x12\x00\x18\x05" in encoded  # Name "" present, then Tsize 5


def test_decode_pbnode__data_before_links__rejected():
    data_first = b"\x0a\x02\x08\x02" + b"\x12\x02\x0a\x00"
    with pytest.raises(UnixfsError, match="unexpected field 2"):
        decode_pbnode(data_first)


def test_unixfs_data__round_trip_and_unpacked_blocksizes():
    msg = UnixfsData(DATA_FILE, None, 300, (100, 200))
    raw = encode_unixfs_data(msg)
    assert raw == b"\x08\x02\x18\xac\x02\x20\x64\x20\xc8\x01"
    assert decode_unixfs_data(raw) == msg


def _tree(blocks: list[Block], root_cid: bytes) -> dict[bytes, list[bytes]]:
    by_cid = {b.cid_bytes: b for b in blocks}
    out: dict[bytes, list[bytes]] = {}
    for cid, block in by_cid.items():
        if cid[1] == 0x70 or cid[:1] == b"\x12":
            out[cid] = [link.hash for link in decode_pbnode(block.data).links]
    return out


def _depths(blocks: list[Block], root: bytes) -> set[int]:
    by_cid = {b.cid_bytes: b for b in blocks}
    depths: set[int] = set()

    def visit(cid: bytes, depth: int) -> None:
        block = by_cid[cid]
        if cid[1] == 0x55:
            depths.add(depth)
            return
        node = decode_pbnode(block.data)
        if not node.links:
            depths.add(depth)
        for link in node.links:
            visit(link.hash, depth + 1)

    visit(root, 0)
    return depths


@pytest.mark.parametrize("n_chunks", [1, 2, 3, 4, 9, 10, 12, 27, 28, 40])
def test_balanced_layout__leaves_same_depth_and_width_bounded(n_chunks):
    data = os.urandom(TINY.chunk_size * n_chunks)
    blocks: list[Block] = []
    result = import_bytes(data, TINY, blocks.append)
    root = result.cid_bytes
    assert blocks[-1].cid_bytes == root  # root emitted last
    assert len(_depths(blocks, root)) == 1
    width = max((len(links) for links in _tree(blocks, root).values()), default=0)
    assert width <= TINY.max_links
    expected_depth = 0 if n_chunks == 1 else next(d for d in range(1, 10) if 3**d >= n_chunks)
    assert _depths(blocks, root) == {expected_depth}


def test_file_node__tsize_and_blocksizes_are_cumulative():
    data = os.urandom(TINY.chunk_size * 10 + 1)  # 11 chunks, depth 3 with width 3
    blocks: list[Block] = []
    result = import_bytes(data, TINY, blocks.append)
    by_cid = {b.cid_bytes: b.data for b in blocks}

    def check(cid: bytes) -> tuple[int, int]:  # (dag size, content size)
        block = by_cid[cid]
        if cid[1] == 0x55:
            return len(block), len(block)
        node = decode_pbnode(block)
        unixfs = decode_unixfs_data(node.data or b"")
        sizes = [check(link.hash) for link in node.links]
        assert [link.tsize for link in node.links] == [s[0] for s in sizes]
        assert list(unixfs.blocksizes) == [s[1] for s in sizes]
        assert unixfs.filesize == sum(s[1] for s in sizes)
        return len(block) + sum(s[0] for s in sizes), unixfs.filesize

    dag_size, content = check(result.cid_bytes)
    assert content == len(data) == result.size
    assert dag_size == result.dag_size == sum(len(b.data) for b in blocks)


def test_single_chunk__v0__root_is_dag_pb_leaf_and_v1_root_is_raw():
    assert import_bytes(b"abcd", TINY_V0).cid.codec.name == "dag-pb"
    assert import_bytes(b"abcd", TINY).cid.codec.name == "raw"
    assert import_bytes(b"abcde", TINY).cid.codec.name == "dag-pb"


def test_duplicate_chunks__blocks_emitted_per_occurrence():
    blocks: list[Block] = []
    result = import_bytes(b"abcd" * 5, TINY, blocks.append)
    assert result.blocks == len(blocks) == 5 + 2 + 1  # 5 leaves, 2 nodes, root
    assert len({b.cid_bytes for b in blocks if b.cid_bytes[1] == 0x55}) == 1


# ---- streaming


class _Trickle(io.RawIOBase):
    """A stream that returns at most a few bytes per read, like a slow pipe."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = min(self._step, len(self._data), len(buffer))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


@given(st.binary(max_size=200), st.integers(1, 9), st.lists(st.integers(1, 13), min_size=1, max_size=8))
@settings(deadline=None)
def test_chunk_boundaries__independent_of_how_bytes_arrive(data, step, pieces):
    expected = import_bytes(data, TINY).cid
    assert import_file(_Trickle(data, step), TINY).cid == expected
    importer = FileImporter(TINY)
    pos = 0
    for i in range(len(data)):
        size = pieces[i % len(pieces)]
        importer.write(data[pos : pos + size])
        pos += size
        if pos >= len(data):
            break
    assert importer.finish().cid == expected


def test_import_file__path_and_stream_agree(write_file):
    path = write_file(3 * 1024 * 1024 + 17)
    with open(path, "rb") as stream:
        from_stream = import_file(stream, KUBO_CIDV1_LEGACY)
    from_path = import_file(path, KUBO_CIDV1_LEGACY)
    assert from_path.cid == from_stream.cid
    assert from_path.size == 3 * 1024 * 1024 + 17


def test_import_file__reads_with_one_reused_buffer(write_file):
    path = write_file(5 * TINY.chunk_size + 3)
    seen_buffers: set[int] = set()

    class Spy(io.FileIO):
        def readinto(self, buffer):  # type: ignore[override]
            seen_buffers.add(id(buffer.obj))
            return super().readinto(buffer)

    with Spy(path, "rb") as stream:
        import_file(stream, TINY)
    assert len(seen_buffers) == 1


def test_import_file__raw_leaf_blocks_hash_to_their_cids(write_file):
    path = write_file(2 * 1024 * 1024 + 5)
    blocks: list[Block] = []
    import_file(path, UNIXFS_V1_2025, blocks.append)
    for block in blocks:
        assert block.cid_bytes[-32:] == hashlib.sha256(block.data).digest()


def test_file_importer__finish_twice__raises():
    importer = FileImporter(TINY)
    importer.finish()
    with pytest.raises(UnixfsError, match="twice"):
        importer.finish()


# ---- directories


def _make_tree(root: Path) -> None:
    (root / "b-dir" / "nested").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "b-dir" / "big.bin").write_bytes(os.urandom(3 * TINY.chunk_size + 1))
    (root / "b-dir" / "nested" / "deep.txt").write_bytes(b"deep")
    (root / "empty").mkdir()
    (root / ".hidden").write_bytes(b"secret")
    (root / "Zed").write_bytes(b"upper case sorts first")
    (root / "link").symlink_to("a.txt")


def test_directory__entries_sorted_by_name_bytes_and_typed(tmp_path):
    _make_tree(tmp_path)
    blocks: list[Block] = []
    result = import_directory(tmp_path, TINY, blocks.append)
    root = decode_pbnode(blocks[-1].data)
    assert blocks[-1].cid_bytes == result.cid_bytes
    assert [link.name for link in root.links] == ["Zed", "a.txt", "b-dir", "empty", "link"]
    assert decode_unixfs_data(root.data or b"").type == DATA_DIRECTORY
    by_cid = {b.cid_bytes: b.data for b in blocks}
    link = next(l for l in root.links if l.name == "link")
    symlink = decode_unixfs_data(decode_pbnode(by_cid[link.hash]).data or b"")
    assert (symlink.type, symlink.data) == (DATA_SYMLINK, b"a.txt")
    assert result.kind == "directory"
    assert result.dag_size == sum(len(b.data) for b in blocks)


def test_directory__hidden_entries__skipped_unless_asked(tmp_path):
    _make_tree(tmp_path)
    without = import_directory(tmp_path, TINY)
    with_hidden = import_directory(tmp_path, TINY, include_hidden=True)
    assert without.cid != with_hidden.cid
    (tmp_path / ".hidden").unlink()
    assert import_directory(tmp_path, TINY, include_hidden=True).cid == without.cid


def test_directory__link_tsize_is_child_dag_size(tmp_path):
    (tmp_path / "f").write_bytes(os.urandom(10 * TINY.chunk_size))
    file_result = import_file(tmp_path / "f", TINY)
    blocks: list[Block] = []
    import_directory(tmp_path, TINY, blocks.append)
    (link,) = decode_pbnode(blocks[-1].data).links
    assert (link.hash, link.tsize) == (file_result.cid_bytes, file_result.dag_size)


def test_import_path__dispatches_on_kind(tmp_path, write_file):
    path = write_file(data=HELLO)
    assert str(import_path(path, UNIXFS_V0_2015).cid) == HELLO_V0
    assert import_path(tmp_path, UNIXFS_V0_2015).kind == "directory"


def test_directory__special_file__clear_error(tmp_path):
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s.sock"))
        with pytest.raises(UnixfsError, match="not a regular file, directory or symlink"):
            import_directory(tmp_path, TINY)
    finally:
        sock.close()


def test_directory__non_utf8_name__clear_error(tmp_path):
    (tmp_path / os.fsdecode(b"bad-\xff")).write_bytes(b"x")
    with pytest.raises(UnixfsError, match="not valid UTF-8"):
        import_directory(tmp_path, TINY)
