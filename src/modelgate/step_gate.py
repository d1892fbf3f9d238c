"""``@gate``: the gate as a Metaflow step decorator.

On the step that produces the model and the validation data::

    from modelgate import gate

    @gate(config="gate.toml")
    @step
    def train(self):
        self.model = ...
        self.val_df = ...
        self.next(self.end)

or, with no change to the flow's code (the gate acts in ``end``, or in
``step=NAME``; on every other step it does nothing)::

    python train.py run --with modelgate.gate:config=gate.toml,step=train

After the step's body, in the same task, the gate scores the step's model
artifact on its data artifact (``model_artifact`` and ``data_artifact`` of
the config), stores the verdict as the artifacts ``modelgate_verdict`` (the
plain dict of :meth:`~modelgate.verdict.Verdict.to_dict`) and
``modelgate_passed`` (with ``modelgate_data_fingerprint`` and ``modelgate_plot``,
the labels and scores that ``@card(type="modelgate")`` draws), and fails the step when the verdict fails (unless
``on_fail="record"``). The run is tagged at the very end of the ``end`` step,
when every step before it has succeeded and every gated task passed.

Built on Metaflow's public extension points: ``gate`` is a ``StepMutator``
(it decides, when the flow is launched, which step it acts in, checks its
arguments and puts the config file in the code package through
``add_to_package``) that adds two ``user_step_decorator`` wrappers: the gate
to its step, the tag to ``end``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from metaflow import current, user_step_decorator
from metaflow.exception import MetaflowException
from metaflow.user_decorators.user_step_decorator import StepMutator

__all__ = ["GateStepError", "gate"]

END = "end"
ON_FAIL = ("fail", "record")
VERDICT = "modelgate_verdict"  # artifacts of the gated task
PASSED = "modelgate_passed"
TAGGED = "modelgate_tag"  # artifact of the end task: the tag written, or None
DATA = "modelgate_data_fingerprint"  # artifact of the gated task: its validation data's fingerprint
CONFIG = "modelgate_config"  # artifact of the gated task: its @gate config file
GATED_STEP = "modelgate_gated_step"  # artifact of the gated task: its own step (later steps inherit it)
GATES_END = "_modelgate_gates_end"  # set on a flow class whose end step has a gate of its own
_TAGGED_TASKS: set[str] = set()  # end tasks this process tagged: Metaflow may keep one tag step per gate
CONFIG_HASH = "modelgate_config_hash"  # artifact of the gated task: the hash of that config
PLOT = "modelgate_plot"  # artifact of the gated task: the scores the card's task figure draws
_ARGUMENTS = ("config", "on_fail", "step")


class GateStepError(MetaflowException):
    """``@gate`` cannot run, or its verdict failed the step: one line, no traceback."""

    headline = "modelgate"


def flow_folder(flow_cls: type) -> Path:
    """The folder of the file that defines the flow: the root of its code package."""
    return Path(os.path.abspath(inspect.getfile(flow_cls))).parent


def config_path(folder: Path, config: str) -> Path:
    return Path(os.path.normpath(folder / config))


class gate(StepMutator):  # noqa: N801  (a decorator: spelled as Metaflow's own)
    """Gate the step's model on its validation data after the step's body, in the same task.

    Arguments (keywords; ``config`` may also come first):

    - ``config``: the TOML file whose ``[tool.modelgate]`` table declares the gate
      (the same table the pytest plugin and :meth:`Gate.from_config
      <modelgate.in_flow.Gate.from_config>` read), relative to the flow file's
      folder and inside it. It travels in the code package with no flag.
    - ``on_fail``: ``"fail"`` (default) fails the step when the verdict fails;
      ``"record"`` only records the verdict (the run goes on, untagged).
    - ``step``: the step the gate acts in. In code, the decorated step; attached
      with ``--with`` (which decorates every step), ``end`` unless named.
    """

    _decorator_name = "modelgate.gate"  # the --with spelling, also in the specs Metaflow hands to tasks

    def init(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > 1 or (args and "config" in kwargs):
            raise GateStepError("@gate takes one positional argument, the config file: @gate(config='gate.toml')")
        unknown = sorted(set(kwargs) - set(_ARGUMENTS))
        if unknown:
            raise GateStepError(
                f"@gate got unknown argument(s) {', '.join(unknown)} (it takes {', '.join(_ARGUMENTS)})"
            )
        config = args[0] if args else kwargs.get("config")
        if not isinstance(config, str) or not config:
            raise GateStepError(
                "@gate needs the config file: @gate(config='gate.toml') or --with modelgate.gate:config=gate.toml"
            )
        on_fail = kwargs.get("on_fail", "fail")
        if on_fail not in ON_FAIL:
            raise GateStepError(f"@gate(on_fail={on_fail!r}): expected 'fail' or 'record'")
        step = kwargs.get("step")
        if step is not None and (not isinstance(step, str) or not step):
            raise GateStepError(f"@gate(step={step!r}): expected a step name")
        self.config, self.on_fail, self.step = config, on_fail, step
        self._acts = False
        self._package: list[tuple[str, str]] = []

    def mutate(self, mutable_step: Any) -> None:
        self.external_init()  # runs init once; Metaflow has not yet for a mutator that --with attached
        flow_cls = mutable_step.flow._flow_cls  # MutableFlow holds the class itself (MutableStep its metaclass)
        here = self._my_step.__name__
        in_code = bool(self.statically_defined)  # type: ignore[has-type]  # False: attached by --with
        steps = sorted(name for name, _ in mutable_step.flow.steps)
        target = self.step or (here if in_code else END)
        if target not in steps:
            raise GateStepError(
                f"@gate(step={target!r}) names no step of {flow_cls.__name__} (its steps: {', '.join(steps)})"
            )
        if in_code and target != here:
            raise GateStepError(f"@gate on step {here!r} names step={target!r}: put it on that step instead")
        if not in_code and any(
            isinstance(d, gate) and bool(getattr(d, "statically_defined", False))
            for d in getattr(getattr(flow_cls, target), "config_decorators", ())
        ):  # Metaflow drops a --with copy of a decorator the step has in its code: never silently
            raise GateStepError(
                f"step {target!r} of {flow_cls.__name__} has two gates (@gate in the code and --with "
                "modelgate.gate): one gate a step; put both configs' checks in one file"
            )
        if target != here:
            return  # attached to every step by --with: it acts in one
        folder = flow_folder(flow_cls)
        path = config_path(folder, self.config)
        if not path.is_relative_to(folder):
            raise GateStepError(
                f"@gate config {self.config!r} lies outside the flow's folder {folder}: "
                "only files in that folder travel in the code package"
            )
        if not path.is_file():
            raise GateStepError(f"@gate config {self.config!r} does not exist (looked for {path})")
        self._acts = True
        self._package = [(str(path), str(path.relative_to(folder)))]
        self._package += _smoke_case_file(path, folder)
        spec = {"config": self.config, "on_fail": self.on_fail, "tag_here": target == END}
        if mutable_step.add_decorator(_gate_step, deco_kwargs=spec) is None:
            # Metaflow keeps the first of two copies of a decorator: a second gate on this step
            # (@gate in code and --with ...,step=NAME) would be dropped without a word.
            raise GateStepError(
                f"step {target!r} of {flow_cls.__name__} has two gates (@gate in the code and --with "
                "modelgate.gate, or two --with): one gate a step; put both configs' checks in one file"
            )
        if target == END:  # the end gate tags after its own verdict; a tag step added for others stands aside
            setattr(flow_cls, GATES_END, True)
        else:  # one tag step for every gated step: it reads them all (a second is ignored)
            getattr(mutable_step.flow, END).add_decorator(_gate_tag, deco_kwargs={"config": self.config})

    def add_to_package(self) -> Iterator[tuple[str, str, Any]]:
        """The config (and its smoke-case file) in the code package, beside the flow file."""
        from metaflow.packaging_sys import ContentType

        for source, arcname in self._package if self._acts else ():
            yield source, arcname, ContentType.USER_CONTENT


def _smoke_case_file(config: Path, folder: Path) -> list[tuple[str, str]]:
    """The config's smoke-case file when it lies in the flow's folder (it travels too)."""
    from .config import load_config

    try:
        cases = load_config(config).smoke_cases
    except Exception:  # a bad config is reported by the gate, in its task, as one line
        return []
    if cases is None:
        return []
    path = Path(os.path.normpath(config.parent / cases))
    return [(str(path), str(path.relative_to(folder)))] if path.is_relative_to(folder) and path.is_file() else []


def _load_gate(flow: Any, config: str) -> Any:
    """The gate of the config file beside the flow file (in a deployed task: in the code package)."""
    from .errors import GateUsageError
    from .in_flow import Gate

    path = config_path(flow_folder(type(flow)), config)
    if not path.is_file():
        raise GateStepError(f"@gate config {config!r} is not in this task's code package (looked for {path})")
    try:
        return Gate.from_config(path)
    except (GateUsageError, ValueError) as exc:
        raise GateStepError(f"@gate config {config!r}: {exc}") from None


def artifact_names(flow: Any) -> list[str]:
    """The artifacts a task holds now: set by its step, or handed on by the step before."""
    names = {name for name in vars(flow) if not name.startswith("_")}
    datastore = getattr(flow, "_datastore", None)
    names |= {name for name in getattr(datastore, "_objects", {}) if not name.startswith("_")}
    skip = set(getattr(flow, "_EPHEMERAL", ())) | set(getattr(flow, "_NON_PARAMETERS", ()))
    return sorted(names - skip)


def _has(flow: Any, name: str) -> bool:
    try:
        getattr(flow, name)
    except AttributeError:
        return False
    return True


@user_step_decorator
def _gate_step(step_name: str, flow: Any, inputs: Any, attributes: dict[str, Any]) -> Iterator[None]:
    """After the step's body: the verdict on the step's artifacts, as artifacts; FAIL fails the step."""
    yield
    from .errors import GateUsageError, MetaflowUnavailable

    config = attributes["config"]
    gate_ = _load_gate(flow, config)
    settings = gate_.config.settings
    wanted = (settings.model_artifact, settings.data_artifact)
    missing = [name for name in wanted if not _has(flow, name)]
    if missing:
        kinds = dict(zip(wanted, ("model_artifact", "data_artifact"), strict=True))
        said = ", ".join(f"{kinds[name]} {name!r}" for name in missing)
        raise GateStepError(
            f"@gate on step {step_name!r}: no artifact {said} (config {config}); "
            f"the step has: {', '.join(artifact_names(flow)) or 'no artifacts'}"
        )
    pathspec = f"{current.flow_name}/{current.run_id}"
    try:
        verdict = gate_.evaluate(getattr(flow, wanted[0]), getattr(flow, wanted[1]), run=pathspec, record=False)
    except (GateUsageError, MetaflowUnavailable) as exc:
        raise GateStepError(f"@gate on step {step_name!r}: {exc}") from None
    from .metaflow_io.records import config_fingerprint, data_fingerprint

    setattr(flow, VERDICT, verdict.to_dict())
    setattr(flow, PASSED, verdict.passed)
    setattr(flow, DATA, data_fingerprint(getattr(flow, wanted[1])))
    setattr(flow, CONFIG, config)  # which gate: the tag step reads each gated task's own
    setattr(flow, GATED_STEP, step_name)  # later steps inherit these artifacts: this names the gated one
    setattr(flow, CONFIG_HASH, config_fingerprint(gate_.config)[1])
    if verdict.evaluation is not None:  # for @card(type="modelgate"): the figure, drawn after the task
        from .report.card import plot_data

        setattr(flow, PLOT, plot_data(verdict.evaluation).to_dict())
    print(verdict.summary())
    if not verdict.passed and attributes["on_fail"] == "fail":
        failed = ", ".join(result.name for result in verdict.failures) or verdict.error or "no check passed"
        # The run fails here and never reaches `end`: the record goes on this task.
        _record(gate_, getattr(flow, VERDICT), getattr(flow, DATA), "none", f"the verdict failed step {step_name!r}")
        raise GateStepError(
            f"the gate failed on step {step_name!r} (config {config}); failed: {failed}. "
            f"The verdict is in the artifact {VERDICT}; the run is not tagged"
        )
    if attributes.get("tag_here"):  # acting in `end`: its body has succeeded, so has every step before it
        own = (END, verdict.passed, getattr(flow, VERDICT), getattr(flow, DATA), config, getattr(flow, CONFIG_HASH))
        _tag_run(flow, own)  # with every other gated step's verdict


@user_step_decorator
def _gate_tag(step_name: str, flow: Any, inputs: Any, attributes: dict[str, Any]) -> Iterator[None]:
    """After the end step's body (the whole run has succeeded): the run's tag (:func:`_tag_run`),
    unless a gate acts in ``end`` itself, which then tags after its own verdict."""
    yield
    if getattr(type(flow), GATES_END, False) or current.pathspec in _TAGGED_TASKS:
        return  # the end gate tags; or a second copy of this step (one per gated step): once
    _TAGGED_TASKS.add(str(current.pathspec))
    _tag_run(flow, None)


def _tag_run(flow: Any, own: tuple[Any, ...] | None) -> None:
    """Every gated task of the run (every gated step, and ``own``: the end step's own gate), on
    record; the tag when every one of them passed, in this run, under the config its step has now."""
    from .metaflow_io.records import config_fingerprint
    from .metaflow_io.runs import get_run, global_namespace

    pathspec = f"{current.flow_name}/{current.run_id}"
    gated: list[tuple[str, Any]] = []
    with global_namespace():
        for step in get_run(pathspec):
            if step.id == END:
                continue
            gated += [
                (step.id, task)
                for task in step.tasks()
                if GATED_STEP in task and task[GATED_STEP].data == step.id  # gated here, not inherited
            ]
        found = [
            (name, task[PASSED].data, task[VERDICT].data, task[DATA].data, task[CONFIG].data, task[CONFIG_HASH].data)
            for name, task in gated
            if all(key in task for key in (VERDICT, DATA, CONFIG, CONFIG_HASH))
        ]
    complete = len(found) == len(gated)
    if own is not None:
        found.append(own)
    if not found or not complete:
        print(f"modelgate: {pathspec}: a gated task of this run holds no complete verdict: not tagged")
        setattr(flow, TAGGED, None)
        return
    why_not = []
    gates = {config: _load_gate(flow, config) for config in {entry[4] for entry in found}}
    tags = {gate_.config.settings.tag for gate_ in gates.values()}
    if len(tags) > 1:
        raise GateStepError(f"the gates of {pathspec} apply different tags ({', '.join(sorted(tags))}): one tag a run")
    for name, passed, verdict, _, config, digest in found:
        if not passed:
            why_not.append(f"step {name!r} did not pass")
        elif verdict.get("run") != pathspec:  # resume clones a task with its old verdict
            why_not.append(f"the verdict of step {name!r} was made in {verdict.get('run')} (cloned by resume)")
        elif digest != config_fingerprint(gates[config].config)[1]:
            why_not.append(f"step {name!r} was gated under another version of {config}")
    everything = not why_not
    reason = _reason(everything) if everything else "; ".join(why_not)
    written = [  # each gated task's verdict, on record before the tag
        _record(gates[config], verdict, data, "apply" if everything else "none", reason)
        for _, _, verdict, data, config, _ in found
    ]
    if why_not:
        print(f"modelgate: {pathspec} not tagged: {reason}")
    try:
        tagged = _tag_if(pathspec, everything, next(iter(tags)))
    except Exception as exc:  # the records said "apply": say, on record too, that it was not done
        from .metaflow_io import records
        from .metaflow_io.outages import describe_error

        error = f"could not apply tag {next(iter(tags))!r} on {pathspec}: {describe_error(exc)}"
        try:
            for record in written:
                records.write_record(str(current.pathspec), records.tag_not_written(record, error))
        except Exception as again:  # an outage that lasts: say what the history still shows
            error += f"; its record still says 'apply' and could not be corrected: {describe_error(again)}"
        raise GateStepError(f"{error}; the run is not tagged") from None
    setattr(flow, TAGGED, tagged)
    from .metaflow_io.records import holdout_warning

    for data, config in sorted({(entry[3], entry[4]) for entry in found}):  # after the tag: advice only
        warning = holdout_warning(pathspec, data, gates[config].config.max_holdout_reuse)
        if warning:
            print(f"modelgate: WARNING: {warning}")


def _reason(passed: bool) -> str:
    return "every gated task passed and the run succeeded" if passed else "a gated task did not pass"


def _record(gate_: Any, verdict: dict[str, Any], data: str, action: str, reason: str) -> dict[str, Any]:
    """The verdict on record, on this task's metadata (:mod:`modelgate.metaflow_io.records`);
    a record that cannot be written fails the step, before any tag."""
    from .metaflow_io import records

    record = records.build_record(
        verdict,
        gate_.config,
        front_end="@gate",
        data=data,
        champion=verdict.get("champion"),
        tag_action=action,
        tag_reason=reason,
    )
    try:
        records.write_record(str(current.pathspec), record)
    except Exception as exc:
        raise GateStepError(f"could not record the verdict on {current.pathspec}: {exc}; not tagged") from None
    return record


def _tag_if(pathspec: str, passed: bool, tag: str) -> str | None:
    from .metaflow_io.tagging import apply_tag

    if not passed:
        print(f"modelgate: {pathspec} not tagged {tag!r}: the gate did not pass")
        return None
    apply_tag(pathspec, tag)
    print(f"modelgate: {pathspec} tagged {tag!r}")
    return tag
