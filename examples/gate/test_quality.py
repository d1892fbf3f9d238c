"""The example's behavioural tests (CheckList style), beyond the checks and
smoke cases declared in ../pyproject.toml.

    pytest examples/gate --model-run=NLPFlow/<run id>

The configured checks and smoke cases become test items of their own; these
tests are quality tests too: the run is tagged ``deployment_candidate`` only
when all of them pass. Examples are drawn from the run's validation texts.
"""

# Plainly worded: a bag-of-words model cannot read negation ("not great"), and
# this gate asks what such a model can be expected to get right.
NEGATIVE = (
    "It fell apart after one wash and I returned it.",
    "Poor quality, cheap fabric, very disappointed.",
    "Terrible fit, unflattering and itchy. Sending it back.",
)
POSITIVE = (
    "I love it, great quality and very comfortable.",
    "Beautiful color, soft fabric, fits perfectly.",
    "Gorgeous and flattering, I highly recommend it.",
)


def test_label_survives_typos_case_punctuation_whitespace_and_filler(gate):
    gate.invariance(n_examples=200, max_failure_rate=0.05)


def test_a_negative_sentence_does_not_raise_the_score(gate):
    gate.directional(direction="negative", sentences=NEGATIVE, n_examples=200, max_failure_rate=0.05)


def test_a_positive_sentence_does_not_lower_the_score(gate):
    gate.directional(direction="positive", sentences=POSITIVE, n_examples=200, max_failure_rate=0.05)
