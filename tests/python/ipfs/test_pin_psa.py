"""The Pinning Service API client against a local test double that follows the v1.0.0 OpenAPI
spec (tests/python/psa_server.py validates every request and response with openapi-core)."""

from __future__ import annotations

import pytest
import requests
from psa_server import PinningServiceDouble

from cidhub.content.store import PinState
from cidhub.ipfs.pinning import (
    BackendAuthError,
    BackendUnavailableError,
    CidMismatchError,
    PinFailedError,
    PinJob,
    PinningServiceTarget,
    PinTimeoutError,
    RetryPolicy,
    car_source,
)

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=5)


@pytest.fixture
def psa():
    server = PinningServiceDouble(token="test-token").start()
    yield server
    server.stop()
    assert server.violations == [], "the client or the double broke the Pinning Service API spec"


@pytest.fixture
def origin(ipfs_node_factory, store):
    """The embedded node serving the publishing store: the origin the service fetches from."""
    return ipfs_node_factory(store).gateway_multiaddr


@pytest.fixture
def asset(store, write_file):
    result = store.add_file(write_file(1_800_000))
    return PinJob(result.cid, car_source(store, result.cid), "dataset.csv")


def make_target(psa, origin=None, **kwargs):
    options = {"token": "test-token", "origins": [origin] if origin else [], "poll_interval": 0.02,
               "pin_timeout": 10, "retry": FAST}
    options.update(kwargs)
    return PinningServiceTarget(psa.url, **options)


def test_pin__queued_pinning_pinned_from_our_origin(psa, origin, asset):
    target = make_target(psa, origin)
    status = target.pin_job(asset)
    assert status.state is PinState.PINNED and status.detail.startswith("requestid=")
    record = next(iter(psa.pins.values()))
    assert record["pin"]["origins"] == [origin] and record["pin"]["name"] == "dataset.csv"
    assert record["info"]["status_details"].endswith("blocks verified")
    assert psa.count("POST") == 1 and psa.count("GET", "/pins/") >= 1


def test_pin__rerun_does_not_create_a_second_request(psa, origin, asset):
    target = make_target(psa, origin)
    target.pin_job(asset)
    target.pin_job(asset)
    assert psa.count("POST") == 1 and len(psa.pins) == 1


def test_pin__resume_by_request_id(psa, origin, asset):
    target = make_target(psa, origin)
    first = target.pin_job(asset)
    request_id = first.detail.split("=", 1)[1]
    again = target.pin_job(asset, request_id=request_id)
    assert again.state is PinState.PINNED and psa.count("POST") == 1


def test_list_status_and_remove(psa, origin, asset):
    target = make_target(psa, origin)
    target.pin_job(asset)
    assert [p.cid for p in target.pins()] == [asset.root]
    assert target.has(asset.root)
    target.unpin(asset.root)
    assert target.status(asset.root).state is PinState.UNPINNED
    assert psa.count("DELETE") == 1


def test_fault__stuck_in_queued__timeout_with_request_id(psa, origin, asset):
    psa.stuck = True
    clock = iter(float(t) for t in range(0, 10_000))
    target = make_target(psa, origin, pin_timeout=5, clock=lambda: next(clock), sleep=lambda s: None)
    with pytest.raises(PinTimeoutError, match="still 'queued' after 5 s.*cannot reach the content") as info:
        target.pin_job(asset)
    assert info.value.last_state == "queued" and info.value.request_id in psa.pins


def test_fault__no_reachable_origin__stays_queued(psa, asset):
    target = make_target(psa, None, pin_timeout=0.3)
    with pytest.raises(PinTimeoutError, match="queued"):
        target.pin_job(asset)


def test_fault__service_reports_failed(psa, origin, asset):
    psa.fail_pins = True
    with pytest.raises(PinFailedError, match="failed: injected failure.*origins"):
        make_target(psa, origin).pin_job(asset)


def test_fault__401__actionable_no_retry(psa, asset):
    target = make_target(psa, token="wrong")
    with pytest.raises(BackendAuthError, match="CIDHUB_PSA_TOKEN.*dashboard"):
        target.pin_job(asset)
    assert len(psa.requests) == 1


def test_fault__missing_token__says_which_variable(psa, asset, monkeypatch):
    monkeypatch.delenv("MY_PSA_TOKEN", raising=False)
    target = PinningServiceTarget(psa.url, token_env="MY_PSA_TOKEN", retry=FAST)
    with pytest.raises(BackendAuthError, match="export it as MY_PSA_TOKEN"):
        target.pin_job(asset)
    assert psa.requests == []


def test_token_from_environment(psa, origin, asset, monkeypatch):
    monkeypatch.setenv("CIDHUB_PSA_TOKEN", "test-token")
    target = PinningServiceTarget(psa.url, origins=[origin], poll_interval=0.02, retry=FAST)
    assert target.pin_job(asset).state is PinState.PINNED


def test_fault__500_then_recovery__one_pin_request(psa, origin, asset):
    psa.fail_next = [500, 502]
    sleeps = []
    target = make_target(psa, origin, sleep=sleeps.append)
    assert target.pin_job(asset).state is PinState.PINNED
    assert len(psa.pins) == 1
    assert len(sleeps) >= 2


def test_fault__500_on_post_after_creation__no_duplicate(psa, origin, asset, monkeypatch):
    """A POST whose answer is lost after the service created the pin must not create a second one."""
    target = make_target(psa, origin)
    real_check = target._check
    calls = {"n": 0}

    def lose_first_post_answer(response, what, expect):
        if what == "POST /pins" and calls["n"] == 0:
            calls["n"] += 1
            from cidhub.ipfs.pinning import BackendServerError

            raise BackendServerError("answer lost", target=target.name, status=502)
        return real_check(response, what, expect)

    monkeypatch.setattr(target, "_check", lose_first_post_answer)
    assert target.pin_job(asset).state is PinState.PINNED
    assert psa.count("POST") == 1 and len(psa.pins) == 1


def test_fault__different_cid_echoed__stops_with_both(psa, origin, asset):
    psa.wrong_cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    with pytest.raises(CidMismatchError) as info:
        make_target(psa, origin).pin_job(asset)
    assert str(asset.root) in str(info.value) and psa.wrong_cid in str(info.value)


def test_fault__service_down(asset):
    target = PinningServiceTarget("http://127.0.0.1:9", token="t", retry=FAST, sleep=lambda s: None)
    with pytest.raises(BackendUnavailableError, match="connection refused.*gave up after 4 attempts"):
        target.pin_job(asset)


def test_fault__slow_service__timeout(psa, asset):
    psa.delay = 0.6
    target = make_target(psa, retry=RetryPolicy(attempts=2, base_delay=0.01, timeout=0.2))
    with pytest.raises(BackendUnavailableError, match="no answer to GET /pins within 0.2 s"):
        target.pin_job(asset)
    psa.delay = 0.0


def test_double__rejects_requests_that_break_the_spec(psa):
    """The double really validates: a name over 255 characters is a 400 and a recorded violation."""
    response = requests.post(f"{psa.url}/pins", json={"cid": "bafy", "name": "x" * 300},
                             headers={"Authorization": "Bearer test-token"}, timeout=10)
    assert response.status_code == 400 and response.json()["error"]["reason"] == "BAD_REQUEST"
    assert len(psa.violations) == 1
    psa.violations.clear()  # expected here; the fixture asserts none are left
