"""A labeled corpus of clothing reviews that this project writes itself.

The demo model is trained on it in seconds: no third-party data in the repository, nothing to
download. The texts are assembled from phrase banks per sentiment, seeded, so the corpus (and the
model trained on it with one thread) is the same on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

ITEMS = (
    "dress",
    "top",
    "sweater",
    "jeans",
    "skirt",
    "blouse",
    "jacket",
    "cardigan",
    "pants",
    "coat",
    "shirt",
    "leggings",
    "jumpsuit",
    "tunic",
)

PHRASES: dict[str, tuple[str, ...]] = {
    "1": (
        "i love this {item}",
        "it fits perfectly",
        "the fabric is soft and beautiful",
        "great quality for the price",
        "so comfortable i wear it all day",
        "highly recommend it",
        "gorgeous color in person",
        "i get compliments every time i wear it",
        "very flattering cut",
        "true to size and well made",
        "i will buy it in another color",
        "absolutely perfect",
        "my new favorite {item}",
        "lovely details and great drape",
        "worth every penny",
        "it looks even better than the photo",
    ),
    "0": (
        "it is okay",
        "the fit is fine but nothing special",
        "average quality",
        "it runs a little large so i would size down",
        "the color is nice but the fabric is thin",
        "decent for the price i guess",
        "not bad but not great either",
        "i might keep it",
        "it is alright for lounging",
        "mixed feelings about this {item}",
        "some things i like and some i do not",
        "the length is a bit odd on me",
        "it is fine for a sale item",
        "neither impressed nor disappointed",
        "it will do until i find something better",
        "just an ordinary {item}",
    ),
    "-1": (
        "very disappointed",
        "the fabric feels cheap",
        "it ripped after one wash",
        "terrible fit",
        "i returned it right away",
        "poor quality",
        "way too small and unflattering",
        "the seams came apart",
        "do not buy this {item}",
        "it looks nothing like the photo",
        "a waste of money",
        "itchy and uncomfortable",
        "the color faded immediately",
        "the worst {item} i have ordered",
        "it arrived with a stain and a hole",
        "cheaply made and see through",
    ),
}

LABELS = tuple(PHRASES)


def review(label: str, rng: random.Random) -> str:
    """One review of 2-4 phrases of the given sentiment, with varied punctuation and case."""
    item = rng.choice(ITEMS)
    phrases = [p.format(item=item) for p in rng.sample(PHRASES[label], rng.randint(2, 4))]
    text = rng.choice((". ", ", ", "! ", " and ")).join(phrases)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return text + rng.choice((".", "!", "", "..."))


def corpus(rows_per_label: int = 1000, seed: int = 7) -> Iterator[tuple[str, str]]:
    """``(label, text)`` pairs, labels interleaved (fastText wants shuffled input)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    for _ in range(rows_per_label):
        for label in rng.sample(LABELS, len(LABELS)):
            yield label, review(label, rng)
