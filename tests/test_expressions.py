import numpy as np
import pandas as pd
import pytest

from prodml import DataError, ExpressionError, parse_expression

FRAME = pd.DataFrame({"Amount": [1000.0, 2000.0, 6000.0], "Rate": [0.1, 0.2, 0.3]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-Amount", [-1000, -2000, -6000]),
        ("0.12 * Amount", [120, 240, 720]),
        ("min(Amount, 5000)", [1000, 2000, 5000]),
        ("max(Amount, 1500, 1800)", [1800, 2000, 6000]),
        ("abs(-Amount) / 1000", [1, 2, 6]),
        ("Amount * Rate - 10", [90, 390, 1790]),
        ("(Amount + 1000) * 2", [4000, 6000, 14000]),
        ("+5", [5, 5, 5]),
    ],
)
def test_arithmetic_over_columns_is_evaluated_per_row(text: str, expected: list[float]) -> None:
    result = parse_expression(text, where="problem.value.fn").evaluate(FRAME, len(FRAME))
    np.testing.assert_allclose(result, expected)


def test_numbers_are_constant_expressions() -> None:
    expression = parse_expression(-3, where="x")
    assert expression.is_constant
    np.testing.assert_array_equal(expression.evaluate({}, 4), [-3.0] * 4)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Amount.__class__", "attribute access"),
        ("__import__('os')", "call to __import__"),
        ("open('x')", "call to open"),
        ("Amount[0]", "Subscript"),
        ("Amount > 3", "Compare"),
        ("lambda: 1", "Lambda"),
        ("Amount ** 2", "operator Pow"),
        ("min(Amount)", "takes 2+"),
        ("abs(Amount, 2)", "takes 1"),
        ("min(Amount, key=1)", "keyword"),
        ("'text'", "is not a number"),
        ("True", "is not a number"),
        ("min", "must be called"),
        ("Amount +", "cannot parse"),
        ("", "empty"),
    ],
)
def test_anything_but_safe_arithmetic_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, where="problem.value.fp")
    assert reason in str(caught.value)
    assert "problem.value.fp" in str(caught.value)


def test_unknown_columns_are_named() -> None:
    expression = parse_expression("-Amout * Rate", where="problem.value.fn")
    with pytest.raises(ExpressionError, match=r"unknown column.*Amout"):
        expression.check_columns({"Amount", "Rate"}, where="problem.value.fn")


def test_non_finite_results_name_the_expression() -> None:
    expression = parse_expression("Amount / (Rate - 0.2)", where="problem.value.tn")
    with pytest.raises(DataError, match=r"not a finite number on 1 of 3 rows"):
        expression.evaluate(FRAME, len(FRAME), where="problem.value.tn")


def test_text_columns_cannot_be_used_in_values() -> None:
    frame = {"Home": np.array(["rent", "own"], dtype=object)}
    with pytest.raises(DataError, match=r"'Home' .* not numeric"):
        parse_expression("-Home", where="x").evaluate(frame, 2)
