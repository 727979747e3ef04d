"""``citybrain demo load``: build the Zhengzhou demo city from a seed, once."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.brain import demo as brain_demo
from citybrain.brain import pillar_kpis
from citybrain.citycode import demo as citycode_demo
from citybrain.citycode import demo_activity as citycode_activity
from citybrain.config import Settings
from citybrain.core import audit, ids
from citybrain.core.db import transaction
from citybrain.core.security import SYSTEM, ActorKind, Role, hash_password
from citybrain.demo import people
from citybrain.governance import demo as governance_demo
from citybrain.identity import service as identity_service
from citybrain.identity.models import Account, Department, Enterprise, Person
from citybrain.regions import service as regions_service
from citybrain.servicehub import demo as servicehub_demo
from citybrain.servicehub import demo_activity as servicehub_activity

CITY_CODE = "410100"
BATCH = 1_000
Progress = Callable[[str, int, int], None]

# Staff who are not a department's clerk or head: username, name, role, department slug.
CITY_STAFF = [
    ("admin", "系统管理员", Role.admin, "big-data"),
    ("agent", "12345话务员", Role.call_centre_agent, "hotline-12345"),
    ("grid", "网格员", Role.grid_worker, "city-operations"),
    ("command", "指挥中心值班员", Role.command_centre_operator, "city-operations"),
    ("checkpoint", "卡口核验员", Role.checkpoint_operator, "public-security"),
    ("health", "卫健委工作人员", Role.health_authority, "health"),
]
RESIDENT_ACCOUNTS = 20
# The twelve county-level divisions (GB/T 2260) where demo people are registered.
COUNTY_CODES = (
    "410102",
    "410103",
    "410104",
    "410105",
    "410106",
    "410108",
    "410122",
    "410181",
    "410182",
    "410183",
    "410184",
    "410185",
)
ENTERPRISE_ACCOUNTS = 5


@dataclass(frozen=True)
class DepartmentRow:
    slug: str
    name: str
    short_name: str
    kind: str


def department_rows() -> list[DepartmentRow]:
    source = resources.files("citybrain.demo").joinpath("data/departments.csv")
    with source.open(encoding="utf-8") as handle:
        return [
            DepartmentRow(r["slug"], r["name"], r["short_name"], r["kind"])
            for r in csv.DictReader(handle)
        ]


def is_loaded(session: Session) -> bool:
    return session.scalar(select(Department.id).limit(1)) is not None


T = TypeVar("T")


def _batches(items: Iterable[T], size: int) -> Iterable[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def load(
    factory: sessionmaker[Session], settings: Settings, progress: Progress | None = None
) -> bool:
    """Load the demo city into an empty database; False when it is already there."""
    report = progress or (lambda _step, _done, _total: None)
    with factory() as session, transaction(session):
        if is_loaded(session):
            return False
        regions_service.load_reference(session)
        report("regions", 1, 2)
        regions_service.load_synthetic_geometry(session, seed=settings.demo.seed)
        report("regions", 2, 2)
    with factory() as session, transaction(session):
        departments = _load_departments(session)
        _load_staff(session, settings, departments)
        report("departments", 1, 1)
    _load_people(factory, settings, report)
    with factory() as session, transaction(session):
        governance_demo.load(session, seed=settings.demo.seed)
        report("governance", 1, 1)
    with factory() as session, transaction(session):
        servicehub_demo.load(session)
        report("servicehub", 1, 1)
    with factory() as session, transaction(session):
        citycode_demo.load(session)
        report("citycode", 1, 1)
    _load_activity(factory, settings, report)
    with factory() as session, transaction(session):
        brain_demo.load(session, seed=settings.demo.seed)
        pillar_kpis.publish(session)  # the cockpit's pillar indicators from the first minute
        report("brain", 1, 1)
    with factory() as session, transaction(session):
        audit.record(
            session,
            SYSTEM,
            "demo.loaded",
            entity_type="city",
            entity_id=CITY_CODE,
            detail={"seed": settings.demo.seed},
        )
    return True


def _load_activity(factory: sessionmaker[Session], settings: Settings, report: Progress) -> None:
    """A lived-in city: a month of applications, an outbreak's code colours and scans."""
    with factory() as session, transaction(session):
        people = list(session.execute(select(Person.id, Person.division_code)).tuples())
        enterprises = list(session.scalars(select(Enterprise.id)))
        servicehub_activity.load(
            session,
            seed=settings.demo.seed,
            person_ids=[person_id for person_id, _ in people],
            enterprise_ids=enterprises,
        )
        report("applications", 1, 1)
    with factory() as session, transaction(session):
        citycode_activity.load(session, seed=settings.demo.seed, people=people)
        report("code activity", 1, 1)


def _load_departments(session: Session) -> dict[str, Department]:
    rng = random.Random(20190126)
    departments = {}
    for row in department_rows():
        department = Department(
            name=row.name,
            short_name=row.short_name,
            kind=row.kind,
            credit_code=ids.make_credit_code(rng, CITY_CODE, kind="11"),
            division_code=CITY_CODE,
        )
        session.add(department)
        departments[row.slug] = department
    session.flush()
    return departments


def _load_staff(session: Session, settings: Settings, departments: dict[str, Department]) -> None:
    # One hash for the shared demo password: argon2 is slow on purpose.
    password_hash = hash_password(settings.demo.password.get_secret_value())
    accounts = [
        Account(
            username=username,
            display_name=name,
            password_hash=password_hash,
            kind=ActorKind.staff.value,
            role=role.value,
            department_id=None if role is Role.admin else departments[slug].id,
        )
        for username, name, role, slug in CITY_STAFF
    ]
    for slug, department in departments.items():
        for role, title in ((Role.department_clerk, "窗口"), (Role.department_head, "负责人")):
            prefix = "clerk" if role is Role.department_clerk else "head"
            accounts.append(
                Account(
                    username=f"{prefix}.{slug}",
                    display_name=f"{department.short_name}{title}",
                    password_hash=password_hash,
                    kind=ActorKind.staff.value,
                    role=role.value,
                    department_id=department.id,
                )
            )
    session.add_all(accounts)
    session.flush()


def _load_people(factory: sessionmaker[Session], settings: Settings, report: Progress) -> None:
    codes = list(COUNTY_CODES)
    password_hash = hash_password(settings.demo.password.get_secret_value())
    total = settings.demo.residents
    done = 0
    for batch in _batches(people.residents(settings.demo.seed, total, codes), BATCH):
        with factory() as session, transaction(session):
            rows = [
                identity_service.build_person(
                    session,
                    name=r.name,
                    id_number=r.id_number,
                    phone=r.phone,
                    division_code=r.division_code,
                )
                for r in batch
            ]
            session.add_all(rows)
            session.flush()
            if done == 0:
                for number, person in enumerate(rows[:RESIDENT_ACCOUNTS], start=1):
                    identity_service.create_resident_account(
                        session,
                        username=f"resident{number:02d}",
                        password="",
                        person=person,
                        password_hash=password_hash,
                    )
        done += len(batch)
        report("residents", done, total)
    _load_enterprises(factory, settings, report, password_hash)


def _load_enterprises(
    factory: sessionmaker[Session], settings: Settings, report: Progress, password_hash: str
) -> None:
    codes = list(COUNTY_CODES)
    total = settings.demo.enterprises
    done = 0
    for batch in _batches(people.companies(settings.demo.seed, total, codes), BATCH):
        with factory() as session, transaction(session):
            companies = [
                Enterprise(
                    name=c.name,
                    credit_code=c.credit_code,
                    division_code=c.division_code,
                    industry=c.industry,
                )
                for c in batch
            ]
            session.add_all(companies)
            session.flush()
            if done == 0:
                session.add_all(
                    Account(
                        username=f"enterprise{number:02d}",
                        display_name=company.name,
                        password_hash=password_hash,
                        kind=ActorKind.enterprise.value,
                        enterprise_id=company.id,
                    )
                    for number, company in enumerate(companies[:ENTERPRISE_ACCOUNTS], start=1)
                )
        done += len(batch)
        report("enterprises", done, total)
