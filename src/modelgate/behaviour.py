"""Behavioural properties in the style of CheckList (Ribeiro et al., ACL 2020), with Hypothesis.

* Invariance (INV): a label-preserving perturbation (typo, case, punctuation,
  whitespace, a neutral filler sentence) must not change the predicted label,
  or, with ``tolerance=``, must move the score by less than ``tolerance``.
* Directional expectation (DIR): appending a clearly negative sentence must not
  raise the positive score (beyond a small tolerance); appending a clearly
  positive one must not lower it.

Strategies (``texts_from``, ``perturbations``, ``perturbed`` ...) draw real
texts and perturbations as choices and indices, so Hypothesis shrinks a
failure towards the shortest text and the simplest perturbation.

Each property has three forms: ``check_*`` returns a result object,
``assert_*`` raises ``AssertionError`` with a readable message, and the
``*_rate`` forms report a failure rate over ``n_examples`` examples, as
CheckList does, with a counterexample shrunk by Hypothesis. The rate forms
sample their examples uniformly with a seeded generator (an unbiased rate,
the same verdict in every process) and use Hypothesis, with deterministic
settings, to find and shrink a counterexample.

Models go through :func:`modelgate.scorers.as_scorer`, so scores are cached
and all drawn examples are scored in one batch.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
import importlib
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .scorers import Scorer, as_scorer
from .text import printable

if TYPE_CHECKING:
    from hypothesis import settings
    from hypothesis import strategies as st
else:

    class _OnFirstUse:
        """A module imported on its first attribute read."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            return getattr(importlib.import_module(self._name), attr)

    # Hypothesis only searches for and shrinks a counterexample: a gate whose
    # properties pass never pays for importing it.
    st = _OnFirstUse("hypothesis.strategies")

__all__ = [
    "FILLER_SENTENCES",
    "NEGATIVE_SENTENCES",
    "POSITIVE_SENTENCES",
    "PERTURBATION_KINDS",
    "Counterexample",
    "Perturbation",
    "PropertyResult",
    "RateReport",
    "assert_directional",
    "assert_directional_rate",
    "assert_invariance",
    "assert_invariance_rate",
    "case_changes",
    "check_directional",
    "check_column_invariance_rate",
    "check_directional_rate",
    "check_invariance",
    "check_monotonic_rate",
    "check_invariance_rate",
    "filler_sentences",
    "perturbations",
    "perturbed",
    "property_settings",
    "punctuation_changes",
    "texts_from",
    "typos",
    "whitespace_changes",
]

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

# Simplest kinds first: Hypothesis shrinks one_of towards its first branch.
from .properties import PERTURBATION_KINDS  # the names, defined where configs are checked
_OPS: dict[str, tuple[str, ...]] = {
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
_MAX_INDEX = 1023
_WORD = re.compile(r"[A-Za-z]+")
_TYPO_WORD = re.compile(r"[A-Za-z]{3,}")


def property_settings(max_examples: int = 100) -> settings:
    """Hypothesis settings for gate properties: derandomized, no database, no deadline.

    Derandomized runs repeat in the same process state, but Hypothesis also
    mixes in constants found in the local modules imported so far, so a
    different test selection can draw different examples. The ``*_rate``
    checks therefore sample their examples with numpy and use Hypothesis
    only to find and shrink a counterexample.
    """
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=max_examples,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        # No explain phase: it re-runs the model many times only to annotate the report.
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        print_blob=False,
    )


# --- perturbations -----------------------------------------------------------


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
        op=st.sampled_from(_OPS[kind]),
        index=st.integers(0, _MAX_INDEX),
        position=st.integers(0, _MAX_INDEX),
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


def _kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
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
        [filler_sentences(fillers) if k == "filler" else _KIND_STRATEGIES[k]() for k in _kinds(kinds)]
    )


def _distinct_texts(texts: Iterable[str]) -> list[str]:
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
    return st.sampled_from(_distinct_texts(texts))


def _perturbation_draws(
    texts: Iterable[str], perturbation: st.SearchStrategy[Perturbation] | None
) -> st.SearchStrategy[tuple[str, Perturbation]]:
    # Perturbations that leave a text unchanged prove nothing: drop them.
    if perturbation is None:
        perturbation = perturbations()
    return st.tuples(texts_from(texts), perturbation).filter(
        lambda d: d[1](d[0]) != d[0]
    )


def perturbed(
    texts: Iterable[str], perturbation: st.SearchStrategy[Perturbation] | None = None
) -> st.SearchStrategy[tuple[str, str]]:
    """(original, perturbed) pairs: a real text and a perturbation of it that changes it."""
    return _perturbation_draws(texts, perturbation).map(lambda d: (d[0], d[1](d[0])))


# --- single-example checks ---------------------------------------------------


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of one property on one (original, perturbed) pair; truthy when it held."""

    property: str
    passed: bool
    original: str
    perturbed: str
    original_score: float
    perturbed_score: float
    message: str

    def __bool__(self) -> bool:
        return self.passed


def _short(text: str, limit: int = 100) -> str:
    # repr keeps whitespace perturbations (newline, tab, double space) visible.
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _label(score: float, threshold: float) -> str:
    return "positive" if score > threshold else "negative"


def _invariance_violated(s0: float, s1: float, tolerance: float | None, threshold: float) -> bool:
    if tolerance is None:
        return (s0 > threshold) != (s1 > threshold)
    return not abs(s1 - s0) < tolerance


def _directional_violated(s0: float, s1: float, direction: str, tolerance: float) -> bool:
    if direction == "negative":
        return s1 > s0 + tolerance
    return s1 < s0 - tolerance


def _check_direction(direction: str) -> None:
    if direction not in ("negative", "positive"):
        raise ValueError(f"direction must be 'negative' or 'positive', got {direction!r}")


def _append(text: str, sentence: str) -> str:
    return text.rstrip() + " " + sentence


def _invariance_name(tolerance: float | None, threshold: float) -> str:
    if tolerance is None:
        return f"invariance (label at {threshold:g})"
    return f"invariance (score within {tolerance:g})"


def _invariance_message(
    original: str, perturbed_text: str, s0: float, s1: float,
    tolerance: float | None, threshold: float, violated: bool,
) -> str:
    name = _invariance_name(tolerance, threshold)
    verdict = "violated" if violated else "holds"
    if tolerance is None:
        what = (
            f"label {_label(s0, threshold)} ({s0:.4f}) -> {_label(s1, threshold)} ({s1:.4f})"
        )
    else:
        what = f"score {s0:.4f} -> {s1:.4f} (moved {abs(s1 - s0):.4f}, allowed < {tolerance:g})"
    return f"{name} {verdict}: {what}; original {_short(original)} perturbed {_short(perturbed_text)}"


def _directional_message(
    original: str, sentence: str, s0: float, s1: float, direction: str,
    tolerance: float, violated: bool,
) -> str:
    moved = "raised" if s1 > s0 else "lowered" if s1 < s0 else "kept"
    rule = (
        f"must not rise by more than {tolerance:g}"
        if direction == "negative"
        else f"must not fall by more than {tolerance:g}"
    )
    verdict = "violated" if violated else "holds"
    return (
        f"directional ({direction} sentence) {verdict}: appending {sentence!r} {moved} the "
        f"score {s0:.4f} -> {s1:.4f} (it {rule}); text {_short(original)}"
    )


def check_invariance(
    model: Any,
    original: str,
    perturbed_text: str,
    *,
    tolerance: float | None = None,
    threshold: float = 0.5,
) -> PropertyResult:
    """Does the label (score > threshold) survive the perturbation? With ``tolerance``, does the score move less than it?"""
    s0, s1 = (float(s) for s in as_scorer(model)([original, perturbed_text]))
    violated = _invariance_violated(s0, s1, tolerance, threshold)
    return PropertyResult(
        property=_invariance_name(tolerance, threshold),
        passed=not violated,
        original=original,
        perturbed=perturbed_text,
        original_score=s0,
        perturbed_score=s1,
        message=_invariance_message(
            original, perturbed_text, s0, s1, tolerance, threshold, violated
        ),
    )


def assert_invariance(
    model: Any,
    original: str,
    perturbed_text: str,
    *,
    tolerance: float | None = None,
    threshold: float = 0.5,
) -> PropertyResult:
    """Like :func:`check_invariance`, raising AssertionError with the message when it fails."""
    result = check_invariance(
        model, original, perturbed_text, tolerance=tolerance, threshold=threshold
    )
    if not result.passed:
        raise AssertionError(printable(result.message, keep_newlines=True))
    return result


def check_directional(
    model: Any,
    original: str,
    *,
    direction: Literal["negative", "positive"] = "negative",
    sentence: str | None = None,
    tolerance: float = 0.02,
) -> PropertyResult:
    """Append a ``direction`` sentence to ``original``: the score must not move the other way.

    ``sentence`` defaults to the first of NEGATIVE_SENTENCES / POSITIVE_SENTENCES.
    """
    _check_direction(direction)
    if sentence is None:
        sentence = (NEGATIVE_SENTENCES if direction == "negative" else POSITIVE_SENTENCES)[0]
    changed = _append(original, sentence)
    s0, s1 = (float(s) for s in as_scorer(model)([original, changed]))
    violated = _directional_violated(s0, s1, direction, tolerance)
    return PropertyResult(
        property=f"directional ({direction} sentence)",
        passed=not violated,
        original=original,
        perturbed=changed,
        original_score=s0,
        perturbed_score=s1,
        message=_directional_message(original, sentence, s0, s1, direction, tolerance, violated),
    )


def assert_directional(
    model: Any,
    original: str,
    *,
    direction: Literal["negative", "positive"] = "negative",
    sentence: str | None = None,
    tolerance: float = 0.02,
) -> PropertyResult:
    """Like :func:`check_directional`, raising AssertionError with the message when it fails."""
    result = check_directional(
        model, original, direction=direction, sentence=sentence, tolerance=tolerance
    )
    if not result.passed:
        raise AssertionError(printable(result.message, keep_newlines=True))
    return result


# --- failure-rate checks -----------------------------------------------------


@dataclass(frozen=True)
class Counterexample:
    """One failing example: the texts, their scores and what was changed."""

    original: str
    perturbed: str
    original_score: float
    perturbed_score: float
    kind: str  # perturbation kind ("case", "typo", ...) or "negative/positive sentence"
    change: str  # readable description of the change
    shrunk: bool  # True when Hypothesis minimised it


@dataclass(frozen=True)
class RateReport:
    """How often a property failed over drawn examples, CheckList style; truthy when within bound."""

    property: str
    n_examples: int
    n_failures: int
    max_failure_rate: float
    counterexample: Counterexample | None

    # builtins.property: in this class body mypy takes `property` for the str field above.
    @builtins.property
    def failure_rate(self) -> float:
        return self.n_failures / self.n_examples if self.n_examples else 0.0

    @builtins.property
    def passed(self) -> bool:
        return self.n_examples > 0 and self.failure_rate <= self.max_failure_rate

    def __bool__(self) -> bool:
        return self.passed

    @builtins.property
    def message(self) -> str:
        if self.n_examples == 0:
            return f"{self.property}: FAIL, no example could be drawn (every perturbation left its text unchanged)"
        head = (
            f"{self.property}: {'ok' if self.passed else 'FAIL'}, failed on {self.n_failures} "
            f"of {self.n_examples} examples ({self.failure_rate:.1%}; allowed "
            f"{self.max_failure_rate:.1%})"
        )
        c = self.counterexample
        if c is None:
            return head
        which = "shrunk counterexample" if c.shrunk else "first failing example (not shrunk)"
        return (
            f"{head}\n  {which}: {c.change}\n"
            f"    original  score {c.original_score:.4f}: {_short(c.original, 200)}\n"
            f"    perturbed score {c.perturbed_score:.4f}: {_short(c.perturbed, 200)}"
        )


# A draw is materialised as (original, perturbed, kind, change description).
_Pair = tuple[str, str, str, str]


def _rate_check(
    model: Any,
    sample: Callable[[np.random.Generator], Any],
    materialise: Callable[[Any], _Pair],
    violated: Callable[[float, float], bool],
    strategies: Callable[[list[Any]], list[st.SearchStrategy[Any]]],
    *,
    name: str,
    n_examples: int,
    max_failure_rate: float,
    seed: int,
) -> RateReport:
    """Sample ``n_examples``, score them in one batch, count failures; shrink one if too many.

    The examples are sampled uniformly with a seeded numpy generator, so the
    rate is an unbiased CheckList-style estimate and the verdict is the same in
    every process. (Hypothesis's derandomized generation is not: it mixes in
    constants from whichever local modules happen to be imported.) Hypothesis
    then searches ``strategies(failing_draws)`` in order and shrinks the first
    failure it finds; all texts go through the caching scorer.
    """
    if n_examples < 1:
        raise ValueError(f"n_examples must be at least 1, got {n_examples}")
    if not 0.0 <= max_failure_rate <= 1.0:
        raise ValueError(f"max_failure_rate must be in [0, 1], got {max_failure_rate}")
    scorer: Scorer = as_scorer(model)
    rng = np.random.default_rng(seed)

    draws: list[Any] = []
    pairs: list[_Pair] = []
    for _ in range(20 * n_examples):  # bounded: texts no perturbation can change
        if len(pairs) == n_examples:
            break
        draw = sample(rng)
        pair = materialise(draw)
        if pair[1] != pair[0]:  # an unchanged text proves nothing
            draws.append(draw)
            pairs.append(pair)

    n = len(pairs)
    scores = scorer([p[0] for p in pairs] + [p[1] for p in pairs]).tolist()
    failing = [i for i in range(n) if violated(scores[i], scores[n + i])]

    def to_counterexample(pair: _Pair, shrunk: bool) -> Counterexample:
        s0, s1 = (float(s) for s in scorer([pair[0], pair[1]]))
        return Counterexample(pair[0], pair[1], s0, s1, pair[2], pair[3], shrunk)

    def fails(draw: Any) -> bool:
        original, changed, _, _ = materialise(draw)
        s0, s1 = scorer([original, changed]).tolist()
        return changed != original and violated(s0, s1)

    counterexample = None
    if failing:
        counterexample = to_counterexample(pairs[failing[0]], shrunk=False)
        if len(failing) / n > max_failure_rate:
            from hypothesis import find
            from hypothesis.errors import NoSuchExample, Unsatisfiable

            config = property_settings(max(n_examples, 200))
            for strategy in strategies([draws[i] for i in failing]):
                try:
                    smallest = find(strategy, fails, settings=config)
                except (NoSuchExample, Unsatisfiable):
                    continue
                counterexample = to_counterexample(materialise(smallest), shrunk=True)
                break
    return RateReport(
        property=name,
        n_examples=n,
        n_failures=len(failing),
        max_failure_rate=max_failure_rate,
        counterexample=counterexample,
    )


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def check_invariance_rate(
    model: Any,
    texts: Iterable[str],
    *,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    tolerance: float | None = None,
    threshold: float = 0.5,
    kinds: Iterable[str] | None = None,
    fillers: Sequence[str] = FILLER_SENTENCES,
    seed: int = 0,
) -> RateReport:
    """Invariance over ``n_examples`` sampled (text, perturbation) pairs; fails above ``max_failure_rate``.

    Each example is a text drawn uniformly from ``texts`` and a perturbation
    of one of ``kinds`` (default: all) that changes it. A failure is a label
    flip at ``threshold``, or with ``tolerance``, a score change >= tolerance.
    """
    unique = _distinct_texts(texts)
    chosen = _kinds(kinds)
    fillers = tuple(fillers)
    if "filler" in chosen and not fillers:
        raise ValueError("the filler perturbation needs at least one sentence in fillers=")

    def sample(rng: np.random.Generator) -> tuple[str, Perturbation]:
        kind = _pick(rng, chosen)
        index, position = (int(v) for v in rng.integers(0, _MAX_INDEX + 1, size=2))
        sentence = _pick(rng, fillers) if kind == "filler" else ""
        return _pick(rng, unique), Perturbation(kind, _pick(rng, _OPS[kind]), index, position, sentence)

    def materialise(draw: tuple[str, Perturbation]) -> _Pair:
        original, p = draw
        changed, change = p._apply(original)
        return original, changed, p.kind, change

    def strategies(failing: list[tuple[str, Perturbation]]) -> list[st.SearchStrategy[Any]]:
        # All texts and kinds first (the simplest counterexample overall), then
        # only the texts and kinds seen failing, where a rare failure is found.
        return [
            _perturbation_draws(unique, perturbations(chosen, fillers=fillers)),
            _perturbation_draws(
                [d[0] for d in failing],
                perturbations({d[1].kind for d in failing}, fillers=fillers),
            ),
        ]

    return _rate_check(
        model,
        sample,
        materialise,
        lambda s0, s1: _invariance_violated(s0, s1, tolerance, threshold),
        strategies,
        name=_invariance_name(tolerance, threshold),
        n_examples=n_examples,
        max_failure_rate=max_failure_rate,
        seed=seed,
    )


def check_directional_rate(
    model: Any,
    texts: Iterable[str],
    *,
    direction: Literal["negative", "positive"] = "negative",
    sentences: Sequence[str] | None = None,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    tolerance: float = 0.02,
    seed: int = 0,
) -> RateReport:
    """Directional expectation over ``n_examples`` sampled (text, sentence) pairs.

    ``sentences`` defaults to NEGATIVE_SENTENCES or POSITIVE_SENTENCES.
    """
    _check_direction(direction)
    if sentences is None:
        sentences = NEGATIVE_SENTENCES if direction == "negative" else POSITIVE_SENTENCES
    sentences = tuple(sentences)
    if not sentences:
        raise ValueError("check_directional_rate needs at least one sentence")
    unique = _distinct_texts(texts)
    kind = f"{direction} sentence"

    def sample(rng: np.random.Generator) -> tuple[str, str]:
        return _pick(rng, unique), _pick(rng, sentences)

    def materialise(draw: tuple[str, str]) -> _Pair:
        original, sentence = draw
        return original, _append(original, sentence), kind, f"appended {sentence!r}"

    def strategies(failing: list[tuple[str, str]]) -> list[st.SearchStrategy[Any]]:
        return [
            st.tuples(texts_from(unique), st.sampled_from(sentences)),
            st.tuples(
                texts_from(d[0] for d in failing),
                st.sampled_from([s for s in sentences if s in {d[1] for d in failing}]),
            ),
        ]

    return _rate_check(
        model,
        sample,
        materialise,
        lambda s0, s1: _directional_violated(s0, s1, direction, tolerance),
        strategies,
        name=f"directional ({direction} sentence)",
        n_examples=n_examples,
        max_failure_rate=max_failure_rate,
        seed=seed,
    )


def assert_invariance_rate(model: Any, texts: Iterable[str], **kwargs: Any) -> RateReport:
    """:func:`check_invariance_rate`, raising AssertionError with the report when it fails."""
    report = check_invariance_rate(model, texts, **kwargs)
    if not report.passed:
        raise AssertionError(printable(report.message, keep_newlines=True))
    return report


def assert_directional_rate(model: Any, texts: Iterable[str], **kwargs: Any) -> RateReport:
    """:func:`check_directional_rate`, raising AssertionError with the report when it fails."""
    report = check_directional_rate(model, texts, **kwargs)
    if not report.passed:
        raise AssertionError(printable(report.message, keep_newlines=True))
    return report


# --- properties of models over feature columns -----------------------------------
#
# A model over a DataFrame of feature columns is perturbed one column at a time:
# set the column to another value (invariance) or raise it (monotonicity). The
# examples are drawn with a seeded numpy generator, as for texts, and scored in one
# model call (originals and changed rows together). A counterexample is shrunk in
# one more call: for a few failing rows, every smaller change is scored at once and
# the smallest change that still fails is reported. (Hypothesis would probe one
# example per model call, about 90 ms each for a TensorFlow model.)

_TASKS = ("binary", "multiclass", "regression")  # modelgate.names.TASKS, without importing names here
_REGRESSION_RTOL = 1e-6  # regression invariance without a tolerance: unchanged up to float rounding
_MAX_SHRINK_ROWS = 25  # failing rows whose smaller changes are scored when shrinking
_MAX_SHRINK_VALUES = 40  # smaller changes tried per row


def _frame_scorer(model: Any) -> Callable[[Any], Any]:
    """A callable ``frame -> outputs``: the model itself when it is callable (the
    evidence's scorer), else :func:`modelgate.scorers.as_scorer`."""
    return model if callable(model) else as_scorer(model)


def _outputs(scorer: Callable[[Any], Any], frame: Any, task: str) -> np.ndarray:
    """The model's outputs for ``frame``: (n,) scores or values, (n, k) for multiclass."""
    out = np.asarray(scorer(frame), dtype=float)
    if out.shape[:1] != (len(frame),):
        raise ValueError(f"the model returned output of shape {out.shape} for {len(frame)} rows")
    if task != "multiclass":
        if out.ndim == 2 and out.shape[1] == 2 and task == "binary":  # (n, 2) probabilities: the positive column
            out = out[:, 1]
        out = out.reshape(len(frame), -1)[:, 0] if out.ndim > 1 else out
    elif out.ndim != 2:
        raise ValueError(f"a multiclass model must return an (n, k) matrix, got shape {out.shape}")
    return out


def _check_task(task: str) -> None:
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}, got {task!r}")


def _value_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _row_text(frame: Any, position: int, column: str, limit: int = 160) -> str:
    """'validation row 17: bmi=0.0617, age=0.0381, ...': the changed column first."""
    row = frame.iloc[position]
    label = frame.index[position]
    head = f"validation row {position}" + ("" if label == position else f" (index {_value_text(label)})")
    parts = [f"{column}={_value_text(row[column])}"]
    parts += [f"{c}={_value_text(row[c])}" for c in frame.columns if c != column]
    text = f"{head}: " + ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _with_column(frame: Any, positions: np.ndarray, column: str, values: Sequence[Any]) -> Any:
    """Rows ``positions`` of ``frame`` (in order, repeats allowed) with ``column`` set to ``values``."""
    import pandas as pd

    rows = frame.iloc[positions].reset_index(drop=True)
    try:
        rows[column] = pd.Series(list(values), dtype=frame[column].dtype)
    except (TypeError, ValueError):  # e.g. 2.5 into an integer column: keep the values' own type
        rows[column] = list(values)
    return rows


def _draws_report(
    *, name: str, n: int, failing: list[int], max_failure_rate: float, counterexample: Counterexample | None
) -> RateReport:
    return RateReport(
        property=name, n_examples=n, n_failures=len(failing), max_failure_rate=max_failure_rate,
        counterexample=counterexample,
    )


def _check_rate_args(n_examples: int, max_failure_rate: float) -> None:
    if n_examples < 1:
        raise ValueError(f"n_examples must be at least 1, got {n_examples}")
    if not 0.0 <= max_failure_rate <= 1.0:
        raise ValueError(f"max_failure_rate must be in [0, 1], got {max_failure_rate}")


def _column_invariance_name(column: str, task: str, tolerance: float | None, classes: Sequence[Any]) -> str:
    if task == "binary":
        what = "label at 0.5" if tolerance is None else f"score within {tolerance:g}"
    elif task == "multiclass":
        what = "predicted class" if tolerance is None else f"class probabilities within {tolerance:g}"
    else:
        what = "value unchanged" if tolerance is None else f"value within {tolerance:g}"
    return f"invariance of {column!r} ({what})"


def check_column_invariance_rate(
    model: Any,
    frame: Any,
    column: str,
    *,
    task: str = "binary",
    classes: Sequence[Any] = (),
    values: Sequence[Any] | None = None,
    tolerance: float | None = None,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    seed: int = 0,
) -> RateReport:
    """Changing ``column`` must not change the prediction, on all but ``max_failure_rate`` of ``n_examples``.

    Each example is a row of ``frame`` drawn uniformly and a new value for
    ``column`` drawn uniformly from ``values`` (default: the column's observed
    values) other than the row's own. A failure: binary, the label at 0.5
    flips (with ``tolerance``: the probability moves by more than it);
    multiclass, the predicted class changes (with ``tolerance``: a class
    probability moves by more than it); regression, the value moves by more
    than ``tolerance`` (default: 1e-6 relative). ``model``: a callable
    ``frame -> outputs`` (the evidence's scorer) or a model for
    :func:`~modelgate.scorers.as_scorer`. Two model calls at most: the
    examples, and the shrinking of a counterexample when over budget.
    """
    _check_task(task)
    _check_rate_args(n_examples, max_failure_rate)
    scorer = _frame_scorer(model)
    observed = frame[column]
    pool = list(dict.fromkeys(observed.dropna().tolist() if values is None else list(values)))
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in pool)
    if numeric:
        pool.sort()
    else:  # the most frequent values first: what the report shows first
        counts = observed.value_counts(dropna=True)
        pool.sort(key=lambda v: -int(counts.get(v, 0)))
    index = {v: i for i, v in enumerate(pool)}
    current = np.array([index.get(v, -1) if v == v else -1 for v in observed.tolist()])  # v != v: NaN
    m = len(pool)
    choices = m - (current >= 0)  # how many other values each row can take
    eligible = np.flatnonzero(choices >= 1)
    if len(eligible) == 0:
        raise ValueError(f"no row of {column!r} can be set to another value (values: {pool[:5]!r})")
    rng = np.random.default_rng(seed)
    rows = eligible[rng.integers(len(eligible), size=n_examples)]
    k = rng.integers(0, choices[rows])
    new = np.where((current[rows] >= 0) & (k >= current[rows]), k + 1, k)

    def outputs(positions: np.ndarray, new_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        originals = frame.iloc[positions].reset_index(drop=True)
        changed = _with_column(frame, positions, column, [pool[j] for j in new_indices])
        both = _outputs(scorer, pd.concat([originals, changed], ignore_index=True), task)
        return both[: len(positions)], both[len(positions) :]

    def violated(o0: np.ndarray, o1: np.ndarray) -> np.ndarray:
        if task == "multiclass":
            if tolerance is None:
                return np.argmax(o0, axis=1) != np.argmax(o1, axis=1)
            return np.max(np.abs(o1 - o0), axis=1) > tolerance
        if task == "binary" and tolerance is None:
            return (o0 > 0.5) != (o1 > 0.5)
        limit = _REGRESSION_RTOL * np.maximum(1.0, np.abs(o0)) if tolerance is None else tolerance
        return np.abs(o1 - o0) > limit

    def scalar(o0: np.ndarray, o1: np.ndarray) -> tuple[float, float, str]:
        """The scores a report shows, and what happened to a multiclass prediction."""
        if task != "multiclass":
            return float(o0), float(o1), ""
        a, b = int(np.argmax(o0)), int(np.argmax(o1))
        name_of = (lambda j: _value_text(classes[j])) if len(classes) == o0.shape[0] else (lambda j: f"#{j}")
        if a != b:
            what = f"; predicted class {name_of(a)} ({o0[a]:.4f}) -> {name_of(b)} ({o1[b]:.4f})"
        else:
            j = int(np.argmax(np.abs(o1 - o0)))
            what = f"; probability of class {name_of(j)} {o0[j]:.4f} -> {o1[j]:.4f}"
        return float(o0[a]), float(o1[a]), what

    def counterexample(position: int, new_index: int, o0: np.ndarray, o1: np.ndarray, shrunk: bool) -> Counterexample:
        old = observed.iloc[position]
        s0, s1, what = scalar(o0, o1)
        change = f"{printable(column)}: {_value_text(old)} -> {_value_text(pool[new_index])}{what}"
        return Counterexample(
            _row_text(frame, position, column), f"the same row with {column}={_value_text(pool[new_index])}",
            s0, s1, "column", change, shrunk,
        )

    o0, o1 = outputs(rows, new)
    failing = np.flatnonzero(violated(o0, o1)).tolist()
    found = None
    if failing:
        first = failing[0]
        found = counterexample(int(rows[first]), int(new[first]), o0[first], o1[first], shrunk=False)
        if len(failing) / n_examples > max_failure_rate:
            # Shrink: for a few failing rows, every other value at once; the smallest change that fails.
            seen_rows = list(dict.fromkeys(int(rows[i]) for i in failing))[:_MAX_SHRINK_ROWS]
            probe_rows, probe_values = [], []
            for position in seen_rows:
                own = int(current[position])
                others = [j for j in range(m) if j != own]
                if numeric and own >= 0:
                    others.sort(key=lambda j: abs(float(pool[j]) - float(pool[own])))
                for j in others[:_MAX_SHRINK_VALUES]:
                    probe_rows.append(position)
                    probe_values.append(j)
            p0, p1 = outputs(np.array(probe_rows), np.array(probe_values))
            bad = np.flatnonzero(violated(p0, p1))
            if len(bad):
                def simplicity(i: int) -> tuple[float, int]:
                    position, j = probe_rows[i], probe_values[i]
                    own = int(current[position])
                    size = abs(float(pool[j]) - float(pool[own])) if numeric and own >= 0 else float(j)
                    return size, position

                best = min(bad.tolist(), key=simplicity)
                found = counterexample(probe_rows[best], probe_values[best], p0[best], p1[best], shrunk=True)
    return _draws_report(
        name=_column_invariance_name(column, task, tolerance, classes), n=n_examples, failing=failing,
        max_failure_rate=max_failure_rate, counterexample=found,
    )


def _monotonic_name(column: str, direction: str, task: str, class_index: int | None, classes: Sequence[Any],
                    tolerance: float) -> str:
    if task == "regression":
        what = "predicted value"
    elif task == "binary" and class_index in (None, 1):
        what = "positive-class probability"
    else:
        label = classes[class_index] if class_index is not None and class_index < len(classes) else class_index
        what = f"probability of class {_value_text(label)}"
    slack = f", tolerance {tolerance:g}" if tolerance else ""
    return f"monotonic {column!r} {direction} ({what}{slack})"


def check_monotonic_rate(
    model: Any,
    frame: Any,
    column: str,
    *,
    task: str = "binary",
    classes: Sequence[Any] = (),
    class_index: int | None = None,
    direction: Literal["increasing", "decreasing"] = "increasing",
    step: float | None = None,
    tolerance: float = 0.0,
    n_examples: int = 100,
    max_failure_rate: float = 0.0,
    seed: int = 0,
) -> RateReport:
    """Raising ``column`` must not lower (``direction="decreasing"``: raise) the score by more than ``tolerance``.

    Each example is a row of ``frame`` drawn uniformly among those that can be
    raised, and a larger value drawn uniformly from the column's larger observed
    values (or the row's value plus ``step``). The score is the positive-class
    probability (binary; ``class_index=0``: the negative class's), the
    probability of class ``class_index`` (multiclass, required) or the
    predicted value (regression). Rounding (1e-9 relative) never fails it.
    Two model calls at most: the examples, and the shrinking of a
    counterexample (the smallest raise that still fails) when over budget.
    """
    _check_task(task)
    _check_rate_args(n_examples, max_failure_rate)
    if direction not in ("increasing", "decreasing"):
        raise ValueError(f"direction must be 'increasing' or 'decreasing', got {direction!r}")
    if task == "multiclass" and class_index is None:
        raise ValueError("a multiclass monotonic check needs class_index: the class whose probability is watched")
    if step is not None and not step > 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    scorer = _frame_scorer(model)
    observed = np.asarray(frame[column].to_numpy(dtype=float, na_value=np.nan), dtype=float)
    integral = np.issubdtype(frame[column].dtype, np.integer) and (step is None or float(step).is_integer())
    pool = np.unique(observed[np.isfinite(observed)])
    rng = np.random.default_rng(seed)
    if step is None:
        above = np.searchsorted(pool, observed, side="right")  # first larger value; len(pool): none
        eligible = np.flatnonzero(np.isfinite(observed) & (above < len(pool)))
    else:
        eligible = np.flatnonzero(np.isfinite(observed))
    if len(eligible) == 0:
        raise ValueError(f"no row of {column!r} can be raised (no larger observed value; give step=)")
    rows = eligible[rng.integers(len(eligible), size=n_examples)]
    if step is None:
        new = pool[rng.integers(above[rows], len(pool))]
    else:
        new = observed[rows] + step

    def values_of(raised: np.ndarray) -> list[Any]:
        return [int(v) for v in raised] if integral else [float(v) for v in raised]

    def scores(positions: np.ndarray, raised: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        originals = frame.iloc[positions].reset_index(drop=True)
        changed = _with_column(frame, positions, column, values_of(raised))
        out = _outputs(scorer, pd.concat([originals, changed], ignore_index=True), task)
        if task == "multiclass":
            out = out[:, class_index]
        elif task == "binary" and class_index == 0:
            out = 1.0 - out
        return out[: len(positions)], out[len(positions) :]

    def violated(s0: np.ndarray, s1: np.ndarray) -> np.ndarray:
        slack = tolerance + 1e-9 * np.maximum(1.0, np.maximum(np.abs(s0), np.abs(s1)))
        return s1 < s0 - slack if direction == "increasing" else s1 > s0 + slack

    def counterexample(position: int, raised: float, s0: float, s1: float, shrunk: bool) -> Counterexample:
        old, new_value = observed[position], values_of(np.array([raised]))[0]
        moved = "lowered" if s1 < s0 else "raised"
        change = f"raised {printable(column)} {_value_text(old)} -> {_value_text(new_value)}, which {moved} the score"
        return Counterexample(
            _row_text(frame, position, column), f"the same row with {column}={_value_text(new_value)}",
            s0, s1, "monotonic", change, shrunk,
        )

    s0, s1 = scores(rows, new)
    failing = np.flatnonzero(violated(s0, s1)).tolist()
    found = None
    if failing:
        first = failing[0]
        found = counterexample(int(rows[first]), float(new[first]), float(s0[first]), float(s1[first]), shrunk=False)
        if step is None and len(failing) / n_examples > max_failure_rate:
            # Shrink: for a few failing (row, raise) pairs, every smaller observed raise at once.
            probe_rows, probe_values = [], []
            for i in list(dict.fromkeys(failing))[: _MAX_SHRINK_ROWS]:
                position, top = int(rows[i]), float(new[i])
                between = pool[(pool > observed[position]) & (pool <= top)]
                if len(between) > _MAX_SHRINK_VALUES:  # evenly spread, always keeping the failing value
                    keep = np.unique(np.linspace(0, len(between) - 1, _MAX_SHRINK_VALUES).round().astype(int))
                    between = between[keep]
                probe_rows += [position] * len(between)
                probe_values += between.tolist()
            p0, p1 = scores(np.array(probe_rows), np.array(probe_values))
            bad = np.flatnonzero(violated(p0, p1))
            if len(bad):
                best = min(
                    bad.tolist(),
                    key=lambda i: (probe_values[i] - observed[probe_rows[i]], -abs(p1[i] - p0[i]), probe_rows[i]),
                )
                found = counterexample(probe_rows[best], probe_values[best], float(p0[best]), float(p1[best]), shrunk=True)
    return _draws_report(
        name=_monotonic_name(column, direction, task, class_index, classes, tolerance), n=n_examples,
        failing=failing, max_failure_rate=max_failure_rate, counterexample=found,
    )
