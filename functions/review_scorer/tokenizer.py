"""INTERIM tokenizer: replaced by the nltk-parity implementation (see issue 3).

Interface that stays: ``tokenize(text) -> list[str]`` and ``TOKENIZER_VERSION``.
"""

from __future__ import annotations

import re

TOKENIZER_VERSION = "0-interim"

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.replace(",", "").replace('"', "").lower())
