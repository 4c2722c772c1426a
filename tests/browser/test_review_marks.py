"""The page shows which results need a person's review, in a real browser.

Given ``review-scorer serve`` with a model that recorded a review threshold (the stack left at
ReviewThreshold=model), when a person classifies a review the model is unsure of, then a "needs
review" note stands beside its top label, and a scored CSV says how many rows need review.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from review_scorer_local.cli import sample_csv
from tests.browser.conftest import Served, serving
from tests.browser.test_page import choose_file, wait_for_bars, wait_for_status
from tests.conftest import RECORDED_THRESHOLD

pytestmark = pytest.mark.browser

UNSURE = "It looks even better than the photo and it is very flattering."
SURE = "I love this dress, it fits perfectly and the fabric is soft and beautiful!"


@pytest.fixture(scope="module")
def served(threshold_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(threshold_model, tmp_path_factory.mktemp("serve-threshold")) as site:
        yield site


def classify(page: WebDriver, text: str) -> None:
    box = page.find_element(By.ID, "review-text")
    box.clear()
    box.send_keys(text)
    page.find_element(By.ID, "classify-button").click()
    wait_for_bars(page, "predictions")


def test_a_review_below_the_threshold_shows_needs_review_beside_its_top_label(
    page: WebDriver, served: Served
) -> None:
    # Given the API's answers: one review below the model's threshold, one above
    answers = served.post_json("/api/classify", {"texts": [UNSURE, SURE], "k": 3})
    assert answers["review_threshold"] == RECORDED_THRESHOLD
    assert [p["needs_review"] for p in answers["predictions"]] == [True, False]
    # When the unsure one is classified on the page
    classify(page, UNSURE)
    # Then a visible note says so, beside the top label
    note = page.find_element(By.ID, "needs-review")
    assert note.is_displayed() and note.text == "needs review"
    top_label = page.find_element(By.CSS_SELECTOR, "#predictions li:first-child .bar-name")
    assert note in top_label.find_elements(By.CLASS_NAME, "review-note")
    # and the sure one shows none
    page.get(served.url + "/")
    classify(page, SURE)
    assert page.find_elements(By.ID, "needs-review") == []


def test_a_scored_csv_says_how_many_rows_need_review(page: WebDriver) -> None:
    choose_file(page, sample_csv())
    status = wait_for_status(page, r"^(Scored|Refused)")
    assert status.startswith("Scored"), status
    assert f"need review (probability below {RECORDED_THRESHOLD})" in status
