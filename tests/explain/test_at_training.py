"""What training stores for explanations, and the Python twin of ``prodml explain``."""

from __future__ import annotations

import pytest

from prodml import Project, UserError


def test_training_stores_importance_measured_on_held_out_rows(loans_project: Project) -> None:
    bundle = loans_project.load_model(1)
    importance = bundle.explanation["importance"]
    ranked = [f["feature"] for f in importance["features"]]
    assert ranked[0] == "Income"  # the feature the outcome was generated from
    assert ranked.index("Income") < ranked.index("Age")  # Age is noise in this data
    assert importance["rows"] == 240  # the held-out rows (20% of 1,200), not training rows
    version = loans_project.models()[0]
    assert importance["value_per_decision"] == pytest.approx(version.value_per_decision)
    assert importance["contribution_method"] == "treeshap" or bundle.model_kind != "lightgbm"


def test_project_explain_gives_reasons_in_the_projects_words(loans_project: Project) -> None:
    one = loans_project.explain("champion", {"Income": 30, "Home": "rent", "Age": 40})
    assert one.reasons and one.reasons[0].feature == "Income"
    assert "of applicants" in one.reasons[0].text  # problem.entity: applicant
    assert one.base_value + sum(one.contributions.values()) == pytest.approx(one.raw_score)
    assert any("Amount" in note for note in one.notes)  # left out, so treated as missing
    with pytest.raises(UserError, match="unknown column 'Incom'"):
        loans_project.explain(1, {"Incom": 30})
