import numpy as np

from prodml.train.candidates import CandidateConfig
from prodml.train.crossval import CandidateResult
from prodml.train.selection import select_candidate


def result(name: str, value: float, **params: float) -> CandidateResult:
    return CandidateResult(
        config=CandidateConfig(name, dict(params)),
        value_per_decision=value,
        fold_values=[value] * 3,
        decision_rule=0.5,
        metrics={},
        seconds=0.0,
        oof=np.zeros(1),
    )


def test_complex_model_must_beat_simpler_by_the_tolerance() -> None:
    results = [result("baseline", 10.0), result("linear", 20.0), result("lightgbm", 20.5)]
    chosen = select_candidate(results, headroom=100.0, tolerance=0.004, unit="EUR").chosen
    assert chosen.config.name == "lightgbm"  # 0.5 > 0.4% of 100
    chosen = select_candidate(results, headroom=100.0, tolerance=0.01, unit="EUR").chosen
    assert chosen.config.name == "linear"  # 0.5 < 1% of 100


def test_best_configuration_within_a_family_is_compared() -> None:
    results = [result("baseline", 0.0), result("linear", 5.0, C=1), result("linear", 9.0, C=0.1)]
    selection = select_candidate(results, headroom=50.0, tolerance=0.01, unit="EUR")
    assert selection.chosen.config.params == {"C": 0.1}
    assert any("simpler model is kept" in n or "chosen" in n for n in selection.notes)


def test_baseline_wins_when_nothing_beats_it() -> None:
    results = [result("baseline", 3.0), result("linear", 2.0), result("lightgbm", 3.1)]
    chosen = select_candidate(results, headroom=20.0, tolerance=0.01, unit="EUR").chosen
    assert chosen.config.name == "baseline"
