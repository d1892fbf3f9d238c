"""Configuration: what to gate and how, from ``[tool.modelgate]`` and the command line.

A gate can be declared with no Python at all::

    [tool.modelgate]
    model_artifact = "model_dict"      # 'name' (end step) or 'step/name'
    data_artifact = "val_df"
    text_column = "review"             # the model receives a list of texts...
    # feature_columns = ["age", "income"] # ...or a DataFrame of these columns ("*": all but the label)
    label_column = "labels"
    task = "binary"                    # binary | multiclass | regression (unset: inferred when unambiguous)
    # positive_class = 2               # binary: the class the score is the probability of (modelgate.classes)
    tag = "deployment_candidate"
    champion_scope = "branch"          # branch | project | flow: where the champion is sought
    # champion_tag = "deployed"        # the champion carries this tag (default: the gate's tag)
    smoke_cases = "gate/smoke_cases.csv"   # relative to this file
    require_champion = false

    [[tool.modelgate.checks]]
    metric = "roc_auc"                 # binary: roc_auc | accuracy | f1 | log_loss | brier
                                       # multiclass: accuracy | macro_f1 | log_loss | roc_auc_ovr
                                       # regression: mae | rmse | r2
    baseline = "majority"              # majority (classification) | mean | median (regression) | champion | Flow/run_id
    margin = 0.10
    relative = false
    confidence = 0.95                  # or "none" for the point estimate

    [[tool.modelgate.checks]]
    metric = "roc_auc"
    at_least = 0.85                    # a floor (at_most for lower-is-better metrics): no baseline

    [[tool.modelgate.properties]]
    kind = "directional"               # text: invariance | directional; columns: invariance (column =) | monotonic
    direction = "negative"
    sentences = ["It fell apart and I returned it."]
    n_examples = 200
    max_failure_rate = 0.05

Precedence, per setting: command line, then the pytest ini file
(``modelgate_<key>``), then ``[tool.modelgate]``, then the defaults below
(the Metaflow NLP tutorial's names). Unknown keys, unknown metrics and bad
values are :class:`GateUsageError` naming the key; in TOML, numbers and
booleans must be TOML numbers and booleans (``margin = "0.30"`` is refused),
while ``--gate-check key=value`` text is parsed. Tags follow one rule,
:func:`validate_tag`, whichever front end they come from.

Without ``--gate-config``, the file is the nearest ``pyproject.toml`` whose
TOML has a ``tool.modelgate`` table, from each test path (``promote``: the
current folder) up to the project root, never above it (:func:`find_config`);
all test paths must lead to the same file. A ``[tool.X]`` table named within a
typo of ``modelgate`` is an error, never silently skipped.
"""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any


from . import tables
from .errors import GateUsageError
from .names import ALL_FEATURES, BRANCH_SCOPE, DEFAULT_TAG, SCOPES, TASKS

if TYPE_CHECKING:  # the check kinds are imported when a table is parsed: `pytest --help` stays light
    from .checks import Check, MarginCheck
    from .floors import FloorCheck
    from .properties import PropertyCheck


# Metaflow's own limit on a tag (metaflow.tagging_util.MAX_TAG_SIZE); not
# imported from there so that reading a config never imports Metaflow.
MAX_TAG_LENGTH = 500
# Prefixes of the system tags Metaflow writes on every run: its system info
# (runtime, python_version, the identity user: or production:, metaflow_version,
# metaflow_r_version, r_version), @project's project: and project_branch:, and
# date: and origin- kept for metadata services and clones. A user tag with one
# of these names is confused with (or silently swallowed by) a system tag.
RESERVED_TAG_PREFIXES = (
    "user:", "production:", "runtime:", "python_version:", "metaflow_version:", "metaflow_r_version:",
    "r_version:", "project:", "project_branch:", "date:", "origin-",
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


def validate_champion_tag(tag: str, where: str) -> str:
    """``champion_tag``: "" (unset: the gate's own tag) or a tag :func:`validate_tag` accepts."""
    return validate_tag(tag, where) if tag != "" else tag


ClassValue = str | int | float | bool


def class_value(where: str, value: Any) -> ClassValue:
    """``positive_class``: a class value as TOML or ``Gate(...)`` gives it (a string,
    integer, float or boolean); command-line and ini text stays text, matched
    to the classes by value when the labels are read (:mod:`modelgate.classes`).
    A numpy scalar (``y.max()``, ``np.True_``) is the Python value it holds."""
    from .classes import plain

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
        raise GateUsageError(f"{where} {value!r}: name the feature columns, or \"*\" for all but the label")
    if ALL_FEATURES in names:
        raise GateUsageError(f"{where}: \"*\" stands alone (every column but the label), not in a list")
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

    def __post_init__(self) -> None:
        # A backstop: config parsing and merge() validate with the source's name first.
        validate_tag(self.tag, "tag")
        validate_task(self.task, "task")
        validate_scope(self.champion_scope, "champion_scope")
        validate_champion_tag(self.champion_tag, "champion_tag")
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
}


def setting_names() -> list[str]:
    return [f.name for f in fields(GateSettings)]


@dataclass(frozen=True)
class GateConfig:
    """Everything a gate needs to know besides the run itself."""

    settings: GateSettings = field(default_factory=GateSettings)
    declared: Mapping[str, tuple[Check, ...]] = field(default_factory=dict)  # check kind -> its checks
    smoke_cases: Path | None = None
    require_champion: bool = False
    source: Path | None = None  # the pyproject.toml it came from


    @property
    def checks(self) -> tuple[MarginCheck, ...]:
        """The margin checks (``[[tool.modelgate.checks]]`` and ``--gate-check``)."""
        return self.declared.get("margin", ())  # type: ignore[return-value]

    @property
    def floors(self) -> tuple[FloorCheck, ...]:
        """The floors (``at_least``/``at_most`` entries of ``[[tool.modelgate.checks]]``, ``--gate-check``)."""
        return self.declared.get("floor", ())  # type: ignore[return-value]

    @property
    def properties(self) -> tuple[PropertyCheck, ...]:
        """The behavioural properties (``[[tool.modelgate.properties]]``)."""
        return self.declared.get("property", ())  # type: ignore[return-value]

    @property
    def baseline_names(self) -> list[str]:
        return sorted({c.baseline for c in self.checks})

    def all_checks(self) -> tuple[Check, ...]:
        """Every check the config declares in a table, in the order of CHECK_KINDS."""
        from .checks import CHECK_KINDS

        unknown = sorted(set(self.declared) - set(CHECK_KINDS))
        if unknown:  # never drop a check: an unregistered kind would pass by not running
            raise GateUsageError(f"check kind {unknown[0]!r} is not registered (known: {', '.join(CHECK_KINDS)})")
        return tuple(check for kind in CHECK_KINDS for check in self.declared.get(kind, ()))


OTHER_KEYS = ("smoke_cases", "require_champion")


def by_kind(checks: Sequence[Check]) -> dict[str, tuple[Check, ...]]:
    """Checks grouped by their kind (``GateConfig.declared``), each kind's in the given order."""
    grouped: dict[str, tuple[Check, ...]] = {}
    for check in checks:
        grouped[check.check_kind] = grouped.get(check.check_kind, ()) + (check,)
    return grouped


def top_keys() -> set[str]:
    """The keys ``[tool.modelgate]`` allows: settings, one table per check kind, the rest."""
    from .checks import CHECK_KINDS

    tables_of_kinds = {k.table for k in CHECK_KINDS.values() if k.table}
    return set(setting_names()) | tables_of_kinds | set(OTHER_KEYS)


def parse_check_option(text: str, index: int) -> Check:
    """``--gate-check metric=roc_auc,baseline=champion,margin=-0.01`` (a margin check) or
    ``--gate-check metric=roc_auc,at_least=0.85`` (a floor): routed as a ``checks`` table is."""
    raw: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise GateUsageError(f"--gate-check {text!r}: {part!r} is not key=value")
        raw[key.strip()] = value.strip()
    from .checks import kind_for_entry

    kind = kind_for_entry("checks", raw)
    assert kind.parse is not None  # kind_for_entry returns kinds with a parser
    return kind.parse(raw, f"--gate-check #{index + 1}", False)


def parse_table(table: Any, source: Path | None = None) -> GateConfig:
    """A ``[tool.modelgate]`` table as a GateConfig; GateUsageError naming the key.

    Each check kind's array of tables is read by the kind's own parser
    (:data:`modelgate.checks.CHECK_KINDS`).
    """
    from .checks import CHECK_KINDS, kind_for_entry

    where = "[tool.modelgate]"
    if not isinstance(table, dict):
        raise tables.type_error(where, "a table", table)
    known = top_keys()
    unknown = sorted(set(table) - known)
    if unknown:
        raise GateUsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    special = ("tag", "feature_columns", "task", "champion_scope", "champion_tag", "positive_class")
    chosen: dict[str, Any] = {
        k: tables.string(f"{where}.{k}", table[k]) for k in setting_names() if k in table and k not in special
    }
    if "task" in table:
        chosen["task"] = validate_task(tables.string(f"{where}.task", table["task"]), f"{where}.task")
    if "champion_scope" in table:
        where_scope = f"{where}.champion_scope"
        chosen["champion_scope"] = validate_scope(tables.string(where_scope, table["champion_scope"]), where_scope)
    if "champion_tag" in table:
        if not isinstance(table["champion_tag"], str):
            raise tables.type_error(f"{where}.champion_tag", "a non-empty string", table["champion_tag"])
        chosen["champion_tag"] = validate_tag(table["champion_tag"], f"{where}.champion_tag")
    if "positive_class" in table:
        chosen["positive_class"] = class_value(f"{where}.positive_class", table["positive_class"])
    if "feature_columns" in table:
        chosen["feature_columns"] = feature_list(f"{where}.feature_columns", table["feature_columns"])
    if "tag" in table:
        if not isinstance(table["tag"], str):
            raise tables.type_error(f"{where}.tag", "a non-empty string", table["tag"])
        chosen["tag"] = validate_tag(table["tag"], f"{where}.tag")
    declared: dict[str, tuple[Check, ...]] = {}
    for kind in CHECK_KINDS.values():
        if kind.table is None or kind.parse is None:
            continue
        raw = table.get(kind.table, [])
        if not isinstance(raw, list):
            raise tables.type_error(
                f"{where}.{kind.table}", f"an array of tables ([[tool.modelgate.{kind.table}]])", raw
            )
        parse = kind.parse
        # Kinds may share a table (margin checks and floors in "checks"): each entry is
        # read by the kind that claims it, and keeps its index in the shared array.
        declared[kind.name] = tuple(
            parse(t, f"{where}.{kind.table}[{i}]", True)
            for i, t in enumerate(raw)
            if kind_for_entry(kind.table, t) is kind
        )
    smoke = None
    if "smoke_cases" in table:
        smoke = Path(tables.string(f"{where}.smoke_cases", table["smoke_cases"]))
        if source is not None and not smoke.is_absolute():
            smoke = source.parent / smoke
    require = tables.boolean(f"{where}.require_champion", table.get("require_champion", False))
    config = GateConfig(GateSettings(**chosen), declared, smoke_cases=smoke, require_champion=require, source=source)
    return check_unique_names(config)


def check_unique_names(config: GateConfig) -> GateConfig:
    """Each configured check becomes a test item named after it: names must differ."""
    names = [c.name for c in config.all_checks()]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise GateUsageError(f"two configured checks are named {duplicate!r}; give one a name")
    return config


# The last parse of each file, with the bytes it was parsed from: find_config()
# and then load_config() on the same file parse it once, and a file that
# changed in between (a test rewriting it) is parsed again.
_PARSED: dict[Path, tuple[bytes, dict[str, Any]]] = {}


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a document; GateUsageError naming the file when it cannot be read or parsed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GateUsageError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise GateUsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    key = path.resolve()
    cached = _PARSED.get(key)
    if cached is not None and cached[0] == data:
        return cached[1]
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GateUsageError(f"config file {path} is not valid TOML: {exc}") from None
    if len(_PARSED) >= 32:
        _PARSED.clear()
    _PARSED[key] = (data, document)
    return document


def _gate_table(document: dict[str, Any], path: Path) -> Any:
    """``document["tool"]["modelgate"]`` however the TOML spells it, or None.

    A ``[tool.X]`` table named within a typo of ``modelgate`` (``model_gate``,
    ``modelgate_``, ``ModelGate``) is a GateUsageError naming the file: skipped,
    it would let the search fall through to another config, or to none.
    """
    for key, value in document.items():  # [modelgate], [tools.modelgate], [Tool.modelgate]: never read
        if key == "tool":
            continue
        if key.lower() == "modelgate" or _misspelt(key):
            shown = key
        elif isinstance(value, dict) and _near(key, "tool"):
            shown = next((f"{key}.{n}" for n in value if n == "modelgate" or _misspelt(n)), "")
        else:
            shown = ""
        if shown:
            raise GateUsageError(f"config file {path}: unknown table [{shown}]: did you mean [tool.modelgate]?")
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise GateUsageError(f"config file {path}: 'tool' is not a table")
    near = next((name for name in tool if _misspelt(name)), None)
    if near is not None:
        raise GateUsageError(f"config file {path}: unknown table [tool.{near}]: did you mean [tool.modelgate]?")
    return tool.get("modelgate")


def _near(name: str, word: str) -> bool:
    """``name`` is ``word`` give or take case, ``-``/``_`` and a letter."""
    folded = name.lower().replace("-", "").replace("_", "")
    return folded == word or difflib.SequenceMatcher(None, folded, word).ratio() >= 0.75


def _misspelt(name: str) -> bool:
    """``name`` is not ``modelgate`` but within a typo of it (case, ``-``/``_``, a letter or two)."""
    if name == "modelgate":
        return False
    folded = name.lower().replace("-", "").replace("_", "")
    return folded == "modelgate" or difflib.SequenceMatcher(None, name.lower(), "modelgate").ratio() >= 0.85


def load_config(path: str | Path, *, required: bool = False) -> GateConfig:
    """The ``[tool.modelgate]`` table of a TOML file (empty config when it has none;
    with ``required``, a GateUsageError)."""
    path = Path(path)
    table = _gate_table(_read_toml(path), path)
    if table is None:
        if required:
            raise GateUsageError(f"config file {path} has no [tool.modelgate] table")
        return GateConfig(source=path)
    return parse_table(table, path.resolve())


# -- where the config comes from ---------------------------------------------------
# A folder holding .git (a folder; a file in a git worktree or submodule) or one of these is a project root...
PROJECT_FILES = ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "setup.py")
# ...and so is one whose pyproject.toml declares a project. One with only [tool.modelgate] does not:
# a planted /tmp/pyproject.toml must not make /tmp a project.
PROJECT_TABLES = ("project", "build-system")


def project_root(folder: Path) -> str:
    """Why ``folder`` is a project root, said for people ("" : it is not one)."""
    if (folder / ".git").exists():
        return f"the repository root {folder}"
    marker = next((name for name in PROJECT_FILES if (folder / name).is_file()), None)
    pyproject = folder / "pyproject.toml"
    if marker is None and pyproject.is_file():
        document = _read_toml(pyproject)
        tool = document.get("tool")
        if any(t in document for t in PROJECT_TABLES) or (isinstance(tool, dict) and "pytest" in tool):
            marker = "pyproject.toml"
    return f"the project root {folder} ({marker})" if marker else ""


def _search_folders(start: Path, here: Path) -> tuple[list[Path], str]:
    """The folders searched from one start, nearest first, and where the search stops.

    Up to the first project root (inclusive). With none above the start, up to
    ``here`` (the folder the gate runs from) when the start is inside it, else
    the start's own folder only: a folder above is never anyone's project.
    """
    folder = start if start.is_dir() else start.parent
    chain = [folder, *folder.parents]
    # A folder anyone can write to (/tmp, /var/tmp, /dev/shm) is nobody's project: its
    # pyproject.toml, with a [project] table or not, may have been planted by another user.
    shared = next((f for f in chain if _writable_by_others(f)), None)
    if shared is not None:
        chain = chain[: chain.index(shared)]
        if not chain:
            return [], f"{shared}, which is writable by anyone (not searched)"
    # Inside a git repository its root is the boundary: a lint-only setup.cfg or tox.ini in a
    # subfolder must not hide the repository's gate table. Outside one, the first project file is.
    repository = next((i for i, candidate in enumerate(chain) if (candidate / ".git").exists()), None)
    if repository is not None:
        return chain[: repository + 1], project_root(chain[repository])
    for i, candidate in enumerate(chain):
        root = project_root(candidate)
        if root:
            return chain[: i + 1], root
    if folder.is_relative_to(here) and here in chain:
        return chain[: chain.index(here) + 1], f"the folder it runs from, {here} (no project root above it)"
    if shared is not None and folder.is_relative_to(here):
        return chain, f"{chain[-1]} (no project root above it; {shared} above it is writable by anyone)"
    return [folder], "its own folder (no project root above it)"


def _writable_by_others(folder: Path) -> bool:
    """A shared temporary folder: writable by anyone, with the sticky bit (/tmp). A
    checkout made with umask 0 (777, no sticky bit: some CI runners) is not one."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return bool(mode & stat.S_IWOTH and mode & stat.S_ISVTX)


def _shown(path: Path, here: Path) -> str:
    """A path as the user knows it: relative to the folder the gate runs from when inside it."""
    if path.is_relative_to(here) and path != here:
        return str(path.relative_to(here))
    return str(path)


@dataclass(frozen=True)
class ConfigChoice:
    """The config file a front end uses (None: none), and why, for the header and errors."""

    path: Path | None
    why: str
    shown: str = ""

    def __str__(self) -> str:
        return f"{self.shown or self.path or 'none'} ({self.why})"


def find_config(starts: Sequence[Path], here: Path, what: str = "test path") -> ConfigChoice:
    """The ``pyproject.toml`` with a ``[tool.modelgate]`` table for these starts, and why.

    The rule, the same for every front end: from each start (a test path, a
    folder or a file's folder; ``promote``: the current folder) the search
    walks up to the first project root, a folder holding ``.git`` (a folder or
    a file), ``pytest.ini``, ``tox.ini``, ``setup.cfg``, ``setup.py`` or a
    ``pyproject.toml`` with a ``[project]``, ``[build-system]`` or
    ``[tool.pytest...]`` table, and takes the nearest ``pyproject.toml`` with
    a ``tool.modelgate`` table. Nothing above that root is read, even when
    pytest took a ``pyproject.toml`` above it as its rootdir; so the search
    never leaves the repository it starts in (its root holds ``.git``). With
    no project root above a start, the search stops at ``here``, the folder
    the gate runs from (a start outside it: its own folder only). Each
    candidate is parsed as TOML (an invalid one is a GateUsageError naming
    it). Every start must lead to the same config (or all to none): test paths
    with different configs are a GateUsageError. With no starts, the search
    starts at ``here``.
    """
    # Absolute, but symlinks kept: the search walks up the path pytest collects (and takes
    # its rootdir from), not the one a linked suite folder points to.
    here = Path(os.path.abspath(here))
    found: dict[Path, tuple[Path | None, str]] = {}
    for start in [Path(os.path.abspath(Path(here, s))) for s in starts] or [here]:
        folders, stop = _search_folders(start, here)
        candidates = (f / "pyproject.toml" for f in folders)
        config = next((c for c in candidates if c.is_file() and _gate_table(_read_toml(c), c) is not None), None)
        found[start] = (config, stop)
    (first, (config, stop)), *rest = found.items()
    other = next(((s, c) for s, (c, _) in rest if c != config), None)
    if other is not None:
        names = [_shown(c, here) if c else "no config" for c in (config, other[1])]
        raise GateUsageError(
            f"test paths {_shown(first, here)} and {_shown(other[0], here)} use different gate configs "
            f"({names[0]}, {names[1]}): run them in separate sessions or pass --gate-config"
        )
    if config is None:
        return ConfigChoice(None, f"no [tool.modelgate] between {_shown(first, here)} and {stop}")
    return ConfigChoice(config, f"nearest [tool.modelgate] above the {what} {_shown(first, here)}", _shown(config, here))


def choose_config(
    named: str | None, starts: Sequence[Path], here: Path, what: str = "test path"
) -> tuple[GateConfig, ConfigChoice]:
    """The config of a front end, and why: the file ``named`` (``--gate-config``,
    relative to ``here``; it must have the table), else :func:`find_config`'s.
    Errors in the file say which file it is, and why it was chosen."""
    if named:
        path = Path(here, named)
        choice = ConfigChoice(path.resolve(), "--gate-config", named)
    else:
        choice = find_config(starts, here, what)
    try:
        return (load_config(choice.path, required=bool(named)) if choice.path else GateConfig()), choice
    except GateUsageError as exc:  # a bad key or value: say in which file, and why that file
        raise GateUsageError(f"{exc}; gate config: {choice}") from None


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
    return value


def merge(base: GateConfig, ini: dict[str, str | None], cli: dict[str, Any]) -> GateConfig:
    """Layer the ini file and the command line over a file config."""
    chosen: dict[str, Any] = {}
    for name in setting_names():
        # A command-line value given at all counts, even '' (refused below); an
        # empty ini value is pytest's "not set".
        if cli.get(name) is not None:
            value, where = cli[name], "--gate-" + name.replace("_", "-")
        elif ini.get(name):
            value, where = ini[name], f"modelgate_{name} (ini)"
        else:
            continue
        chosen[name] = validate_setting(name, value, where)
    config = replace(base, settings=replace(base.settings, **chosen))
    if cli.get("smoke_cases") is not None:
        config = replace(config, smoke_cases=Path(tables.string("--gate-smoke-cases", cli["smoke_cases"])))
    if cli.get("require_champion"):
        config = replace(config, require_champion=True)
    if cli.get("checks"):
        extra = tuple(parse_check_option(t, i) for i, t in enumerate(cli["checks"]))
        config = check_unique_names(replace(config, declared=by_kind(config.all_checks() + extra)))
    return config
