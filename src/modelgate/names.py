"""Every name the gate gives a meaning to, defined once.

Baseline names a check can use without naming a run, the result groups of a
verdict, and the test-report property that carries a result from a pytest
test to the session. Nothing here imports anything.
"""

from __future__ import annotations

CANDIDATE = "candidate"  # the run being gated
MAJORITY = "majority"  # the majority-class baseline, computed from the validation labels
CHAMPION = "champion"  # the deployed model: the newest other run carrying the gate's tag
MEAN = "mean"  # regression: the mean of the validation targets, for every row
MEDIAN = "median"  # regression: their median, for every row
KNOWN_BASELINES = (MAJORITY, MEAN, MEDIAN, CHAMPION)  # any other baseline name is a run: Flow/run_id or a run id

# Tasks: what a model predicts, and so its output's shape.
BINARY = "binary"  # one positive-class probability per row
MULTICLASS = "multiclass"  # an n x k probability matrix, rows summing to 1, columns in the model's classes
REGRESSION = "regression"  # one finite number per row
TASKS = (BINARY, MULTICLASS, REGRESSION)
ALL_FEATURES = "*"  # feature_columns = "*": every column of the validation frame but the label

DEFAULT_TAG = "deployment_candidate"
# The pytest fixtures that hand a quality test the model, its scores or the
# evidence: a session tags only if a configured check or a test using one ran.
EVIDENCE_FIXTURES = ("evaluation", "model_scorer", "gate")

# Where the champion is sought (champion_scope), relative to the candidate's
# @project tags: its project branch, its whole project, or the whole flow. For a
# run without @project, its namespace (user:NAME, production:TOKEN) is its branch.
BRANCH_SCOPE = "branch"
PROJECT_SCOPE = "project"
FLOW_SCOPE = "flow"
SCOPES = (BRANCH_SCOPE, PROJECT_SCOPE, FLOW_SCOPE)

# Result groups: which kind of check a CheckResult came from (report rows, card, JSON).
BASELINE = "baseline"  # a margin check against a baseline
FLOOR = "floor"  # a floor: one metric's own bound against at_least / at_most
GAP = "gap"  # the gap of one metric between the best and the worst slice of a column
SEARCH = "search"  # the weak-slice search: slices where the candidate is worse than a baseline
PROPERTY = "property"  # a behavioural property
SMOKE = "smoke"  # one smoke case
TEST = "test"  # a plain pytest quality test (only in a pytest session)

# on_inconclusive: what a check whose data cannot decide (too few rows or rows of a
# class, a degenerate resample...) does: fail (the default), or pass with a warning.
# A defect (a NaN score) is never inconclusive: it fails under both.
INCONCLUSIVE_FAILS = "fail"
INCONCLUSIVE_PASSES = "pass"
ON_INCONCLUSIVE = (INCONCLUSIVE_FAILS, INCONCLUSIVE_PASSES)

RESULT_PROPERTY = "modelgate_result"  # pytest user property: a CheckResult as JSON
ERROR_PROPERTY = "modelgate_error"  # pytest user property: the call raised something other than a failed check
OUTAGE_PROPERTY = "modelgate_outage"  # pytest user property: a test met a Metaflow outage (its one line)

# The text perturbations of behavioural properties: modelgate.behaviour builds one
# strategy per name, and a config naming another is refused before anything is
# scored. Simplest kinds first: Hypothesis shrinks one_of towards its first branch.
PERTURBATION_KINDS: tuple[str, ...] = ("whitespace", "punctuation", "case", "typo", "filler")
