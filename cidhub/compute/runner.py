"""The deterministic job cidhub runs and attests: score CSV datasets with a linear model.

A job's output must be the same bytes on every machine, or its CID means nothing. So no floating
point reaches the output: features, weights and bias are read as decimals and turned into
fixed-point integers (``fixed_point_decimals`` places, refused if a value has more), the linear
part is an exact int64 numpy product, and the sigmoid is :mod:`decimal` arithmetic (its ``exp``
is correctly rounded) at a fixed precision, rounded half-even to ``score_decimals`` places.

Inputs and output:

* model: JSON ``{"format": "cidhub-linear-v1", "features": [...], "weights": [...], "bias": b,
  "activation": "sigmoid", "threshold": t}`` (``samples/models/*.json``);
* datasets: CSV files with a header naming at least the model's features (other columns are
  ignored);
* params: :class:`ScoreParams` as canonical JSON (sorted keys, no spaces, one newline);
* output: CSV ``dataset,row,logit,score,<label>`` with ``\\n`` line ends, one line per input row
  in input order; ``logit`` is exact, ``score`` rounded, ``<label>`` is 1 when score >= threshold.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any

import numpy as np

from cidhub.errors import CidhubError

MODEL_FORMAT = "cidhub-linear-v1"
PARAMS_FORMAT = "cidhub-score-params-v1"
OUTPUT_FORMAT = "cidhub-scores-v1"

# |fixed-point value| < 2**28 for every feature, weight and the bias: products stay below 2**56
# and a sum of up to MAX_FEATURES of them below 2**62, so int64 never overflows.
_FIXED_BOUND = 1 << 28
MAX_FEATURES = 64
_DECIMAL_PRECISION = 50


class ComputeError(CidhubError):
    """The job cannot be run exactly on these inputs; the message says which value and why."""


@dataclass(frozen=True)
class ScoreParams:
    """The job's parameters, published as its params/config CID."""

    fixed_point_decimals: int = 4
    score_decimals: int = 6
    label: str = "anomaly"
    format: str = PARAMS_FORMAT

    def __post_init__(self) -> None:
        if self.format != PARAMS_FORMAT:
            raise ComputeError(f"params format {self.format!r} is not {PARAMS_FORMAT!r}")
        if not 0 <= self.fixed_point_decimals <= 8:
            raise ComputeError("fixed_point_decimals must be between 0 and 8")
        if not 1 <= self.score_decimals <= 18:
            raise ComputeError("score_decimals must be between 1 and 18")
        if not self.label or not self.label.replace("_", "").isalnum():
            raise ComputeError(f"label {self.label!r} must be a non-empty word (letters, digits, _)")

    def to_bytes(self) -> bytes:
        """Canonical JSON: the same params always give the same params CID."""
        return (json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ScoreParams:
        try:
            fields = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ComputeError(f"params are not JSON: {exc}") from None
        if not isinstance(fields, dict):
            raise ComputeError("params must be a JSON object")
        known = {"fixed_point_decimals", "score_decimals", "label", "format"}
        if set(fields) - known:
            raise ComputeError(f"unknown params fields: {sorted(set(fields) - known)}")
        try:
            params = cls(**fields)
        except TypeError as exc:
            raise ComputeError(f"bad params: {exc}") from None
        if params.to_bytes() != data:
            # Only the canonical form is accepted, so one set of params has one CID.
            raise ComputeError("params are not in canonical form (sorted keys, no spaces, one trailing newline)")
        return params


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    weights: tuple[Decimal, ...]
    bias: Decimal
    threshold: Decimal

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        try:
            doc = json.loads(data, parse_float=Decimal, parse_int=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ComputeError(f"the model is not JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            raise ComputeError(f"the model is not a {MODEL_FORMAT} model")
        if doc.get("activation", "sigmoid") != "sigmoid":
            raise ComputeError(f"activation {doc.get('activation')!r} is not supported (only sigmoid)")
        features, weights = doc.get("features"), doc.get("weights")
        if not isinstance(features, list) or not isinstance(weights, list) or len(features) != len(weights):
            raise ComputeError("the model needs as many weights as features")
        if not 0 < len(features) <= MAX_FEATURES or len(set(features)) != len(features):
            raise ComputeError(f"the model needs 1 to {MAX_FEATURES} distinct features")
        try:
            return cls(tuple(str(f) for f in features), tuple(Decimal(w) for w in weights),
                       Decimal(doc.get("bias", 0)), Decimal(doc.get("threshold", Decimal("0.5"))))
        except (InvalidOperation, TypeError):
            raise ComputeError("weights, bias and threshold must be numbers") from None


def _fixed(value: Decimal, decimals: int, where: str) -> int:
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ComputeError(f"{where} = {value} has more than {decimals} decimal places; it cannot be scored exactly "
                           "(raise fixed_point_decimals in the params)")
    number = int(scaled)
    if abs(number) >= _FIXED_BOUND:
        raise ComputeError(f"{where} = {value} is too large for exact fixed-point scoring")
    return number


def _read_table(data: bytes, features: Sequence[str], decimals: int, label: str) -> np.ndarray:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ComputeError(f"dataset {label} is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ComputeError(f"dataset {label} is empty")
    header = [h.strip() for h in header]
    missing = [f for f in features if f not in header]
    if missing:
        raise ComputeError(f"dataset {label} has no column {missing[0]!r} (the model needs {list(features)})")
    columns = [header.index(f) for f in features]
    rows: list[list[int]] = []
    for line, record in enumerate(reader, start=2):
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise ComputeError(f"dataset {label}, line {line}: {len(record)} cells, the header has {len(header)}")
        row = []
        for feature, column in zip(features, columns, strict=True):
            cell = record[column].strip()
            try:
                value = Decimal(cell)
            except InvalidOperation:
                raise ComputeError(f"dataset {label}, line {line}: {feature} = {cell!r} is not a number") from None
            if not value.is_finite():
                raise ComputeError(f"dataset {label}, line {line}: {feature} = {cell!r} is not finite")
            row.append(_fixed(value, decimals, f"dataset {label}, line {line}, {feature}"))
        rows.append(row)
    if not rows:
        raise ComputeError(f"dataset {label} has no rows")
    return np.array(rows, dtype=np.int64)


def _format_decimal(value: Decimal, places: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):f}"


def score(model_bytes: bytes, datasets: Sequence[bytes], params_bytes: bytes) -> bytes:
    """The job: the output bytes for this model, these datasets (in order) and these params."""
    if not datasets:
        raise ComputeError("a job needs at least one dataset")
    params = ScoreParams.from_bytes(params_bytes)
    model = LinearModel.from_bytes(model_bytes)
    places = params.fixed_point_decimals
    weights = np.array([_fixed(w, places, f"weight of {f}")
                        for f, w in zip(model.features, model.weights, strict=True)],
                       dtype=np.int64)
    bias = _fixed(model.bias, places, "bias") * 10**places  # on the scale of the products
    out = io.StringIO(newline="")
    out.write(f"dataset,row,logit,score,{params.label}\n")
    with localcontext() as ctx:
        ctx.prec = _DECIMAL_PRECISION
        one = Decimal(1)
        for index, data in enumerate(datasets):
            table = _read_table(data, model.features, places, f"#{index}")
            logits = table @ weights + bias  # exact: int64, no overflow by the bounds above
            for row, fixed_logit in enumerate(logits.tolist()):
                logit = Decimal(int(fixed_logit)).scaleb(-2 * places)
                value = one / (one + (-logit).exp())
                flag = 1 if value >= model.threshold else 0
                out.write(f"{index},{row},{_format_decimal(logit, 2 * places)},"
                          f"{_format_decimal(value, params.score_decimals)},{flag}\n")
    return out.getvalue().encode()


def describe(output: bytes) -> dict[str, Any]:
    """A short summary of an output, for people: rows and how many were flagged."""
    lines = output.decode().splitlines()
    flagged = sum(1 for line in lines[1:] if line.endswith(",1"))
    return {"format": OUTPUT_FORMAT, "rows": len(lines) - 1, "flagged": flagged, "bytes": len(output)}
