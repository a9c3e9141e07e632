"""A fitted prodml pipeline as one ONNX graph: preprocessing, model, calibration, decision.

Inputs are one ``[N, 1]`` tensor per feature: ``float32`` for numbers (ONNX tree ensembles
compute in float32), ``string`` for categories in the canonical text prodml trains on, with
``__missing__`` for a missing category (string tensors have no NaN). The ``FrameCoercer`` step is
therefore done by the caller (the standalone scorer does it in a few lines); everything after it
is converted by skl2onnx (scikit-learn) and onnxmltools (LightGBM):

* LightGBM: ``ColumnTransformer(passthrough, OrdinalEncoder)`` -> booster. ``__missing__`` and
  unseen categories are unknown to the encoder: NaN, LightGBM's missing branch, as in training.
* linear: ``ColumnTransformer(median imputer + indicator + scaler, one-hot)`` -> model. The
  categorical constant imputer is left out of the graph (skl2onnx cannot convert it for text):
  the caller's ``__missing__`` is the very level it would have filled in.
* baseline: a constant.

Then, in float64: the bundle's calibration (sigmoid on the log-odds, or isotonic interpolation),
and the decision, ``probability >= threshold`` (binary) or ``prediction + offset`` (regression).
Outputs: ``probability`` and ``decision`` (binary), or ``prediction`` and ``decision``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from prodml.errors import UserError

if TYPE_CHECKING:
    from prodml.registry.bundle import ModelBundle

__all__ = ["MISSING_LEVEL", "OPSET", "convert", "feature_columns"]

MISSING_LEVEL = "__missing__"
OPSET = 17
_ML_OPSET = 3


def feature_columns(bundle: ModelBundle) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature names, in the order the pipeline's coercer reads them."""
    coercer = dict(getattr(bundle.pipeline, "named_steps", {})).get("coerce")
    if coercer is None:
        raise UserError(
            "the model's pipeline was not written by prodml (no coerce step)",
            where="--model",
            fix="export a model trained by prodml train",
        )
    return list(coercer.numeric), list(coercer.categorical)


def convert(bundle: ModelBundle) -> Any:
    """The ONNX ``ModelProto`` of the whole scoring path of ``bundle``."""
    numeric, categorical = feature_columns(bundle)
    steps = dict(bundle.pipeline.named_steps)
    if "encode" not in steps:
        graph, raw = _constant_graph(bundle, numeric, categorical)
    else:
        graph, raw = _sklearn_graph(bundle, numeric, categorical)
    return _finish(graph, raw, bundle)


def _inputs(numeric: list[str], categorical: list[str]) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    return [(n, FloatTensorType([None, 1])) for n in numeric] + [
        (n, StringTensorType([None, 1])) for n in categorical
    ]


def _sklearn_graph(bundle: ModelBundle, numeric: list[str], categorical: list[str]) -> Any:
    from skl2onnx import convert_sklearn
    from sklearn.pipeline import Pipeline

    _register_lightgbm()
    encode = copy.deepcopy(bundle.pipeline.named_steps["encode"])
    model = bundle.pipeline.named_steps["model"]
    _drop_text_imputer(encode)
    inner = Pipeline([("encode", encode), ("model", model)])
    options: dict[Any, Any] = {}
    if bundle.task == "binary":
        options = {id(model): {"zipmap": False}}
    try:
        onx = convert_sklearn(
            inner,
            initial_types=_inputs(numeric, categorical),
            options=options,
            target_opset={"": OPSET, "ai.onnx.ml": _ML_OPSET},
        )
    except Exception as exc:  # skl2onnx raises bare RuntimeError/NotImplementedError/...
        raise UserError(
            f"cannot convert the {type(model).__name__} pipeline to ONNX ({exc})",
            where="--model",
            fix="export a LightGBM, linear or baseline model trained by prodml",
        ) from exc
    if type(model).__name__.startswith("LGBM"):
        _round_thresholds_down(onx, model.booster_)
    outputs = [o.name for o in onx.graph.output]
    raw = outputs[1] if bundle.task == "binary" else outputs[0]
    return onx, raw


def _round_thresholds_down(onx: Any, booster: Any) -> None:
    """Make ONNX's float32 splits decide exactly as LightGBM does on float32 inputs.

    LightGBM splits on ``x <= t`` with a float64 ``t`` (often the midpoint of two training
    values); the converter stores ``t`` rounded to the *nearest* float32, so a float32 input equal
    to that rounding goes left in ONNX and right in LightGBM when the rounding went up. Rounding
    down instead is exact: for a float32 ``x``, ``x <= t`` if and only if ``x <= round_down(t)``.
    """
    thresholds: dict[int, set[float]] = {}

    def walk(node: dict[str, Any]) -> None:
        if "split_feature" in node:
            if node.get("decision_type") == "<=":
                thresholds.setdefault(int(node["split_feature"]), set()).add(
                    float(node["threshold"])
                )
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    by_value: dict[tuple[int, float], list[float]] = {}
    for feature, values in thresholds.items():
        for value in values:
            by_value.setdefault((feature, float(np.float32(value))), []).append(value)
    for node in onx.graph.node:
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        attributes = {a.name: a for a in node.attribute}
        modes = attributes["nodes_modes"].strings
        features = attributes["nodes_featureids"].ints
        values = attributes["nodes_values"].floats
        for i, mode in enumerate(modes):
            if mode != b"BRANCH_LEQ":
                continue
            stored = float(np.float32(values[i]))
            originals = by_value.get((int(features[i]), stored), [])
            if originals and all(t < stored for t in originals):
                values[i] = float(np.nextafter(np.float32(stored), np.float32(-np.inf)))


def _drop_text_imputer(encode: Any) -> None:
    """Replace ``Pipeline(impute constant, one-hot)`` for categories by the one-hot encoder,
    and drop an empty missing-value indicator (skl2onnx converts neither)."""
    fitted = []
    for name, transformer, columns in encode.transformers_:
        steps = dict(getattr(transformer, "named_steps", {}))
        if name == "categorical" and "onehot" in steps and "impute" in steps:
            transformer = steps["onehot"]
        imputer: Any = steps.get("impute")
        if name == "numeric" and getattr(imputer, "add_indicator", False):
            if len(getattr(imputer.indicator_, "features_", [])):
                raise UserError(
                    "a linear model whose numeric columns had missing values in training "
                    "(missing-value indicators) cannot be exported to ONNX yet",
                    where="--model",
                    fix="export a LightGBM model (fill the missing values before training to "
                    "export a linear one)",
                )
            imputer.add_indicator = False
            del imputer.indicator_
        fitted.append((name, transformer, columns))
    encode.transformers_ = fitted


def _register_lightgbm() -> None:
    import lightgbm
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    update_registered_converter(
        lightgbm.LGBMClassifier,
        "LightGbmLGBMClassifier",
        calculate_linear_classifier_output_shapes,
        convert_lightgbm,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(
        lightgbm.LGBMRegressor,
        "LightGbmLGBMRegressor",
        calculate_linear_regressor_output_shapes,
        convert_lightgbm,
        options={"split": None},
    )


def _constant_graph(bundle: ModelBundle, numeric: list[str], categorical: list[str]) -> Any:
    """A baseline: the training prior (binary) or mean (regression), one row per input row."""
    from onnx import TensorProto, helper

    model = bundle.pipeline.named_steps["model"]
    if bundle.task == "binary":
        value = float(np.asarray(model.class_prior_, dtype=np.float64)[1])
    else:
        value = float(np.asarray(model.constant_, dtype=np.float64).ravel()[0])
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 1]) for n in numeric]
    inputs += [helper.make_tensor_value_info(n, TensorProto.STRING, [None, 1]) for n in categorical]
    if not inputs:
        raise UserError(
            "the model has no feature columns", where="--model", fix="export another version"
        )
    first = (numeric + categorical)[0]
    nodes = [
        helper.make_node("Shape", [first], ["rows_shape"], start=0, end=1),
        helper.make_node(
            "ConstantOfShape",
            ["rows_shape"],
            ["raw_constant"],
            value=helper.make_tensor("v", TensorProto.DOUBLE, [1], [value]),
        ),
    ]
    graph = helper.make_graph(nodes, "prodml_baseline", inputs, [])
    onx = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", OPSET),
            helper.make_opsetid("ai.onnx.ml", _ML_OPSET),
        ],
    )
    return onx, "raw_constant"


def _finish(onx: Any, raw: str, bundle: ModelBundle) -> Any:
    """Append calibration and the decision (in float64); keep only the two named outputs."""
    from onnx import TensorProto, helper, numpy_helper

    graph = onx.graph
    nodes: list[Any] = []
    constants: list[Any] = []

    def const(name: str, values: Any, dtype: Any = np.float64) -> str:
        constants.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name=name))
        return name

    if raw == "raw_constant":
        nodes.append(helper.make_node("Identity", [raw], ["raw_vector"]))
    elif bundle.task == "binary":  # probabilities [N, 2]: column 1
        nodes.append(
            helper.make_node("Gather", [raw, const("one", 1, np.int64)], ["raw_p"], axis=1)
        )
        nodes.append(helper.make_node("Cast", ["raw_p"], ["raw_vector"], to=TensorProto.DOUBLE))
    else:  # variable [N, 1]
        nodes.append(helper.make_node("Reshape", [raw, const("flat", [-1], np.int64)], ["raw_p"]))
        nodes.append(helper.make_node("Cast", ["raw_p"], ["raw_vector"], to=TensorProto.DOUBLE))
    if bundle.task == "binary":
        calibrated = _calibration(nodes, const, "raw_vector", bundle.calibration or {})
        nodes.append(helper.make_node("Identity", [calibrated], ["probability"]))
        nodes.append(
            helper.make_node(
                "GreaterOrEqual",
                ["probability", const("threshold", bundle.decision_rule)],
                ["decision"],
            )
        )
        outputs = [
            helper.make_tensor_value_info("probability", TensorProto.DOUBLE, [None]),
            helper.make_tensor_value_info("decision", TensorProto.BOOL, [None]),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["raw_vector"], ["prediction"]))
        nodes.append(
            helper.make_node(
                "Add", ["prediction", const("offset", bundle.decision_rule)], ["decision"]
            )
        )
        outputs = [
            helper.make_tensor_value_info("prediction", TensorProto.DOUBLE, [None]),
            helper.make_tensor_value_info("decision", TensorProto.DOUBLE, [None]),
        ]
    graph.node.extend(nodes)
    graph.initializer.extend(constants)
    del graph.output[:]
    graph.output.extend(outputs)
    onx.doc_string = "prodml export: preprocessing + model + calibration + decision"
    return onx


def _calibration(nodes: list[Any], const: Any, p: str, calibration: dict[str, Any]) -> str:
    """Nodes applying :class:`prodml.evaluate.calibration.Calibrator` to ``p`` (float64)."""
    from onnx import TensorProto, helper

    method = calibration.get("method", "none")
    if method == "sigmoid":
        nodes += [
            helper.make_node("Clip", [p, const("eps", 1e-12), const("one_eps", 1 - 1e-12)], ["c"]),
            helper.make_node("Log", ["c"], ["log_p"]),
            helper.make_node("Sub", [const("unit", 1.0), "c"], ["q"]),
            helper.make_node("Log", ["q"], ["log_q"]),
            helper.make_node("Sub", ["log_p", "log_q"], ["logit"]),
            helper.make_node("Mul", ["logit", const("a", float(calibration["a"]))], ["az"]),
            helper.make_node("Add", ["az", const("b", float(calibration["b"]))], ["z"]),
            helper.make_node("Sigmoid", ["z"], ["calibrated"]),
        ]
        return "calibrated"
    if method == "isotonic":
        x = np.asarray(calibration["x"], dtype=np.float64)
        y = np.asarray(calibration["y"], dtype=np.float64)
        low, high = float(calibration["low"]), float(calibration["high"])
        if len(x) < 2:
            value = float(y[0]) if len(y) else 0.0
            nodes += [
                helper.make_node("Mul", [p, const("zero", 0.0)], ["zeros"]),
                helper.make_node("Add", ["zeros", const("level", value)], ["interp"]),
            ]
        else:
            m = len(x)
            nodes += [
                helper.make_node("Unsqueeze", [p, const("axis1", [1], np.int64)], ["p_col"]),
                helper.make_node("LessOrEqual", [const("xs", x.reshape(1, -1)), "p_col"], ["le"]),
                helper.make_node("Cast", ["le"], ["le_n"], to=TensorProto.INT64),
                helper.make_node(
                    "ReduceSum", ["le_n", const("axis1b", [1], np.int64)], ["count"], keepdims=0
                ),
                helper.make_node("Sub", ["count", const("one_i", 1, np.int64)], ["seg0"]),
                helper.make_node(
                    "Clip",
                    ["seg0", const("lo_i", 0, np.int64), const("hi_i", m - 2, np.int64)],
                    ["seg"],
                ),
                helper.make_node("Add", ["seg", const("one_j", 1, np.int64)], ["seg1"]),
                helper.make_node("Gather", [const("x", x), "seg"], ["x0"]),
                helper.make_node("Gather", [const("x1", x), "seg1"], ["x1v"]),
                helper.make_node("Gather", [const("y", y), "seg"], ["y0"]),
                helper.make_node("Gather", [const("y1", y), "seg1"], ["y1v"]),
                helper.make_node("Sub", ["x1v", "x0"], ["dx0"]),
                helper.make_node("Max", ["dx0", const("tiny", 1e-300)], ["dx"]),
                helper.make_node("Sub", [p, "x0"], ["px"]),
                helper.make_node("Div", ["px", "dx"], ["t0"]),
                helper.make_node("Clip", ["t0", const("t_lo", 0.0), const("t_hi", 1.0)], ["t"]),
                helper.make_node("Sub", ["y1v", "y0"], ["dy"]),
                helper.make_node("Mul", ["t", "dy"], ["tdy"]),
                helper.make_node("Add", ["y0", "tdy"], ["interp"]),
            ]
        nodes.append(
            helper.make_node("Clip", ["interp", const("low", low), const("high", high)], ["iso"])
        )
        return "iso"
    return p
