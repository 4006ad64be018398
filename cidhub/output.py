"""Results for people (rich tables) and for machines (--json), from the same rows."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def short_hex(value: str, keep: int = 10) -> str:
    """0x1234abcd…9f3e: enough of an id or address to recognise it in a table."""
    return value if len(value) <= 2 * keep + 1 else f"{value[:keep]}…{value[-4:]}"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console(width=200).print(table)


def machine_output(enabled: bool) -> None:
    """With --json, stdout carries only the JSON document: silence Ape's INFO/SUCCESS lines."""
    if enabled:
        from ape.logging import LogLevel, logger

        logger.set_level(LogLevel.ERROR)


def _quiet_before_connecting() -> None:
    # Ape connects (and a node provider logs "Connecting to a 'geth' node." on stdout) before a
    # script's body can call machine_output; `ape run` imports the scripts first, so decide here,
    # from the command line, the way Ape itself reads -v/--verbosity from sys.argv.
    if "--json" in sys.argv[2:] and sys.argv[1:2] == ["run"] and "ape" in sys.argv[0]:
        machine_output(True)


_quiet_before_connecting()
