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

from typing import Final

from review_scorer.tokenizer.sentences import split_sentences
from review_scorer.tokenizer.words import SENTENCE_SEPARATOR, word_tokenize_sentences

__all__ = [
    "TOKENIZER_VERSION",
    "normalize",
    "split_sentences",
    "tokenize",
    "word_tokenize_sentences",
]

TOKENIZER_VERSION: Final = "nltk-punkt-treebank-1"


def normalize(text: str) -> str:
    """The course's preprocessing: drop commas and double quotes, lowercase."""
    return text.replace(",", "").replace('"', "").lower().replace(SENTENCE_SEPARATOR, " ")


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` exactly as the course's ``nltk.word_tokenize`` recipe cut them."""
    return word_tokenize_sentences(split_sentences(normalize(text)))
