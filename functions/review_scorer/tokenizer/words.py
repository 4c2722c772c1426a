"""Step 3 of the tokenizer: nltk 3.7's ``NLTKWordTokenizer`` over all sentences at once.

See :mod:`review_scorer.tokenizer` for the recipe this reproduces and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Final, TypeAlias

SENTENCE_SEPARATOR: Final = "\x00"  # joins sentences, so normalized text never contains it
_SEP: Final = SENTENCE_SEPARATOR

# --- Step 3: NLTKWordTokenizer over all sentences at once ---------------------------------------
#
# nltk's rules in nltk's order, as steps from text to text, written for speed: padding a fixed
# string with spaces is a ``str.replace``; most regexes start with their literal and look around
# it rather than consume the characters next to it (the same matches, found faster); a regex runs
# only on text that contains one of its triggers, when it has some. Replacements may differ from
# nltk's in spaces only. The ``(?i)`` rules see lowercased text, where the only other forms of
# ASCII letters are ``ı`` (i) and ``ſ`` (s), hence the triggers of those rules.

_Step: TypeAlias = Callable[[str], str]


def _when(triggers: tuple[str, ...] | re.Pattern[str], *steps: _Step) -> _Step:
    """``steps`` in turn, skipped on text that contains none of ``triggers`` (or no match)."""
    if isinstance(triggers, re.Pattern):
        search = triggers.search

        def steps_if_found(text: str) -> str:
            if search(text):
                for step in steps:
                    text = step(text)
            return text

        return steps_if_found

    def steps_if_contained(text: str) -> str:
        for trigger in triggers:
            if trigger in text:
                for step in steps:
                    text = step(text)
                break
        return text

    return steps_if_contained


def _sub(pattern: str, replacement: str | Callable[[re.Match[str]], str], *triggers: str) -> _Step:
    substitute = partial(re.compile(pattern).sub, replacement)
    return _when(triggers, substitute) if triggers else substitute


def _pad(*strings: str) -> _Step:
    pairs = [(string[0], string, f" {string} ") for string in strings]

    def pad(text: str) -> str:
        for first, string, padded in pairs:
            if first in text and string in text:
                text = text.replace(string, padded)
        return text

    return pad


def _padded(match: re.Match[str]) -> str:
    return f" {match[0]} "


def _split_final_period(match: re.Match[str]) -> str:
    return f" . {match[1]} "


_END = rf"(?={_SEP}|\Z)"  # the end of a sentence: nltk's "$"
_ON_SENTENCES: Final = (  # nltk's starting quotes, punctuation, brackets and dashes
    _sub(r"([«“‘„]|[`]+)", r" \1 ", "«", "“", "‘", "„", "`"),
    _pad("``"),  # (nltk's rule for a leading " is gone with the double quotes)
    _sub(r"""([ (\[{<])("|'{2})""", r"\1 `` ", "''"),
    _sub(r"(?i)'(?!re|ve|ll|m|t|s|d|n)(?=\w\b)", "' ", "'"),  # (')(?!re|...)(\w)\b -> \1 \2
    # ([^\.])(\.)([\]\)}>"\'»”’ ]*)\s*$ -> \1 \2 \3; possessive, as in later nltk: trying to split
    # a long run of spaces between the group and \s* took quadratic time, and never matched
    _sub(rf"""\.(?<=[^.{_SEP}]\.)([\]\)}}>"'»”’ ]*+)\s*{_END}""", _split_final_period),
    _when(
        (":", ","),
        _sub(r"([:,])([^\d])", r" \1 \2"),
        _sub(rf"([:,]){_END}", r" \1 "),
    ),
    _sub(r"\.\.+", _padded),  # \.{2,}
    _pad(";", "@", "#", "$", "%", "&", "?", "!"),
    _sub(rf"'(?<=[^'{_SEP}]') ", " ' ", "'"),  # ([^'])' -> \1 '
    _pad("*", "]", "[", "(", ")", "{", "}", "<", ">", "--"),
)
_ON_PADDED_TEXT: Final = (  # nltk's ending quotes (the rule for " is gone) and contractions
    _pad("»", "”", "’", "''"),
    _sub(r"'(?<=[^' ]')(?=[sSmMdD]? )", " '", "'"),  # ([^' ])('[sS]|'[mM]|'[dD]|') -> \1 \2
    # ([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) -> \1 \2 is a single pass: a space put before n't
    # must not let a clitic right before it match, so NUL marks the place until the clitics are done
    _sub(r"n't (?<=[^' ]n't )", f"{_SEP}n't ", "'"),
    _sub(r"N'T (?<=[^' ]N'T )", f"{_SEP}N'T ", "N"),
    _sub(r"'(?=(?:ll|LL|re|RE|ve|VE) )(?<=[^' ]')", " '", "'"),
    _sub(_SEP, " ", _SEP),
    # Robert MacIntyre's contractions: rare, so each group runs only on text with a string that
    # all its words contain. The groups may run in any order: no rule makes or splits a word that
    # another rule matches.
    _when(
        ("nn",),
        _sub(r"(?i)\b(can)(?#X)(not)\b", r" \1 \2 ", "cannot"),
        _sub(r"(?i)\b(gon)(?#X)(na)\b", r" \1 \2 ", "gonna"),
        _sub(r"(?i)\b(wan)(?#X)(na)(?=\s)", r" \1 \2 ", "wanna"),
    ),
    _when(
        ("mme",),
        _sub(r"(?i)\b(gim)(?#X)(me)\b", r" \1 \2 ", "gimme", "gımme"),
        _sub(r"(?i)\b(lem)(?#X)(me)\b", r" \1 \2 ", "lemme"),
    ),
    _sub(r"(?i)\b(got)(?#X)(ta)\b", r" \1 \2 ", "gotta"),
    _when(
        re.compile(r"'(?:ye|n|(?<= ')t)"),
        _sub(r"(?i)\b(d)(?#X)('ye)\b", r" \1 \2 ", "d'ye"),
        _sub(r"(?i)\b(more)(?#X)('n)\b", r" \1 \2 ", "more'n"),
        _sub(r"(?i) ('t)(?#X)(is)\b", r" \1 \2 ", " 't"),
        _sub(r"(?i) ('t)(?#X)(was)\b", r" \1 \2 ", " 'twa"),
    ),
)


def _apply(steps: tuple[_Step, ...], text: str) -> str:
    for step in steps:
        text = step(text)
    return text


def word_tokenize_sentences(sentences: list[str]) -> list[str]:
    """nltk's ``NLTKWordTokenizer().tokenize`` of each sentence, concatenated."""
    text = _apply(_ON_SENTENCES, _SEP.join(sentences))
    text = " " + text.replace(_SEP, " ") + " "  # nltk pads each sentence with a space
    return _apply(_ON_PADDED_TEXT, text).split()
