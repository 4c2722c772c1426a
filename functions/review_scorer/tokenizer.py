"""Review tokenizer: a standard-library port of the course's nltk recipe.

The models this project trains and scores were built, like the AWS course they follow, from::

    nltk.word_tokenize(text.replace(",", "").replace('"', "").lower())

with nltk 3.6.7/3.7 and its English punkt data. A model only sees the tokens, so scoring must cut
text exactly as training did, and it must do so inside a Lambda: no nltk (a large install whose
punkt data is a download), no third-party imports, a fast import and a fast run. This module
reproduces that recipe with ``re`` alone:

1. :func:`normalize` is the course's preprocessing (NUL, which the next steps use as a sentence
   separator, becomes a space; nothing else changes).
2. :func:`split_sentences` is punkt's English sentence splitter (``PunktSentenceTokenizer`` of
   nltk 3.7: candidate contexts, first and second annotation pass, boundary realignment). On
   lowercased text the English model reduces exactly to its abbreviation list plus four word
   types: the orthographic heuristic can only say "not a sentence start" or "unknown", because
   no lowercased token starts with a cased capital that punkt knows, and the collocations and
   sentence starters never change a decision (see :func:`_breaks_after`).
3. :func:`word_tokenize_sentences` is nltk's ``NLTKWordTokenizer`` (the improved Treebank
   tokenizer) with the regexes of nltk 3.7, run once over all sentences joined by NUL instead of
   once per sentence: the rules anchored at a sentence's end treat NUL as that end, and NUL
   becomes a space before the rules that rely on the padding spaces around each sentence.

Newer nltk releases cut some inputs differently (``5'2`` stays one token, ``x. .`` splits into
two sentences); the course's output is the reference, and ``bench/tokenizer_bench.py`` measures
parity with it. Bump :data:`TOKENIZER_VERSION` whenever any output changes: models record it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, TypeAlias

__all__ = ["TOKENIZER_VERSION", "normalize", "split_sentences", "tokenize",
           "word_tokenize_sentences"]

TOKENIZER_VERSION: Final = "nltk-punkt-treebank-1"

_SEP: Final = "\x00"  # joins sentences for the word tokenizer; never left in normalized text

# --- punkt: the English model (nltk's punkt data), as far as lowercased text can use it --------

_ABBREVIATIONS: Final = frozenset((
    ". . ", "a.a", "a.c", "a.d", "a.g", "a.h", "a.m", "a.m.e", "a.s", "a.t", "adm", "ala", "ariz",
    "aug", "ave", "b.f", "b.v", "bros", "c", "c.i.t", "c.o.m.b", "c.v", "calif", "chg", "cie",
    "co", "col", "colo", "conn", "corp", "cos", "ct", "d", "d.c", "d.h", "d.w", "dec", "dr", "e",
    "e.f", "e.h", "e.l", "e.m", "f", "f.g", "f.j", "feb", "fla", "fri", "ft", "g", "g.d", "g.f",
    "g.k", "ga", "gen", "h", "h.c", "h.f", "h.m", "i.m.s", "ill", "inc", "j.b", "j.c", "j.j",
    "j.k", "j.p", "j.r", "jan", "jr", "k", "kan", "ky", "l", "l.a", "l.f", "l.p", "lt", "ltd", "m",
    "m.b.a", "m.d.c", "m.j", "maj", "messrs", "mg", "mich", "minn", "mr", "mrs", "ms", "n", "n.c",
    "n.d", "n.h", "n.j", "n.m", "n.v", "n.y", "nev", "nov", "oct", "ok", "okla", "ore", "p",
    "p.a.m", "p.m", "pa", "ph.d", "prof", "r", "r.a", "r.h", "r.i", "r.j", "r.k", "r.t", "rep",
    "reps", "s", "s.a", "s.a.y", "s.c", "s.g", "s.p.a", "s.s", "sen", "sep", "sept", "sr", "st",
    "sw", "t", "t.j", "tenn", "tues", "u.k", "u.n", "u.s", "u.s.a", "u.s.s.r", "v", "va", "vs",
    "vt", "w", "w.c", "w.r", "w.va", "w.w", "wash", "wed", "wis", "yr",
))
# The only types whose orthographic context (seen lowercase at a sentence start, never
# capitalized) leaves "is a lowercase word a sentence start?" undecided; for every other
# lowercase word punkt answers "no".
_UNDECIDED_WHEN_LOWERCASE: Final = frozenset(("administrators", "b-week", "r-revised",
                                              "z-holiday"))
_SENT_END_CHARS: Final = (".", "?", "!")
_ORTHO_PUNCTUATION: Final = (";", ":", ",", ".", "!", "?")
_NUMBER_TYPE: Final = "##number##"

_NON_WORD = r"""(?:[)";}\]*:@'({\[?!])"""
_MULTI_CHAR = r"(?:-{2,}|\.{2,}|(?:\.\s){2,}\.)"
_PUNKT_WORD: Final = re.compile(
    rf"""{_MULTI_CHAR}
    | (?=[^(\"`{{\[:;&\#*@)}}\]\-,])\S+?
      (?=\s|$|{_NON_WORD}|{_MULTI_CHAR}|,(?=$|\s|{_NON_WORD}|{_MULTI_CHAR}))
    | \S""",
    re.VERBOSE,
)
_PERIOD_CONTEXT: Final = re.compile(rf"[.?!](?=(?P<after_tok>{_NON_WORD}|\s+(?P<next_tok>\S+)))")
_WORD_BEFORE_REVERSED: Final = re.compile(r"\s*(\S*)\s*")  # matched on the reversed text
_REALIGNMENT: Final = re.compile(r"""["')\]}]+?(?:\s+|(?=--)|$)""", re.MULTILINE)
_NUMERIC: Final = re.compile(r"^-?[.,]?\d[\d,.-]*\.?$")
_INITIAL: Final = re.compile(r"[^\W\d]\.$")


def normalize(text: str) -> str:
    """The course's preprocessing: drop commas and double quotes, lowercase."""
    return text.replace(",", "").replace('"', "").lower().replace(_SEP, " ")


def _type(token: str, sentence_break: bool = False) -> str:
    """Punkt's word type: lowercase, numbers as ##number##, a sentence-final period dropped."""
    typ = _NUMBER_TYPE if _NUMERIC.match(token) else token.lower()
    return typ[:-1] if sentence_break and len(typ) > 1 and typ[-1] == "." else typ


def _first_pass_break(token: str) -> bool:
    """Punkt's type-based pass: is ``token`` a sentence break before looking at its neighbour?"""
    if token in _SENT_END_CHARS:
        return True
    if not token.endswith(".") or token.endswith(".."):  # ellipses too
        return False
    stem = token[:-1].lower()
    return stem not in _ABBREVIATIONS and stem.split("-")[-1] not in _ABBREVIATIONS


def _breaks_after(token: str, following: str) -> bool:
    """Punkt's decision for ``token`` (both passes), given the token after it.

    The second pass can only take a break back after an initial (``j.``) or a number (``5.``),
    when the orthographic heuristic says the next word does not start a sentence: that is the
    case for punctuation and for a lowercase word outside :data:`_UNDECIDED_WHEN_LOWERCASE`, and
    (for an initial) for a token starting with a capital, which in lowercased text is a letter
    unknown to the model. In lowercased text the heuristic never says "starts a sentence" and no
    next word is capitalized, so an abbreviation or ellipsis never becomes a break, and the
    collocations (an initial or number before a lowercase word) would only repeat the answer.
    """
    is_break = _first_pass_break(token)
    if not token.endswith(".") or not (
        _INITIAL.match(token) or _type(token, sentence_break=True) == _NUMBER_TYPE
    ):
        return is_break
    if following in _ORTHO_PUNCTUATION:
        return False
    if following[0].islower():
        return _type(following, _first_pass_break(following)) in _UNDECIDED_WHEN_LOWERCASE and (
            is_break
        )
    if following[0].isupper() and _INITIAL.match(token):
        return False
    return is_break


def _context_has_break(context: str) -> bool:
    """Punkt's ``text_contains_sentbreak``: a break followed by another token in ``context``."""
    tokens = _PUNKT_WORD.findall(context)
    return any(_breaks_after(tok, nxt) for tok, nxt in zip(tokens, tokens[1:], strict=False))


def _candidate_breaks(text: str) -> Iterator[re.Match[str]]:
    """Punkt's ``_match_potential_end_contexts`` filtered to the ones that break a sentence."""
    reversed_text = text[::-1]
    kept: list[tuple[re.Match[str], str]] = []
    before_start = len(text) + 1
    for match in reversed(list(_PERIOD_CONTEXT.finditer(text))):
        if kept and match.end() > before_start:
            continue
        # The whitespace-delimited word before the candidate (``rsplit(maxsplit=1)[-1]``).
        word = _WORD_BEFORE_REVERSED.match(reversed_text, len(text) - match.start())
        assert word is not None  # the pattern matches the empty string
        before_start = 0 if word.end() == len(text) else len(text) - word.end()
        kept.append((match, word.group(1)[::-1]))
    for match, before in reversed(kept):
        char = match.group()
        if char != "." or (
            len(before) > 1 and before.isascii() and before.isalpha()
            and before not in _ABBREVIATIONS
        ):
            yield match  # "?", "!" and "word." always break; no need to tokenize the context
        elif _context_has_break(before + char + match.group("after_tok")):
            yield match


def _realign(text: str, spans: list[tuple[int, int]]) -> Iterator[str]:
    """Punkt's ``_realign_boundaries``: closing quotes/brackets after a break join its sentence."""
    realign = 0
    for (start, stop), nxt in zip(spans, [*spans[1:], None], strict=True):
        start += realign
        if nxt is None:
            if text[start:stop]:
                yield text[start:stop]
            continue
        m = _REALIGNMENT.match(text, nxt[0], nxt[1])
        if m:
            yield text[start : nxt[0] + len(m.group().rstrip())]
            realign = m.end() - nxt[0]
        else:
            realign = 0
            if text[start:stop]:
                yield text[start:stop]


def split_sentences(text: str) -> list[str]:
    """Punkt's English sentence split (nltk 3.7) of normalized text."""
    spans: list[tuple[int, int]] = []
    last_break = 0
    for match in _candidate_breaks(text):
        spans.append((last_break, match.end()))
        last_break = match.start("next_tok") if match.group("next_tok") else match.end()
    spans.append((last_break, len(text.rstrip())))
    return list(_realign(text, spans))


# --- NLTKWordTokenizer (nltk 3.7) over NUL-joined sentences -------------------------------------

_Rule: TypeAlias = tuple[re.Pattern[str], str]


def _rules(*pairs: tuple[str, str]) -> tuple[_Rule, ...]:
    return tuple((re.compile(pattern), replacement) for pattern, replacement in pairs)


_SENTENCE_END = rf"\s*(?={_SEP}|\Z)"  # nltk: ``\s*$`` on each sentence
_BEFORE_PADDING: Final = _rules(
    # starting quotes (nltk's ``^"`` rule is gone: double quotes are removed beforehand)
    (r"([«“‘„]|[`]+)", r" \1 "),
    (r"(``)", r" \1 "),
    (r"""([ (\[{<])("|'{2})""", r"\1 `` "),
    (r"(?i)(')(?!re|ve|ll|m|t|s|d|n)(\w)\b", r"\1 \2"),
    # punctuation
    (rf"""([^.{_SEP}])(\.)([\]\)}}>"'»”’ ]*){_SENTENCE_END}""", r"\1 \2 \3 "),
    (r"([:,])([^\d])", r" \1 \2"),
    (rf"([:,]){_SENTENCE_END}", r" \1 "),
    (r"\.{2,}", r" \g<0> "),
    (r"[;@#$%&]", r" \g<0> "),
    (rf"""([^.{_SEP}])(\.)([\]\)}}>"']*){_SENTENCE_END}""", r"\1 \2\3 "),
    (r"[?!]", r" \g<0> "),
    (rf"([^'{_SEP}])' ", r"\1 ' "),
    (r"[*]", r" \g<0> "),
    # brackets and double dashes
    (r"[\]\[(){}<>]", r" \g<0> "),
    (r"--", r" -- "),
)
_AFTER_PADDING: Final = _rules(
    # ending quotes and clitics
    (r"([»”’])", r" \1 "),
    (r"''", " '' "),
    (r'"', " '' "),
    (r"([^' ])('[sS]|'[mM]|'[dD]|') ", r"\1 \2 "),
    (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", r"\1 \2 "),
    # MacIntyre's contractions
    (r"(?i)\b(can)(?#X)(not)\b", r" \1 \2 "),
    (r"(?i)\b(d)(?#X)('ye)\b", r" \1 \2 "),
    (r"(?i)\b(gim)(?#X)(me)\b", r" \1 \2 "),
    (r"(?i)\b(gon)(?#X)(na)\b", r" \1 \2 "),
    (r"(?i)\b(got)(?#X)(ta)\b", r" \1 \2 "),
    (r"(?i)\b(lem)(?#X)(me)\b", r" \1 \2 "),
    (r"(?i)\b(more)(?#X)('n)\b", r" \1 \2 "),
    (r"(?i)\b(wan)(?#X)(na)(?=\s)", r" \1 \2 "),
    (r"(?i) ('t)(?#X)(is)\b", r" \1 \2 "),
    (r"(?i) ('t)(?#X)(was)\b", r" \1 \2 "),
)


def _apply(rules: tuple[_Rule, ...], text: str) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def word_tokenize_sentences(sentences: list[str]) -> list[str]:
    """nltk's ``NLTKWordTokenizer.tokenize`` on each sentence, concatenated."""
    text = _apply(_BEFORE_PADDING, _SEP.join(sentences))
    text = " " + text.replace(_SEP, " ") + " "
    return _apply(_AFTER_PADDING, text).split()


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` exactly as the course's ``nltk.word_tokenize`` recipe produced them."""
    return word_tokenize_sentences(split_sentences(normalize(text)))
