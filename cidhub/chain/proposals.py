"""Proposal files: what a DAO proposal does, written by people, encoded from the contracts' ABIs.

A proposal file (YAML or JSON) names its actions by contract (as recorded in the deployment
file), function and arguments, never as hand-written calldata::

    description: |
      # Delist the leaked dataset
      The card links to data published without consent.
    actions:
      - contract: AssetRegistry
        function: delist
        args: [bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e, bafkrei...reason]
      - contract: HubToken
        function: mint
        args: [0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 5000 HUB]

Arguments are converted by the parameter's ABI type, so a file reads the way people think:

- ``address``: a 0x address, or the name of a suite contract in the deployment (``HubTimelock``);
- ``bytes32``: 0x-hex, or a role constant of the target contract (``CURATOR_ROLE``);
- ``bytes``: 0x-hex, or a CID (stored in its binary form, as the registry expects);
- ``uint256``: an integer, 0x-hex, ``"<n> HUB"`` (18 decimals), or a CID (the registry's asset id
  of that content);
- anything else is passed to Ape's converters unchanged.

:func:`encode_proposal` turns a :class:`ProposalSpec` into the four arrays the governor takes and
computes the proposal id the way the governor (and OpenZeppelin's Governor) does.

Front-running: a proposal id does not include its proposer, so someone who sees a proposal in the
mempool could propose the same actions and description first, let it pass or fail, drop below
the threshold and cancel it, and the id is burnt for the real proposer. The tooling therefore
ends every description with OpenZeppelin's ``#proposer=0x<address>`` suffix
(:func:`with_proposer`): HubGovernor, like OpenZeppelin's Governor, accepts such a description
only from that address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from cidhub.chain.registry import AssetRefError, parse_asset_ref
from cidhub.content.cid import cid_to_bytes, parse_cid
from cidhub.errors import CidError, CidhubError

# Bounds of HubGovernor (MAX_ACTIONS, MAX_CALLDATA_BYTES, MAX_DESCRIPTION_BYTES).
MAX_ACTIONS = 10
MAX_CALLDATA_BYTES = 1_024
MAX_DESCRIPTION_BYTES = 8_192
TOKEN_UNIT = 10**18
_ROLE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_ROLE$")
_HUB_AMOUNT = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*HUB\s*$", re.IGNORECASE)


class _YamlLoader(yaml.SafeLoader):
    """YAML without YAML 1.1's hex and octal integers: an address or a hash written 0x... stays text."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*))$"),
                                  list("-+0123456789"))


class ProposalError(CidhubError):
    """A proposal file or one of its actions cannot be turned into calls; the message says where."""


@dataclass
class Action:
    """One call the timelock will make."""

    contract: str
    function: str
    args: list[Any] = field(default_factory=list)
    value: int = 0

    def label(self) -> str:
        shown = ", ".join(str(a) for a in self.args)
        return f"{self.contract}.{self.function}({shown})" + (f" with {self.value} wei" if self.value else "")


@dataclass
class ProposalSpec:
    description: str
    actions: list[Action]

    @property
    def title(self) -> str:
        return title_of(self.description)


@dataclass
class EncodedProposal:
    """The governor's view of a proposal: the arrays it hashes, and their id."""

    targets: list[str]
    values: list[int]
    calldatas: list[bytes]
    description: str
    labels: list[str] = field(default_factory=list)

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def proposal_id(self) -> int:
        return proposal_id(self.targets, self.values, self.calldatas, self.description)

    def arrays(self) -> tuple[list[str], list[int], list[bytes]]:
        return self.targets, self.values, self.calldatas

    @property
    def reserved_for(self) -> str | None:
        """The only address that may propose it (its ``#proposer=`` suffix), or None."""
        return proposer_of(self.description)

    def for_proposer(self, proposer: str) -> EncodedProposal:
        """A copy whose description is reserved for `proposer` (see :func:`with_proposer`)."""
        return replace(self, description=with_proposer(self.description, proposer))


# OpenZeppelin Governor's front-running protection: "#proposer=0x" and 40 hex digits, ending the
# description (Governor._isValidDescriptionForProposer; HubGovernor.propose parses it the same way).
PROPOSER_MARKER = "#proposer=0x"
_SUFFIX_BYTES = len(PROPOSER_MARKER) + 40
_HEX = frozenset(b"0123456789abcdefABCDEF")


def proposer_of(description: str) -> str | None:
    """The address a description's ``#proposer=0x...`` suffix reserves the proposal for, or None when
    anyone may propose it (no suffix, or a malformed one, which the governors ignore)."""
    tail = description.encode()[-_SUFFIX_BYTES:]
    if len(tail) < _SUFFIX_BYTES or not tail.startswith(PROPOSER_MARKER.encode()):
        return None
    digits = tail[len(PROPOSER_MARKER):]
    if not set(digits) <= _HEX:
        return None
    return to_checksum_address("0x" + digits.decode())


def with_proposer(description: str, proposer: str) -> str:
    """`description`, ended with ``#proposer=0x<proposer>`` on a line of its own, so that only
    `proposer` can propose it. A description already reserved for `proposer` is returned as is;
    one reserved for someone else raises ProposalError."""
    proposer = to_checksum_address(proposer)
    current = proposer_of(description)
    if current is not None:
        if current != proposer:
            raise ProposalError(f"the description is reserved for {current} (its #proposer= suffix); "
                                f"{proposer} cannot propose it")
        return description
    reserved = f"{description.rstrip()}\n\n{PROPOSER_MARKER}{proposer[2:]}"
    if len(reserved.encode()) > MAX_DESCRIPTION_BYTES:
        raise ProposalError(f"with its #proposer= line the description is {len(reserved.encode()):,} bytes; "
                            f"the governor accepts at most {MAX_DESCRIPTION_BYTES:,} (link a longer text by its CID)")
    return reserved


def title_of(description: str) -> str:
    """The first non-empty line of a description, without markdown heading marks."""
    for line in description.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line
    return "(no description)"


def proposal_id(targets: Sequence[str], values: Sequence[int], calldatas: Sequence[bytes], description: str) -> int:
    """keccak256(abi.encode(targets, values, calldatas, keccak256(description))), as the governor computes it."""
    encoded = abi_encode(
        ["address[]", "uint256[]", "bytes[]", "bytes32"],
        [list(targets), list(values), [bytes(c) for c in calldatas], keccak(text=description)],
    )
    return int.from_bytes(keccak(encoded), "big")


def load_proposal(path: Path) -> ProposalSpec:
    """Read a proposal file (``.json``, or YAML for anything else) and check its shape."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ProposalError(f"cannot read proposal file {path}: {exc.strerror or exc}") from None
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.load(text, Loader=_YamlLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ProposalError(f"{path} is not valid {'JSON' if is_json else 'YAML'}: {exc}") from None
    return parse_proposal(data, source=str(path))


def parse_proposal(data: Any, source: str = "proposal") -> ProposalSpec:
    if not isinstance(data, dict):
        raise ProposalError(f"{source}: expected a mapping with 'description' and 'actions'")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ProposalError(
            f"{source}: 'description' must be a non-empty string (markdown; its first line is the title)"
        )
    if len(description.encode()) > MAX_DESCRIPTION_BYTES:
        raise ProposalError(
            f"{source}: the description is {len(description.encode()):,} bytes; the governor accepts at most "
            f"{MAX_DESCRIPTION_BYTES:,} (link a longer text by its CID)"
        )
    raw_actions = data.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise ProposalError(f"{source}: 'actions' must be a non-empty list")
    if len(raw_actions) > MAX_ACTIONS:
        raise ProposalError(f"{source}: {len(raw_actions)} actions; a proposal holds at most {MAX_ACTIONS}")
    actions = []
    for index, raw in enumerate(raw_actions, 1):
        where = f"{source}: action {index}"
        if not isinstance(raw, dict):
            raise ProposalError(f"{where}: expected a mapping with 'contract', 'function' and 'args'")
        unknown = set(raw) - {"contract", "function", "args", "value"}
        if unknown:
            raise ProposalError(
                f"{where}: unknown keys {sorted(unknown)} (allowed: contract, function, args, value)"
            )
        contract, function = raw.get("contract"), raw.get("function")
        if not isinstance(contract, str) or not isinstance(function, str):
            raise ProposalError(f"{where}: 'contract' and 'function' must be names, e.g. AssetRegistry / delist")
        args = raw.get("args", [])
        if not isinstance(args, list):
            raise ProposalError(f"{where}: 'args' must be a list")
        value = _to_int(raw.get("value", 0), f"{where}: value")
        actions.append(Action(contract=contract, function=function, args=args, value=value))
    return ProposalSpec(description=description, actions=actions)


def encode_proposal(spec: ProposalSpec, deployment: Any, contract_at: Any,
                    proposer: str | None = None) -> EncodedProposal:
    """Encode every action from its contract's ABI.

    ``deployment`` is a :class:`cidhub.chain.deployment.Deployment`; ``contract_at(name, address)`` returns an
    Ape contract instance (``project.<name>.at(address)`` in scripts). With ``proposer`` the
    description is reserved for that address (:func:`with_proposer`), and the id is the final one.
    """
    description = spec.description if proposer is None else with_proposer(spec.description, proposer)
    encoded = EncodedProposal(targets=[], values=[], calldatas=[], description=description)
    for index, action in enumerate(spec.actions, 1):
        where = f"action {index} ({action.contract}.{action.function})"
        if action.contract not in deployment.contracts:
            known = ", ".join(sorted(deployment.contracts)) or "none"
            raise ProposalError(
                f"{where}: {action.contract} is not in the {deployment.key} deployment (known: {known})"
            )
        address = deployment.contracts[action.contract].address
        contract = contract_at(action.contract, address)
        calldata = encode_call(contract, action, deployment, where)
        if len(calldata) > MAX_CALLDATA_BYTES:
            raise ProposalError(
                f"{where}: calldata is {len(calldata)} bytes; the timelock accepts at most {MAX_CALLDATA_BYTES}"
            )
        encoded.targets.append(to_checksum_address(address))
        encoded.values.append(action.value)
        encoded.calldatas.append(calldata)
        encoded.labels.append(action.label())
    return encoded


def encode_call(contract: Any, action: Action, deployment: Any, where: str) -> bytes:
    abis = [abi for abi in contract.contract_type.mutable_methods if abi.name == action.function]
    if not abis:
        views = {abi.name for abi in contract.contract_type.view_methods}
        hint = (" (it is a view: a proposal can only call functions that change state)"
                if action.function in views else "")
        names = ", ".join(sorted({abi.name for abi in contract.contract_type.mutable_methods}))
        raise ProposalError(f"{where}: {action.contract} has no function {action.function}{hint}; it has: {names}")
    matching = [abi for abi in abis if len(abi.inputs) == len(action.args)]
    if not matching:
        wanted = " or ".join(str(len(abi.inputs)) for abi in abis)
        raise ProposalError(f"{where}: takes {wanted} arguments, the file gives {len(action.args)}")
    abi = matching[0]
    args = [
        convert_arg(arg, param.canonical_type, contract, deployment, f"{where}, argument {i} ({param.name})")
        for i, (arg, param) in enumerate(zip(action.args, abi.inputs, strict=True), 1)
    ]
    try:
        # By name from the method table: a function called `delegate` or `nonce` is shadowed by
        # attributes of Ape's address class.
        return bytes(contract._mutable_methods_[action.function].encode_input(*args))
    except Exception as exc:  # Ape raises several conversion/encoding error types
        raise ProposalError(f"{where}: cannot encode the arguments: {exc}") from None


def convert_arg(value: Any, abi_type: str, contract: Any, deployment: Any, where: str) -> Any:
    """Turn a human-written argument into what the ABI type expects (see the module docstring)."""
    if abi_type == "address":
        if not isinstance(value, str):
            raise ProposalError(f"{where}: expected a 0x address or a contract name, got {value!r}")
        if value in deployment.contracts:
            return deployment.contracts[value].address
        try:
            return to_checksum_address(value)
        except ValueError:
            raise ProposalError(
                f"{where}: {value!r} is neither a 0x address nor a contract of the deployment"
            ) from None
    if abi_type == "bytes32" and isinstance(value, str) and _ROLE_NAME.match(value):
        getter = getattr(contract, value, None)
        if getter is None:
            raise ProposalError(f"{where}: the target contract has no role constant {value}")
        return bytes(getter())
    if abi_type == "bytes" and isinstance(value, str) and not value.startswith(("0x", "0X")):
        try:
            return cid_to_bytes(parse_cid(value.removeprefix("ipfs://")))
        except CidError as exc:
            raise ProposalError(f"{where}: {value!r} is neither 0x-hex nor a CID: {exc}") from None
    if abi_type.startswith("uint") and not abi_type.endswith("]"):
        return _to_uint(value, where)
    return value


def _to_uint(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ProposalError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ProposalError(f"{where}: {value} is negative")
        return value
    if isinstance(value, str):
        match = _HUB_AMOUNT.match(value)
        if match:
            try:
                amount = Decimal(match.group(1).replace("_", "")) * TOKEN_UNIT
            except InvalidOperation:
                raise ProposalError(f"{where}: {value!r} is not an amount") from None
            if amount != amount.to_integral_value():
                raise ProposalError(f"{where}: {value!r} has more than 18 decimals")
            return int(amount)
        try:
            return parse_asset_ref(value.replace("_", "") if value.replace("_", "").isdigit() else value)
        except AssetRefError:
            raise ProposalError(f"{where}: {value!r} is not a number, a HUB amount or a CID") from None
    raise ProposalError(f"{where}: expected a number, got {type(value).__name__}")


def _to_int(value: Any, where: str) -> int:
    try:
        return _to_uint(value, where)
    except ProposalError:
        raise ProposalError(f"{where}: expected an amount of wei, got {value!r}") from None
