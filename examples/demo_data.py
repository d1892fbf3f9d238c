"""Deterministic, review-like demo data for the example flow.

Used when the flow is given no data files, so a new user gets a working demo
without the real review dataset. Reviews mix clothing small talk with positive
and negative phrases; some reviews are mixed and some labels are flipped, so a
good model lands well below a perfect AUC (about 0.85-0.95), like real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POSITIVE = [
    "love it",
    "love this",
    "very high quality",
    "great value",
    "fits perfectly",
    "so comfortable",
    "beautiful color",
    "flattering cut",
    "soft fabric",
    "gorgeous",
    "highly recommend",
    "perfect for summer",
    "true to size",
    "wonderful quality",
    "looks amazing",
    "great purchase",
    "compliments every time",
    "lovely drape",
    "excellent fit",
    "cute and comfortable",
    "well made",
    "bought it in two colors",
    "runs true",
    "super flattering",
    "stunning dress",
    "favorite top",
    "elegant",
    "perfect length",
    "nice and warm",
    "happy with it",
]
NEGATIVE = [
    "poor fit",
    "baggy in places",
    "poor quality",
    "returned it",
    "cheap fabric",
    "too small",
    "way too big",
    "very disappointed",
    "unflattering",
    "itchy",
    "fell apart",
    "terrible",
    "see through",
    "awkward fit",
    "the seams ripped",
    "not worth the price",
    "looked awful",
    "shapeless",
    "boxy and strange",
    "color faded",
    "scratchy material",
    "runs very small",
    "huge in the chest",
    "wrinkles badly",
    "horrible",
    "sending it back",
    "odd proportions",
    "the zipper broke",
    "frumpy",
    "disappointing",
]
GARMENTS = [
    "dress",
    "top",
    "sweater",
    "skirt",
    "blouse",
    "jacket",
    "jeans",
    "cardigan",
    "tunic",
    "coat",
    "shirt",
    "pants",
    "shorts",
    "jumpsuit",
    "romper",
    "vest",
    "pullover",
    "tee",
    "camisole",
    "leggings",
]
DETAILS = [
    "fabric",
    "material",
    "color",
    "pattern",
    "length",
    "waist",
    "sleeves",
    "neckline",
    "buttons",
    "lining",
    "hem",
    "pockets",
    "stitching",
    "print",
    "shoulders",
    "straps",
    "collar",
    "cotton",
    "linen",
    "silk",
    "wool",
    "lace",
]
COLORS = [
    "black",
    "white",
    "navy",
    "red",
    "green",
    "blue",
    "grey",
    "beige",
    "pink",
    "yellow",
    "olive",
    "cream",
    "burgundy",
    "coral",
    "mustard",
    "teal",
]
OCCASIONS = [
    "work",
    "weekend",
    "wedding",
    "vacation",
    "office",
    "party",
    "travel",
    "dinner",
    "brunch",
    "holiday",
    "beach",
    "church",
    "date night",
    "errands",
]
NEUTRAL_TEMPLATES = [
    "I ordered the {color} {garment} in my usual size.",
    "I bought this {garment} for {occasion}.",
    "The {detail} is {color} and the {detail2} is as pictured.",
    "I am five foot four and ordered a medium {garment}.",
    "Wore the {garment} to {occasion} last week.",
    "The {garment} arrived quickly and the {detail} looks like the photo.",
    "My sister has the same {garment} in {color}.",
    "The {detail} on this {garment} is typical for the brand.",
    "Paired it with {color} shoes for {occasion}.",
    "Saw it in the store and tried on the {color} one.",
]


def _sentence(rng: np.random.Generator) -> str:
    template = NEUTRAL_TEMPLATES[rng.integers(len(NEUTRAL_TEMPLATES))]
    return template.format(
        color=COLORS[rng.integers(len(COLORS))],
        garment=GARMENTS[rng.integers(len(GARMENTS))],
        detail=DETAILS[rng.integers(len(DETAILS))],
        detail2=DETAILS[rng.integers(len(DETAILS))],
        occasion=OCCASIONS[rng.integers(len(OCCASIONS))],
    )


def make_reviews(
    n: int,
    *,
    seed: int = 0,
    positive_rate: float = 0.77,
    mixed_rate: float = 0.35,
    label_noise: float = 0.06,
) -> pd.DataFrame:
    """Return ``n`` reviews with columns ``review`` (str) and ``labels`` (int 0/1).

    ``mixed_rate`` is the share of reviews that also carry a phrase of the
    opposite sentiment; ``label_noise`` is the share of labels flipped after
    the text is written. Same arguments, same frame.
    """
    rng = np.random.default_rng(seed)
    sentiment = rng.random(n) < positive_rate
    reviews = []
    for positive in sentiment:
        own, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
        phrases = list(rng.choice(own, size=rng.integers(1, 3), replace=False))
        if rng.random() < mixed_rate:
            phrases.append(str(rng.choice(other)))
        parts = [_sentence(rng) for _ in range(rng.integers(1, 4))]
        parts += [p.capitalize() + "." for p in phrases]
        rng.shuffle(parts)
        reviews.append(" ".join(parts))
    labels = np.where(rng.random(n) < label_noise, ~sentiment, sentiment).astype(int)
    return pd.DataFrame({"labels": labels, "review": reviews})


def demo_frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's training and validation frames (4,000 and 1,000 reviews)."""
    return make_reviews(4000, seed=seed), make_reviews(1000, seed=seed + 1)
