"""Step 2 of the tokenizer: punkt's English sentence splitter, as nltk 3.7 cut sentences.

See :mod:`review_scorer.tokenizer` for the recipe this reproduces and why.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Final

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
