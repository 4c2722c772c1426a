"""Review tokenizer: a standard-library port of the course's nltk recipe.

The models this project trains and scores were built, like the AWS course they follow, from::

    nltk.word_tokenize(text.replace(",", "").replace('"', "").lower())

with nltk 3.6.7/3.7 and its English punkt data. A model only knows the tokens it was trained on,
so scoring must cut text exactly as training did, and it must do so inside a Lambda: no nltk (a
large install whose punkt data is a separate download), no third-party imports, a fast import
and a fast run. This module reproduces the recipe with ``re`` alone, as three steps:

1. :func:`normalize`: the course's preprocessing (plus NUL, the sentence separator of step 3,
   becoming a space).
2. :func:`split_sentences`: punkt's English sentence splitter (``PunktSentenceTokenizer`` of
   nltk 3.7: candidate contexts, both annotation passes, boundary realignment). On lowercased
   text the English model reduces exactly to its abbreviation list and four word types; see
   :func:`_breaks_after`.
3. :func:`word_tokenize_sentences`: nltk's ``NLTKWordTokenizer`` (the improved Treebank
   tokenizer) with nltk 3.7's regexes, run once over all sentences joined by NUL instead of once
   per sentence: the rules anchored at a sentence's end treat NUL as that end, and NUL becomes a
   space where nltk pads each sentence with spaces.

Later nltk releases cut some inputs differently (``5'2`` stays one token, ``x. . y`` becomes two
sentences). The course's output is the reference; ``bench/tokenizer_bench.py`` measures parity
with it and speed. The only known difference from nltk 3.7 is NUL, which nltk keeps inside a
token. Change :data:`TOKENIZER_VERSION` whenever any output changes: models record it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from typing import Final, TypeAlias

__all__ = [
    "TOKENIZER_VERSION",
    "normalize",
    "split_sentences",
    "tokenize",
    "word_tokenize_sentences",
]

TOKENIZER_VERSION: Final = "nltk-punkt-treebank-1"

_SEP: Final = "\x00"  # joins sentences in step 3, so normalized text never contains it


def normalize(text: str) -> str:
    """The course's preprocessing: drop commas and double quotes, lowercase."""
    return text.replace(",", "").replace('"', "").lower().replace(_SEP, " ")


# --- Step 2: punkt, with the English model of nltk's punkt data --------------------------------

_ABBREVIATION_LIST = """a.a a.c a.d a.g a.h a.m a.m.e a.s a.t adm ala ariz aug ave b.f b.v bros c
    c.i.t c.o.m.b c.v calif chg cie co col colo conn corp cos ct d d.c d.h d.w dec dr e e.f e.h e.l
    e.m f f.g f.j feb fla fri ft g g.d g.f g.k ga gen h h.c h.f h.m i.m.s ill inc j.b j.c j.j j.k
    j.p j.r jan jr k kan ky l l.a l.f l.p lt ltd m m.b.a m.d.c m.j maj messrs mg mich minn mr mrs
    ms n n.c n.d n.h n.j n.m n.v n.y nev nov oct ok okla ore p p.a.m p.m pa ph.d prof r r.a r.h r.i
    r.j r.k r.t rep reps s s.a s.a.y s.c s.g s.p.a s.s sen sep sept sr st sw t t.j tenn tues u.k
    u.n u.s u.s.a u.s.s.r v va vs vt w w.c w.r w.va w.w wash wed wis yr"""
_ABBREVIATIONS: Final = frozenset({". . ", *_ABBREVIATION_LIST.split()})
# The model's orthographic contexts answer "does this lowercase word start a sentence?" with "no"
# for every word except these (seen lowercase at a sentence start and never capitalized), for
# which the answer is "unknown".
_UNDECIDED_WHEN_LOWERCASE: Final = frozenset({"administrators", "b-week", "r-revised", "z-holiday"})
_SENT_END_CHARS: Final = (".", "?", "!")
_ORTHO_PUNCTUATION: Final = (";", ":", ",", ".", "!", "?")
_NUMBER: Final = "##number##"

_NON_WORD = r"""(?:[)";}\]*:@'({\[?!])"""
_MULTI_CHAR = r"(?:-{2,}|\.{2,}|(?:\.\s){2,}\.)"
_PUNKT_WORD: Final = re.compile(
    rf"""{_MULTI_CHAR}
    | (?=[^(\"`{{\[:;&\#*@)}}\]\-,])\S+?
      (?=\s|$|{_NON_WORD}|{_MULTI_CHAR}|,(?=$|\s|{_NON_WORD}|{_MULTI_CHAR}))
    | \S""",
    re.VERBOSE,
)
_AFTER_END = rf"(?=(?P<after_tok>{_NON_WORD}|\s+(?P<next_tok>\S+)))"
_END_CONTEXT: Final = re.compile(rf"[.?!]{_AFTER_END}")  # nltk's period_context_re
_PERIOD_CONTEXT: Final = re.compile(rf"\.{_AFTER_END}")
_REALIGNMENT: Final = re.compile(r"""["')\]}]+?(?:\s+|(?=--)|$)""", re.MULTILINE)
_CLOSERS: Final = ('"', "'", ")", "]", "}")
_USUAL_WORD_LENGTH: Final = 40
_NUMERIC: Final = re.compile(r"^-?[.,]?\d[\d,.-]*\.?$")
_INITIAL: Final = re.compile(r"[^\W\d]\.$")


def _type(token: str, drop_period: bool) -> str:
    """Punkt's word type: lowercase, numbers as ##number##, optionally without a final period."""
    typ = _NUMBER if _NUMERIC.match(token) else token.lower()
    return typ[:-1] if drop_period and len(typ) > 1 and typ[-1] == "." else typ


def _first_pass_break(token: str) -> bool:
    """Punkt's first pass: ``.?!``, and a word ending in a period that is no abbreviation."""
    if token in _SENT_END_CHARS:
        return True
    if not token.endswith(".") or token.endswith(".."):  # ellipses are no breaks
        return False
    stem = token[:-1].lower()
    return stem not in _ABBREVIATIONS and stem.split("-")[-1] not in _ABBREVIATIONS


def _breaks_after(token: str, following: str) -> bool:
    """Punkt's decision (both passes) whether ``token`` ends a sentence, given the next token.

    The second pass takes the break back after an initial (``j.``) or a number (``5.``) when
    the orthographic heuristic says the next token does not start a sentence: punctuation, a
    lowercase word other than :data:`_UNDECIDED_WHEN_LOWERCASE`, and (after an initial) a token
    starting with a capital, which in lowercased text is a letter like ``ℂ`` that the model never
    saw. Lowercased text has no other capitals, so the heuristic never says a token does start a
    sentence: no abbreviation or ellipsis becomes a break, the sentence starters never apply, and
    the collocations (an initial or number before a lowercase word) repeat the heuristic's "no".
    """
    is_break = _first_pass_break(token)
    if not token.endswith(".") or not (
        _INITIAL.match(token) or _type(token, drop_period=True) == _NUMBER
    ):
        return is_break
    if following in _ORTHO_PUNCTUATION:
        return False
    if following[0].islower():
        next_type = _type(following, drop_period=_first_pass_break(following))
        return is_break and next_type in _UNDECIDED_WHEN_LOWERCASE
    if following[0].isupper() and _INITIAL.match(token):
        return False
    return is_break


def _context_has_break(context: str) -> bool:
    """Punkt's ``text_contains_sentbreak``: a break followed by another token in ``context``."""
    tokens = _PUNKT_WORD.findall(context)
    return any(_breaks_after(tok, nxt) for tok, nxt in pairwise(tokens))


def _word_before(text: str, end: int) -> tuple[str, int]:
    """The word before ``text[end]`` and where it starts: nltk's ``text[:end].rsplit(maxsplit=1)``
    (whitespace before ``end`` is skipped)."""
    stop = end
    while stop and text[stop - 1] == " ":
        stop -= 1
    nearby = max(0, stop - _USUAL_WORD_LENGTH)
    start = text.rfind(" ", nearby, stop) + 1
    if start or not nearby:  # a short word after a space, or at the start of the text
        word = text[start:stop]
        if word.isprintable():  # and no other whitespace (the usual case)
            return word, start
    stop = end
    while stop and text[stop - 1].isspace():
        stop -= 1
    start = stop
    while start and not text[start - 1].isspace():
        start -= 1
    return text[start:stop], start


def _ends_sentence(match: re.Match[str], before: str) -> bool:
    """Punkt's ``text_contains_sentbreak`` for a candidate and the word before it."""
    if match[0] != "." or (
        len(before) > 1 and before.isascii() and before.isalpha() and before not in _ABBREVIATIONS
    ):
        return True  # "?", "!" and "word." always end a sentence: no need to tokenize
    return _context_has_break(before + "." + match["after_tok"])


def _realign(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Punkt's ``_realign_boundaries``: closing quotes and brackets stay with their sentence."""
    sentences: list[str] = []
    realign = 0
    for i, (start, stop) in enumerate(spans):
        start, realign = start + realign, 0
        if i + 1 < len(spans):
            following = spans[i + 1][0]
            closing = _REALIGNMENT.match(text, following, spans[i + 1][1])
            if closing:
                sentences.append(text[start : following + len(closing.group().rstrip())])
                realign = closing.end() - following
                continue
        if start < stop:
            sentences.append(text[start:stop])
    return sentences


def split_sentences(text: str) -> list[str]:
    """Punkt's English sentence split (nltk 3.7) of normalized text.

    Like nltk, the candidates (``.?!`` before punctuation or a token) are taken from the last to
    the first, skipping those inside the word before the candidate taken last.
    """
    spans: list[tuple[int, int]] = []  # from the last sentence to the first
    stop = len(text.rstrip())
    word_start = len(text)
    closer_starts_a_sentence = False
    # (a period alone is found faster, so look for ?! only in text that has them)
    context = _END_CONTEXT if "?" in text or "!" in text else _PERIOD_CONTEXT
    for match in reversed(list(context.finditer(text))):
        end = match.end()
        if end > word_start:
            continue
        before, word_start = _word_before(text, end - 1)
        if _ends_sentence(match, before):
            start = match.start("next_tok") if match["next_tok"] else end
            spans.append((start, stop))
            stop = end
            closer_starts_a_sentence = closer_starts_a_sentence or text.startswith(_CLOSERS, start)
    spans.append((0, stop))
    spans.reverse()
    if closer_starts_a_sentence:
        return _realign(text, spans)
    return [text[start:stop] for start, stop in spans if start < stop]


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


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` exactly as the course's ``nltk.word_tokenize`` recipe cut them."""
    return word_tokenize_sentences(split_sentences(normalize(text)))
