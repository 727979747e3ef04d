"""Offline category suggestions: character n-gram TF-IDF and a linear model.

The model is trained by ``python -m citybrain.governance.train`` on the synthetic
labelled corpus (``corpus.py``) and shipped as ``data/classifier.joblib``. Below
``CONFIDENCE_THRESHOLD`` a suggestion is only a hint: the case goes to manual
triage (人工分拨) instead of being registered and dispatched automatically.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import joblib
import numpy as np
import structlog
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from citybrain.core.errors import DomainError
from citybrain.governance import rules

CONFIDENCE_THRESHOLD: Final = 0.35
"""Top-class probability at or above which a suggestion is trusted (see train.py)."""

_lock = threading.Lock()
_model: Pipeline | None = None
log = structlog.get_logger("citybrain.governance.classify")


@dataclass(frozen=True)
class Suggestion:
    category_code: str
    confidence: float

    @property
    def category(self) -> rules.Category:
        return rules.categories()[self.category_code]


def model_path() -> Path:
    return Path(str(resources.files("citybrain.governance").joinpath("data/classifier.joblib")))


def build_pipeline() -> Pipeline:
    """Char 1-3-gram TF-IDF (no segmenter: tolerates addresses, typos) + logistic regression."""
    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char", ngram_range=(1, 3), sublinear_tf=True, max_features=6000
                ),
            ),
            ("model", LogisticRegression(C=20.0, max_iter=400)),
        ]
    )


def shrink(pipeline: Pipeline) -> Pipeline:
    """Store coefficients as float32: half the file, same predictions to 1e-6."""
    model: Any = pipeline.named_steps["model"]
    model.coef_ = model.coef_.astype(np.float32)
    model.intercept_ = model.intercept_.astype(np.float32)
    return pipeline


def load_model() -> Pipeline:
    global _model
    with _lock:
        if _model is None:
            path = model_path()
            if not path.exists():
                raise DomainError(
                    "governance.classifier_missing",
                    "分类模型文件缺失，请运行 python -m citybrain.governance.train",
                    "The classifier file is missing; run python -m citybrain.governance.train",
                    status=503,
                )
            _model = _load_or_retrain(path)
        return _model


def _load_or_retrain(path: Path) -> Pipeline:
    """The shipped model; retrained from the shipped corpus if scikit-learn has changed.

    A pickle from another scikit-learn release may load but predict wrongly, so a
    version mismatch is treated as "no model" and the model is rebuilt in memory
    (a few seconds) from ``data/complaints_labelled.csv``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        try:
            return joblib.load(path)
        except InconsistentVersionWarning:
            log.warning("classifier built with another scikit-learn; retraining from corpus")
    from citybrain.governance import corpus

    rows = corpus.read()
    return shrink(build_pipeline().fit([t for t, _ in rows], [c for _, c in rows]))


def suggest(texts: list[str], *, top: int = 1) -> list[list[Suggestion]]:
    """The ``top`` most likely categories for each text, most likely first."""
    model = load_model()
    probabilities = model.predict_proba(texts)
    classes = model.classes_
    known = rules.categories()
    answers = []
    for row in probabilities:
        order = np.argsort(row)[::-1]
        answers.append(
            [
                Suggestion(str(classes[i]), round(float(row[i]), 4))
                for i in order[: top * 2]
                if str(classes[i]) in known
            ][:top]
        )
    return answers


def suggest_one(text: str) -> Suggestion:
    return suggest([text])[0][0]


def is_confident(suggestion: Suggestion) -> bool:
    return suggestion.confidence >= CONFIDENCE_THRESHOLD


__all__ = ["TfidfVectorizer", "Suggestion", "build_pipeline", "suggest", "suggest_one"]
