"""Model sources: where a run keeps its model, and how the gate loads it from there.

The config's ``model_artifact`` names an artifact; what that artifact holds
depends on how the team saves models:

- ``artifact``: the model itself, pickled by Metaflow (a scikit-learn
  estimator, the tutorial's ``model_dict``, a Keras model);
- ``keras``: the bytes of a Keras file (``model.save("m.keras")``, then
  ``self.model = Path("m.keras").read_bytes()``), loaded with
  ``keras.saving.load_model``;
- ``checkpoint``: the reference that ``current.model.save(path)`` returns under
  metaflow-checkpoint's ``@model`` decorator; the files it points to are
  fetched with metaflow-checkpoint's ``load_model`` (outside any task) and
  loaded: a Keras file, or a pickle (``.pkl``, ``.pickle``, ``.joblib``).

``model_source = "auto"`` (the default) tells them apart by the artifact's
value: bytes with the Keras file's zip signature are a Keras file, a
metaflow-checkpoint reference (a dict with ``type = "model"`` or
``"checkpoint"`` and a ``key``) is a checkpoint, anything else is the model
itself. Naming a source makes a value that is not of that kind a usage error.

Adding a source is one :data:`MODEL_SOURCES` ``register`` call below: its name
(the config value), what it holds (for messages and the docs), whether an
artifact's value is one (for ``auto``) and how to load it. Heavy imports
(TensorFlow, metaflow-checkpoint) happen only when a model of that kind is loaded.
Every failure is a one-line :class:`~modelgate.errors.GateUsageError` naming the run.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GateUsageError
from ..registry import Registry
from . import pickles, runs
from .outages import one_line

AUTO = "auto"
ARTIFACT = "artifact"
KERAS = "keras"
CHECKPOINT = "checkpoint"
_ZIP = b"PK\x03\x04"  # a Keras 3 file is a zip archive (config.json, metadata.json, model.weights.h5)
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


@dataclass(frozen=True)
class Origin:
    """Where a model comes from, for messages: ``artifact 'model' of champion run F/1``,
    and the run that made it (whose Python version an unpickling error names)."""

    what: str
    run: str | None = None


@dataclass(frozen=True)
class ModelSource:
    """One way a run keeps its model (a :data:`MODEL_SOURCES` entry).

    ``holds``: what the artifact holds, in words (messages, the docs);
    ``recognizes(value)``: whether an artifact's value is of this kind (for ``auto``);
    ``load(value, origin)``: the model, or a GateUsageError naming ``origin``.
    """

    name: str
    holds: str
    recognizes: Callable[[Any], bool]
    load: Callable[[Any, Origin], Any]


MODEL_SOURCES: Registry[ModelSource] = Registry("model source")


def source_names() -> tuple[str, ...]:
    """The values ``model_source`` takes: ``auto`` and every registered source."""
    return (AUTO, *MODEL_SOURCES)


def check_source(name: str, where: str = "model_source") -> str:
    """``name`` if it is ``auto`` or a registered source; else a GateUsageError naming ``where``."""
    if name != AUTO and name not in MODEL_SOURCES:
        raise GateUsageError(f"{where} {name!r}: unknown model source; use one of {', '.join(source_names())}")
    return name


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(value: Any) -> str:
    """What an artifact holds, briefly, for a message."""
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value):,} bytes starting {bytes(value[:8])!r}"
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:6])
        return f"a dict with keys {keys}" if keys else "an empty dict"
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def choose(value: Any, name: str = AUTO) -> ModelSource:
    """The source of an artifact's value: the one named, or (``auto``) the first registered
    source other than ``artifact`` that recognizes it, else ``artifact``."""
    check_source(name)
    if name != AUTO:
        return MODEL_SOURCES[name]
    for source in MODEL_SOURCES.values():
        if source.name != ARTIFACT and source.recognizes(value):
            return source
    return MODEL_SOURCES[ARTIFACT]


def resolve(value: Any, name: str = AUTO, origin: Origin | str = "the model") -> Any:
    """The model an artifact's value stands for, through its source (:func:`choose`)."""
    origin = Origin(origin) if isinstance(origin, str) else origin
    source = choose(value, name)
    if name != AUTO and not source.recognizes(value):
        raise GateUsageError(
            f"{origin.what} is not {source.holds} (model_source = {name!r}): it holds {_shown(value)}; "
            f'set model_source to the right one, or "auto"'
        )
    return source.load(value, origin)


def load_model(pathspec: str, artifact: str, *, role: str, source: str = AUTO) -> Any:
    """A run's model: its artifact loaded (:func:`~modelgate.metaflow_io.runs.load_artifact`),
    then resolved through its source (:func:`resolve`)."""
    value = runs.load_artifact(pathspec, artifact, role=role)
    return resolve(value, source, Origin(f"artifact {artifact!r} of {role} run {pathspec}", pathspec))


# -- a plain artifact ------------------------------------------------------------------
MODEL_SOURCES.register(ModelSource(ARTIFACT, "the model itself", lambda value: True, lambda value, origin: value))


# -- a Keras file, as bytes --------------------------------------------------------------
def _keras_zip(value: Any) -> zipfile.ZipFile | None:
    if not isinstance(value, (bytes, bytearray, memoryview)) or bytes(value[:4]) != _ZIP:
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(value)))
    except zipfile.BadZipFile:
        return None
    return archive if "config.json" in archive.namelist() else None


def is_keras_file(value: Any) -> bool:
    """Bytes of a Keras 3 file: a zip archive holding ``config.json``."""
    return _keras_zip(value) is not None


def _keras_versions(data: bytes) -> str:
    """``; saved with Keras 3.1.0, this environment has Keras 3.15.1``, from the file's metadata.json."""
    import json

    archive = _keras_zip(data)
    try:
        saved = json.loads(archive.read("metadata.json")).get("keras_version") if archive else None
    except Exception:  # only a hint
        saved = None
    from importlib import metadata

    try:
        here = metadata.version("keras")
    except metadata.PackageNotFoundError:
        here = "none"
    return f"; saved with Keras {saved or '(unknown)'}, this environment has Keras {here}"


def load_keras_file(path: str | os.PathLike[str], origin: Origin) -> Any:
    """``keras.saving.load_model(path)``, TensorFlow's start-up lines kept out; a GateUsageError
    naming ``origin`` and the Keras versions when it fails."""
    from ..quiet import tensorflow_quieted

    try:
        with tensorflow_quieted():
            import keras
    except ImportError:
        raise GateUsageError(
            f"{origin.what} is a Keras file, but Keras is not installed here: pip install 'modelgate[tensorflow]'"
        ) from None
    try:
        with tensorflow_quieted():
            return keras.saving.load_model(path, compile=False)
    except Exception as exc:
        versions = _keras_versions(Path(path).read_bytes())
        raise GateUsageError(
            f"cannot load the Keras file in {origin.what}: {type(exc).__name__}: {_cut(one_line(exc))}{versions}"
        ) from None


def _load_keras_bytes(value: Any, origin: Origin) -> Any:
    data = bytes(value)
    if not is_keras_file(data):
        raise GateUsageError(
            f"{origin.what} is not a Keras file: it holds {_shown(value)} (expected the bytes of a .keras file)"
        )
    with tempfile.TemporaryDirectory(prefix="modelgate-keras-") as folder:
        path = Path(folder, "model.keras")  # keras.saving.load_model reads a file named *.keras
        path.write_bytes(data)
        return load_keras_file(path, origin)


MODEL_SOURCES.register(ModelSource(KERAS, "the bytes of a Keras file (.keras)", is_keras_file, _load_keras_bytes))


# -- a metaflow-checkpoint @model reference -------------------------------------------------
_REFERENCE_TYPES = ("model", "checkpoint")


def is_checkpoint_reference(value: Any) -> bool:
    """A metaflow-checkpoint reference: the dict ``current.model.save`` (or
    ``current.checkpoint.save``) returns, or its ModelArtifact/CheckpointArtifact object."""
    if not isinstance(value, dict):
        to_dict = getattr(value, "to_dict", None)
        if not callable(to_dict) or type(value).__name__ not in ("ModelArtifact", "CheckpointArtifact"):
            return False
        value = to_dict()
    return value.get("type") in _REFERENCE_TYPES and isinstance(value.get("key"), str)


def _reference_key(value: Any) -> str:
    ref = value if isinstance(value, dict) else getattr(value, "to_dict", dict)()
    return str(ref.get("key") or ref.get("model_uuid") or "?")


def _reference_run(value: Any, origin: Origin) -> str | None:
    """The run whose task saved the referenced model (``pathspec`` names its task)."""
    ref = value if isinstance(value, dict) else getattr(value, "to_dict", dict)()
    pathspec = ref.get("pathspec")
    return "/".join(pathspec.split("/")[:2]) if isinstance(pathspec, str) and pathspec.count("/") >= 1 else origin.run


def _load_checkpoint(value: Any, origin: Origin) -> Any:
    try:
        from metaflow import load_model as fetch  # type: ignore[attr-defined]  # metaflow-checkpoint promotes it
    except ImportError:
        raise GateUsageError(
            f"{origin.what} is a metaflow-checkpoint model reference, but metaflow-checkpoint is not installed "
            "here: pip install 'modelgate[checkpoint]'"
        ) from None
    key = _reference_key(value)
    made_by = Origin(f"the model {key} referenced by {origin.what}", _reference_run(value, origin))
    with tempfile.TemporaryDirectory(prefix="modelgate-checkpoint-") as folder:
        try:
            with runs.global_namespace():
                fetch(value, folder)
        except Exception as exc:
            runs._unless_unavailable(f"cannot fetch the model {key} referenced by {origin.what}", exc)
            raise GateUsageError(
                f"cannot resolve the metaflow-checkpoint reference in {origin.what} (key {key}): "
                f"{type(exc).__name__}: {_cut(one_line(exc))}"
            ) from None
        return load_model_files(Path(folder), made_by)


def load_model_files(folder: Path, origin: Origin) -> Any:
    """The model saved as the files in ``folder``: one Keras file, or one pickle
    (``.pkl``, ``.pickle``, ``.joblib``; or a single file that is a pickle)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    shown = ", ".join(str(p.relative_to(folder)) for p in files[:8]) or "no files"
    kerases = [p for p in files if p.suffix == ".keras" or (len(files) == 1 and _starts(p, _ZIP))]
    pickled = [p for p in files if p.suffix in _PICKLE_SUFFIXES or (len(files) == 1 and _starts(p, b"\x80"))]
    if len(kerases) + len(pickled) != 1:
        raise GateUsageError(
            f"{origin.what}: expected one model file (a .keras file, or a pickle: "
            f"{', '.join(_PICKLE_SUFFIXES)}), found {shown}"
        )
    if kerases:
        return load_keras_file(kerases[0], origin)
    return unpickle_file(pickled[0], origin)


def _starts(path: Path, signature: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(signature)) == signature


def unpickle_file(path: Path, origin: Origin) -> Any:
    """A pickle (or joblib) file's object; a GateUsageError saying what differs when it cannot be
    unpickled here, a ModelVersionWarning when scikit-learn warns of another release."""
    from ..quiet import tensorflow_quieted

    what = f"{origin.what} ({path.name})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with tensorflow_quieted():
                if path.suffix == ".joblib":
                    import joblib  # type: ignore[import-untyped]  # scikit-learn's dependency

                    model = joblib.load(path)
                else:
                    with path.open("rb") as handle:
                        model = pickle.load(handle)  # noqa: S301  (the run's own model, as Metaflow unpickles artifacts)
        except Exception as exc:
            failure: Exception | None = exc
        else:
            failure = None
    if failure is not None:
        why = pickles.why_not_loaded(failure, caught, runs.python_version_of(origin.run) if origin.run else None)
        raise GateUsageError(f"cannot unpickle {what}: {type(failure).__name__}: {_cut(one_line(failure))}{why}")
    pickles.pass_on(caught, what)
    return model


MODEL_SOURCES.register(
    ModelSource(
        CHECKPOINT,
        "a metaflow-checkpoint model reference (current.model.save under @model)",
        is_checkpoint_reference,
        _load_checkpoint,
    )
)
