"""What a check is evaluated on: the validation inputs, the task, the model's scores.

:mod:`.evaluation` builds an :class:`~modelgate.evidence.evaluation.Evaluation`
from a model and its validation data, with :mod:`.tasks` (what the model
predicts), :mod:`.scorers` (a model as a scoring function) and :mod:`.classes`
(class labels as the data and the model spell them).
"""
