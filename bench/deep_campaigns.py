"""Deep campaigns of the hypothesis state machines: run each under HYPOTHESIS_PROFILE=deep and record
what it did in bench/results/deep_campaigns.json.

    python bench/deep_campaigns.py                 # every machine, one after the other
    python bench/deep_campaigns.py --only market   # one machine; its entry in the results file is replaced

Each machine runs in its own `ape test` process (its own anvil), with this file loaded as a pytest
plugin (`-p deep_campaigns`). The plugin counts what hypothesis really executed: a test case is one
machine instance (every example, including replays from the database and shrinking), a step is one
rule run (the `@initialize` rules included, as hypothesis counts them), and a violation is the test's
failure (the exception and the minimal failing program hypothesis printed). Wall time is the whole
`ape test` process: compile check, anvil start-up and the fixtures included.

Figures are measured, never estimated: an entry is written only from a run that finished. A machine
that fails records its violation and the figures up to it.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "deep_campaigns.json"
#: name -> test module; the order is the order of a full run.
MACHINES: dict[str, str] = {
    "registry": "tests/hypothesis/test_registry_state.py",
    "market": "tests/hypothesis/test_market_state.py",
    "attest": "tests/hypothesis/test_attest_state.py",
    "votes": "tests/hypothesis/test_votes_state.py",
}
RECORD_ENV = "DEEP_CAMPAIGN_RECORD"


# ---------------------------------------------------------------------------- the pytest plugin


class _Counter:
    def __init__(self) -> None:
        self.tests: dict[str, dict] = {}
        self.current: dict | None = None

    def start(self, nodeid: str) -> None:
        self.current = self.tests.setdefault(nodeid, {"test_cases": 0, "steps": 0, "settings": None,
                                                      "machine_seconds": 0.0, "outcome": None, "violation": None})


_COUNTER = _Counter()


def _patch_hypothesis() -> None:
    import hypothesis.stateful as stateful

    machine_init = stateful.RuleBasedStateMachine.__init__
    check_invariants = stateful.RuleBasedStateMachine.check_invariants
    run_as_test = stateful.run_state_machine_as_test

    def counting_init(self, *args, **kwargs):
        if _COUNTER.current is not None:
            _COUNTER.current["test_cases"] += 1
            # check_invariants runs once before the first step and once after every step.
            _COUNTER.current["steps"] -= 1
        machine_init(self, *args, **kwargs)

    def counting_check_invariants(self, *args, **kwargs):
        if _COUNTER.current is not None:
            _COUNTER.current["steps"] += 1
        return check_invariants(self, *args, **kwargs)

    def recording_run(state_machine_factory, *, settings=None, _min_steps=0):
        if _COUNTER.current is not None and settings is not None:
            _COUNTER.current["settings"] = {"max_examples": settings.max_examples,
                                            "stateful_step_count": settings.stateful_step_count,
                                            "derandomize": settings.derandomize}
        started = time.perf_counter()
        try:
            return run_as_test(state_machine_factory, settings=settings, _min_steps=_min_steps)
        finally:
            if _COUNTER.current is not None:
                _COUNTER.current["machine_seconds"] += time.perf_counter() - started

    stateful.RuleBasedStateMachine.__init__ = counting_init
    stateful.RuleBasedStateMachine.check_invariants = counting_check_invariants
    stateful.run_state_machine_as_test = recording_run


def pytest_configure(config) -> None:  # noqa: ARG001 - pytest hook
    if os.environ.get(RECORD_ENV):
        _patch_hypothesis()


def pytest_runtest_setup(item) -> None:
    if os.environ.get(RECORD_ENV):
        _COUNTER.start(item.nodeid)


def pytest_runtest_logreport(report) -> None:
    entry = _COUNTER.tests.get(report.nodeid)
    if entry is None or not os.environ.get(RECORD_ENV):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        entry["outcome"] = report.outcome
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            steps = [section for name, section in report.sections if "stdout" in name]
            entry["violation"] = {
                "error": crash.message if crash is not None else str(report.longrepr)[-2_000:],
                "where": f"{crash.path}:{crash.lineno}" if crash is not None else None,
                "steps": "\n".join(steps)[-6_000:],
            }


def pytest_sessionfinish(session) -> None:  # noqa: ARG001 - pytest hook
    path = os.environ.get(RECORD_ENV)
    if path:
        Path(path).write_text(json.dumps(_COUNTER.tests, indent=2))


# ---------------------------------------------------------------------------- the runner


def _ape() -> str:
    candidate = Path(sys.executable).with_name("ape")
    return str(candidate) if candidate.exists() else "ape"


def run_machine(name: str, module: str, log_dir: Path, profile: str = "deep") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "record.json"
        env = dict(os.environ, HYPOTHESIS_PROFILE=profile, **{RECORD_ENV: str(record)})
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "bench"), str(ROOT), env.get("PYTHONPATH")) if p)
        log = log_dir / f"deep_{name}.log"
        started = time.perf_counter()
        with log.open("w") as out:
            proc = subprocess.run([_ape(), "test", module, "-q", "-p", "no:cacheprovider", "-p", "deep_campaigns",
                                   "-rN"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        wall = time.perf_counter() - started
        tests = json.loads(record.read_text()) if record.exists() else {}
    machine_tests = {k: v for k, v in tests.items() if v["settings"] is not None} or tests
    entry = {
        "module": module,
        "profile": profile,
        "exit_code": proc.returncode,
        "wall_seconds": round(wall, 1),
        "log": str(log),
        "tests": {},
    }
    for nodeid, t in machine_tests.items():
        steps = max(t["steps"], 0)
        entry["tests"][nodeid] = {
            "settings": t["settings"],
            "test_cases": t["test_cases"],
            "steps": steps,
            "machine_seconds": round(t["machine_seconds"], 1),
            "steps_per_second": round(steps / t["machine_seconds"], 1) if t["machine_seconds"] else None,
            "outcome": t["outcome"],
            "violations": 0 if t["violation"] is None else 1,
            "violation": t["violation"],
        }
    return entry


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(MACHINES), help="run only this machine (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--profile", default="deep", help="hypothesis profile (default deep; ci to check the runner)")
    parser.add_argument("--logs", type=Path, default=Path(tempfile.gettempdir()) / "cidhub-deep-campaigns")
    args = parser.parse_args(argv)
    args.logs.mkdir(parents=True, exist_ok=True)

    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results.setdefault("machines", {})
    failed = False
    for name in args.only or list(MACHINES):
        print(f"deep campaign: {name} ({MACHINES[name]}) ...", flush=True)
        # The commit the campaign runs, read before it starts (the tree may move on during a long run).
        commit = _git("rev-parse", "--short", "HEAD") + ("-dirty" if _git("status", "--porcelain",
                                                                         "--untracked-files=no") else "")
        entry = run_machine(name, MACHINES[name], args.logs, args.profile)
        entry["commit"] = commit
        entry["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        results["machines"][name] = entry
        for nodeid, t in entry["tests"].items():
            print(f"  {nodeid}: {t['outcome']}, {t['test_cases']} test cases, {t['steps']} steps, "
                  f"{t['machine_seconds']} s in the machine ({entry['wall_seconds']} s wall), "
                  f"{t['violations']} violation(s)", flush=True)
        failed |= entry["exit_code"] != 0
        args.out.parent.mkdir(parents=True, exist_ok=True)
        results["environment"] = {"python": platform.python_version(), "hypothesis": _version("hypothesis"),
                                  "eth-ape": _version("eth-ape"), "machine": platform.machine(),
                                  "cpus": os.cpu_count()}
        args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 1 if failed else 0


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
