"""The `cidhub` command, through click's CliRunner and once as the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from kubo_vectors import kubo_names

from cidhub.cli import _content_bytes, main
from cidhub.content.car import verify_car

HELLO_V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
HELLO_RAW = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
EMPTY_DIR_V1 = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"


@pytest.fixture
def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1: keep stderr apart from stdout
    except TypeError:
        return CliRunner()  # click >= 8.2 always keeps them apart


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world")
    return path


def test_cid__default_profile__prints_only_the_cid(runner, hello):
    result = runner.invoke(main, ["cid", str(hello)])
    assert result.exit_code == 0
    assert result.stdout == HELLO_RAW + "\n"
    assert result.stderr == ""


def test_cid__v0_profile(runner, hello):
    result = runner.invoke(main, ["cid", str(hello), "--profile", "unixfs-v0-2015"])
    assert result.stdout == HELLO_V0 + "\n"


def test_cid__directory(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, ["cid", str(tmp_path / "empty")])
    assert result.stdout == EMPTY_DIR_V1 + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cid", "/no/such/file"], "Path '/no/such/file' does not exist"),
        (["cid", "{hello}", "--profile", "bogus"], "'bogus' is not one of 'unixfs-v1-2025'"),
        (["inspect", "bafyxx"], "Error: invalid base32 text in CID 'bafyxx'"),
        (["inspect", ""], "Error: empty input"),
    ],
)
def test_errors__exit_2_message_on_stderr_no_traceback(runner, hello, args, message):
    args = [a.format(hello=hello) for a in args]
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an uncaught error


def test_cid__unreadable_file__exit_2(runner, hello, monkeypatch):
    import cidhub.content.unixfs

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", os.fspath(path))

    monkeypatch.setattr(cidhub.content.unixfs, "open", denied, raising=False)
    result = runner.invoke(main, ["cid", str(hello)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: Permission denied: {hello}\n"


def test_cid__special_file_in_directory__exit_2(runner, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    result = runner.invoke(main, ["cid", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a regular file, directory or symlink" in result.stderr


def test_add_then_car__exports_verified_car(runner, tmp_path):
    data_dir = tmp_path / "blocks"
    payload = tmp_path / "weights.bin"
    payload.write_bytes(os.urandom(3 * 1024 * 1024 + 1))
    added = runner.invoke(main, ["add", str(payload), "--data-dir", str(data_dir)])
    assert added.exit_code == 0, added.stderr
    root = added.stdout.strip()
    out = tmp_path / "out.car"
    exported = runner.invoke(main, ["car", root, str(out), "--data-dir", str(data_dir)])
    assert exported.exit_code == 0, exported.stderr
    assert verify_car(out, root).blocks == 5  # 4 raw leaves + root


def test_add__data_dir_from_env(runner, hello, tmp_path):
    result = runner.invoke(main, ["add", str(hello)], env={"CIDHUB_DATA_DIR": str(tmp_path / "env")})
    assert result.stdout == HELLO_RAW + "\n"
    assert any((tmp_path / "env").rglob("*.data"))


def test_car__missing_root__exit_2_and_no_partial_file(runner, tmp_path):
    out = tmp_path / "x.car"
    result = runner.invoke(main, ["car", HELLO_RAW, str(out), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "is not in the store" in result.stderr
    assert not out.exists()
    assert list(tmp_path.glob(".*partial")) == []


def test_pack__writes_car_and_prints_root(runner, hello, tmp_path):
    out = tmp_path / "hello.car"
    result = runner.invoke(main, ["pack", str(hello), str(out)])
    assert result.stdout == HELLO_RAW + "\n"
    assert verify_car(out, HELLO_RAW).blocks == 1


def test_inspect__table_and_json(runner):
    table = runner.invoke(main, ["inspect", HELLO_V0])
    assert "dag-pb (0x70)" in table.stdout
    assert "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa" in table.stdout
    info = json.loads(runner.invoke(main, ["inspect", HELLO_RAW, "--json"]).stdout)
    assert info["codec"] == "raw"
    assert info["base58btc_v0"] is None


def test_main__is_a_group_others_can_extend():
    import click

    assert isinstance(main, click.Group)
    assert {"cid", "add", "car", "inspect", "pack"} <= set(main.commands)


def _console_script() -> str:
    candidate = Path(sys.executable).with_name("cidhub")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("cidhub")
    if found is None:
        pytest.fail("the `cidhub` console script is not installed: run `make setup`")
    return found


def test_console_script__prints_cid_and_exit_2_on_error(hello, tmp_path):
    script = _console_script()
    ok = subprocess.run([script, "cid", str(hello)], capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, HELLO_RAW + "\n", "")
    bad = subprocess.run(
        [script, "cid", str(tmp_path / "missing")], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "does not exist" in bad.stderr
    assert "Traceback" not in bad.stderr


def _big_file(tmp_path: Path, size: int = 3 * 1024 * 1024 + 17) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(size))
    return path


@pytest.mark.parametrize("command", ["cid", "add"])
def test_progress__flag__bar_on_stderr_reaches_100_and_cid_unchanged(runner, tmp_path, command):
    path = _big_file(tmp_path)
    plain = runner.invoke(main, ["cid", str(path)])
    extra = ["--data-dir", str(tmp_path / "blocks")] if command == "add" else []

    result = runner.invoke(main, [command, str(path), "--progress", *extra])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == plain.stdout  # the CID, and nothing else, on stdout
    assert "importing big.bin" in result.stderr
    assert "100%" in result.stderr
    assert plain.stderr == ""  # not a terminal and not asked: no bar


def test_progress__add_directory__counts_included_files_and_stores_every_block(runner, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    (tree / "sub" / "b.bin").write_bytes(os.urandom(1024 * 1024 + 5))
    (tree / ".hidden").write_bytes(os.urandom(4 * 1024 * 1024))  # excluded, so not counted
    blocks = tmp_path / "blocks"

    result = runner.invoke(main, ["add", str(tree), "--progress", "--data-dir", str(blocks)])

    assert result.exit_code == 0, result.stderr
    assert "100%" in result.stderr
    assert _content_bytes(tree, include_hidden=False) == 3 * 1024 * 1024 + 5
    assert _content_bytes(tree, include_hidden=True) == 7 * 1024 * 1024 + 5
    car = tmp_path / "tree.car"
    exported = runner.invoke(main, ["car", result.stdout.strip(), str(car), "--data-dir", str(blocks)])
    assert exported.exit_code == 0, exported.stderr
    assert str(verify_car(car.read_bytes()).roots[0]) == result.stdout.strip()


def test_cid_and_add__directory_past_the_hamt_threshold__ipip499_cid(runner, tmp_path):
    """`cidhub cid`/`add` once refused such a directory; now it is the HAMT IPIP-499 publishes."""
    tree = tmp_path / "rootDir"
    tree.mkdir()
    for name in kubo_names(4766, 11, 22, "hamt-unixfs-v1-2025"):
        (tree / name).write_bytes(b"x")
    expected = "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu"
    assert runner.invoke(main, ["cid", str(tree)]).stdout == expected + "\n"
    added = runner.invoke(main, ["add", str(tree), "--data-dir", str(tmp_path / "blocks")])
    assert added.exit_code == 0 and added.stdout.strip() == expected
