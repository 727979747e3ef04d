"""How well intake's de-duplication (并单) decides: precision and recall, printed.

The pairs come from ``dedupe_eval.py`` (synthetic, seeded; see there for what they are).
Each pair goes through the real ``intake.intake`` in a savepoint that is rolled back, so
the candidates, the confidence rule and the automatic merge are the ones in production.
"""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy.orm import Session

from tests.factories.governance import city_points
from tests.governance.dedupe_eval import Outcome, make_pairs, run_pair


def summarise(outcomes: list[Outcome]) -> dict[str, float]:
    """Automatic-merge precision and recall; shares offered to the agent."""
    dups = [o for o in outcomes if o.pair.duplicate]
    others = [o for o in outcomes if not o.pair.duplicate]
    merged = [o for o in outcomes if o.merged]
    right = sum(1 for o in merged if o.pair.duplicate)
    return {
        "precision": right / len(merged) if merged else 1.0,
        "recall": right / len(dups),
        "dup_offered": sum(o.offered for o in dups) / len(dups),
        "dup_missed": sum(not (o.merged or o.offered) for o in dups) / len(dups),
        "other_merged": sum(o.merged for o in others) / len(others),
        "other_offered": sum(o.offered for o in others) / len(others),
        "offered": sum(o.offered for o in outcomes) / len(outcomes),
    }


def test_deduplication_precision_and_recall(gov_session: Session) -> None:
    origins = city_points(gov_session, count=8)
    rng = random.Random(7)
    outcomes = [
        run_pair(gov_session, pair, origin=rng.choice(origins), bearing_deg=rng.uniform(0, 360))
        for pair in make_pairs()
    ]
    figures = summarise(outcomes)
    by_kind: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        by_kind[(o.pair.kind, "merged" if o.merged else "offered" if o.offered else "none")] += 1
    print(
        f"\nde-duplication on {len(outcomes)} pairs "
        f"({sum(o.pair.duplicate for o in outcomes)} true duplicates):\n"
        f"automatic merges: precision {figures['precision']:.1%}, recall {figures['recall']:.1%}\n"
        f"true duplicates offered to the agent (not merged) {figures['dup_offered']:.1%}, "
        f"not found at all {figures['dup_missed']:.1%}\n"
        f"non-duplicates merged {figures['other_merged']:.1%}, "
        f"offered {figures['other_offered']:.1%}; all pairs offered {figures['offered']:.1%}"
    )
    for kind in sorted({o.pair.kind for o in outcomes}):
        counts = {d: by_kind[(kind, d)] for d in ("merged", "offered", "none")}
        print(f"  {kind}: {counts}")
    for o in outcomes:
        if o.merged and not o.pair.duplicate:
            print(
                f"  wrong merge ({o.pair.kind}, {o.pair.distance_m:.0f} m): "
                f"{o.pair.first[1]} | {o.pair.second[1]}"
            )
    assert len(outcomes) >= 400
    assert figures["precision"] >= 0.95  # a wrong automatic merge loses a citizen's report
    assert figures["recall"] >= 0.05  # repeats in nearly the same words do merge
    assert figures["dup_missed"] <= 0.05  # the rest reach the agent as suggestions
