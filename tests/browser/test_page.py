"""The page in a real browser, against the real API handler and the whole local pipeline.

Given ``review-scorer serve`` with the demo model, when a person types a review or picks a CSV
file in Chromium, then the page shows what the API and the pipeline answered: the top labels,
the label counts and the labeled CSV's link, or the refusal's code.
"""

from __future__ import annotations

import csv
import http.client
import io
import re
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from review_scorer_local.cli import sample_csv
from tests.browser.conftest import Served, screenshot
from tests.conftest import write_csv

pytestmark = pytest.mark.browser

REVIEW = "I love this dress, the fabric is soft and the colour is beautiful!"
PIPELINE_SECONDS = 60
RESULT_COLUMNS = ["predicted_label", "probability", "scoring_status"]


def bars(browser: WebDriver, container: str) -> list[tuple[str, str]]:
    """The ``(label, value)`` of each bar in the element ``container``."""
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{container} li")
    return [
        (r.get_attribute("data-label") or "", r.get_attribute("data-value") or "") for r in rows
    ]


def wait_for_bars(browser: WebDriver, container: str) -> list[tuple[str, str]]:
    WebDriverWait(browser, 30).until(lambda b: bars(b, container))
    return bars(browser, container)


def choose_file(browser: WebDriver, path: Path) -> None:
    browser.find_element(By.ID, "csv-file").send_keys(str(path))


def wait_for_status(browser: WebDriver, pattern: str) -> str:
    status = browser.find_element(By.ID, "upload-status")
    WebDriverWait(browser, PIPELINE_SECONDS).until(lambda _: re.search(pattern, status.text))
    return status.text


def download_link(browser: WebDriver) -> WebElement:
    """The labeled CSV's link, once the upload's outcome is shown (which must be "Scored")."""
    status = wait_for_status(browser, r"^(Scored|Refused)")
    assert status.startswith("Scored"), status
    return browser.find_element(By.ID, "download-link")


def fetch(url: str) -> str:
    assert url.startswith("http://127.0.0.1:"), url  # the page's link into the local bucket
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (checked above)
        return str(answer.read().decode("utf-8"))


def test_a_typed_review_shows_the_apis_top_three_labels_as_bars(
    page: WebDriver, served: Served, tmp_path: Path
) -> None:
    page.find_element(By.ID, "review-text").send_keys(REVIEW)
    page.find_element(By.ID, "classify-button").click()

    shown = wait_for_bars(page, "predictions")
    (expected,) = served.post_json("/api/classify", {"texts": [REVIEW], "k": 3})["predictions"]
    assert [(label, float(value)) for label, value in shown] == list(
        zip(expected["labels"], expected["probabilities"], strict=True)
    )
    assert len(shown) == 3
    widths = [
        e.size["width"] for e in page.find_elements(By.CSS_SELECTOR, "#predictions .bar-fill")
    ]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    # The text went to the API in the request body and nowhere else the page controls.
    assert page.current_url == served.url + "/"
    assert (
        page.execute_script(
            "return localStorage.length + sessionStorage.length + document.cookie.length"
        )
        == 0
    )
    screenshot(page, tmp_path, "prediction.png", readme_name="page-prediction.png")


def test_a_review_is_classified_with_the_keyboard_alone(page: WebDriver, tmp_path: Path) -> None:
    text = page.find_element(By.ID, "review-text")
    text.send_keys(REVIEW)
    text.send_keys(Keys.TAB)

    focused = page.switch_to.active_element
    assert focused.get_attribute("id") == "classify-button"
    assert focused.value_of_css_property("outline-style") != "none"  # the focus is visible
    focused.send_keys(Keys.ENTER)

    assert len(wait_for_bars(page, "predictions")) == 3
    screenshot(page, tmp_path, "keyboard.png")


def test_a_chosen_csv_is_scored_and_its_labeled_csv_downloads(
    page: WebDriver, tmp_path: Path
) -> None:
    sample = sample_csv()
    choose_file(page, sample)

    link = download_link(page)
    status = wait_for_status(page, r"^Scored")
    labeled = list(csv.reader(io.StringIO(fetch(link.get_attribute("href") or ""))))
    with sample.open(encoding="utf-8", newline="") as f:
        original = list(csv.reader(f))
    assert labeled[0] == original[0] + RESULT_COLUMNS
    assert [row[0] for row in labeled[1:]] == [row[0] for row in original[1:]]
    scored = [row for row in labeled[1:] if row[-1] == "scored"]
    chart = dict(bars(page, "label-chart"))
    assert {label: int(count) for label, count in chart.items()} == Counter(
        row[-3] for row in scored
    )
    assert f"{len(scored)} rows scored" in status
    page.execute_script("document.getElementById('label-chart').scrollIntoView()")
    screenshot(page, tmp_path, "scored.png", readme_name="page-scored-csv.png")


def test_a_csv_without_the_review_column_shows_its_error_code(
    page: WebDriver, tmp_path: Path
) -> None:
    broken = write_csv(tmp_path / "no-reviews.csv", ["title", "stars"], [["Nice", "5"]])
    choose_file(page, broken)

    status = wait_for_status(page, r"^Refused")
    assert "MISSING_COLUMN" in status
    assert "review_body" in status  # the message says what is missing
    with pytest.raises(NoSuchElementException):
        page.find_element(By.ID, "download-link")
    screenshot(page, tmp_path, "refused.png")


def test_a_dropped_csv_is_uploaded_as_a_chosen_one(page: WebDriver, tmp_path: Path) -> None:
    content = sample_csv().read_text(encoding="utf-8")
    page.execute_script(
        """
        const transfer = new DataTransfer();
        transfer.items.add(new File([arguments[0]], "dropped.csv", {type: "text/csv"}));
        const zone = document.getElementById("drop-zone");
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        """,
        content,
    )

    link = download_link(page)
    assert "dropped.labeled.csv" in (link.get_attribute("href") or "")
    screenshot(page, tmp_path, "dropped.png")


def test_the_page_fits_a_phone_sized_window(page: WebDriver, tmp_path: Path) -> None:
    page.set_window_size(390, 844)
    page.find_element(By.ID, "review-text").send_keys(REVIEW)
    page.find_element(By.ID, "classify-button").click()
    wait_for_bars(page, "predictions")

    overflow = page.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    screenshot(page, tmp_path, "phone.png")


def test_the_page_loads_nothing_from_elsewhere(page: WebDriver, served: Served) -> None:
    loaded = page.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    assert all(str(name).startswith(served.url + "/") for name in loaded)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.page_source)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/", 307), ("POST", "/api/classify", 421), ("GET", "/s3/review-scorer-local", 421)],
)
def test_a_request_naming_another_host_is_refused_and_the_page_sent_to_127_0_0_1(
    served: Served, method: str, path: str, status: int
) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=b"{}", headers={"Host": f"localhost:{port}"})
        answer = connection.getresponse()
    finally:
        connection.close()

    assert answer.status == status
    if status == 307:
        assert answer.getheader("location") == f"{served.url}/"
