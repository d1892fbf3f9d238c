"""A categorical column for the example's slices, derived from the review text: which
kind of garment the review is about (the reviews come with no category column)."""

import re

KINDS = {
    "dress": ("dress", "dresses", "gown"),
    "top": ("top", "tops", "shirt", "blouse", "sweater", "tee", "tank", "cardigan", "jacket", "coat"),
    "bottom": ("jeans", "pants", "skirt", "shorts", "leggings", "trousers"),
}
WORDS = {word: kind for kind, words in KINDS.items() for word in words}
PATTERN = re.compile(r"\b(" + "|".join(sorted(WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def garment_of(texts) -> list[str]:
    """The kind of the first garment each text names: dress, top or bottom; other when none."""
    kinds = []
    for text in texts:
        found = PATTERN.search(str(text))
        kinds.append(WORDS[found.group(1).lower()] if found else "other")
    return kinds
