"""Where the money goes: settling pools up the provenance graph, withdrawing, and statements.

The Marketplace keeps one pending pool per (asset, token) and moves money one level per
`distribute`. Secondary-sale (ERC-2981) royalties wait at each asset's receiver address until
`sweep_royalties` moves them into the pool. This module sweeps them, plans and runs the whole
climb (children before parents, so a parent is settled after everything its descendants pass up
to it), withdraws balances, and rebuilds every credit from on-chain events into an earnings
statement that must reconcile to the wei with the contract's balances.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cidhub.chain.market import ETH, MAX_BPS, royalty_receiver_address, token_label
from cidhub.chain.provenance import parents_of, split_parents
from cidhub.errors import CidhubError

# Bound on how far one run climbs: Story Protocol's ancestor limit. The contract itself has no
# depth limit (no transaction walks the graph); this only bounds one script run.
MAX_ANCESTORS = 1_024


class RevenueError(CidhubError):
    pass


def _hex(asset_id: int) -> str:
    return f"0x{asset_id:064x}"


# ---------------------------------------------------------------------------- history


@dataclass
class History:
    """Everything the registry and the marketplace logged, in chain order."""

    registration_order: dict[int, int] = field(default_factory=dict)  # asset -> index
    parents: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    events: list[tuple[tuple[int, int], str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, registry: Any, market: Any, from_block: int, to_block: int | None = None) -> History:
        from ape import chain

        stop = (to_block if to_block is not None else chain.blocks.height) + 1
        history = cls()
        for log in registry.AssetRegistered.range(from_block, stop):
            history.registration_order[log.asset_id] = len(history.registration_order)
        for log in registry.ProvenanceRecorded.range(from_block, stop):
            history.parents[log.asset_id] = list(zip(log.parents, log.shares_bps, strict=True))
            for parent in log.parents:
                history.children[parent].append(log.asset_id)
        sources = [
            (registry, "Transfer"), (market, "SplitUpdated"), (market, "LicencePurchased"),
            (market, "RevenueDistributed"), (market, "Withdrawn"), (market, "FeeChanged"),
            (market, "RoyaltiesSwept"), (market, "TokenAllowed"),
        ]
        for contract, name in sources:
            for log in getattr(contract, name).range(from_block, stop):
                history.events.append(((log.block_number, log.log_index), name, log))
        history.events.sort(key=lambda e: e[0])
        return history

    def parents_of(self, registry: Any, asset_id: int) -> list[tuple[int, int]]:
        """The asset's (parent, share) pairs: from the loaded events, else from the chain (checked)."""
        if asset_id not in self.parents:
            self.parents[asset_id] = [(p.asset_id, p.share_bps) for p in parents_of(registry, asset_id)]
        return self.parents[asset_id]

    def ancestors(self, asset_id: int) -> list[int]:
        """Every asset `asset_id` derives from, nearest first (breadth first), bounded."""
        seen: dict[int, None] = {}
        frontier = [asset_id]
        while frontier and len(seen) < MAX_ANCESTORS:
            nxt = []
            for a in frontier:
                for parent, _ in self.parents.get(a, ()):
                    if parent not in seen:
                        seen[parent] = None
                        nxt.append(parent)
            frontier = nxt
        return list(seen)[:MAX_ANCESTORS]

    def descendants(self, asset_id: int) -> list[int]:
        seen: dict[int, None] = {}
        frontier = [asset_id]
        while frontier and len(seen) < MAX_ANCESTORS:
            nxt = []
            for a in frontier:
                for child in self.children.get(a, ()):
                    if child not in seen:
                        seen[child] = None
                        nxt.append(child)
            frontier = nxt
        return list(seen)


# ---------------------------------------------------------------------------- the split arithmetic


def split_amount(amount: int, parents: Iterable[tuple[int, int]], recipients: list[str], weights: list[int],
                 owner: str) -> tuple[dict[int, int], dict[str, int]]:
    """Exactly what `Marketplace.distribute` does with `amount`: (to parents' pools, to balances)."""
    upstream: dict[int, int] = {}
    for parent, share in parents:
        part = amount * share // MAX_BPS
        if part:
            upstream[parent] = upstream.get(parent, 0) + part
    rest = amount - sum(upstream.values())
    credits: dict[str, int] = defaultdict(int)
    if rest:
        if not recipients:
            credits[owner] += rest
        else:
            credited = 0
            for recipient, weight in zip(recipients, weights, strict=True):
                share_amount = rest * weight // MAX_BPS
                credits[recipient] += share_amount
                credited += share_amount
            credits[recipients[0]] += rest - credited
    return upstream, dict(credits)


# ---------------------------------------------------------------------------- distribution


@dataclass
class Step:
    asset_id: int
    token: str
    amount: int
    upstream: dict[int, int]
    credits: dict[str, int]
    tx_hash: str | None = None
    gas_used: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset_id": _hex(self.asset_id), "token": token_label(self.token), "amount": self.amount,
            "upstream": {_hex(k): v for k, v in self.upstream.items()}, "credits": self.credits,
            "tx_hash": self.tx_hash, "gas_used": self.gas_used,
        }


def settlement_order(history: History, assets: Iterable[int]) -> list[int]:
    """The assets and all their ancestors, children before parents (latest registered first)."""
    wanted: dict[int, None] = {}
    for a in assets:
        wanted[a] = None
        wanted.update(dict.fromkeys(history.ancestors(a)))
    return sorted(wanted, key=lambda a: history.registration_order.get(a, -1), reverse=True)


def plan_and_distribute(registry: Any, market: Any, history: History, assets: Iterable[int], tokens: Iterable[str],
                        sender: Any | None, *, dry_run: bool = False,
                        progress: Callable[[int, int], None] | None = None,
                        unswept: dict[tuple[int, str], int] | None = None) -> list[Step]:
    """Settle `assets` and everything they pass up to, for each token.

    With ``dry_run`` nothing is sent: the pools are read once and the contract's arithmetic is
    replayed in Python, so the plan shows exactly what the transactions would do. ``unswept``
    adds what a dry run's royalty sweep would credit to pools, by (asset, token).
    """
    order = settlement_order(history, assets)
    tokens = list(tokens)
    simulated: dict[tuple[int, str], int] = dict(unswept or {}) if dry_run else {}
    steps: list[Step] = []
    total = len(order) * len(tokens)
    done = 0
    for asset_id in order:
        recipients, weights = market.split_of(asset_id)
        recipients, weights = list(recipients), list(weights)
        owner = registry.ownerOf(asset_id)
        parents = history.parents_of(registry, asset_id)
        for token in tokens:
            key = (asset_id, token)
            pending = market.pending(asset_id, token)
            if dry_run:
                pending += simulated.get(key, 0)
            done += 1
            if progress:
                progress(done, total)
            if pending == 0:
                continue
            upstream, credits = split_amount(pending, parents, recipients, weights, owner)
            step = Step(asset_id, token, pending, upstream, credits)
            if dry_run:
                for parent, part in upstream.items():
                    simulated[(parent, token)] = simulated.get((parent, token), 0) + part
            else:
                receipt = market.distribute(asset_id, token, *split_parents(parents), recipients, weights,
                                            sender=sender)
                step.tx_hash, step.gas_used = str(receipt.txn_hash), receipt.gas_used
            steps.append(step)
    return steps


_BALANCE_OF_ABI = [{"type": "function", "name": "balanceOf", "stateMutability": "view",
                    "inputs": [{"name": "account", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]}]


def waiting_royalties(market: Any, asset_id: int, token: str) -> int:
    """What the asset's royalty receiver holds in `token`: what `sweep_royalties` would move."""
    receiver = royalty_receiver_address(market.address, asset_id)  # no RPC: a CREATE2 address
    if int(token, 16) == 0:
        return market.provider.get_balance(receiver)
    from ape import Contract

    return Contract(token, abi=_BALANCE_OF_ABI).balanceOf(receiver)


def sweep_royalties(market: Any, assets: Iterable[int], tokens: Iterable[str], sender: Any | None, *,
                    dry_run: bool = False, progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """`sweep_royalties` every (asset, token) whose royalty receiver holds something.

    `assets` must be registered and `tokens` allowed (see `sweepable_tokens`), or the sweep
    reverts. With ``dry_run`` nothing is sent and the amounts waiting are reported (what a sweep
    credits, unless the token takes a fee on transfer)."""
    assets, tokens = list(assets), list(tokens)
    results = []
    total, done = len(assets) * len(tokens), 0
    for asset_id in assets:
        for token in tokens:
            done += 1
            if progress:
                progress(done, total)
            amount = waiting_royalties(market, asset_id, token)
            if not amount:
                continue
            row = {"asset_id": _hex(asset_id), "token": token_label(token), "token_address": token, "amount": amount,
                   "tx_hash": None, "gas_used": None}
            if not dry_run:
                receipt = market.sweep_royalties(asset_id, token, sender=sender)
                row["amount"] = receipt.decode_logs(market.RoyaltiesSwept)[0].amount
                row["tx_hash"], row["gas_used"] = str(receipt.txn_hash), receipt.gas_used
            results.append(row)
    return results


def sweepable_tokens(history: History) -> list[str]:
    """ETH and every ERC-20 the DAO allowed and has not forbidden since (the tokens a sweep takes)."""
    allowed: dict[str, bool] = {}
    for _, name, log in history.events:
        if name == "TokenAllowed":
            allowed[log.token] = log.allowed
    return [ETH, *(token for token, ok in allowed.items() if ok)]


def candidate_payees(history: History) -> list[str]:
    """Everyone who may have a balance: split recipients, owners, treasuries."""
    seen: dict[str, None] = {}
    for _, name, log in history.events:
        if name == "SplitUpdated":
            seen.update(dict.fromkeys(log.recipients))
        elif name == "Transfer":
            seen[log.receiver] = None
        elif name == "FeeChanged":
            seen[log.treasury] = None
    return [a for a in seen if int(a, 16) != 0]


def withdraw_all(market: Any, payees: Iterable[str], tokens: Iterable[str], sender: Any, *, dry_run: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """withdraw_for every payee with a balance; a payee whose withdrawal would fail (a contract
    that refuses ether, a token that reverts) is reported and skipped, never blocks the others."""
    from ape.exceptions import ApeException

    payees, tokens = list(payees), list(tokens)
    results = []
    total, done = len(payees) * len(tokens), 0
    for payee in payees:
        for token in tokens:
            done += 1
            if progress:
                progress(done, total)
            amount = market.balance_of(payee, token)
            if not amount:
                continue
            row = {"payee": payee, "token": token_label(token), "amount": amount, "tx_hash": None, "error": None}
            if not dry_run:
                try:
                    receipt = market.withdraw_for(payee, token, sender=sender)
                    row["tx_hash"] = str(receipt.txn_hash)
                except ApeException as exc:
                    row["error"] = str(exc).splitlines()[0]
            results.append(row)
    return results


# ---------------------------------------------------------------------------- statements


@dataclass
class Statement:
    """Per payee, per asset, per token: what was earned; per payee and token: earned, withdrawn,
    on-chain balance, and whether they reconcile."""

    earnings: dict[tuple[str, int, str], int]
    withdrawn: dict[tuple[str, str], int]
    pools: dict[tuple[int, str], int]
    summary: list[dict[str, Any]]
    reconciled: bool

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"payee": payee, "asset_id": _hex(asset), "token": token_label(token), "earned": amount}
            for (payee, asset, token), amount in sorted(self.earnings.items(),
                                                        key=lambda kv: (kv[0][0], kv[0][2], kv[0][1]))
        ]

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        csv_path, json_path = directory / "earnings.csv", directory / "earnings.json"
        with csv_path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["payee", "asset_id", "token", "earned"])
            writer.writeheader()
            writer.writerows(self.rows())
        json_path.write_text(json.dumps(
            {"reconciled": self.reconciled, "earnings": self.rows(), "summary": self.summary}, indent=2) + "\n")
        return csv_path, json_path


def build_statement(history: History, market: Any) -> Statement:
    """Replay the event log with the contract's arithmetic, then compare with on-chain state."""
    earnings: dict[tuple[str, int, str], int] = defaultdict(int)
    withdrawn: dict[tuple[str, str], int] = defaultdict(int)
    pools: dict[tuple[int, str], int] = defaultdict(int)
    splits: dict[int, tuple[list[str], list[int]]] = {}
    owners: dict[int, str] = {}
    treasury = ETH
    for _, name, log in history.events:
        if name == "FeeChanged":
            treasury = log.treasury
        elif name == "Transfer":
            owners[log.token_id] = log.receiver
        elif name == "SplitUpdated":
            splits[log.asset_id] = (list(log.recipients), list(log.weights_bps))
        elif name == "LicencePurchased":
            if log.fee:
                earnings[(treasury, log.asset_id, log.token)] += log.fee
            pools[(log.asset_id, log.token)] += log.price - log.fee
        elif name == "RevenueDistributed":
            recipients, weights = splits.get(log.asset_id, ([], []))
            upstream, credits = split_amount(log.amount, history.parents.get(log.asset_id, []), recipients, weights,
                                             owners.get(log.asset_id, ETH))
            if sum(upstream.values()) != log.upstream:
                raise RevenueError(f"event log and provenance disagree for asset {_hex(log.asset_id)}")
            pools[(log.asset_id, log.token)] -= log.amount
            for parent, part in upstream.items():
                pools[(parent, log.token)] += part
            for payee, amount in credits.items():
                earnings[(payee, log.asset_id, log.token)] += amount
        elif name == "RoyaltiesSwept":
            pools[(log.asset_id, log.token)] += log.amount
        elif name == "Withdrawn":
            withdrawn[(log.account, log.token)] += log.amount

    totals: dict[tuple[str, str], int] = defaultdict(int)
    for (payee, _, token), amount in earnings.items():
        totals[(payee, token)] += amount
    summary = []
    reconciled = True
    for (payee, token) in sorted(set(totals) | set(withdrawn)):
        balance = market.balance_of(payee, token)
        ok = totals[(payee, token)] - withdrawn[(payee, token)] == balance
        reconciled &= ok
        summary.append({"payee": payee, "token": token_label(token), "earned": totals[(payee, token)],
                        "withdrawn": withdrawn[(payee, token)], "balance": balance, "reconciled": ok})
    for (asset, token), amount in pools.items():
        if market.pending(asset, token) != amount:
            reconciled = False
            summary.append({"payee": f"pool of {_hex(asset)}", "token": token_label(token), "earned": amount,
                            "withdrawn": 0, "balance": market.pending(asset, token), "reconciled": False})
    return Statement(dict(earnings), dict(withdrawn), {k: v for k, v in pools.items() if v}, summary, reconciled)


def sale_attribution(history: History, registry: Any, market: Any, tx_hash: str) -> list[dict[str, Any]]:
    """Who earns what from one sale, following the net price up the provenance graph with each
    asset's current split (exact when the sale is distributed on its own; pools that mix sales
    round once per pool)."""
    sale = next((log for _, name, log in history.events
                 if name == "LicencePurchased" and str(log.transaction_hash).lower() == tx_hash.lower()), None)
    if sale is None:
        raise RevenueError(f"no licence purchase in transaction {tx_hash}")
    rows = [{"account": market.treasury(), "role": "protocol fee", "asset_id": _hex(sale.asset_id),
             "amount": sale.fee}]
    frontier = {sale.asset_id: sale.price - sale.fee}
    depth = 0
    while frontier and depth < MAX_ANCESTORS:
        nxt: dict[int, int] = defaultdict(int)
        for asset_id, amount in frontier.items():
            recipients, weights = market.split_of(asset_id)
            upstream, credits = split_amount(amount, history.parents_of(registry, asset_id),
                                             list(recipients), list(weights), registry.ownerOf(asset_id))
            role = "creator" if asset_id == sale.asset_id else "upstream"
            rows.extend({"account": payee, "role": role, "asset_id": _hex(asset_id), "amount": value}
                        for payee, value in credits.items())
            for parent, part in upstream.items():
                nxt[parent] += part
        frontier = dict(nxt)
        depth += 1
    return rows


def iter_tokens(market: Any, history: History) -> Iterator[str]:
    """ETH and every token any sale or royalty sweep has used."""
    seen = {ETH}
    yield ETH
    for _, name, log in history.events:
        if name in ("LicencePurchased", "RoyaltiesSwept") and log.token not in seen:
            seen.add(log.token)
            yield log.token
