"""Smoke cases: inputs with an obvious answer that any usable model must get right.

Cases live in a ``.csv``, ``.jsonl`` or ``.parquet`` file, one case a row.

* **Texts** (a text model, binary): the columns ``text`` (or ``review``),
  ``expected`` (or ``label``/``labels``; 0/1 or "positive"/"negative"), and
  optionally ``name`` and ``threshold``. Other columns (notes, sources) are
  ignored. Each row becomes a :class:`SmokeCase`.
* **Rows** (a model over feature columns, and any task): the model's feature
  columns plus what it must give the row, each row a :class:`SmokeRow`:

  - classification: ``expected``, a class label: 0/1 (or positive/negative)
    for binary, or any class value for multiclass, matched to the model's
    classes by value (``"2"`` read from a CSV matches the class ``2``);
    optional ``threshold`` (binary: the score must be above it for 1, below
    it for 0; multiclass: the expected class must be the predicted one and
    its probability above the threshold);
  - regression: ``expected`` with ``tolerance`` (the value must be within
    ``expected ± tolerance``), or ``min`` and/or ``max`` (inclusive bounds;
    no ``expected`` needed then).

  An optional ``name`` (or ``id``) column names the case; without one a case
  is named after its place in the file (``line-3``, ``row-2``). Columns the
  model does not take are ignored. A text file whose labels are not all 0/1
  (a multiclass text model) is read as rows too, each with its text.

Column names are matched case-insensitively for the reserved columns above and
exactly for feature columns (a unique case-insensitive match is accepted).
Every problem with a file raises :class:`SmokeCaseFileError` with one line
naming the file and, where it applies, the line/row and column. Whether the
cases fit the model (its task, its feature columns, its classes) is known
only once the model is scored: :func:`check_cases` says so with a one-line
:class:`~modelgate.errors.GateUsageError`, and :func:`smoke_inputs` gives the
one batch (texts, or a DataFrame of the feature columns) that scores them all.
"""

from ..evidence.classes import match_class
from .cases import AnyCase, SmokeCase, SmokeRow
from .files import SmokeCaseFileError
from .fitting import check_cases, conform_values, smoke_inputs
from .judging import Judgement, judge
from .loading import load_smoke_cases

__all__ = [
    "AnyCase",
    "Judgement",
    "SmokeCase",
    "SmokeCaseFileError",
    "SmokeRow",
    "check_cases",
    "conform_values",
    "judge",
    "load_smoke_cases",
    "match_class",
    "smoke_inputs",
]
