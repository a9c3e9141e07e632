"""``prodml init``: look at the data, then write a commented ``prodml.yaml`` to complete.

The file it writes is the user's first documentation: every section says what it is for, the
column kinds found are listed, and the value of outcomes is left for the user to state, unless
given on the command line, because only the business knows what a mistake costs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from prodml.errors import SpecError, UserError
from prodml.expressions import parse_expression
from prodml.spec import BINARY_OUTCOMES, REGRESSION_OUTCOMES, SPEC_FILENAME, parse_spec, read_yaml

__all__ = ["InitResult", "init_project", "parse_value_options"]


@dataclass(frozen=True)
class InitResult:
    path: Path
    task: str
    positive: str | None
    kinds: dict[str, str]
    id_column: str | None
    time_column: str | None
    missing: list[str]  # what is still to fill before training


def parse_value_options(options: Sequence[str]) -> dict[str, str]:
    """``["tp=0", "fn=-Amount"]`` -> ``{"tp": "0", "fn": "-Amount"}``, refusing bad names."""
    values: dict[str, str] = {}
    for option in options:
        name, sep, text = option.partition("=")
        name = name.strip().lower()
        if not sep or not text.strip():
            raise UserError(
                f"--value {option!r} is not NAME=EXPRESSION",
                where="--value",
                fix='write e.g. --value fn="-Amount" (names: tp fp tn fn, or over under)',
            )
        if name not in (*BINARY_OUTCOMES, *REGRESSION_OUTCOMES):
            raise UserError(
                f"--value {name!r} is not an outcome",
                where="--value",
                fix="use tp, fp, tn, fn for binary tasks, or over, under for regression",
            )
        if name in values:
            raise UserError(f"--value {name} is given twice", where="--value", fix="give it once")
        values[name] = text.strip()
    return values


def init_project(
    directory: Path,
    *,
    data: Path,
    target: str,
    positive: str | None = None,
    task: str | None = None,
    decision: str | None = None,
    values: Mapping[str, str] | None = None,
    unit: str = "value",
    force: bool = False,
) -> InitResult:
    from prodml.data import infer_kinds, load_source, suggest_id_column, suggest_time_column

    directory = directory.resolve()
    spec_path = directory / SPEC_FILENAME
    if spec_path.exists() and not force:
        raise UserError(
            "a project file already exists here",
            where=str(spec_path),
            fix="edit it, choose another folder, or pass --force to overwrite it",
        )
    data_path = data.resolve()
    frame = load_source(str(data_path), base_dir=Path.cwd())
    columns = [str(c) for c in frame.columns]
    if target not in columns:
        raise UserError(
            f"target column {target!r} is not in {data}",
            where="--target",
            fix="use one of: " + ", ".join(columns[:30]),
        )
    kinds = {str(k): str(v) for k, v in infer_kinds(frame).items()}  # plain str for YAML
    chosen_task = task or _guess_task(frame[target], kinds[target], positive)
    if chosen_task not in ("binary", "regression"):
        raise UserError(
            f"task {chosen_task!r} is not supported", where="--task", fix="use binary or regression"
        )
    if chosen_task == "binary" and positive is None:
        counts = frame[target].dropna().astype(str).value_counts()
        positive = str(counts.index[-1])  # the rarer class is usually the event that costs
    values = dict(values or {})
    allowed = BINARY_OUTCOMES if chosen_task == "binary" else REGRESSION_OUTCOMES
    for name, text in values.items():
        if name not in allowed:
            raise UserError(
                f"--value {name} does not apply to a {chosen_task} task",
                where="--value",
                fix=f"use {', '.join(allowed)}",
            )
        parse_expression(_number_or_text(text), where=f"--value {name}").check_columns(
            set(columns), where=f"--value {name}"
        )
    inferred = infer_kinds(frame)
    id_column = suggest_id_column(frame, inferred)
    time_column = suggest_time_column(frame, inferred)
    if id_column == target:
        id_column = None
    text = render_spec(
        data_source=os.path.relpath(data_path, directory),
        target=target,
        task=chosen_task,
        positive=positive if chosen_task == "binary" else None,
        decision=decision,
        values=values,
        unit=unit,
        kinds=kinds,
        id_column=id_column,
        time_column=time_column,
        rows=len(frame),
        segments=_suggest_segments(frame, kinds, target),
    )
    spec = parse_spec(read_yaml(text, where=str(spec_path)), where=str(spec_path))
    directory.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(text, encoding="utf-8")
    return InitResult(
        path=spec_path,
        task=chosen_task,
        positive=positive if chosen_task == "binary" else None,
        kinds=kinds,
        id_column=id_column,
        time_column=time_column,
        missing=spec.problem.missing_business_inputs(),
    )


def _guess_task(series: object, kind: str, positive: str | None) -> str:
    import pandas as pd

    assert isinstance(series, pd.Series)
    if positive is not None:
        return "binary"
    if kind == "numeric" and series.nunique(dropna=True) > 10:
        return "regression"
    if series.nunique(dropna=True) == 2:
        return "binary"
    raise SpecError(
        f"cannot tell whether {series.name!r} is a binary or a regression target "
        f"({series.nunique(dropna=True)} distinct values)",
        where="--target",
        fix="pass --task regression, or --task binary --positive VALUE",
    )


def _suggest_segments(frame: object, kinds: Mapping[str, str], target: str) -> list[str]:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    found = []
    for column, kind in kinds.items():
        if (
            column != target
            and kind in ("categorical", "boolean")
            and 2 <= frame[column].nunique(dropna=True) <= 12
        ):
            found.append(column)
    return found[:3]


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _yaml_scalar(value: object) -> str:
    """JSON strings are valid YAML and always quoted: safe for ``-Amount`` and ``Yes``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))


def render_spec(
    *,
    data_source: str,
    target: str,
    task: str,
    positive: str | None,
    decision: str | None,
    values: Mapping[str, str],
    unit: str,
    kinds: Mapping[str, str],
    id_column: str | None,
    time_column: str | None,
    rows: int,
    segments: list[str],
) -> str:
    kind_lines = "\n".join(f"#   {column}: {kind}" for column, kind in kinds.items())
    lines = [
        "# prodml project file. Reference: the project-file section of prodml's README.",
        f"# Written by `prodml init` from {data_source} ({rows} rows). Column kinds found:",
        kind_lines,
        "",
        "problem:",
        "  # The decision the model informs, in plain words. Required before training.",
        f"  decision: {_yaml_scalar(decision) if decision else ''}",
        f"  task: {task}",
        f"  target: {_yaml_scalar(target)}",
    ]
    if task == "binary":
        lines.append("  # The target value that means the event (the model 'acts' when it")
        lines.append("  # predicts it, e.g. declines the loan or offers the retention package).")
        lines.append(f"  positive: {_yaml_scalar(positive)}")
    lines += [
        "  unit: " + _yaml_scalar(unit) + "   # currency or other unit of value",
        "  # Value of each outcome: a number or an expression over columns, e.g.",
        '  # "-Amount", "0.12 * Amount", "min(Amount, 5000)" (numbers, columns, + - * /,',
        "  # min, max, abs). Costs are negative. Required before training.",
        "  value:",
    ]
    if task == "binary":
        help_text = {
            "tp": "acted, and the event happened",
            "fp": "acted, but the event did not happen",
            "tn": "did not act, and the event did not happen",
            "fn": "did not act, but the event happened",
        }
    else:
        help_text = {
            "over": "per unit the prediction is above the truth",
            "under": "per unit the prediction is below the truth",
        }
    for name, why in help_text.items():
        given = values.get(name)
        rendered = _yaml_scalar(_number_or_text(given)) if given is not None else ""
        lines.append(f"    {name}: {rendered}".rstrip() + f"    # {why}")
    lines += [
        "",
        "# What a model must achieve on held-out data to be registered.",
        "success:",
        "  min_uplift_over_trivial: 0     # value per decision over acting on all / on none",
        "  # min_value_per_decision: 0",
        "",
        "data:",
        f"  source: {_yaml_scalar(data_source)}   # CSV, Parquet, or {{url: ..., query: ...}}",
        f"  id_column: {_yaml_scalar(id_column) if id_column else 'null'}",
        f"  time_column: {_yaml_scalar(time_column) if time_column else 'null'}"
        "   # enables time-ordered splits",
        "  exclude: []   # columns the model must not use",
        "",
        "evaluation:",
        "  holdout: 0.2   # share of rows held out and used once",
        "  folds: 5",
        "  seed: 42",
        f"  segments: [{', '.join(_yaml_scalar(s) for s in segments)}]",
        "",
        "training:",
        "  candidates: [baseline, linear, lightgbm]   # simplest first",
        "  search_budget: 4    # configurations tried per candidate",
        "  tolerance: 0.01     # share of headroom a more complex model must add",
        "",
    ]
    return "\n".join(lines)
