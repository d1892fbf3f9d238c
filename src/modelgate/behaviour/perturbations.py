"""Label-preserving text perturbations (typo, case, punctuation, whitespace, a neutral
filler sentence) and the Hypothesis strategies that draw them with real texts.

Strategies (``texts_from``, ``perturbations``, ``perturbed`` ...) draw texts and
perturbations as choices and indices, so Hypothesis shrinks a failure towards the
shortest text and the simplest perturbation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..lazy import LazyModule
from ..names import PERTURBATION_KINDS

if TYPE_CHECKING:
    from hypothesis import strategies as st
else:
    # Hypothesis only searches for and shrinks a counterexample: a gate whose
    # properties hold never imports it.
    st = LazyModule("hypothesis.strategies")


FILLER_SENTENCES: tuple[str, ...] = (
    "I bought it last week.",
    "It arrived on Tuesday.",
    "I ordered it online.",
    "The package came in a box.",
    "I got it for myself.",
)


# Each carries words of the other sentiment in a negated or contrastive frame,
# so a model that only counts sentiment words moves the wrong way.
NEGATIVE_SENTENCES: tuple[str, ...] = (
    "I wanted to love it, but it fell apart and I returned it.",
    "I hoped it would be perfect, but it is cheap and poorly made.",
    "Not great, not comfortable, and not worth the price.",
)


POSITIVE_SENTENCES: tuple[str, ...] = (
    "I was worried it would be too small, but it fits perfectly and I love it.",
    "No complaints at all: great quality and very comfortable.",
    "I was not disappointed in the least, it is beautiful.",
)


OPS: dict[str, tuple[str, ...]] = {
    "whitespace": ("double_space", "trailing_space", "leading_space", "newline", "tab"),
    "punctuation": (
        "strip_final",
        "add_exclamation",
        "period_to_exclamation",
        "drop_commas",
        "add_final_period",
    ),
    "case": ("lower", "upper", "lower_first", "upper_word", "title"),
    "typo": ("swap", "drop", "duplicate"),
    "filler": ("append", "prepend"),
}


# Indices are taken modulo the number of words/spaces/letters in the text, so a
# perturbation is independent of the text it is drawn with; they shrink to 0.
MAX_INDEX = 1023


_WORD = re.compile(r"[A-Za-z]+")


_TYPO_WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class Perturbation:
    """A label-preserving edit; call it on a text to get the perturbed text.

    ``index`` picks the word or space and ``position`` the letter, both modulo
    what the text has; ``sentence`` is the filler sentence for kind "filler".
    """

    kind: str
    op: str
    index: int = 0
    position: int = 0
    sentence: str = ""

    def __call__(self, text: str) -> str:
        return self._apply(text)[0]

    def describe(self, text: str) -> str:
        """What this perturbation does to ``text``, e.g. "typo (swap): 'fabric' -> 'fbaric'"."""
        return self._apply(text)[1]

    def _apply(self, text: str) -> tuple[str, str]:
        head = f"{self.kind} ({self.op})"
        method = getattr(self, f"_{self.kind}", None)
        if method is None:
            raise ValueError(f"unknown perturbation kind {self.kind!r}")
        new, detail = method(text)
        return new, f"{head}{': ' + detail if detail else ''}"

    def _pick(self, matches: list[re.Match[str]]) -> re.Match[str] | None:
        return matches[self.index % len(matches)] if matches else None

    def _whitespace(self, text: str) -> tuple[str, str]:
        if self.op == "trailing_space":
            return text + " ", ""
        if self.op == "leading_space":
            return " " + text, ""
        space = self._pick(list(re.finditer(" ", text)))
        if space is None:
            return text, "no space to change"
        new = {"double_space": "  ", "newline": "\n", "tab": "\t"}[self.op]
        return text[: space.start()] + new + text[space.end() :], f"space #{self.index % text.count(' ')}"

    def _punctuation(self, text: str) -> tuple[str, str]:
        if self.op == "strip_final":
            return re.sub(r"[.!?]+(\s*)$", r"\1", text), ""
        if self.op == "add_exclamation":
            return text.rstrip() + "!", ""
        if self.op == "period_to_exclamation":
            return text.replace(".", "!"), ""
        if self.op == "drop_commas":
            return text.replace(",", ""), ""
        if self.op == "add_final_period":
            return text.rstrip() + ".", ""
        raise ValueError(f"unknown punctuation op {self.op!r}")

    def _case(self, text: str) -> tuple[str, str]:
        if self.op == "lower":
            return text.lower(), ""
        if self.op == "upper":
            return text.upper(), ""
        if self.op == "title":
            return text.title(), ""
        word = self._pick(list(_WORD.finditer(text)))
        if word is None:
            return text, "no word to change"
        if self.op == "lower_first":
            i = word.start()  # the first letter of the chosen word
            return text[:i] + text[i].lower() + text[i + 1 :], f"{word.group()!r}"
        if self.op == "upper_word":
            up = word.group().upper()
            return text[: word.start()] + up + text[word.end() :], f"{word.group()!r} -> {up!r}"
        raise ValueError(f"unknown case op {self.op!r}")

    def _typo(self, text: str) -> tuple[str, str]:
        word = self._pick(list(_TYPO_WORD.finditer(text)))
        if word is None:
            return text, "no word of 3+ letters"
        w = word.group()
        if self.op == "swap":
            j = self.position % (len(w) - 1)
            new = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif self.op == "drop":
            j = self.position % len(w)
            new = w[:j] + w[j + 1 :]
        elif self.op == "duplicate":
            j = self.position % len(w)
            new = w[: j + 1] + w[j:]
        else:
            raise ValueError(f"unknown typo op {self.op!r}")
        return text[: word.start()] + new + text[word.end() :], f"{w!r} -> {new!r}"

    def _filler(self, text: str) -> tuple[str, str]:
        if self.op == "append":
            return text.rstrip() + " " + self.sentence, repr(self.sentence)
        if self.op == "prepend":
            return self.sentence + " " + text.lstrip(), repr(self.sentence)
        raise ValueError(f"unknown filler op {self.op!r}")


def _kind(kind: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Perturbation]:
    return st.builds(
        Perturbation,
        kind=st.just(kind),
        op=st.sampled_from(OPS[kind]),
        index=st.integers(0, MAX_INDEX),
        position=st.integers(0, MAX_INDEX),
        **fields,
    )


def whitespace_changes() -> st.SearchStrategy[Perturbation]:
    """Double a space, replace one with a newline or tab, add a leading/trailing space."""
    return _kind("whitespace")


def punctuation_changes() -> st.SearchStrategy[Perturbation]:
    """Drop or add final punctuation, periods to exclamation marks, drop commas."""
    return _kind("punctuation")


def case_changes() -> st.SearchStrategy[Perturbation]:
    """Lower/upper/title-case the text, lower a word's first letter, upper-case a word."""
    return _kind("case")


def typos() -> st.SearchStrategy[Perturbation]:
    """Swap two adjacent letters, drop a letter or duplicate one, inside a word of 3+ letters."""
    return _kind("typo")


def filler_sentences(
    sentences: Sequence[str] = FILLER_SENTENCES,
) -> st.SearchStrategy[Perturbation]:
    """Append or prepend a neutral sentence such as "It arrived on Tuesday."."""
    if not sentences:
        raise ValueError("filler_sentences needs at least one sentence")
    return _kind("filler", sentence=st.sampled_from(tuple(sentences)))


_KIND_STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Perturbation]]] = {
    "whitespace": whitespace_changes,
    "punctuation": punctuation_changes,
    "case": case_changes,
    "typo": typos,
    "filler": filler_sentences,
}


def chosen_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    """The chosen kinds in canonical (simplest first) order; unknown kinds are an error."""
    chosen = PERTURBATION_KINDS if kinds is None else tuple(kinds)
    unknown = [k for k in chosen if k not in _KIND_STRATEGIES]
    if unknown or not chosen:
        what = f"unknown perturbation kinds {unknown}" if unknown else "no perturbation kinds"
        raise ValueError(f"{what}; choose from {PERTURBATION_KINDS}")
    return tuple(k for k in PERTURBATION_KINDS if k in chosen)


def perturbations(
    kinds: Iterable[str] | None = None, *, fillers: Sequence[str] = FILLER_SENTENCES
) -> st.SearchStrategy[Perturbation]:
    """Any of the label-preserving perturbations (or only ``kinds``), simplest kinds first."""
    return st.one_of(
        [filler_sentences(fillers) if k == "filler" else _KIND_STRATEGIES[k]() for k in chosen_kinds(kinds)]
    )


def distinct_texts(texts: Iterable[str]) -> list[str]:
    """Distinct non-empty texts, shortest first (stable: equal lengths keep their order)."""
    unique: list[str] = []
    for i, t in enumerate(dict.fromkeys(texts)):
        if not isinstance(t, str):
            raise TypeError(f"item {i} of the texts is {type(t).__name__}, not str")
        if t.strip():
            unique.append(t)
    if not unique:
        raise ValueError("texts_from needs at least one non-empty text")
    unique.sort(key=len)
    return unique


def texts_from(texts: Iterable[str]) -> st.SearchStrategy[str]:
    """One of the given texts; shrinks towards the shortest (texts are sorted by length)."""
    return st.sampled_from(distinct_texts(texts))


def perturbation_draws(
    texts: Iterable[str], perturbation: st.SearchStrategy[Perturbation] | None
) -> st.SearchStrategy[tuple[str, Perturbation]]:
    # Perturbations that leave a text unchanged prove nothing: drop them.
    if perturbation is None:
        perturbation = perturbations()
    return st.tuples(texts_from(texts), perturbation).filter(lambda d: d[1](d[0]) != d[0])


def perturbed(
    texts: Iterable[str], perturbation: st.SearchStrategy[Perturbation] | None = None
) -> st.SearchStrategy[tuple[str, str]]:
    """(original, perturbed) pairs: a real text and a perturbation of it that changes it."""
    return perturbation_draws(texts, perturbation).map(lambda d: (d[0], d[1](d[0])))
