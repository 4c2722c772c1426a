"""The review tokenizer: nltk's ``word_tokenize`` recipe of the course, without nltk.

Every expected token list below is what nltk 3.7 (the course's version) with its English punkt
data gives for ``nltk.word_tokenize(text.replace(",", "").replace('"', "").lower())``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_scorer.tokenizer import TOKENIZER_VERSION, normalize, split_sentences, tokenize


def test_version_names_the_recipe() -> None:
    assert isinstance(TOKENIZER_VERSION, str)
    assert TOKENIZER_VERSION.startswith("nltk-punkt-treebank-")


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


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("a." + " " * 100_000 + "b", ["a.", "b"]),
        ("x." + ")" * 100_000 + " y", ["x", ".", *[")"] * 100_000, "y"]),
        ("a.\t" * 30_000, ["a."] * 29_999 + ["a", "."]),
        ("wow! " * 30_000, ["wow", "!"] * 30_000),
    ],
    ids=["spaces", "closers", "tabs", "sentences"],
)
def test_long_pathological_input_takes_linear_time(text: str, tokens: list[str]) -> None:
    # (quadratic regex backtracking or rescanning would make this test hang)
    assert tokenize(text) == tokens


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
