"""The cidhub DAO from Python: deploying it, handing it the suite's levers, checking who holds
them, and taking proposals through their life (propose, vote, queue, execute, cancel).

The contracts are HubToken (votes), HubGovernor and HubTimelock. Every function here checks what
can be checked before it sends a transaction and raises :class:`GovernanceError` with a message a
person can act on ("voting opens in 23 h", "proposer has 0 votes, the threshold is 10,000 HUB").
Scripts (`ape run govern`, `ape run roles`) are thin wrappers around this module.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_utils import keccak, to_checksum_address

from cidhub.chain.deployment import DAO_CONTRACT, MINTER, OWNER, SUITE_ROLES, Deployment, expected_holder, role_holders
from cidhub.chain.proposals import EncodedProposal, title_of
from cidhub.errors import CidhubError

TOKEN_UNIT = 10**18
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class GovernanceError(CidhubError):
    """A governance action cannot go ahead; nothing was sent."""


class ProposalState(enum.IntEnum):
    """HubGovernor.state(), OpenZeppelin's ordinals."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Support(enum.IntEnum):
    AGAINST = 0
    FOR = 1
    ABSTAIN = 2

    @classmethod
    def parse(cls, text: str | int) -> Support:
        if isinstance(text, int) or str(text).isdigit():
            try:
                return cls(int(text))
            except ValueError:
                pass
        aliases = {"against": cls.AGAINST, "no": cls.AGAINST, "for": cls.FOR, "yes": cls.FOR, "abstain": cls.ABSTAIN}
        try:
            return aliases[str(text).strip().lower()]
        except KeyError:
            raise GovernanceError(f"{text!r} is not a vote: use for, against or abstain (or 1, 0, 2)") from None


@dataclass(frozen=True)
class GovernanceConfig:
    """Parameters of a new DAO. Durations in seconds (the clock is EIP-6372 mode=timestamp)."""

    voting_delay: int = 86_400  # a day to notice a proposal (and delegate) before its snapshot
    voting_period: int = 5 * 86_400
    timelock_delay: int = 2 * 86_400  # time to exit before a decision takes effect
    proposal_threshold: int = 10_000 * TOKEN_UNIT  # 0.1 % of the initial supply
    quorum_bps: int = 400  # 4 % of the supply at the snapshot (OpenZeppelin's default)
    treasury: int = 6_000_000 * TOKEN_UNIT  # minted to the timelock
    # minted to the deployer when no allocations are given (to hand out; see `deploy --allocation`)
    contributors: int = 4_000_000 * TOKEN_UNIT


#: Time the DAO gets, on top of its own delays, to notice something it must decide in time (a
#: challenged compute claim) and to put the decision to a vote.
DAO_REACTION_TIME = 86_400


def dao_decision_time(voting_delay: int, voting_period: int, timelock_delay: int) -> int:
    """Seconds from a proposal to its earliest execution: voting delay + voting period + timelock delay
    (queueing needs the vote over, execution the timelock's delay after queueing)."""
    return voting_delay + voting_period + timelock_delay


@dataclass
class Dao:
    token: Any
    timelock: Any
    governor: Any


def deploy_dao(project: Any, deployer: Any, config: GovernanceConfig,
               allocations: Sequence[tuple[str, int]] | None = None, lever_holder: str | None = None) -> Dao:
    """Deploy timelock, token and governor; wire the governor into the timelock.

    The timelock starts with the deployer as bootstrap admin (so it can grant the governor its
    roles once the governor exists); :func:`hand_over` grants them and the deployer renounces.
    The token is born owned by ``lever_holder`` (default: the timelock), so minting is never the
    deployer's. ``allocations`` are (address, amount in token units); the treasury allocation to
    the timelock is added to them.
    """
    timelock = project.HubTimelock.deploy(config.timelock_delay, [], [], deployer.address, sender=deployer)
    recipients: list[str] = []
    amounts: list[int] = []
    if config.treasury:
        recipients.append(timelock.address)
        amounts.append(config.treasury)
    for address, amount in (allocations if allocations is not None else [(deployer.address, config.contributors)]):
        recipients.append(to_checksum_address(address))
        amounts.append(int(amount))
    token = project.HubToken.deploy(recipients, amounts, lever_holder or timelock.address, sender=deployer)
    governor = project.HubGovernor.deploy(
        token, timelock, config.voting_delay, config.voting_period, config.proposal_threshold, config.quorum_bps,
        sender=deployer,
    )
    return Dao(token=token, timelock=timelock, governor=governor)


# ---------------------------------------------------------------- levers


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def hand_over(contracts: dict[str, Any], deployer: Any, holders: dict[str, str] | None = None, *, from_block: int,
              revoke_others: bool = False) -> None:
    """Give every role of SUITE_ROLES to the holder the table names, then have the deployer renounce.

    A holder is a suite contract (``HubTimelock``, ``HubGovernor``, or whichever ROLE_HOLDERS
    names): its address comes from ``contracts``, unless ``holders`` maps its name to another
    address (``deploy --admin``). With
    ``revoke_others`` the deployer, while still an admin, also revokes every other current holder
    (the demo's bootstrap roles); otherwise roles granted on purpose (``deploy --curator X``) stay
    and `ape run roles` reports them. The deployer renounces last, admin roles after all others.
    """
    me = deployer.address
    holders = holders or {}

    def holder_of(name: str, role_name: str) -> str:
        holder_name = expected_holder(name, role_name)
        if holder_name in holders:
            return holders[holder_name]
        if holder_name in contracts:
            return contracts[holder_name].address
        raise GovernanceError(f"{name}.{role_name} belongs to {holder_name}, which this deployment does not have")

    for name, contract in contracts.items():
        for role_name in SUITE_ROLES.get(name, ()):
            holder = holder_of(name, role_name)
            if role_name == OWNER:
                if not _same(contract.owner(), holder):
                    contract.transfer_ownership(holder, sender=deployer)
                continue
            if role_name == MINTER:
                continue  # snekmate's erc20 makes the owner the minter; checked by audit_roles
            role = getattr(contract, role_name)()
            if not contract.hasRole(role, holder):
                contract.grantRole(role, holder, sender=deployer)
            if revoke_others:
                for account in role_holders(contract, [role_name], from_block)[role_name]:
                    if not _same(account, holder) and not _same(account, me):
                        contract.revokeRole(role, account, sender=deployer)
    for name, contract in contracts.items():
        roles = [r for r in SUITE_ROLES.get(name, ()) if r not in (OWNER, MINTER)]
        for role_name in sorted(roles, key=lambda r: r == "DEFAULT_ADMIN_ROLE"):
            if _same(holder_of(name, role_name), me):
                continue
            role = getattr(contract, role_name)()
            if contract.hasRole(role, me):
                contract.renounceRole(role, me, sender=deployer)


@dataclass
class RoleCheck:
    contract: str
    role: str
    expected: str  # the suite contract that alone should hold it
    expected_address: str
    holders: list[str]

    @property
    def status(self) -> str:
        """ok: only the expected holder; unheld: nobody (the lever is gone); foreign: someone else holds it."""
        if any(not _same(h, self.expected_address) for h in self.holders):
            return "foreign"
        return "ok" if self.holders else "unheld"

    def as_dict(self) -> dict[str, Any]:
        return {"contract": self.contract, "role": self.role, "expected": self.expected,
                "expected_address": self.expected_address, "holders": self.holders, "status": self.status}


@dataclass
class WiringCheck:
    what: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.what, "ok": self.ok, "detail": self.detail}


@dataclass
class RoleAudit:
    roles: list[RoleCheck] = field(default_factory=list)
    wiring: list[WiringCheck] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # suite contracts the deployment does not list

    def failures(self, strict: bool = False) -> list[str]:
        bad = [f"{r.contract}.{r.role} held by {', '.join(r.holders)} (expected only {r.expected} {r.expected_address})"
               for r in self.roles if r.status == "foreign"]
        if strict:
            bad += [f"{r.contract}.{r.role} is held by nobody" for r in self.roles if r.status == "unheld"]
        bad += [f"{w.what}: {w.detail}" for w in self.wiring if not w.ok]
        if DAO_CONTRACT in self.missing:
            bad.append(f"the deployment has no {DAO_CONTRACT}: nothing is held by a DAO (deploy the suite again)")
        return bad

    def as_dict(self) -> dict[str, Any]:
        return {"roles": [r.as_dict() for r in self.roles], "wiring": [w.as_dict() for w in self.wiring],
                "missing_contracts": self.missing, "ok": not self.failures()}


def audit_roles(deployment: Deployment, contract_at: Any) -> RoleAudit:
    """Every role holder of every suite contract, replayed from events, against SUITE_ROLES.

    ``contract_at(name, address)`` returns an Ape contract (``project.<name>.at(address)``).
    Nothing is taken from the deployment file but addresses and the deploy block: holders come
    from the chain, so the check holds on any network.
    """
    audit = RoleAudit()
    if DAO_CONTRACT not in deployment.contracts:
        audit.missing.append(DAO_CONTRACT)
        return audit
    contracts = {name: contract_at(name, rec.address) for name, rec in deployment.contracts.items()}
    addresses = {name: rec.address for name, rec in deployment.contracts.items()}
    for name in SUITE_ROLES:
        if name not in contracts:
            audit.missing.append(name)
    for name, contract in contracts.items():
        roles = SUITE_ROLES.get(name, ())
        if not roles:
            continue
        holders = role_holders(contract, roles, deployment.deploy_block)
        for role_name in roles:
            expected = expected_holder(name, role_name)
            audit.roles.append(RoleCheck(name, role_name, expected, addresses.get(expected, "?"), holders[role_name]))
    governor, token, timelock = (contracts.get(n) for n in ("HubGovernor", "HubToken", DAO_CONTRACT))
    if governor is not None:
        audit.wiring.append(_wiring("HubGovernor.token() is HubToken", governor.token(), addresses.get("HubToken")))
        audit.wiring.append(_wiring("HubGovernor.timelock() is HubTimelock", governor.timelock(), addresses[DAO_CONTRACT]))
    if timelock is not None:
        delay = timelock.get_minimum_delay()
        audit.wiring.append(WiringCheck("HubTimelock minimum delay", delay > 0, f"{delay:,} s ({_duration(delay)})"))
    optimistic = contracts.get("OptimisticVerifier")
    if optimistic is not None and governor is not None and timelock is not None \
            and optimistic.hasRole(optimistic.ARBITER_ROLE(), addresses[DAO_CONTRACT]):
        # The DAO arbitrates challenged compute claims: its rulings must fit in the resolution timeout.
        needed = dao_decision_time(governor.voting_delay(), governor.voting_period(), delay) + DAO_REACTION_TIME
        timeout = optimistic.resolution_timeout()
        audit.wiring.append(WiringCheck(
            "OptimisticVerifier: the DAO can rule on a challenge in time", timeout >= needed,
            f"resolution timeout {timeout:,} s ({_duration(timeout)}); a DAO ruling needs {needed:,} s "
            f"({_duration(needed)}: voting delay + period + timelock delay + {_duration(DAO_REACTION_TIME)} to propose)"))
    market = contracts.get("Marketplace")
    if market is not None:
        audit.wiring.append(_wiring("Marketplace.treasury() is HubTimelock", market.treasury(), addresses[DAO_CONTRACT]))
    registry = contracts.get("AssetRegistry")
    if registry is not None:
        # royaltyInfo names receivers that only this Marketplace can sweep; unset, no royalty is paid.
        audit.wiring.append(_wiring("AssetRegistry.royalty_market() is Marketplace",
                                    registry.royalty_market(), addresses.get("Marketplace")))
    if token is not None:
        clock_mode = token.CLOCK_MODE()
        audit.wiring.append(WiringCheck("HubToken clock", clock_mode == "mode=timestamp", clock_mode))
    return audit


def _wiring(what: str, actual: str, expected: str | None) -> WiringCheck:
    ok = expected is not None and _same(actual, expected)
    return WiringCheck(what, ok, actual if ok else f"{actual}, expected {expected}")


# ---------------------------------------------------------------- proposals on chain


@dataclass
class ProposalView:
    proposal_id: int
    proposer: str
    state: ProposalState
    targets: list[str]
    values: list[int]
    calldatas: list[bytes]
    description: str
    vote_start: int
    vote_end: int
    eta: int
    against: int
    for_votes: int
    abstain: int
    quorum: int | None  # None while the snapshot is not over
    block: int

    @property
    def title(self) -> str:
        return title_of(self.description)

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def short_id(self) -> str:
        return f"{self.proposal_id:064x}"[:10]

    def arrays(self) -> tuple[list[str], list[int], list[bytes]]:
        return self.targets, self.values, self.calldatas

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal_id": str(self.proposal_id),
            "proposal_id_hex": f"0x{self.proposal_id:064x}",
            "title": self.title,
            "state": self.state.label,
            "proposer": self.proposer,
            "votes": {"for": str(self.for_votes), "against": str(self.against), "abstain": str(self.abstain)},
            "quorum": None if self.quorum is None else str(self.quorum),
            "vote_start": self.vote_start,
            "vote_end": self.vote_end,
            "eta": self.eta or None,
            "actions": [{"target": t, "value": str(v), "calldata": "0x" + bytes(c).hex()}
                        for t, v, c in zip(self.targets, self.values, self.calldatas)],
            "description": self.description,
            "block": self.block,
        }


def _now() -> int:
    from ape import chain

    return chain.blocks.head.timestamp


def read_proposal(governor: Any, log: Any) -> ProposalView:
    args = log.event_arguments
    pid = int(args["proposal_id"])
    state = ProposalState(governor.state(pid))
    against, for_votes, abstain = governor.proposal_votes(pid)
    vote_start = int(args["vote_start"])
    quorum = governor.proposal_quorum(pid) if vote_start < _now() else None
    return ProposalView(
        proposal_id=pid, proposer=args["proposer"], state=state,
        targets=[to_checksum_address(t) for t in args["targets"]], values=[int(v) for v in args["values"]],
        calldatas=[bytes(c) for c in args["calldatas"]], description=args["description"],
        vote_start=vote_start, vote_end=int(args["vote_end"]), eta=governor.proposal_eta(pid),
        against=against, for_votes=for_votes, abstain=abstain, quorum=quorum, block=log.block_number,
    )


def list_proposals(governor: Any, from_block: int) -> list[ProposalView]:
    """Every proposal ever made to `governor`, oldest first, from its ProposalCreated events."""
    from ape import chain

    return [read_proposal(governor, log) for log in governor.ProposalCreated.range(from_block, chain.blocks.height + 1)]


def find_proposal(governor: Any, ref: str | int, from_block: int) -> ProposalView:
    """A proposal by id: decimal, 0x-hex, or a unique prefix of its hex id (as `status` shows it)."""
    from ape import chain

    logs = list(governor.ProposalCreated.range(from_block, chain.blocks.height + 1))
    text = str(ref).strip().lower()
    wanted: list[Any] = []
    if text.isdigit():
        wanted = [log for log in logs if int(log.event_arguments["proposal_id"]) == int(text)]
    if not wanted:
        prefix = text.removeprefix("0x")
        if prefix and all(c in "0123456789abcdef" for c in prefix):
            wanted = [log for log in logs if f"{int(log.event_arguments['proposal_id']):064x}".startswith(prefix)]
    if not wanted:
        raise GovernanceError(f"no proposal {ref} on this governor (`ape run govern status` lists them)")
    if len(wanted) > 1:
        raise GovernanceError(f"{ref} matches {len(wanted)} proposals; give more digits of the id")
    return read_proposal(governor, wanted[0])


def _duration(seconds: int) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes and not days else "",
             f"{secs} s" if secs and not days and not hours else ""]
    return " ".join(p for p in parts if p) or "0 s"


def when(timestamp: int, now: int | None = None) -> str:
    """A timepoint for people: the UTC time and how far it is from now."""
    now = _now() if now is None else now
    stamp = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    delta = timestamp - now
    return f"{stamp} ({'in ' + _duration(delta) if delta > 0 else _duration(-delta) + ' ago' if delta < 0 else 'now'})"


def format_votes(amount: int) -> str:
    """Token amounts (18 decimals) as HUB, for tables."""
    whole, frac = divmod(int(amount), TOKEN_UNIT)
    return f"{whole:,}" + (f".{frac:018d}".rstrip("0") if frac else "")


# ---------------------------------------------------------------- actions


def delegate(token: Any, sender: Any, delegatee: str | None = None) -> Any:
    """Delegate `sender`'s votes (to itself by default)."""
    target = delegatee or sender.address
    # Not `token.delegate(...)`: Ape's addresses have an EIP-7702 `delegate` property that shadows it.
    return token.invoke_transaction("delegate", target, sender=sender)


def propose(governor: Any, token: Any, encoded: EncodedProposal, sender: Any, *,
            reserve: bool = True) -> tuple[int, Any]:
    """Send a proposal after checking the proposer's votes and that it does not exist yet.

    Unless ``reserve`` is False, the description is first reserved for the sender with OpenZeppelin's
    ``#proposer=`` suffix (front-running protection, see cidhub.chain.proposals), so the id returned is
    that of the reserved description; a description reserved for someone else is refused.
    """
    if reserve:
        try:
            encoded = encoded.for_proposer(sender.address)
        except CidhubError as exc:
            raise GovernanceError(str(exc)) from None
    elif encoded.reserved_for not in (None, to_checksum_address(sender.address)):
        raise GovernanceError(f"the description is reserved for {encoded.reserved_for} (its #proposer= suffix); "
                              f"{sender.address} cannot propose it")
    pid = encoded.proposal_id
    if _exists(governor, pid):
        raise GovernanceError(
            f"this proposal already exists (id {pid:#066x}, {ProposalState(governor.state(pid)).label}); "
            "change the description to propose the same actions again"
        )
    threshold = governor.proposal_threshold()
    if threshold:
        votes = token.get_past_votes(sender.address, _now() - 1)
        if votes < threshold:
            hint = " (delegate first: `ape run govern delegate`)" if token.delegates(sender.address) == ZERO_ADDRESS else ""
            raise GovernanceError(
                f"{sender.address} has {format_votes(votes)} votes; proposing needs {format_votes(threshold)}{hint}"
            )
    receipt = governor.propose(encoded.targets, encoded.values, encoded.calldatas, encoded.description, sender=sender)
    created = receipt.decode_logs(governor.ProposalCreated)
    if not created or int(created[0].event_arguments["proposal_id"]) != pid:
        raise GovernanceError("the governor computed another proposal id than cidhub; check the deployment")
    return pid, receipt


def _exists(governor: Any, pid: int) -> bool:
    # proposal_proposer does not revert for unknown ids (state() does, and Ape would print a trace).
    return int(governor.proposal_proposer(pid), 16) != 0


def cast_vote(governor: Any, proposal: ProposalView, support: Support, voter: Any, reason: str | None = None) -> Any:
    now = _now()
    if proposal.state == ProposalState.PENDING:
        raise GovernanceError(f"voting on {proposal.short_id} opens after {when(proposal.vote_start, now)}")
    if proposal.state != ProposalState.ACTIVE:
        raise GovernanceError(f"proposal {proposal.short_id} is {proposal.state.label}: voting is closed")
    if governor.has_voted(proposal.proposal_id, voter.address):
        raise GovernanceError(f"{voter.address} has already voted on {proposal.short_id}")
    if reason:
        return governor.cast_vote_with_reason(proposal.proposal_id, int(support), reason, sender=voter)
    return governor.cast_vote(proposal.proposal_id, int(support), sender=voter)


def queue(governor: Any, proposal: ProposalView, sender: Any) -> Any:
    if proposal.state in (ProposalState.PENDING, ProposalState.ACTIVE):
        raise GovernanceError(f"proposal {proposal.short_id} can be queued once voting ends, {when(proposal.vote_end)}")
    if proposal.state != ProposalState.SUCCEEDED:
        detail = ""
        if proposal.state == ProposalState.DEFEATED:
            detail = (f": {format_votes(proposal.for_votes)} for, {format_votes(proposal.against)} against, "
                      f"quorum {format_votes(proposal.quorum or 0)} (for + abstain)")
        raise GovernanceError(f"proposal {proposal.short_id} is {proposal.state.label}; only a Succeeded one can be queued{detail}")
    return governor.queue(*proposal.arrays(), proposal.description_hash, sender=sender)


def execute(governor: Any, proposal: ProposalView, sender: Any) -> Any:
    if proposal.state != ProposalState.QUEUED:
        raise GovernanceError(f"proposal {proposal.short_id} is {proposal.state.label}; only a Queued one can be executed")
    now = _now()
    if now < proposal.eta:
        # The next block's timestamp may be `now` or later: compare with what the governor will see.
        raise GovernanceError(f"proposal {proposal.short_id} is executable from {when(proposal.eta, now)}")
    value = sum(proposal.values)
    return governor.execute(*proposal.arrays(), proposal.description_hash, sender=sender, value=value)


def cancel(governor: Any, proposal: ProposalView, sender: Any) -> Any:
    if proposal.state in (ProposalState.CANCELED, ProposalState.EXPIRED, ProposalState.EXECUTED):
        raise GovernanceError(f"proposal {proposal.short_id} is {proposal.state.label} already")
    return governor.cancel(*proposal.arrays(), proposal.description_hash, sender=sender)


def advance_time(seconds: int) -> None:
    """Move a local chain's clock forward (anvil): mines one block `seconds` later."""
    from ape import chain

    chain.mine(deltatime=int(seconds))


def status_rows(proposals: Iterable[ProposalView]) -> list[list[str]]:
    now = _now()
    rows = []
    for p in proposals:
        if p.state == ProposalState.PENDING:
            timing = f"voting opens {when(p.vote_start, now)}"
        elif p.state == ProposalState.ACTIVE:
            timing = f"voting ends {when(p.vote_end, now)}"
        elif p.state == ProposalState.QUEUED:
            timing = f"ETA {when(p.eta, now)}"
        else:
            timing = f"voting ended {when(p.vote_end, now)}"
        quorum = "-" if p.quorum is None else format_votes(p.quorum)
        rows.append([p.short_id, p.title[:48], p.state.label, format_votes(p.for_votes), format_votes(p.against),
                     format_votes(p.abstain), quorum, timing])
    return rows


STATUS_COLUMNS = ["id", "title", "state", "for", "against", "abstain", "quorum", "when"]


# ---------------------------------------------------------------- CLI glue


def parse_hub(text: str | int) -> int:
    """An amount of HUB ("1_000", "0.5") in token units, exactly (no float rounding)."""
    from decimal import Decimal, InvalidOperation

    try:
        units = Decimal(str(text).strip().replace("_", "").replace(",", "")) * TOKEN_UNIT
    except InvalidOperation:
        raise GovernanceError(f"{text!r} is not an amount of HUB") from None
    if units < 0 or units != units.to_integral_value():
        raise GovernanceError(f"{text!r}: an amount of HUB is positive with at most 18 decimals")
    return int(units)


def parse_allocation(text: str) -> tuple[str, int]:
    """``0xADDRESS=AMOUNT`` with AMOUNT in HUB (decimals allowed) -> (address, token units)."""
    address, sep, amount = text.partition("=")
    try:
        checksum = to_checksum_address(address.strip())
        units = parse_hub(amount)
    except (ValueError, GovernanceError):
        raise GovernanceError(f"--allocation {text!r}: expected 0xADDRESS=AMOUNT (AMOUNT in HUB)") from None
    if not sep or units == 0:
        raise GovernanceError(f"--allocation {text!r}: AMOUNT must be a positive number of HUB")
    return checksum, units


def dao_options(command: Any) -> Any:
    """Click options for the DAO's parameters; the command receives ``governance`` and ``allocations``."""
    import functools

    import click

    defaults = GovernanceConfig()

    @click.option("--allocation", "allocation", multiple=True, metavar="0xADDRESS=HUB",
                  help="Initial HUB for an address (repeat); default: the contributors' share to the deployer.")
    @click.option("--treasury-hub", default=str(defaults.treasury // TOKEN_UNIT), show_default=True,
                  help="HUB minted to the DAO's timelock (the treasury).")
    @click.option("--voting-delay", type=int, default=defaults.voting_delay, show_default=True, help="Seconds to the snapshot.")
    @click.option("--voting-period", type=int, default=defaults.voting_period, show_default=True, help="Seconds of voting.")
    @click.option("--timelock-delay", type=int, default=defaults.timelock_delay, show_default=True,
                  help="Seconds between queue and execution.")
    @click.option("--quorum-bps", type=click.IntRange(0, 10_000), default=defaults.quorum_bps, show_default=True,
                  help="Quorum in basis points of the supply at the snapshot.")
    @click.option("--proposal-threshold-hub", default=str(defaults.proposal_threshold // TOKEN_UNIT),
                  show_default=True, help="Votes (HUB) needed to propose.")
    @functools.wraps(command)
    def wrapper(*args: Any, allocation: tuple[str, ...], treasury_hub: str, voting_delay: int, voting_period: int,
                timelock_delay: int, quorum_bps: int, proposal_threshold_hub: str, **kwargs: Any) -> Any:
        try:
            allocations = [parse_allocation(a) for a in allocation] or None
            threshold, treasury = parse_hub(proposal_threshold_hub), parse_hub(treasury_hub)
        except GovernanceError as exc:
            raise click.BadParameter(str(exc)) from None
        config = GovernanceConfig(
            voting_delay=voting_delay, voting_period=voting_period, timelock_delay=timelock_delay,
            proposal_threshold=threshold, quorum_bps=quorum_bps, treasury=treasury,
        )
        return command(*args, governance=config, allocations=allocations, **kwargs)

    return wrapper
