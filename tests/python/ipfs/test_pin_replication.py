"""Retry policy, replication across targets, the availability estimate, and target selection."""

from __future__ import annotations

import random

import pytest

from cidhub.content.store import BlockStore, PinState, PinStatus, PinTarget
from cidhub.errors import PinError
from cidhub.ipfs.pinning import (
    BackendAuthError,
    BackendServerError,
    CidMismatchError,
    LocalBackend,
    NotEnoughReplicasError,
    PinJob,
    RetryPolicy,
    availability,
    build_targets,
    call_with_retry,
    car_source,
    load_config,
    replicate,
)

# ---- retry policy


def test_backoff__exponential_with_full_jitter_and_cap():
    policy = RetryPolicy(attempts=8, base_delay=0.5, multiplier=2.0, max_delay=4.0, jitter=1.0)
    rng = random.Random(7)
    for retry, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0]):
        samples = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > 0.8 * ceiling  # the range is used, not a constant


def test_backoff__no_jitter_is_deterministic():
    policy = RetryPolicy(attempts=4, base_delay=1.0, jitter=0.0)
    assert list(policy.delays()) == [1.0, 2.0, 4.0]


def test_retry__5xx_retried_until_success():
    answers = iter([BackendServerError("boom", status=500), BackendServerError("boom", status=503), "ok"])
    sleeps: list[float] = []

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call_with_retry(call, RetryPolicy(attempts=5, base_delay=0.1), sleep=sleeps.append) == "ok"
    assert len(sleeps) == 2


def test_retry__4xx_never_retried():
    calls = []

    def call():
        calls.append(1)
        raise BackendAuthError("401")

    with pytest.raises(BackendAuthError):
        call_with_retry(call, RetryPolicy(attempts=5), sleep=lambda s: None)
    assert len(calls) == 1


def test_retry__gives_up_and_says_how_often():
    def call():
        raise BackendServerError("HTTP 500", status=500)

    with pytest.raises(BackendServerError, match="gave up after 3 attempts"):
        call_with_retry(call, RetryPolicy(attempts=3), sleep=lambda s: None)


def test_retry_policy__rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)


# ---- availability


@pytest.mark.parametrize(("p", "k", "expected"), [(0.9, 1, 0.9), (0.9, 2, 0.99), (0.9, 3, 0.999), (0.5, 0, 0.0),
                                                  (0.99, 2, 0.9999)])
def test_availability__one_minus_one_minus_p_to_the_k(p, k, expected):
    assert availability(p, k) == pytest.approx(expected)


def test_availability__p_out_of_range():
    with pytest.raises(ValueError):
        availability(1.5, 2)


# ---- replication


class FakeTarget(PinTarget):
    """A target that pins in memory, or fails the way it is told to."""

    def __init__(self, name: str, fail: Exception | None = None, answer_cid: str | None = None) -> None:
        self.name = name
        self.fail = fail
        self.answer_cid = answer_cid
        self.pinned: list[str] = []

    def pin(self, root, car=None, *, label=None):
        if self.fail is not None:
            raise self.fail
        if self.answer_cid is not None:
            raise CidMismatchError(str(root), self.answer_cid, target=self.name)
        self.pinned.append(str(root))
        return PinStatus(root, PinState.PINNED, self.name, label)

    def unpin(self, root):
        pass

    def has(self, cid):
        return str(cid) in self.pinned

    def status(self, root):
        return PinStatus(root, PinState.PINNED if str(root) in self.pinned else PinState.UNPINNED, self.name)


@pytest.fixture
def jobs(store, write_file):
    content = store.add_file(write_file(500_000))
    card = store.add_file(write_file(200))
    return [PinJob(content.cid, car_source(store, content.cid), "content"),
            PinJob(card.cid, car_source(store, card.cid), "card")]


def test_replicate__all_confirm__availability_reported(jobs):
    targets = [FakeTarget("a"), FakeTarget("b"), FakeTarget("c")]
    report = replicate(jobs, targets, min_confirmations=3, p=0.9)
    assert report.ok and report.confirmed == 3
    assert report.availability == pytest.approx(0.999)
    assert all(len(t.pinned) == 2 for t in targets)


def test_replicate__below_minimum__not_enough_replicas_with_reasons(jobs):
    targets = [FakeTarget("a"), FakeTarget("b", fail=BackendAuthError("401 from b"))]
    report = replicate(jobs, targets, min_confirmations=2)
    assert not report.ok and report.confirmed == 1
    with pytest.raises(NotEnoughReplicasError, match="only 1 of 2.*b: 401 from b"):
        report.raise_if_short()


def test_replicate__minimum_met_despite_one_failure(jobs):
    report = replicate(jobs, [FakeTarget("a"), FakeTarget("b", fail=PinError("down"))], min_confirmations=1)
    assert report.ok and report.results[1].error == "down"
    assert report.availability == pytest.approx(0.9)


def test_replicate__cid_mismatch_stops_everything(jobs):
    wrong_cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    targets = [FakeTarget("a"), FakeTarget("liar", answer_cid=wrong_cid)]
    with pytest.raises(CidMismatchError, match="liar answered with CID bafkrei"):
        replicate(jobs, targets, min_confirmations=1)


def test_replicate__done_pins_are_not_sent_again(jobs):
    target = FakeTarget("a")
    done = {"a": {str(jobs[0].root): "requestid=1"}}
    report = replicate(jobs, [target], min_confirmations=1, done=done)
    assert target.pinned == [str(jobs[1].root)]
    assert report.results[0].details[str(jobs[0].root)] == "requestid=1"


def test_replicate__minimum_out_of_range(jobs):
    with pytest.raises(PinError, match="between 1 and the number of targets"):
        replicate(jobs, [FakeTarget("a")], min_confirmations=2)


def test_local_backend__second_store_gets_the_blocks(jobs, tmp_path):
    backup = BlockStore(tmp_path / "backup", fsync=False)
    report = replicate(jobs, [LocalBackend(backup, name="backup")], min_confirmations=1)
    assert report.ok and backup.missing(jobs[0].root) == []


# ---- target selection


def test_build_targets__flags_addresses_and_names(store, tmp_path, monkeypatch):
    monkeypatch.setenv("CIDHUB_PSA_ENDPOINT", "http://127.0.0.1:1/psa")
    targets = build_targets(["local", "kubo", "kubo:/ip4/127.0.0.1/tcp/5002/http", "psa", f"local:{tmp_path}/b"], store)
    assert [t.name for t in targets] == ["local", "kubo", "kubo-2", "psa", "local-2"]
    assert targets[2].api == "/ip4/127.0.0.1/tcp/5002/http"


def test_build_targets__unknown_kind(store):
    with pytest.raises(PinError, match="unknown pin target 'ipfs'"):
        build_targets(["ipfs"], store)


def test_config__named_targets_and_defaults(store, tmp_path):
    config_file = tmp_path / "pinning.toml"
    config_file.write_text(
        '[defaults]\npin = ["local", "home"]\nmin_confirmations = 2\navailability = 0.95\n'
        '[targets.home]\ntype = "kubo"\napi = "/ip4/127.0.0.1/tcp/5009/http"\n'
    )
    config = load_config(config_file)
    targets = build_targets([], store, config)
    assert [t.name for t in targets] == ["local", "home"] and config.min_confirmations == 2
    assert config.availability == 0.95


def test_config__a_token_in_the_file_is_refused(tmp_path):
    config_file = tmp_path / "pinning.toml"
    config_file.write_text('[targets.p]\ntype = "psa"\nendpoint = "https://x"\ntoken = "secret"\n')
    with pytest.raises(PinError, match="secrets never go in config files"):
        load_config(config_file)
