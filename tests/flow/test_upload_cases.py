"""Every kind of upload gets exactly one clear answer from `review-scorer local run --json`.

One CLI run scores all the case files (each line of its output is one file's SNS message); each
test below checks one case's line.
"""

from __future__ import annotations

import codecs
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEADER = "id,review_body,stars\n"
GOOD = [f'{i},"I love this dress, it fits perfectly",5\n' for i in range(1, 21)]


def good_csv(rows: list[str] | None = None, header: str = HEADER) -> bytes:
    return (header + "".join(rows if rows is not None else GOOD)).encode()


CASES: dict[str, bytes] = {
    "zero_byte.csv": b"",
    "header_only.csv": HEADER.encode(),
    "missing_column.csv": b"id,text\n1,hello\n",
    "duplicate_columns.csv": b"id,review_body,id\n1,great,2\n",
    "header_bom_case_spaces.csv": codecs.BOM_UTF8 + b"id, Review_Body ,stars\n1,great fit,5\n",
    "utf8_bom.csv": codecs.BOM_UTF8 + good_csv(),
    "cp1252.csv": HEADER.encode() + b"1,great,5\n2,caf\xe9 au lait dress,4\n",
    "utf16.csv": good_csv().decode().encode("utf-16"),
    "nul_bytes.csv": HEADER.encode() + b"1,great,5\n2,bad\x00,1\n",
    "gzip_content.csv": gzip.compress(good_csv()),
    "compressed.csv.gz": gzip.compress(good_csv()),
    "quoted.csv": good_csv(['1,"soft, ""warm""\nand cozy",5\n', '2,"poor, cheap",1\n']),
    "crlf.csv": good_csv().replace(b"\n", b"\r\n"),
    "cr_only.csv": good_csv().replace(b"\n", b"\r"),
    "unicode_separators.csv": good_csv(["1,love\u2028it,5\n", "2,poor\u0085quality,1\n"]),
    "semicolon.csv": good_csv(
        ["1;great, really;5\n", "2;terrible fit;1\n"], "id;review_body;stars\n"
    ),
    "tab.csv": good_csv(["1\tgreat fit\t5\n", "2\tpoor quality\t1\n"], "id\treview_body\tstars\n"),
    "some_bad_rows.csv": good_csv([*GOOD, "21,too,many,fields\n", *GOOD]),
    "mostly_bad_rows.csv": good_csv(["1,a,b,c\n", "2\n", "3,great,5\n"]),
    "unterminated_quote.csv": good_csv(["1,fine,5\n", '2,"this quote never closes,4\n', "3,x,1\n"]),
    "long_field.csv": good_csv([f"1,{'great ' * 20_000},5\n", *GOOD]),
    "na_reviews.csv": good_csv(
        [f"{i},{t},3\n" for i, t in enumerate(["NA", "null", "None", "N/A", "nan"])]
    ),
    "empty_reviews.csv": good_csv(["1,,3\n", '2,"   ",3\n', "3,love it,5\n"]),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, demo_model: Path) -> dict[str, Any]:
    """Run every case file through one `review-scorer local run --json`."""
    folder = tmp_path_factory.mktemp("cases")
    paths = []
    for name, data in CASES.items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "review_scorer_local",
            "local",
            "run",
            *paths,
            "--model",
            str(demo_model),
            "--out",
            str(folder / "out"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(CASES), result.stderr[-3000:]
    by_file = {Path(line["source"]).name: line for line in lines}
    return {"by_file": by_file, "returncode": result.returncode, "stderr": result.stderr}


def outcome(outcomes: dict[str, Any], name: str) -> dict[str, Any]:
    return outcomes["by_file"][name]  # type: ignore[no-any-return]


def refused(outcomes: dict[str, Any], name: str, code: str) -> dict[str, Any]:
    line = outcome(outcomes, name)
    assert line["status"] == "FAILED"
    assert line["error"]["code"] == code, line["error"]
    assert line["job"] is None and line["results"] is None
    return line["error"]  # type: ignore[no-any-return]


def scored(outcomes: dict[str, Any], name: str, total: int) -> dict[str, Any]:
    line = outcome(outcomes, name)
    assert line["status"] == "SUCCEEDED", line["error"]
    assert line["rows"]["total"] == total
    return line


def test_exit_status_is_one_because_some_files_failed(outcomes: dict[str, Any]) -> None:
    assert outcomes["returncode"] == 1


def test_no_review_text_reaches_the_logs(outcomes: dict[str, Any]) -> None:
    # (the functions' log lines are in stderr: a run that logged nothing would prove nothing)
    assert '"message":"file refused"' in outcomes["stderr"]
    for text in ("I love this dress", "cozy", "au lait", "never closes", "poor quality"):
        assert text not in outcomes["stderr"], text


def test_zero_byte_file(outcomes: dict[str, Any]) -> None:
    assert refused(outcomes, "zero_byte.csv", "EMPTY_FILE")["line"] == 1


def test_header_only(outcomes: dict[str, Any]) -> None:
    assert refused(outcomes, "header_only.csv", "NO_ROWS")["line"] == 2


def test_missing_review_column_lists_the_columns_found(outcomes: dict[str, Any]) -> None:
    error = refused(outcomes, "missing_column.csv", "MISSING_COLUMN")
    assert "'id', 'text'" in error["message"]


def test_duplicate_column_names(outcomes: dict[str, Any]) -> None:
    assert "'id'" in refused(outcomes, "duplicate_columns.csv", "DUPLICATE_COLUMN")["message"]


def test_header_differing_by_bom_case_and_spaces_is_found(outcomes: dict[str, Any]) -> None:
    line = scored(outcomes, "header_bom_case_spaces.csv", 1)
    assert line["review_column"] == " Review_Body "


def test_utf8_bom_is_fine(outcomes: dict[str, Any]) -> None:
    scored(outcomes, "utf8_bom.csv", 20)


def test_cp1252_is_refused_with_line_and_byte_offset(outcomes: dict[str, Any]) -> None:
    error = refused(outcomes, "cp1252.csv", "INVALID_ENCODING")
    assert error["line"] == 3
    offset = CASES["cp1252.csv"].index(0xE9)
    assert f"byte offset {offset}" in error["message"]


def test_utf16_is_refused(outcomes: dict[str, Any]) -> None:
    assert "UTF-16" in refused(outcomes, "utf16.csv", "INVALID_ENCODING")["message"]


def test_nul_bytes_are_refused_with_line_and_offset(outcomes: dict[str, Any]) -> None:
    error = refused(outcomes, "nul_bytes.csv", "INVALID_ENCODING")
    assert error["line"] == 3
    assert f"byte offset {CASES['nul_bytes.csv'].index(0)}" in error["message"]


def test_gzip_content_under_a_csv_name_is_scored(outcomes: dict[str, Any]) -> None:
    scored(outcomes, "gzip_content.csv", 20)


def test_csv_gz_upload_is_scored(outcomes: dict[str, Any]) -> None:
    line = scored(outcomes, "compressed.csv.gz", 20)
    assert line["results"].endswith("/results/compressed.labeled.csv")


@pytest.mark.parametrize(
    ("name", "total"),
    [("quoted.csv", 2), ("crlf.csv", 20), ("cr_only.csv", 20), ("unicode_separators.csv", 2)],
)
def test_quoting_and_line_ends_keep_the_row_count(
    outcomes: dict[str, Any], name: str, total: int
) -> None:
    assert scored(outcomes, name, total)["rows"]["scored"] == total


@pytest.mark.parametrize(
    ("name", "delimiter"), [("semicolon.csv", "semicolon"), ("tab.csv", "tab")]
)
def test_spreadsheet_delimiters_are_detected_and_reported(
    outcomes: dict[str, Any], name: str, delimiter: str
) -> None:
    assert scored(outcomes, name, 2)["delimiter"] == delimiter


def test_a_few_bad_rows_are_rejected_and_counted(outcomes: dict[str, Any]) -> None:
    line = scored(outcomes, "some_bad_rows.csv", 41)
    assert line["rows"] == {
        "total": 41,
        "scored": 40,
        "empty": 0,
        "rejected": 1,
        "needs_review": None,
    }
    assert line["rejects"].endswith("/results/some_bad_rows.rejects.csv")


def test_too_many_bad_rows_refuse_the_file(outcomes: dict[str, Any]) -> None:
    error = refused(outcomes, "mostly_bad_rows.csv", "TOO_MANY_REJECTED_ROWS")
    assert error["line"] == 2
    assert "2 of 3 rows" in error["message"]


def test_unterminated_quote_names_the_line_where_it_opened(outcomes: dict[str, Any]) -> None:
    error = refused(outcomes, "unterminated_quote.csv", "MALFORMED_CSV")
    assert error["line"] == 3


def test_field_over_the_limit_rejects_its_row(outcomes: dict[str, Any]) -> None:
    line = scored(outcomes, "long_field.csv", 21)
    assert line["rows"]["rejected"] == 1


def test_missing_value_words_are_scored_as_text(outcomes: dict[str, Any]) -> None:
    assert scored(outcomes, "na_reviews.csv", 5)["rows"]["scored"] == 5


def test_empty_reviews_are_kept_and_marked(outcomes: dict[str, Any]) -> None:
    line = scored(outcomes, "empty_reviews.csv", 3)
    assert line["rows"] == {
        "total": 3,
        "scored": 1,
        "empty": 2,
        "rejected": 0,
        "needs_review": None,
    }
