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
    # group_column = "user_id"         # rows come in groups (one user's reviews): cluster-aware bounds
    tag = "deployment_candidate"
    champion_scope = "branch"          # branch | project | flow: where the champion is sought
    # champion_tag = "deployed"        # the champion carries this tag (default: the gate's tag)
    smoke_cases = "gate/smoke_cases.csv"   # relative to this file
    require_champion = false
    on_inconclusive = "fail"           # data too thin to decide: the check fails ("pass": passes, with a warning)

    [[tool.modelgate.checks]]
    metric = "roc_auc"                 # binary: roc_auc | accuracy | f1 | log_loss | brier
                                       # multiclass: accuracy | macro_f1 | log_loss | roc_auc_ovr
                                       # regression: mae | rmse | r2 | median_ae | p90_ae
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

from ..names import DEFAULT_TAG
from .gate_config import GateConfig, by_kind, check_unique_names, parse_check_option, parse_table
from .loading import load_config, misspelt
from .merge import merge
from .search import ConfigChoice, choose_config, find_config, project_root
from .settings import (
    HELP,
    MAX_TAG_LENGTH,
    ClassValue,
    GateSettings,
    class_value,
    feature_list,
    setting_flag,
    setting_ini_key,
    setting_names,
    validate_champion_tag,
    validate_on_inconclusive,
    validate_power_effect,
    validate_scope,
    validate_setting,
    validate_tag,
    validate_task,
)

__all__ = [
    "DEFAULT_TAG",
    "HELP",
    "MAX_TAG_LENGTH",
    "ClassValue",
    "ConfigChoice",
    "GateConfig",
    "GateSettings",
    "by_kind",
    "check_unique_names",
    "choose_config",
    "class_value",
    "feature_list",
    "find_config",
    "load_config",
    "merge",
    "misspelt",
    "parse_check_option",
    "parse_table",
    "project_root",
    "setting_flag",
    "setting_ini_key",
    "setting_names",
    "validate_champion_tag",
    "validate_on_inconclusive",
    "validate_power_effect",
    "validate_scope",
    "validate_setting",
    "validate_tag",
    "validate_task",
]
