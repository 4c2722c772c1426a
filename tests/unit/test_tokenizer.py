"""The review tokenizer: nltk's ``word_tokenize`` recipe of the course, without nltk.

Every expected token list below is what nltk 3.7 (the course's version) with its English punkt
data gives for ``nltk.word_tokenize(text.replace(",", "").replace('"', "").lower())``.

``tokenizer_golden.json`` holds review-like texts with the tokens they gave, and the
``TOKENIZER_VERSION`` they were made with: models record that version, so any change of output
must come with a new version. After bumping it (or to add a text: append ``{"text": "..."}`` to
``cases``), regenerate the file from the repository root with::

    .venv/bin/python -m tests.unit.test_tokenizer

which refuses to record changed tokens under an unchanged version.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_scorer.tokenizer import TOKENIZER_VERSION, normalize, split_sentences, tokenize

GOLDEN = Path(__file__).with_name("tokenizer_golden.json")


def _golden() -> dict[str, Any]:
    document = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_golden_texts_give_the_tokens_recorded_under_this_tokenizer_version() -> None:
    # Given the golden texts and the version their tokens were recorded with
    golden = _golden()
    assert len(golden["cases"]) >= 40
    assert golden["tokenizer_version"] == TOKENIZER_VERSION, (
        f"TOKENIZER_VERSION is {TOKENIZER_VERSION!r} but {GOLDEN.name} was made with "
        f"{golden['tokenizer_version']!r}: regenerate it (see this module's docstring)"
    )
    # When each text is tokenized
    changed = [
        (case["text"], case["tokens"], tokens)
        for case in golden["cases"]
        if (tokens := tokenize(case["text"])) != case["tokens"]
    ]
    # Then every text gives the tokens recorded under this version
    assert not changed, (
        f"the tokens of {len(changed)} golden texts changed while TOKENIZER_VERSION is still "
        f"{TOKENIZER_VERSION!r}: bump TOKENIZER_VERSION (models record it) and regenerate "
        f"{GOLDEN.name}; first (text, recorded, now): {changed[0]}"
    )


def regenerate_golden() -> None:
    """Record the current tokens of every golden text under the current TOKENIZER_VERSION;
    refuses if a recorded text's tokens changed and the version did not."""
    golden = _golden()
    same_version = golden["tokenizer_version"] == TOKENIZER_VERSION
    cases = []
    for case in golden["cases"]:
        tokens = tokenize(case["text"])
        if same_version and "tokens" in case and case["tokens"] != tokens:
            sys.exit(
                f"tokens of {case['text']!r} changed under an unchanged TOKENIZER_VERSION "
                f"{TOKENIZER_VERSION!r}: bump it first"
            )
        cases.append({"text": case["text"], "tokens": tokens})
    lines = ",\n".join(f"    {json.dumps(case, ensure_ascii=False)}" for case in cases)
    GOLDEN.write_text(
        f'{{\n  "tokenizer_version": {json.dumps(TOKENIZER_VERSION)},\n'
        f'  "cases": [\n{lines}\n  ]\n}}\n',
        encoding="utf-8",
    )


if __name__ == "__main__":
    regenerate_golden()


def test_commas_and_double_quotes_are_removed_and_text_lowercased() -> None:
    assert tokenize('Soft, WARM and "really" Cozy') == ["soft", "warm", "and", "really", "cozy"]


def test_normalize_is_the_course_preprocessing() -> None:
    assert normalize('Big, "Bold" Print') == "big bold print"


def test_a_comma_inside_a_number_disappears_too() -> None:
    assert tokenize("It cost 1,200 dollars") == ["it", "cost", "1200", "dollars"]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I don't know", ["i", "do", "n't", "know"]),
        ("I'm sure", ["i", "'m", "sure"]),
        ("it can't shrink", ["it", "ca", "n't", "shrink"]),
        ("it won't", ["it", "wo", "n't"]),
        ("they'll love it", ["they", "'ll", "love", "it"]),
        ("we've said", ["we", "'ve", "said"]),
        ("she'd agree", ["she", "'d", "agree"]),
        ("you're right", ["you", "'re", "right"]),
        (
            "gonna wear it wanna buy it cannot wait",
            ["gon", "na", "wear", "it", "wan", "na", "buy", "it", "can", "not", "wait"],
        ),
    ],
)
def test_contractions_split_like_the_treebank(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_possessives_split_off_the_clitic_or_the_apostrophe() -> None:
    assert tokenize("The model's dress and the girls' jackets") == [
        "the", "model", "'s", "dress", "and", "the", "girls", "'", "jackets",
    ]  # fmt: skip


def test_a_period_ending_a_sentence_is_a_token() -> None:
    # Given two sentences
    text = "It fits well. I love it."
    # When tokenized
    tokens = tokenize(text)
    # Then each final period stands alone
    assert tokens == ["it", "fits", "well", ".", "i", "love", "it", "."]


def test_abbreviations_keep_their_period() -> None:
    assert tokenize("Mr. Smith bought it in the U.S. last year.") == [
        "mr.", "smith", "bought", "it", "in", "the", "u.s.", "last", "year", ".",
    ]  # fmt: skip


def test_ok_is_an_abbreviation_in_punkts_english_model() -> None:
    assert tokenize("Dr. Jones said ok. fine then.") == [
        "dr.", "jones", "said", "ok.", "fine", "then", ".",
    ]  # fmt: skip


def test_decimals_and_times_stay_whole() -> None:
    assert tokenize("I ordered size 5.5 at 4 p.m. today") == [
        "i", "ordered", "size", "5.5", "at", "4", "p.m.", "today",
    ]  # fmt: skip


def test_a_number_before_a_lowercase_word_does_not_end_a_sentence() -> None:
    # Given "4." followed by a lowercase word (punkt's orthographic heuristic says: no new sentence)
    tokens = tokenize("I bought size 4. the medium was big")
    # Then the period stays on the number
    assert tokens == ["i", "bought", "size", "4.", "the", "medium", "was", "big"]


def test_initials_keep_their_period_but_the_last_one_ends_the_text() -> None:
    assert tokenize("j. crew sweater. a. b. c.") == [
        "j.",
        "crew",
        "sweater",
        ".",
        "a.",
        "b.",
        "c",
        ".",
    ]


def test_only_a_sentence_final_period_is_split_from_its_word() -> None:
    assert tokenize("one.two three.") == ["one.two", "three", "."]
    assert tokenize("e.g. this. i.e. that") == ["e.g", ".", "this", ".", "i.e", ".", "that"]


def test_multiple_sentences_with_exclamations_and_questions() -> None:
    assert tokenize("Love it!!! Would I buy again? Yes!") == [
        "love", "it", "!", "!", "!", "would", "i", "buy", "again", "?", "yes", "!",
    ]  # fmt: skip


def test_a_height_with_one_digit_after_the_apostrophe_splits_like_the_course() -> None:
    # Given heights written 5'4 and 5'10" (the double quote is removed first)
    tokens = tokenize("I'm 5'4 and 130 lbs, the 5'10\" model looks taller")
    # Then nltk 3.7 splits 5'4 into three tokens but keeps 5'10 whole (later nltk keeps both)
    assert tokens == [
        "i", "'m", "5", "'", "4", "and", "130", "lbs", "the", "5'10", "model", "looks", "taller",
    ]  # fmt: skip


def test_single_quoted_words_keep_the_opening_quote() -> None:
    assert tokenize("i was like 'wow' and 'amazing'") == [
        "i", "was", "like", "'wow", "'", "and", "'amazing", "'",
    ]  # fmt: skip


def test_two_apostrophes_are_a_quote_token() -> None:
    assert tokenize("''quoted'' text") == ["''", "quoted", "''", "text"]
    assert tokenize("so ''quoted'' text") == ["so", "``", "quoted", "''", "text"]


def test_ellipses_are_one_token() -> None:
    assert tokenize("Nice... but small.. ok") == ["nice", "...", "but", "small", "..", "ok"]


def test_parentheses_are_tokens_and_closing_ones_stay_with_their_sentence() -> None:
    assert tokenize("The top (size S) fits") == ["the", "top", "(", "size", "s", ")", "fits"]
    assert tokenize("wow. (really.) nice") == ["wow", ".", "(", "really", ".", ")", "nice"]


def test_hyphens_stay_in_words_and_double_dashes_split() -> None:
    assert tokenize("A t-shirt, great--really great – fit — ok") == [
        "a", "t-shirt", "great", "--", "really", "great", "–", "fit", "—", "ok",
    ]  # fmt: skip


def test_other_punctuation_and_symbols() -> None:
    assert tokenize("ratio 3:1 is 50% & $20 #love @store; end:") == [
        "ratio", "3:1", "is", "50", "%", "&", "$", "20", "#", "love", "@", "store", ";", "end", ":",
    ]  # fmt: skip


def test_unicode_quotes_are_split_off() -> None:
    assert tokenize("“Nice” and ‘cute’ but it doesn’t fit") == [
        "“", "nice", "”", "and", "‘", "cute", "’", "but", "it", "doesn", "’", "t", "fit",
    ]  # fmt: skip


def test_emoji_stay_attached_to_a_word_they_touch() -> None:
    assert tokenize("love it😍 so much 👗") == ["love", "it😍", "so", "much", "👗"]


def test_non_latin_text_is_lowercased_and_split_on_punctuation() -> None:
    assert tokenize("Привет. Это платье! 日本語のテキスト。") == [
        "привет", ".", "это", "платье", "!", "日本語のテキスト。",
    ]  # fmt: skip


@pytest.mark.parametrize("separator", ["\n", "\t", "\u2028", "\x85", "\xa0", "\r\n"])
def test_any_unicode_whitespace_separates_tokens(separator: str) -> None:
    assert tokenize(f"first{separator}line. Second") == ["first", "line", ".", "second"]


def test_nul_counts_as_whitespace() -> None:
    # NUL joins sentences inside the tokenizer; nltk would keep it inside a token
    assert tokenize("a\x00b") == ["a", "b"]


@pytest.mark.parametrize("text", ["", " ", "   \n\t ", "\u2028\x85", ",", '"', ',"'])
def test_empty_and_whitespace_only_input_gives_no_tokens(text: str) -> None:
    assert tokenize(text) == []


def test_sentences_are_split_by_punkt() -> None:
    assert split_sentences("it is cute.) next one. mr. x came") == [
        "it is cute.)", "next one.", "mr. x came",
    ]  # fmt: skip


def test_a_lone_surrogate_does_not_raise() -> None:
    assert tokenize("bad \ud800 byte.") == ["bad", "\ud800", "byte", "."]


GROWTH = 16  # the big input is GROWTH times the small one
MAX_TIME_RATIO = 64  # linear work: about 16; quadratic: about 256


GIVE_UP_SECONDS = 2.0  # a run this slow, and over 4x the bound, is not noise: no retry


def _best_seconds(
    text: str, *, under: float = 0.0, over: float = float("inf"), tries: int = 7
) -> float:
    """The fastest of up to ``tries`` runs of ``tokenize(text)`` (garbage collection off);
    stops early once a run is under ``under``, or the fastest so far is over both ``over`` and
    :data:`GIVE_UP_SECONDS` (so a quadratic tokenizer fails in seconds, not minutes)."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(tries):
            started = time.perf_counter()
            tokenize(text)
            best = min(best, time.perf_counter() - started)
            if best < under or best > max(over, GIVE_UP_SECONDS):
                break
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize(
    ("make", "tokens", "n"),
    [
        (lambda n: "a." + " " * n + "b", lambda n: ["a.", "b"], 2_000),
        (lambda n: "x." + ")" * n + " y", lambda n: ["x", ".", *[")"] * n, "y"], 2_000),
        (lambda n: "a.\t" * n, lambda n: ["a."] * (n - 1) + ["a", "."], 700),
        (lambda n: "wow! " * n, lambda n: ["wow", "!"] * n, 400),
    ],
    ids=["spaces", "closers", "tabs", "sentences"],
)
def test_long_pathological_input_takes_linear_time(
    make: Callable[[int], str], tokens: Callable[[int], list[str]], n: int
) -> None:
    # A timed test, but only relative, and within one test: the same adversarial input at n and
    # at 16n, each the best of a few runs (a noisy neighbour only ever slows a run down). Linear
    # work makes the ratio about 16, quadratic backtracking or rescanning about 256; the bound,
    # 64, leaves room for a loaded machine without letting quadratic work pass. The sizes are
    # small so that a quadratic tokenizer fails in seconds rather than hangs.
    # Given the input at n (tokenized right) and at 16n
    small, big = make(n), make(GROWTH * n)
    assert tokenize(small) == tokens(n)
    # When each is timed
    small_seconds = _best_seconds(small)
    big_seconds = _best_seconds(
        big, under=small_seconds * GROWTH * 2, over=small_seconds * MAX_TIME_RATIO * 4
    )
    # Then 16 times the input takes well under 16**2 times as long
    ratio = big_seconds / small_seconds
    assert ratio < MAX_TIME_RATIO, f"{GROWTH}x the input took {ratio:.0f}x as long"


_PIECES = [*"ab iI5.?!'\"`,:;()[]{}<>-*&$%#@…–—“”‘’«»„\n\t\u2028\x85\x00ıſℂ😍"]
_PIECES += ["mr", "u.s", "n't", "'s", "''", "--", "...", "can", "not", "gim", "me", "'t", "is"]
_PUNCTUATION_HEAVY = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


def _assert_well_formed(tokens: list[str]) -> None:
    assert isinstance(tokens, list)
    for token in tokens:
        assert isinstance(token, str)
        assert token
        assert token.split() == [token]  # no whitespace inside
        assert "," not in token
        assert '"' not in token


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_non_empty_tokens_without_whitespace(text: str) -> None:
    _assert_well_formed(tokenize(text))


@settings(max_examples=300, deadline=None)
@given(_PUNCTUATION_HEAVY)
def test_punctuation_heavy_text_gives_non_empty_tokens_without_whitespace(text: str) -> None:
    _assert_well_formed(tokenize(text))
