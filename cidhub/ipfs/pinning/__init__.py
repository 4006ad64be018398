"""Pinning: keeping an asset's DAG available on one or more targets, checked against the CID
computed locally.

Backends (all :class:`~cidhub.content.store.PinTarget`):

* :class:`LocalBackend` (``local``): a block store on this machine, the default;
* :class:`KuboPinTarget` (``kubo``): a Kubo node over its RPC API, via ``ipfshttpclient``;
* :class:`PinningServiceTarget` (``psa``): any IPFS Pinning Service API v1.0.0 service.

:func:`replicate` pins on several at once and reports who confirmed and the availability
estimate ``P = 1 - (1 - p)^k``; :mod:`cidhub.ipfs.pinning.retry` holds the backoff policy and
:mod:`cidhub.ipfs.pinning.config` turns ``--pin`` flags and the TOML config into targets.
"""

from cidhub.ipfs.pinning.base import DagCarStream, PinJob, car_source, check_cid, run_job, same_dag
from cidhub.ipfs.pinning.config import PinningConfig, build_targets, load_config
from cidhub.ipfs.pinning.errors import (
    BackendAuthError,
    BackendError,
    BackendRequestError,
    BackendServerError,
    BackendUnavailableError,
    CidMismatchError,
    NotEnoughReplicasError,
    PinFailedError,
    PinTimeoutError,
    RetryableError,
)
from cidhub.ipfs.pinning.kubo import KuboPinTarget
from cidhub.ipfs.pinning.local import LocalBackend
from cidhub.ipfs.pinning.psa import PinningServiceTarget
from cidhub.ipfs.pinning.replication import ReplicationReport, TargetResult, availability, replicate
from cidhub.ipfs.pinning.retry import RetryPolicy, call_with_retry

__all__ = [
    "BackendAuthError",
    "BackendError",
    "BackendRequestError",
    "BackendServerError",
    "BackendUnavailableError",
    "CidMismatchError",
    "DagCarStream",
    "KuboPinTarget",
    "LocalBackend",
    "NotEnoughReplicasError",
    "PinFailedError",
    "PinJob",
    "PinTimeoutError",
    "PinningConfig",
    "PinningServiceTarget",
    "ReplicationReport",
    "RetryPolicy",
    "RetryableError",
    "TargetResult",
    "availability",
    "build_targets",
    "call_with_retry",
    "car_source",
    "check_cid",
    "load_config",
    "replicate",
    "run_job",
    "same_dag",
]
