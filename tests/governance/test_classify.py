"""The shipped classifier: held-out macro-F1 on the labelled (synthetic) corpus, and use."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from citybrain.governance import classify, corpus, rules, train


def test_corpus_in_the_repository_covers_every_category() -> None:
    rows = corpus.read()
    counts = Counter(code for _, code in rows)
    assert set(counts) == set(rules.categories())
    assert min(counts.values()) >= 10
    assert len({text for text, _ in rows}) == len(rows)


def test_corpus_generation_is_deterministic() -> None:
    first = list(corpus.generate(seed=7, per_category=2))
    assert first == list(corpus.generate(seed=7, per_category=2))
    assert len(first) == 2 * len(rules.categories())


def test_macro_f1_on_the_held_out_split() -> None:
    result = train.evaluate(corpus.read())
    print(
        f"\nclassifier held-out: macro-F1 {result.macro_f1:.4f}, accuracy {result.accuracy:.4f} "
        f"on {result.held_out} of {result.examples} examples, {result.categories} categories; "
        f"{result.confident_share:.0%} above the threshold, "
        f"{result.confident_accuracy:.2%} of those right"
    )
    assert result.held_out >= 400
    assert result.macro_f1 >= 0.85
    assert result.confident_accuracy >= 0.95


def test_shipped_model_suggests_category_and_department() -> None:
    suggestion = classify.suggest_one("花园路与农业路交叉口的垃圾箱满了溢出来，没人清理发臭")
    assert suggestion.category_code == "C0305"
    assert suggestion.category.department == "郑州市城市管理局"
    assert classify.is_confident(suggestion)
    top = classify.suggest(["工地半夜还在打桩，吵得睡不着"], top=3)[0]
    assert top[0].category_code == "E03L01"
    assert len(top) == 3 and top[0].confidence >= top[1].confidence


def test_vague_text_goes_to_manual_triage() -> None:
    assert not classify.is_confident(classify.suggest_one("你好"))


def test_a_model_from_another_scikit_learn_is_rebuilt_from_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import joblib
    import sklearn.base

    from citybrain.governance import classify as classify_module

    stale = classify_module.build_pipeline().fit(["路面有垃圾", "井盖丢失"], ["A", "B"])
    path = tmp_path / "old.joblib"
    with monkeypatch.context() as patch:
        patch.setattr(sklearn.base, "__version__", "0.0.1")  # stamped by an old release
        joblib.dump(stale, path)
    rebuilt = classify_module._load_or_retrain(path)
    assert len(rebuilt.classes_) > 2  # the shipped corpus's categories, not the stale two
