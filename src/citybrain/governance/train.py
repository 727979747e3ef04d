"""Build the labelled corpus and train the shipped classifier.

    python -m citybrain.governance.train            # regenerate corpus, train, write the model
    python -m citybrain.governance.train --evaluate # only print held-out scores

The corpus is synthetic (see ``corpus.py``); a stratified 25 % of it is held out
and never seen in training, and macro-F1 on it is printed. The shipped model is
then refitted on the whole corpus.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from citybrain.governance import classify, corpus

SEED = 20201220


@dataclass(frozen=True)
class Evaluation:
    examples: int
    categories: int
    held_out: int
    macro_f1: float
    accuracy: float
    confident_share: float
    confident_accuracy: float


def evaluate(
    rows: list[tuple[str, str]], *, threshold: float = classify.CONFIDENCE_THRESHOLD
) -> Evaluation:
    """Train on 75 %, score on the stratified held-out 25 %."""
    texts = [t for t, _ in rows]
    labels = [c for _, c in rows]
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, random_state=SEED, stratify=labels
    )
    pipeline = classify.build_pipeline().fit(x_train, y_train)
    probabilities = pipeline.predict_proba(x_test)
    predicted = pipeline.classes_[probabilities.argmax(axis=1)]
    confident = probabilities.max(axis=1) >= threshold
    right = predicted == np.array(y_test)
    return Evaluation(
        examples=len(rows),
        categories=len(set(labels)),
        held_out=len(y_test),
        macro_f1=round(float(f1_score(y_test, predicted, average="macro")), 4),
        accuracy=round(float(accuracy_score(y_test, predicted)), 4),
        confident_share=round(float(confident.mean()), 4),
        confident_accuracy=round(float(right[confident].mean()) if confident.any() else 0.0, 4),
    )


def train(rows: list[tuple[str, str]], path: Path) -> None:
    pipeline = classify.build_pipeline().fit([t for t, _ in rows], [c for _, c in rows])
    joblib.dump(classify.shrink(pipeline), path, compress=3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluate", action="store_true", help="only print held-out scores")
    parser.add_argument("--per-category", type=int, default=12, help="examples per category")
    args = parser.parse_args(argv)
    if args.evaluate:
        rows = corpus.read()
    else:
        rows = list(corpus.generate(per_category=args.per_category))
        corpus.write(corpus.corpus_path(), rows)
    result = evaluate(rows)
    print(json.dumps(asdict(result), ensure_ascii=False))
    if not args.evaluate:
        train(rows, classify.model_path())
        print(f"model written to {classify.model_path()}")


if __name__ == "__main__":
    main()
