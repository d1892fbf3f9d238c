"""The candidate run of ``bench_shards.py``: the example's NLP model and a large validation frame.

    python benchmarks/bigvalflow.py run --rows 1000000

One step trains the tutorial's ``NbowModel`` (examples/model.py, 750 features,
``--epochs`` 2: the network's size, not its accuracy, sets the cost of scoring)
on the real reviews in ``/work/shared/data`` (``MODELGATE_BENCH_DATA`` to point
elsewhere; the demo data of examples/demo_data.py when they are missing; the
data are read in place, never copied), then builds ``val_df``: ``--rows``
validation rows drawn with replacement, with the example's columns ``review``,
``labels`` and ``garment``.

Each drawn review gets its row number appended (`` r123456``): a token outside
the model's 750-word vocabulary, so its score is the original review's, but
every row is a distinct text. Exact copies would let the scorer's per-text cache
score only the 2,264 distinct reviews, and the benchmark would measure nothing
(the gate would also warn that copies inflate n).
"""

import os
import sys
from pathlib import Path

from metaflow import FlowSpec, Parameter, step

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = Path(os.environ.get("MODELGATE_BENCH_DATA", "/work/shared/data"))


def _frames():
    """(train, valid, source): the real review data when present, else the demo frames."""
    import pandas as pd

    train_path, valid_path = DATA / "reviews_train.parquet", DATA / "reviews_valid.parquet"
    if train_path.is_file() and valid_path.is_file():
        return pd.read_parquet(train_path), pd.read_parquet(valid_path), str(valid_path)
    sys.path.insert(0, str(EXAMPLES))
    from demo_data import demo_frames

    train, valid = demo_frames()
    return train, valid, "demo data (real data not found)"


class BigValFlow(FlowSpec):
    rows = Parameter("rows", default=1_000_000, type=int, help="Validation rows, drawn with replacement.")
    epochs = Parameter("epochs", default=2, type=int, help="Training epochs.")
    seed = Parameter("seed", default=0, type=int, help="Seed of the network and of the draw.")

    @step
    def start(self):
        "Train the model and draw the validation rows."
        import keras
        import numpy as np
        import pandas as pd

        sys.path.insert(0, str(EXAMPLES))
        from garment import garment_of
        from model import NbowModel

        train, valid, self.source = _frames()
        keras.utils.set_random_seed(self.seed)
        model = NbowModel(vocab_sz=750)
        model.fit(X=train["review"], y=train["labels"], epochs=self.epochs, verbose=0)
        self.model_dict = model.model_dict

        valid = valid.reset_index(drop=True)
        valid["garment"] = garment_of(valid["review"])
        drawn = np.random.default_rng(self.seed).integers(0, len(valid), self.rows)
        reviews = valid["review"].to_numpy()[drawn]
        self.val_df = pd.DataFrame(
            {
                "review": [f"{text} r{i}" for i, text in enumerate(reviews)],
                "labels": valid["labels"].to_numpy()[drawn],
                "garment": valid["garment"].to_numpy()[drawn],
            }
        )
        print(f"{self.source}: {len(train)} training reviews; val_df {len(self.val_df)} rows from {len(valid)}")
        self.next(self.end)

    @step
    def end(self):
        "Done."


if __name__ == "__main__":
    BigValFlow()
