"""The settings of a gate (what to read from a run, what tag to manage), their help
text, and the rule each setting's value must follow, whichever source it comes from."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from .. import tables
from ..errors import GateUsageError
from ..names import ALL_FEATURES, BRANCH_SCOPE, DEFAULT_TAG, ON_INCONCLUSIVE, SCOPES, TASKS

# Metaflow's own limit on a tag (metaflow.tagging_util.MAX_TAG_SIZE); not
# imported from there so that reading a config never imports Metaflow.
MAX_TAG_LENGTH = 500
# Prefixes of the system tags Metaflow writes on every run: its system info
# (runtime, python_version, the identity user: or production:, metaflow_version,
# metaflow_r_version, r_version), @project's project: and project_branch:, and
# date: and origin- kept for metadata services and clones. A user tag with one
# of these names is confused with (or silently swallowed by) a system tag.
RESERVED_TAG_PREFIXES = (
    "user:",
    "production:",
    "runtime:",
    "python_version:",
    "metaflow_version:",
    "metaflow_r_version:",
    "r_version:",
    "project:",
    "project_branch:",
    "date:",
    "origin-",
)


def validate_tag(tag: str, where: str) -> str:
    """The tag, if the gate may manage it; else a GateUsageError naming ``where`` it came from.

    One rule for every front end (``[tool.modelgate].tag``, the ini file,
    ``--gate-tag``, ``Gate(tag=...)``, ``tag_current_run``): a non-empty
    string without surrounding whitespace, at most Metaflow's 500 characters,
    UTF-8 encodable, and not in a namespace Metaflow reserves for system tags.
    """
    if not isinstance(tag, str) or not tag.strip():
        raise GateUsageError(f"{where} {tag!r}: a tag must be a non-empty string")
    shown = repr(tag) if len(tag) <= 60 else repr(tag[:40]) + "..."
    if tag != tag.strip():
        raise GateUsageError(f"{where} {shown}: a tag must not start or end with whitespace")
    if len(tag) > MAX_TAG_LENGTH:
        raise GateUsageError(
            f"{where} {shown}: a tag may be at most {MAX_TAG_LENGTH} characters, not {len(tag)} (Metaflow's limit)"
        )
    try:
        tag.encode("utf-8")
    except UnicodeError:
        raise GateUsageError(f"{where} {shown}: a tag must be UTF-8 encodable (Metaflow's rule)") from None
    reserved = next((p for p in RESERVED_TAG_PREFIXES if tag.startswith(p)), None)
    if reserved:
        raise GateUsageError(f"{where} {shown}: Metaflow reserves the prefix {reserved!r} for system tags")
    return tag


def validate_task(task: str, where: str) -> str:
    """``task`` if it names a task (or is empty: inferred); else a GateUsageError naming ``where``."""
    if task and task not in TASKS:
        raise GateUsageError(f"{where} {task!r}: unknown task; use one of {', '.join(TASKS)}")
    return task


def validate_scope(scope: str, where: str) -> str:
    """``scope`` if it is a champion scope (branch, project, flow); else a GateUsageError naming ``where``."""
    if scope not in SCOPES:
        raise GateUsageError(f"{where} {scope!r}: unknown champion scope; use one of {', '.join(SCOPES)}")
    return scope


def validate_on_inconclusive(value: Any, where: str) -> str:
    """``on_inconclusive``: "fail" or "pass" (what a check whose data cannot decide does);
    else a GateUsageError naming ``where``. One rule for ``[tool.modelgate]``,
    ``--gate-on-inconclusive``, ``Gate(on_inconclusive=...)`` and ``modelgate.evaluate``."""
    return tables.one_of(where, value, ON_INCONCLUSIVE)


def validate_power_effect(value: Any, where: str, strict: bool = True) -> float:
    """``power_effect``: a true effect beyond each margin (or floor) that the gate should
    detect, a finite number > 0; else a GateUsageError naming ``where``."""
    effect = tables.number(where, value, strict)
    if effect <= 0:
        raise tables.type_error(where, "a number > 0", value)
    return effect


def validate_champion_tag(tag: str, where: str) -> str:
    """``champion_tag``: "" (unset: the gate's own tag) or a tag :func:`validate_tag` accepts."""
    return validate_tag(tag, where) if tag != "" else tag


def validate_model_source(name: str, where: str) -> str:
    """``model_source``: ``auto`` or a model source's name (a lower-case word). The sources are
    registered with Metaflow's I/O (:mod:`modelgate.metaflow_io.models`), above this layer:
    the runner checks the name against them before anything is loaded."""
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise GateUsageError(f"{where} {name!r}: expected a model source's name, e.g. auto, artifact, keras")
    return name


ClassValue = str | int | float | bool


def class_value(where: str, value: Any) -> ClassValue:
    """``positive_class``: a class value as TOML or ``Gate(...)`` gives it (a string,
    integer, float or boolean); command-line and ini text stays text, matched
    to the classes by value when the labels are read (:mod:`modelgate.classes`).
    A numpy scalar (``y.max()``, ``np.True_``) is the Python value it holds."""
    from ..evidence.classes import plain

    value = plain(value)
    if isinstance(value, str):
        return tables.string(where, value)
    if isinstance(value, (bool, int)) or (isinstance(value, float) and value == value and abs(value) != float("inf")):
        return value
    raise tables.type_error(where, "a class value (a string, integer or boolean)", value)


def feature_list(where: str, value: Any) -> tuple[str, ...]:
    """``feature_columns``: a list of column names, or ``"*"`` (every column but the label).

    From TOML a list of strings or "*"; from the command line or the ini file,
    names separated by commas.
    """
    if isinstance(value, str):
        names = tuple(n.strip() for n in value.split(","))
        if value.strip() == ALL_FEATURES:
            return (ALL_FEATURES,)
    else:
        names = tables.strings(where, value)
    if not names or any(not n for n in names):
        raise GateUsageError(f'{where} {value!r}: name the feature columns, or "*" for all but the label')
    if ALL_FEATURES in names:
        raise GateUsageError(f'{where}: "*" stands alone (every column but the label), not in a list')
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise GateUsageError(f"{where}: column {duplicate!r} is named twice")
    return names


@dataclass(frozen=True)
class GateSettings:
    model_artifact: str = "model_dict"
    data_artifact: str = "val_df"
    text_column: str = "review"
    label_column: str = "labels"
    tag: str = DEFAULT_TAG
    task: str = ""  # "" : inferred from the model and the labels (binary for today's configs)
    feature_columns: tuple[str, ...] = ()  # () : the text column; ("*",): all but the label
    champion_scope: str = BRANCH_SCOPE  # where the champion is sought: branch | project | flow
    champion_tag: str = ""  # "" : the champion is the newest run in scope carrying `tag`
    positive_class: ClassValue | None = None  # binary only; None: the rule of modelgate.classes
    group_column: str = ""  # "" : rows are independent; else each row's group (cluster-aware bounds)
    model_source: str = "auto"  # how model_artifact holds the model (modelgate.metaflow_io.models)

    def __post_init__(self) -> None:
        # A backstop: config parsing and merge() validate with the source's name first.
        validate_tag(self.tag, "tag")
        validate_task(self.task, "task")
        validate_scope(self.champion_scope, "champion_scope")
        validate_champion_tag(self.champion_tag, "champion_tag")
        validate_model_source(self.model_source, "model_source")
        if self.positive_class is not None:
            class_value("positive_class", self.positive_class)

    @property
    def champion_carries(self) -> str:
        """The tag the champion carries: ``champion_tag`` when set, else the gate's tag."""
        return self.champion_tag or self.tag

    @property
    def uses_features(self) -> bool:
        """The model receives a DataFrame of feature columns, not a list of texts."""
        return bool(self.feature_columns)


HELP = {
    "model_artifact": "artifact holding the model: 'name' (end step) or 'step/name'",
    "data_artifact": "artifact holding the validation frame: 'name' (end step) or 'step/name'",
    "text_column": "column of the validation frame holding the texts",
    "label_column": "column of the validation frame holding the labels (0/1, class values or targets)",
    "tag": "Metaflow tag applied when every quality test passes",
    "task": "binary, multiclass or regression (default: inferred when the model and labels leave no doubt)",
    "feature_columns": "feature columns, comma-separated, or '*' for every column but the label: "
    "the model receives a DataFrame (default: the text column, as a list of texts)",
    "champion_scope": "where the champion is sought: 'branch' (the candidate's @project branch), "
    "'project' (any branch of its project) or 'flow' (any run); without @project, the run's namespace "
    "(user:NAME or production:TOKEN) is its branch, and project means the flow's runs without @project",
    "champion_tag": "tag that marks the deployed model, e.g. 'deployed' (see `python -m modelgate promote`): "
    "the champion is the newest run in scope carrying it (default: the gate's own tag)",
    "positive_class": "binary gates: the class the model's score is the probability of, matched to the "
    "classes by value, e.g. 2 or pos (default: 1 or True of 0/1, False/True and -1/1 labels, else the "
    "model's classes_[1]; required for other labels when the model names no classes)",
    "model_source": "how model_artifact holds the model: 'auto' (told by its value), 'artifact' (the model "
    "itself), 'keras' (the bytes of a .keras file) or 'checkpoint' (a metaflow-checkpoint @model reference)",
    "group_column": "column of the validation frame naming each row's group (a user, a customer): rows of "
    "one group are correlated, and every bound becomes cluster-aware (default: none, rows are independent)",
}


def setting_names() -> list[str]:
    return [f.name for f in fields(GateSettings)]


def setting_flag(name: str) -> str:
    """A setting's command-line option: ``task`` -> ``--gate-task``."""
    return "--gate-" + name.replace("_", "-")


def setting_ini_key(name: str) -> str:
    """A setting's ini key: ``task`` -> ``modelgate_task``."""
    return f"modelgate_{name}"


def validate_setting(name: str, value: Any, where: str) -> Any:
    """A setting's value from the command line, the ini file or ``Gate(name=...)``,
    by the setting's own rule; a GateUsageError naming ``where``."""
    if name in ("tag", "champion_tag"):  # set on purpose: '' is refused, not "unset"
        return validate_tag(value, where)
    if name == "feature_columns":
        if not isinstance(value, str) and tuple(value) == (ALL_FEATURES,):  # "*" as GateSettings keeps it
            return (ALL_FEATURES,)
        return feature_list(where, value)
    if name == "positive_class":  # TOML and Gate(...) keep its type; command-line text is matched later
        return class_value(where, value)
    value = tables.string(where, value)
    if name == "task":
        return validate_task(value, where)
    if name == "champion_scope":
        return validate_scope(value, where)
    if name == "model_source":
        return validate_model_source(value, where)
    return value
