"""Demo activity for the city code: a local outbreak, people's colours, a week of scans.

The story: three days ago the health authority raised the response level of 中原区 (2,
the risk area of the demo rule set) and 荥阳市 (1); the rest of the city stays in normal
times, so codes there keep saying ``none``. Everything goes through the pillar's
services: levels with ``status.set_emergency_level``, health data with
``status.add_record`` (a mass-testing round, positive tests, fever declarations, trips
into the risk area), colours by the active rules (``status.refresh_status``), venue
members with ``venues.add_member``, one signed device per venue and its scans with
``scans.ingest_batch``, and contact tracing of two index cases with ``scans.trace`` and
``scans.flag_close_contacts``. A scan's outcome is what the venue's policy gives for
the person's code at that moment (``rules.evaluate`` and ``rules.door_outcome``), so
the scans agree with the colours. Times the services stamp with the clock (level set,
status changed, record received, trace asked) are moved back afterwards to when each
happened in the story, never after now.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.citycode import rules, scans, status, venues
from citybrain.citycode.demo import DEMO_ACTOR
from citybrain.citycode.models import EmergencyLevel, PersonStatus, StatusChange, TraceQuery
from citybrain.core.db import utcnow
from citybrain.core.security import Actor, ActorKind
from citybrain.identity import service as identity_service

# Division → response level during the demo outbreak (中原区 is the rules' risk area).
OUTBREAK: Final = {"410102": 2, "410182": 1}
LEGAL_BASIS: Final = "《中华人民共和国传染病防治法》第四十二条；郑州市疫情防控指挥部通告（演示）"
RAISED_DAYS_AGO: Final = 3
SCAN_DAYS: Final = 7
# Shares of each outbreak district's residents who use their code (have a status).
USERS: Final = {"410102": 0.3, "410182": 0.25}
POSITIVE_SHARE: Final = 0.04  # of 中原区's code users
FEVER_SHARE: Final = 0.18
TRIP_SHARE: Final = 0.65  # of 荥阳市's code users: stayed in 中原区 within 14 days
TESTED_SHARE: Final = 0.8  # of 中原区's code users: in the mass-testing round
NORMAL_USERS: Final = 40  # people elsewhere (level 0) who showed their code this week
TRACED: Final = 2  # index cases traced, their first-hop contacts flagged
MEMBERS: Final = 80  # pre-registered residents of the 中原区 compound
SCANS_PER_DAY: Final = 360
NO_CODE_SHARE: Final = 0.01
ZONE: Final = ZoneInfo("Asia/Shanghai")
VENUE_WEIGHTS: Final = {
    rules.VenueKind.traffic_checkpoint: 5,
    rules.VenueKind.residential_compound: 3,
    rules.VenueKind.work_unit: 2,
    rules.VenueKind.public_place: 4,
}


@dataclass
class Seeded:
    """What was created."""

    statuses: dict[str, int] = field(default_factory=dict)
    records: int = 0
    scans: int = 0
    scans_today: int = 0
    close_contacts: int = 0


@dataclass
class _Person:
    person_id: int
    division_code: str | None
    token: str = ""
    row: PersonStatus | None = None  # held, so the session keeps it in its identity map
    records: list[rules.Record] = field(default_factory=list)
    changes: list[datetime] = field(default_factory=list)  # when each colour change happened


@dataclass(frozen=True)
class _Scan:
    person: _Person | None
    venue_id: int
    at: datetime


class _Story:
    def __init__(self, session: Session, rng: random.Random, now: datetime) -> None:
        self.session, self.rng, self.now = session, rng, now
        self.raised = now - timedelta(days=RAISED_DAYS_AGO, hours=rng.uniform(0, 6))
        self.traced_at = now - timedelta(hours=rng.uniform(20, 28))
        rule_set = status.active_rule_set(session)
        assert rule_set is not None, "the demo rule set is loaded by citycode.demo.load"
        self.body = rules.RuleSetBody.model_validate(rule_set.body)
        self.contacts: set[int] = set()
        self.held: list[object] = []  # rows the services read again and again
        self.seeded = Seeded()

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def level(self, division_code: str | None, at: datetime) -> int:
        return OUTBREAK.get(division_code or "", 0) if at >= self.raised else 0

    def colour(self, person: _Person, at: datetime) -> tuple[str, datetime | None]:
        """The person's code at ``at``: colour and last negative test (rules, not the table)."""
        known = [r for r in person.records if r.observed_at <= at]
        if person.person_id in self.contacts and at >= self.traced_at:
            known.append(rules.Record("close_contact", "demo", self.traced_at, "trace"))
        tests = [r.observed_at for r in known if r.kind == "test" and r.value == "negative"]
        tested = max(tests) if tests else None
        if self.level(person.division_code, at) == 0:
            return "none", tested
        return rules.evaluate(self.body, known, now=at).colour, tested

    def status(self, person: _Person) -> PersonStatus:
        if person.row is None:
            self.held.append(identity_service.get_person_or_raise(self.session, person.person_id))
            person.row = status.status_row(self.session, person.person_id)
        return person.row

    def add(self, person: _Person, kind: str, value: str, at: datetime, source: str) -> None:
        person.records.append(rules.Record(kind, value, at, source))
        before = self.status(person).colour
        row = status.add_record(
            self.session,
            actor=DEMO_ACTOR,
            person_id=person.person_id,
            kind=kind,
            value=value,
            observed_at=at,
            source=source,
        )
        row.created_at = min(at + timedelta(minutes=self.rng.randint(5, 90)), self.now)
        self.seeded.records += 1
        if self.status(person).colour != before:
            person.changes.append(max(row.created_at, self.raised))

    def refresh(self, person: _Person, at: datetime) -> None:
        before = self.status(person).colour
        row = status.refresh_status(self.session, person_id=person.person_id, actor=DEMO_ACTOR)
        if row.colour != before:
            person.changes.append(at)


def _choose(rng: random.Random, people: Sequence[_Person], share: float) -> list[_Person]:
    return rng.sample(list(people), round(len(people) * share))


def _health_data(story: _Story, by_division: dict[str, list[_Person]]) -> list[_Person]:
    """Records and colours of the code users in the outbreak districts."""
    rng, now, raised = story.rng, story.now, story.raised
    zhongyuan = _choose(rng, by_division.get("410102", []), USERS["410102"])
    xingyang = _choose(rng, by_division.get("410182", []), USERS["410182"])
    positive = max(round(len(zhongyuan) * POSITIVE_SHARE), min(len(zhongyuan), 1))
    positives = zhongyuan[:positive]
    fevers = zhongyuan[positive : positive + round(len(zhongyuan) * FEVER_SHARE)]
    for person in zhongyuan:
        if rng.random() < TESTED_SHARE:
            at = story.between(raised + timedelta(hours=2), now - timedelta(hours=3))
            story.add(person, "test", "negative", at, "核酸检测机构")
        if person in positives:
            at = story.between(raised + timedelta(hours=6), story.traced_at - timedelta(hours=4))
            story.add(person, "test", "positive", at, "核酸检测机构")
        elif person in fevers:
            at = story.between(now - timedelta(hours=60), now - timedelta(hours=1))
            story.add(person, "declaration", "fever", at, "用户健康信息申报")
        elif not person.records:
            story.refresh(person, story.between(raised, now))
    for person in xingyang:
        if rng.random() < TRIP_SHARE:
            at = story.between(now - timedelta(days=12), now - timedelta(hours=2))
            story.add(person, "trip", "410102", at, "行程申报")
        else:
            story.refresh(person, story.between(raised, now))
    return zhongyuan + xingyang


def _devices(story: _Story) -> dict[int, tuple[int, ed25519.Ed25519PrivateKey]]:
    """One scanning device per venue, its key drawn from the seed."""
    found: dict[int, tuple[int, ed25519.Ed25519PrivateKey]] = {}
    for venue in venues.list_venues(story.session):
        key = ed25519.Ed25519PrivateKey.from_private_bytes(story.rng.randbytes(32))
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        device = venues.register_device(
            story.session,
            actor=DEMO_ACTOR,
            venue_id=venue.id,
            name=f"{venue.name} 核验终端",
            public_key_der=der,
        )
        found[venue.id] = (device.id, key)
    return found


def _visits(story: _Story, scanners: list[_Person], start: datetime, end: datetime) -> list[_Scan]:
    """Scans between ``start`` and ``end``: busy hours by day, fewer at night."""
    rng = story.rng
    all_venues = venues.list_venues(story.session)
    weights = [VENUE_WEIGHTS[rules.VenueKind(v.kind)] for v in all_venues]
    found: list[_Scan] = []
    hours = (end - start).total_seconds() / 3600
    for _ in range(round(SCANS_PER_DAY * hours / 24)):
        at = story.between(start, end)
        hour = at.astimezone(ZONE).hour
        if hour < 6 and rng.random() < 0.8:
            continue  # few people about at night
        venue = rng.choices(all_venues, weights)[0]
        person = None if rng.random() < NO_CODE_SHARE else rng.choice(scanners)
        found.append(_Scan(person, venue.id, at.replace(microsecond=0)))
    return sorted(found, key=lambda s: s.at)


def _ingest(
    story: _Story,
    visits: list[_Scan],
    devices: dict[int, tuple[int, ed25519.Ed25519PrivateKey]],
    members: set[int],
) -> None:
    """Each venue's device sends its scans, outcome by the venue's policy at that moment."""
    by_venue: dict[int, list[scans.ScanIn]] = {}
    policies = {v.id: v for v in venues.list_venues(story.session)}
    today = datetime.combine(story.now.astimezone(ZONE).date(), time(0), ZONE)
    for visit in visits:
        venue = policies[visit.venue_id]
        level = story.level(venue.division_code, visit.at)
        policy = rules.VenuePolicy.model_validate(venue.policy).at(level)
        colour: str | None = None
        tested = None
        if visit.person is not None:
            colour, tested = story.colour(visit.person, visit.at)
            if colour == "red":
                continue  # isolated at home
        outcome = rules.door_outcome(
            policy,
            level=level,
            status=colour,
            last_negative_test_at=tested,
            registered=visit.person is not None and visit.person.person_id in members,
            now=visit.at,
        )
        scan_id = str(uuid.UUID(int=story.rng.getrandbits(128), version=4))
        token = visit.person.token if visit.person is not None else None
        by_venue.setdefault(visit.venue_id, []).append(
            scans.ScanIn(scan_id, token, outcome.value, visit.at)
        )
        story.seeded.scans += 1
        story.seeded.scans_today += visit.at >= today
    for venue_id, batch in sorted(by_venue.items()):
        device_id, key = devices[venue_id]
        batch_id = str(uuid.UUID(int=story.rng.getrandbits(128), version=4))
        actor = Actor(
            kind=ActorKind.api_key,
            id=f"demo-device-{device_id}",
            name="演示核验终端",
            scopes=frozenset({"citycode:scan"}),
        )
        for start in range(0, len(batch), scans.MAX_BATCH):
            part = batch[start : start + scans.MAX_BATCH]
            signature = key.sign(scans.batch_signing_bytes(device_id, batch_id, part))
            scans.ingest_batch(
                story.session,
                actor=actor,
                device_id=device_id,
                batch_id=batch_id,
                scans=part,
                signature=signature,
            )


def _trace(story: _Story, people: dict[int, _Person], positives: list[_Person]) -> None:
    """Trace the first index cases at ``traced_at``; their contacts become close contacts."""
    for number, person in enumerate(positives[:TRACED], start=1):
        query = scans.trace(
            story.session,
            actor=DEMO_ACTOR,
            case_id=f"郑疫演示-{number:03d}",
            person_id=person.person_id,
            at=story.traced_at,
        )
        query.asked_at = story.traced_at
        contacts = [
            people[row["person_id"]]
            for row in query.contacts
            if row["hop"] == 1 and row["person_id"] in people
        ]
        before = {c.person_id: story.status(c).colour for c in contacts}
        scans.flag_close_contacts(story.session, actor=DEMO_ACTOR, trace_id=query.id)
        for contact in contacts:
            story.contacts.add(contact.person_id)
            met = datetime.fromisoformat(
                next(r["met_at"] for r in query.contacts if r["person_id"] == contact.person_id)
            )
            contact.records.append(rules.Record("close_contact", query.case_id, met, "trace"))
            if story.status(contact).colour != before[contact.person_id]:
                contact.changes.append(story.traced_at)
            story.seeded.close_contacts += 1


def _backdate(story: _Story, people: Sequence[_Person]) -> None:
    """Status changes happened when the data arrived in the story, not at load time."""
    session = story.session
    for code in OUTBREAK:
        level = session.get(EmergencyLevel, code)
        if level is not None:
            level.set_at = story.raised
    by_id = {p.person_id: p for p in people}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.scalars(
            select(StatusChange)
            .where(StatusChange.person_id.in_(chunk))
            .order_by(StatusChange.person_id, StatusChange.id)
        )
        seen: dict[int, int] = {}
        for change in rows:
            person = by_id[change.person_id]
            n = seen.get(person.person_id, 0)
            seen[person.person_id] = n + 1
            if n < len(person.changes):
                change.changed_at = person.changes[n]
                story.status(person).changed_at = person.changes[n]
    for query in session.scalars(select(TraceQuery)):
        query.asked_at = min(query.asked_at, story.traced_at)


def load(
    session: Session,
    *,
    seed: int,
    people: Sequence[tuple[int, str | None]],
    now: datetime | None = None,
) -> Seeded:
    """The outbreak story over the demo ``people`` (person id, division code)."""
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    story = _Story(session, rng, now)
    for code, level in OUTBREAK.items():
        status.set_emergency_level(
            session, actor=DEMO_ACTOR, division_code=code, level=level, legal_basis=LEGAL_BASIS
        )
    everyone = [_Person(pid, division) for pid, division in people]
    by_division: dict[str, list[_Person]] = {}
    for person in everyone:
        by_division.setdefault(person.division_code or "", []).append(person)
    users = _health_data(story, by_division)
    elsewhere = [p for p in everyone if p.division_code not in OUTBREAK]
    normal = rng.sample(elsewhere, min(NORMAL_USERS, len(elsewhere)))
    start = now - timedelta(days=SCAN_DAYS - 1)
    start = datetime.combine(start.astimezone(ZONE).date(), time(0), ZONE)
    for person in normal:
        story.refresh(person, start)
    scanners = users + normal
    for person in scanners:
        person.token = story.status(person).token
    compound = next((v for v in venues.list_venues(session) if v.division_code == "410102"), None)
    members: set[int] = set()
    if compound is not None:
        for person in [p for p in users if p.division_code == "410102"][:MEMBERS]:
            venues.add_member(
                session, actor=DEMO_ACTOR, venue_id=compound.id, person_id=person.person_id
            )
            members.add(person.person_id)
    devices = _devices(story)
    first = _visits(story, scanners, start, story.traced_at)
    _ingest(story, first, devices, members)
    positives = [p for p in users if any(r.value == "positive" for r in p.records)]
    _trace(story, {p.person_id: p for p in scanners}, positives)
    second = _visits(story, scanners, story.traced_at + timedelta(seconds=1), now)
    _ingest(story, second, devices, members)
    _backdate(story, scanners)
    for person in scanners:
        colour = story.status(person).colour
        story.seeded.statuses[colour] = story.seeded.statuses.get(colour, 0) + 1
    session.flush()
    return story.seeded
