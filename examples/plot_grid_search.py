"""
Choosing hyperparameters on seen classes with GridSearchCV
==========================================================

Hashers are scikit-learn estimators, so a :class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV` select their hyperparameters. For
zero-shot retrieval the folds must be *class-disjoint*:
:class:`~zeroshash.model_selection.ZeroShotSplit` holds out whole seen classes as
pseudo-unseen ones, and :func:`~zeroshash.model_selection.make_retrieval_scorer`
scores retrieval among the held-out items. Every source of randomness is seeded, so the
search picks the same parameters on every run. Only then is the chosen model scored on
the real unseen classes, which the search never touched.
"""

# %%
# Seen and unseen classes
# -----------------------
# The same zero-shot split as in the quickstart: 3 of the 10 animal classes are unseen.
# The search below uses the seven seen classes' training images only.
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from zeroshash import DoubleBitHasher
from zeroshash.datasets import load_animals
from zeroshash.metrics import mean_average_precision
from zeroshash.model_selection import (
    ZeroShotSplit,
    make_retrieval_scorer,
    zero_shot_retrieval_split,
)

data = load_animals()
X, y, names = data.data, data.target, data.target_names
split = zero_shot_retrieval_split(y, n_unseen=3, n_query_per_class=100, random_state=0)
X_seen, y_seen = X[split.train], y[split.train]
print("seen classes used by the search:", ", ".join(names[split.seen_classes]))

# %%
# A pipeline, a class-disjoint splitter and a retrieval scorer
# ------------------------------------------------------------
# The pipeline normalises each feature vector to unit length, reduces it to 128
# dimensions with a seeded PCA, then hashes to 32 bits with
# :class:`~zeroshash.DoubleBitHasher`. The grid asks one question:
# ``within_class_reg=None`` takes principal directions (labels unused); a number takes
# directions that suppress the seen classes' within-class spread, more strongly for
# smaller values. The candidates differ in the hasher only, so the pipeline caches its
# fitted transformers (``memory``): the PCA is fitted once per fold, not once per
# candidate and fold.
#
# ``ZeroShotSplit(n_splits=3, random_state=0)`` shuffles the seven seen classes with a
# fixed seed and holds out a third of them in each fold (classes, not images: a fold's
# test classes are never trained on). Leave ``random_state`` at None and every run
# draws other folds -- and may pick another value. ``make_retrieval_scorer()``
# encodes the held-out images, takes a seeded 20% of them as queries and the rest as
# the database, and returns their mAP@all (ties by database position).
cache = tempfile.TemporaryDirectory(prefix="zeroshash-example-")
pipeline = make_pipeline(
    Normalizer(),
    PCA(n_components=128, svd_solver="randomized", random_state=0),
    DoubleBitHasher(bits=32, random_state=0),
    memory=cache.name,
)
param_grid = {"doublebithasher__within_class_reg": [None, 0.3, 3.0, 30.0]}
search = GridSearchCV(
    pipeline,
    param_grid,
    scoring=make_retrieval_scorer(),
    cv=ZeroShotSplit(n_splits=3, random_state=0),
)
search.fit(X_seen, y_seen)

# %%
# The cross-validation table
# --------------------------
# Which classes each fold held out, then the mean and spread of the held-out mAP per
# candidate, best first.
for i, (_, test) in enumerate(search.cv.split(X_seen, y_seen)):
    print(f"fold {i}: held-out classes {', '.join(names[np.unique(y_seen[test])])}")

results = search.cv_results_
regs = results["param_doublebithasher__within_class_reg"]
folds = [f"fold {i}" for i in range(search.n_splits_)]
print(f"\n{'rank':>4}  {'within_class_reg':>16}  {'mean mAP':>8}  {'std':>6}  "
      + "  ".join(f"{fold:>6}" for fold in folds))
for i in np.argsort(results["rank_test_score"], kind="stable"):
    per_fold = [results[f"split{j}_test_score"][i] for j in range(search.n_splits_)]
    print(f"{results['rank_test_score'][i]:>4}  {regs[i]!s:>16}  "
          f"{results['mean_test_score'][i]:8.4f}  {results['std_test_score'][i]:6.4f}  "
          + "  ".join(f"{score:6.4f}" for score in per_fold))
print("\nbest_params_:", search.best_params_)

# %%
# The held-out mAP of each candidate, per fold. The folds differ in difficulty (other
# classes are held out), so compare the candidates within a fold.
fig, ax = plt.subplots(figsize=(5, 3))
candidates = [str(reg) for reg in regs]
for j in range(search.n_splits_):
    ax.plot(candidates, results[f"split{j}_test_score"], "o-", label=folds[j])
ax.plot(candidates, results["mean_test_score"], "k_", markersize=20, label="mean")
ax.set_xlabel("within_class_reg")
ax.set_ylabel("held-out classes' mAP@all")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# The chosen model on the real unseen classes
# -------------------------------------------
# ``GridSearchCV`` refits the best pipeline on all seen-class training images. Its
# codes are scored on the unseen classes' queries against the whole database, as in
# the quickstart; the unsupervised candidate (``within_class_reg=None``) is shown for
# comparison (its hasher ignores ``y``; passing it lets the pipeline reuse the cached
# normaliser and PCA).
baseline = clone(search.best_estimator_).set_params(doublebithasher__within_class_reg=None)
models = {"chosen": search.best_estimator_, "within_class_reg=None": baseline.fit(X_seen, y_seen)}
for name, model in models.items():
    db_codes, query_codes = model.transform(X[split.database]), model.transform(X[split.query])
    score = mean_average_precision(query_codes, db_codes, y[split.query], y[split.database])
    print(f"{name:<22} unseen-class mAP@all {score:.4f}")

cache.cleanup()  # the pipeline's cache of fitted transformers
