"""Settings: where the model and the data live in a run, and which tag to manage.

Each setting can come from the command line (``--model-artifact``), from the
pytest ini file (``modelgate_model_artifact = ...`` under ``[pytest]`` or
``[tool.pytest.ini_options]``), or keep its default, which matches the
Metaflow NLP tutorial. The command line wins over the ini file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .tagging import DEFAULT_TAG


@dataclass(frozen=True)
class GateSettings:
    model_artifact: str = "model_dict"
    data_artifact: str = "val_df"
    text_column: str = "review"
    label_column: str = "labels"
    tag: str = DEFAULT_TAG


HELP = {
    "model_artifact": "artifact holding the model: 'name' (end step) or 'step/name'",
    "data_artifact": "artifact holding the validation frame: 'name' (end step) or 'step/name'",
    "text_column": "column of the validation frame holding the texts",
    "label_column": "column of the validation frame holding the 0/1 labels",
    "tag": "Metaflow tag applied when every quality test passes",
}


def setting_names() -> list[str]:
    return [f.name for f in fields(GateSettings)]


def merge(cli: dict[str, str | None], ini: dict[str, str | None]) -> GateSettings:
    """Command line over ini over defaults; empty values count as unset."""
    chosen = {}
    for name in setting_names():
        value = cli.get(name) or ini.get(name)
        if value:
            chosen[name] = value.strip()
    return GateSettings(**chosen)
