"""The HTML report and the model card drawn at training: self-contained, complete, honest."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import ClassVar

import pytest
from sqlalchemy import text

from prodml import Project

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


class _Tags(HTMLParser):
    """Collects tags, and checks that every element opened is closed in order."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "br",
        "img",
        "input",
        "link",
        "hr",
        "circle",
        "line",
        "rect",
        "path",
        "polyline",
        "polygon",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    tags.close()
    return tags


def test_training_stores_the_report_and_both_cards(loans_project: Project) -> None:
    documents = loans_project.store.metadata.model_documents(1)
    assert set(documents) == {"report.html", "card.md", "card.html"}
    stored = loans_project.store.artifacts.get_bytes(documents["report.html"]).decode()
    assert loans_project.report(1) == stored == loans_project.report("champion")


def test_the_report_is_one_self_contained_page(loans_project: Project) -> None:
    html = loans_project.report(1)
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<script" not in html
    tags = parse(html)
    assert tags.errors == [] and tags.stack == []
    assert tags.seen.count("svg") >= 7  # policy bars, value curve, ROC, PR, calibration, ...


def test_the_top_of_the_report_speaks_to_the_business(loans_project: Project) -> None:
    html = loans_project.report(1)
    top = html[: html.index('id="metrics"')]
    assert "approve or decline the loan" in top
    assert "Use version 1 to approve or decline the loan" in top  # the recommendation
    assert "per decision" in top and "EUR" in top and "95% interval" in top
    assert "act on everyone" in top and "act on no one" in top and "baseline model" in top
    assert "The decision rule" in top and "Value of outcomes" in top
    assert "0.1 * Amount" in top


def test_the_engineering_part_has_every_section(loans_project: Project) -> None:
    html = loans_project.report(1)
    for section in (
        "metrics",
        "policies",
        "curves",
        "segments",
        "calibration",
        "overfitting",
        "candidates",
        "importance",
        "limitations",
        "lineage",
    ):
        assert f'id="{section}"' in html, section
    for chart in (
        "ROC curve",
        "Precision-recall curve",
        "Calibration (reliability)",
        "Value per decision by threshold",
        "Value per decision by segment",
        "Value lost when the feature is shuffled",
    ):
        assert f'aria-label="{chart}"' in html, chart
    assert "Confusion matrix" in html


def test_the_model_card_states_use_value_limits_and_lineage(loans_project: Project) -> None:
    card = loans_project.card(1)
    assert card.startswith("# Model card: loans, version 1")
    assert "**Decision:** approve or decline the loan." in card
    assert "| FN | did not act, but it was bad | `-0.6 * Amount` |" in card
    assert "## Limitations, assumptions and uses to avoid" in card
    assert "**Not for other decisions.**" in card
    assert "Possibly protected attributes used as features:** `Age`" in card
    assert "Assumes the future looks like the past." in card
    version = loans_project.models()[0]
    for fingerprint in (version.spec_hash, version.data_hash, version.bundle_sha):
        assert fingerprint in card
    assert "| value per decision |" in card and " to " in card  # with its interval
    assert "## Segments" in card and "## Calibration" in card
    html = loans_project.card(1, format="html")
    assert "<h2" in html and "Not for other decisions." in html
    assert not EXTERNAL.search(html)


def test_a_regression_report_shows_errors_instead_of_curves(prices_project: Project) -> None:
    html = prices_project.report(1)
    assert 'aria-label="Decision vs actual"' in html
    assert 'aria-label="Value per decision by offset"' in html
    assert "ROC curve" not in html and "Confusion matrix" not in html
    assert 'Use version 1 for the decision "the price to offer"' in unescape(html)
    assert "Value of errors by size and sign" in html
    assert parse(html).errors == []
    card = prices_project.card(1)
    assert "| over | per unit the decision is above the actual value | `-1.0` |" in card


def test_a_version_without_stored_documents_gets_them_drawn_on_request(
    loans_project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.trained import make_project

    project = make_project(tmp_path_factory.mktemp("old"), "binary")
    with project.store.metadata.engine.begin() as conn:  # as if trained before reports existed
        conn.execute(text("DELETE FROM model_documents"))
    html = project.report(1)
    assert "from the stored results" in html
    assert 'id="segments"' in html  # the stored evaluation is still drawn
    assert "Model card: loans, version 1" in project.card(1)


def test_unknown_versions_and_formats_are_user_errors(loans_project: Project) -> None:
    from prodml import NotFoundError, UserError

    with pytest.raises(NotFoundError, match="model version 9"):
        loans_project.report(9)
    with pytest.raises(UserError, match="unknown model card format 'pdf'"):
        loans_project.card(1, format="pdf")


@pytest.mark.postgres
def test_documents_are_stored_in_a_postgresql_store(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.trained import make_project

    monkeypatch.setenv("PRODML_STORE_URL", postgres_url)
    project = make_project(tmp_path_factory.mktemp("pg"), "binary")
    assert set(project.store.metadata.model_documents(1)) == {"report.html", "card.md", "card.html"}
    assert "Model card: loans, version 1" in project.card(1)
    assert not (project.root / ".prodml" / "prodml.db").exists()
