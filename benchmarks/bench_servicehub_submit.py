"""Bundle submissions (开办餐饮店, three items each) and the clerk-inbox query.

raw:  a bare executemany of application rows (no rules, no workflow, no audit).
ours: applications_service.submit, one transaction per application as a request does
      it (plan, merged-form validation, three BPMN workflows started and serialised,
      materials, audit chain, outbox), against a table pre-filled with ``--prefill``
      applications (three tasks each; the issue's scale is ``--prefill 1000000``).
inbox: applications_service.inbox for one department (100 rows, open tasks by due date).
"""

from __future__ import annotations

import base64
import secrets
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import Report, parser, timer  # noqa: E402
from citybrain.config import Settings  # noqa: E402
from citybrain.core.db import make_engine, transaction  # noqa: E402
from citybrain.core.security import Actor, ActorKind, Role  # noqa: E402
from citybrain.demo.loader import _load_departments  # noqa: E402
from citybrain.identity import service as identity_service  # noqa: E402
from citybrain.models import Base  # noqa: E402
from citybrain.regions import service as regions_service  # noqa: E402
from citybrain.runtime import session_factory  # noqa: E402
from citybrain.servicehub import applications, bundles, catalog, demo, licences  # noqa: E402
from citybrain.servicehub.models import Application, ApplicationTask  # noqa: E402

ADMIN = Actor(kind=ActorKind.staff, id="bench", name="bench", role=Role.admin)
ANSWERS = {"registration": "held", "need_1": "yes", "need_2": "yes", "need_3": "no"}
FORM = {
    "applicant_name": "张三",
    "contact_phone": "13800138000",
    "business_name": "张记小吃店",
    "business_address": "郑州市金水区农业路8号",
    "food_categories": "热食类制售",
    "business_area_m2": 80,
    "fire_safety_manager": "张三",
    "sign_location": "店门上方",
    "sign_area_m2": 6,
}
APPLICANTS = 20
CHUNK = 20_000


def _setup(factory, seed: int) -> tuple[int, list[Actor], list[int], list[int]]:  # type: ignore[no-untyped-def]
    with factory() as session, transaction(session):
        if bundles.get_bundle_by_name(session, "开办餐饮店") is None:
            regions_service.load_reference(session)
            _load_departments(session)
            catalog.import_items(session, actor=ADMIN, rows=demo.catalog_rows(session))
            demo.load_bundles(session)
        bundle = bundles.get_bundle_by_name(session, "开办餐饮店")
        assert bundle is not None
        market = identity_service.get_department_by_name(session, "郑州市市场监督管理局")
        assert market is not None
        actors = []
        for n in range(APPLICANTS):
            person = identity_service.build_person(
                session, name=f"申请人{n}", id_number=_id_number(seed, n)
            )
            session.add(person)
            session.flush()
            licences.issue(
                session,
                actor=ADMIN,
                type_code="business_licence",
                issuer_department_id=market.id,
                person_id=person.id,
                holder_name="张记小吃店",
                issued_on=date(2025, 1, 2),
                detail={"business_name": "张记小吃店"},
            )
            actors.append(
                Actor(
                    kind=ActorKind.person, id=str(person.id), name=person.name, person_id=person.id
                )
            )
        item_ids = [m.item_id for m in bundles.chosen_members(bundle, ANSWERS)]
        departments = [d.id for d in identity_service.list_departments(session)]
        return bundle.id, actors, item_ids, departments


def _id_number(seed: int, n: int) -> str:
    from citybrain.core import ids

    return ids.make_id_number("410105", date(1980, 1, 1) + timedelta(days=seed % 97 + n), n)


def _prefill(factory, count: int, item_ids: list[int], departments: list[int]) -> float:  # type: ignore[no-untyped-def]
    """Bare executemany of applications and their tasks; returns application rows/s."""
    if count <= 0:
        return 0.0
    blob = b"\x01" + secrets.token_bytes(60)
    elapsed = 0.0
    start = date(2026, 1, 5)
    with factory() as session:
        serial = session.scalar(select(func.count(Application.id))) or 0
    for offset in range(0, count, CHUNK):
        numbers = [f"PF{serial + n:012d}" for n in range(offset, min(offset + CHUNK, count))]
        apps = [
            {
                "number": number,
                "title": "开办餐饮店",
                "applicant_kind": "person",
                "status": "completed" if n % 10 else "in_progress",
                "answers": {},
                "form_ciphertext": blob,
                "limit_days": 20,
            }
            for n, number in enumerate(numbers)
        ]
        with factory() as session, transaction(session):
            with timer() as took:
                session.execute(insert(Application.__table__), apps)
            elapsed += took()
            ids = session.execute(
                select(Application.id, Application.number).where(Application.number.in_(numbers))
            ).all()
            tasks = [
                {
                    "application_id": i,
                    "item_id": item_ids[k],
                    "department_id": departments[(i + k) % len(departments)],
                    "status": "granted" if i % 10 else ("accepted" if k else "submitted"),
                    "requires": [],
                    "workflow_state": "",
                    "limit_days": 20,
                    "due_on": start + timedelta(days=i % 300),
                    "paused_days": 0,
                    "correction_materials": [],
                }
                for i, _ in ids
                for k in range(len(item_ids))
            ]
            session.execute(insert(ApplicationTask.__table__), tasks)
    return count / elapsed if elapsed else 0.0


def main() -> None:
    arguments = parser(__doc__ or "", n=1_000)
    arguments.add_argument(
        "--prefill",
        type=int,
        default=None,
        help="Applications already in the table (default 50 × n).",
    )
    args = arguments.parse_args()
    prefill = args.prefill if args.prefill is not None else 50 * args.n
    folder = Path(tempfile.mkdtemp())
    url = args.db or f"sqlite:///{folder}/bench.db"
    settings = Settings(
        database_url=url,
        data_dir=folder,
        pii_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        secret_key=secrets.token_urlsafe(32),
    )
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = session_factory(settings, engine)
    bundle_id, actors, item_ids, departments = _setup(factory, args.seed)
    raw_rate = _prefill(factory, prefill, item_ids, departments)
    if not raw_rate:  # nothing to pre-fill: measure the raw rate on a small batch
        raw_rate = _prefill(factory, max(args.n, 1_000), item_ids, departments)
    today = date(2026, 3, 2)
    with timer() as took:
        for n in range(args.n):
            with factory() as session, transaction(session):
                applications.submit(
                    session,
                    actor=actors[n % len(actors)],
                    bundle_id=bundle_id,
                    answers=ANSWERS,
                    form=FORM,
                    today=today,
                )
    ours_rate = args.n / took()
    with factory() as session:
        clerk_department = session.scalar(
            select(ApplicationTask.department_id)
            .where(ApplicationTask.status == "submitted")
            .limit(1)
        )
        clerk = Actor(
            kind=ActorKind.staff,
            id="clerk",
            name="clerk",
            role=Role.department_clerk,
            department_id=clerk_department,
        )
        applications.inbox(session, actor=clerk)
        samples = []
        for _ in range(30):
            with timer() as inbox_took:
                rows = applications.inbox(session, actor=clerk, limit=100)
            samples.append(inbox_took() * 1000)
    report = Report(
        f"servicehub bundle submission, {args.n:,} applications × 3 items, "
        f"{prefill:,} pre-filled applications"
    )
    report.add("raw executemany insert", round(raw_rate), "applications/s")
    report.add("ours submit (one transaction each)", round(ours_rate, 1), "applications/s")
    report.ratio("ours / raw", ours_rate, raw_rate)
    report.add("clerk inbox query, median", round(statistics.median(samples), 2), "ms")
    report.add("clerk inbox query, max", round(max(samples), 2), "ms")
    report.add("inbox rows returned", len(rows))
    report.print(args.json)
    engine.dispose()


if __name__ == "__main__":
    main()
