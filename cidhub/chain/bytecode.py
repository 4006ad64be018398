"""Is the code at an address the contract we compiled? Checks for Vyper 0.4 deployments.

A Vyper 0.4 contract's deployed code is its runtime bytecode followed by the values of its
immutables: the compiled artifact's ``runtimeBytecode`` is a prefix of ``eth_getCode``, and the
rest is exactly as long as the immutables section the initcode's CBOR trailer announces. The
creation transaction's input is the artifact's ``deploymentBytecode`` followed by the ABI-encoded
constructor arguments, which we decode and compare with the arguments we meant to pass.

:func:`check_deployed_code` and :func:`check_creation_input` raise :class:`BytecodeMismatch` with
a message that says what differs; the deploy journal runs them before it trusts an address it
recorded, and ``ape run verify`` before it submits anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cbor2
from eth_abi import decode as abi_decode
from eth_utils import keccak

from cidhub.errors import CidhubError


class BytecodeMismatch(CidhubError):
    """The code (or the creation input) at an address is not the compiled contract's."""


@dataclass(frozen=True)
class VyperMetadata:
    """What Vyper >= 0.4.1 appends to the initcode: ``cbor([integrity, runtime_size,
    data_sizes, immutables_size, {"vyper": [major, minor, patch]}]) + len(cbor) as 2 bytes``."""

    integrity: bytes
    runtime_size: int
    data_sizes: tuple[int, ...]
    immutables_size: int
    version: tuple[int, ...]


def vyper_metadata(initcode: bytes) -> VyperMetadata:
    """Decode the CBOR trailer of a Vyper 0.4 initcode (raises BytecodeMismatch if it has none)."""
    if len(initcode) < 2:
        raise BytecodeMismatch("the initcode is too short to carry Vyper metadata")
    length = int.from_bytes(initcode[-2:], "big")
    try:
        fields = cbor2.loads(initcode[-length:-2])
        integrity, runtime_size, data_sizes, immutables_size, version = fields
        return VyperMetadata(bytes(integrity), int(runtime_size), tuple(int(s) for s in data_sizes),
                             int(immutables_size), tuple(version["vyper"]))
    except (ValueError, TypeError, KeyError, cbor2.CBORDecodeError) as exc:
        raise BytecodeMismatch(f"the initcode has no Vyper 0.4 metadata trailer ({exc})") from None


def _hex(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def artifact_code(contract_type: Any) -> tuple[bytes, bytes]:
    """(initcode, runtime) of an ethpm ContractType, as bytes."""
    return _hex(contract_type.deployment_bytecode.bytecode), _hex(contract_type.runtime_bytecode.bytecode)


def check_deployed_code(contract_type: Any, code: bytes, where: str = "") -> None:
    """``code`` (from eth_getCode) is the artifact's runtime followed by its immutables, nothing else."""
    name = contract_type.name
    initcode, runtime = artifact_code(contract_type)
    meta = vyper_metadata(initcode)
    at = f" at {where}" if where else ""
    if not code:
        raise BytecodeMismatch(f"there is no code{at}, where {name} should be")
    prefix = code[: len(runtime)]
    if keccak(prefix) != keccak(runtime):
        raise BytecodeMismatch(
            f"the code{at} is not {name} as compiled now (runtime code hash {keccak(prefix).hex()[:16]}…, "
            f"expected {keccak(runtime).hex()[:16]}…)")
    tail = len(code) - len(runtime)
    if tail != meta.immutables_size:
        raise BytecodeMismatch(f"the code{at} has {tail} bytes after {name}'s runtime; its immutables take "
                               f"{meta.immutables_size}")


def constructor_types(contract_type: Any) -> list[str]:
    constructor = contract_type.constructor
    if constructor is None or not constructor.inputs:
        return []
    return [param.canonical_type for param in constructor.inputs]


def split_creation_input(contract_type: Any, creation_input: bytes) -> bytes:
    """The ABI-encoded constructor arguments at the end of a creation input (checks the initcode)."""
    initcode, _ = artifact_code(contract_type)
    if creation_input[: len(initcode)] != initcode:
        raise BytecodeMismatch(f"the creation transaction did not deploy {contract_type.name} as compiled now")
    return creation_input[len(initcode):]


def decode_constructor_args(contract_type: Any, creation_input: bytes) -> tuple[Any, ...]:
    encoded = split_creation_input(contract_type, creation_input)
    types = constructor_types(contract_type)
    if not types:
        if encoded:
            raise BytecodeMismatch(f"{contract_type.name} takes no constructor arguments but "
                                   f"{len(encoded)} bytes follow")
        return ()
    return tuple(abi_decode(types, encoded))


def check_creation_input(contract_type: Any, creation_input: bytes, expected_input: bytes | None = None) -> tuple:
    """The creation input is the artifact's initcode plus arguments; with ``expected_input`` (the
    deployment data we would send now) the arguments must decode to the same values."""
    args = decode_constructor_args(contract_type, creation_input)
    if expected_input is not None:
        wanted = decode_constructor_args(contract_type, expected_input)
        if _normal(args) != _normal(wanted):
            raise BytecodeMismatch(f"{contract_type.name} was deployed with constructor arguments {_show(args)}, "
                                   f"this deploy passes {_show(wanted)}")
    return args


def _normal(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    if isinstance(value, str):
        return value.lower()
    return value


def _show(args: tuple) -> str:
    return "(" + ", ".join(("0x" + a.hex()) if isinstance(a, bytes) else str(a) for a in args) + ")"
