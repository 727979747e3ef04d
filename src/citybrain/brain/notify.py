"""Delivery of queued NGSI-LD notifications: at least once, retried, never silently dropped.

The same background worker also turns raised alerts into governance reports
(``flows.open_cases_for_alerts``) each round, publishes the pillars' KPIs from their
outbox events every few seconds (``pillar_kpis.publish``), and once an hour keeps the
history's partitions ahead and applies its retention (``history.housekeep``).

A notification row is claimed with a short lease (so two workers do not send it at the
same time), sent over HTTP outside any transaction, then marked delivered, or given
its next attempt time with a growing delay. After ``MAX_ATTEMPTS`` it is kept as
``failed`` with its last error (the subscription shows ``lastFailure``), and
``requeue_failed`` puts such rows back in the queue.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from citybrain.brain import history
from citybrain.brain.models import NgsiNotification, NgsiSubscription
from citybrain.brain.ngsi import context as ld
from citybrain.brain.ngsi import egress
from citybrain.brain.ngsi.problems import NgsiError
from citybrain.config import BrainSettings
from citybrain.core.db import transaction, utcnow

log = structlog.get_logger("citybrain.brain.notify")

RETRY_DELAYS_S = (1, 2, 5, 15, 60, 300)
MAX_ATTEMPTS = 12
LEASE_S = 30
SEND_TIMEOUT_S = 5.0
HOUSEKEEPING_S = 3600
KPI_INTERVAL_S = 5.0
_wake = threading.Event()


def wake() -> None:
    """Tell the worker that new notifications were committed."""
    _wake.set()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS_S[min(attempts, len(RETRY_DELAYS_S)) - 1])


@dataclass(frozen=True)
class Job:
    notification_id: int
    subscription_pk: int
    uri: str
    accept: str
    context: list[Any]
    payload: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    notification_id: int
    subscription_pk: int
    ok: bool
    error: str = ""


@dataclass
class DeliveryStats:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.failed


def claim_due(session: Session, *, now: datetime, limit: int = 200) -> list[Job]:
    """Take a lease on the oldest notifications that are due."""
    rows = session.execute(
        select(NgsiNotification, NgsiSubscription)
        .join(NgsiSubscription, NgsiSubscription.id == NgsiNotification.subscription_pk)
        .where(NgsiNotification.status == "pending", NgsiNotification.next_attempt_at <= now)
        .order_by(NgsiNotification.id)
        .limit(limit)
    ).all()
    jobs = []
    for notification, subscription in rows:
        notification.next_attempt_at = now + timedelta(seconds=LEASE_S)
        endpoint = subscription.body["notification"]["endpoint"]
        jobs.append(
            Job(
                notification.id,
                subscription.id,
                endpoint["uri"],
                endpoint.get("accept", "application/json"),
                subscription.context or [],
                notification.payload,
            )
        )
    session.flush()
    return jobs


def send(
    job: Job,
    client: httpx.Client,
    *,
    allowed: Sequence[str] = (),
    checked: dict[str, egress.Target | NgsiError] | None = None,
) -> Outcome:
    """POST one notification; any non-2xx answer or transport error is a failure.

    The endpoint is checked again on a fresh DNS answer (``egress``) and the request
    goes to the address that passed; an internal address not in ``allowed`` fails.
    ``checked`` keeps the answers of one delivery round, so a host is resolved once a round.
    """
    parts = urlsplit(job.uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    checked = {} if checked is None else checked
    if origin not in checked:
        try:
            checked[origin] = egress.check(job.uri, allowed)
        except NgsiError as refusal:
            checked[origin] = refusal
    target = checked[origin]
    if isinstance(target, NgsiError):
        return Outcome(job.notification_id, job.subscription_pk, False, target.detail[:500])
    if not target.addresses:
        # Never let the HTTP client resolve a name we could not check (DNS rebinding).
        why = f"endpoint host {target.host[:80]!r} did not resolve; will retry"
        return Outcome(job.notification_id, job.subscription_pk, False, why)
    uri, pinned_headers, extensions = egress.pin(job.uri, target)
    payload = dict(job.payload)
    headers = {"Content-Type": job.accept, **pinned_headers}
    ctx = ld.resolve(job.context or None)
    if job.accept == "application/ld+json":
        payload["@context"] = ctx.as_jsonld()
    else:
        headers["Link"] = ld.link_header(ctx)
    try:
        response = client.post(
            uri,
            content=json.dumps(payload, ensure_ascii=False).encode(),
            headers=headers,
            timeout=SEND_TIMEOUT_S,
            extensions=extensions,
        )
    except httpx.HTTPError as error:
        return Outcome(
            job.notification_id,
            job.subscription_pk,
            False,
            f"{type(error).__name__}: {error}"[:500],
        )
    if 200 <= response.status_code < 300:
        return Outcome(job.notification_id, job.subscription_pk, True)
    return Outcome(job.notification_id, job.subscription_pk, False, f"HTTP {response.status_code}")


def record(session: Session, outcomes: list[Outcome], *, now: datetime) -> DeliveryStats:
    """Store what happened to each attempt and update the subscriptions' counters."""
    stats = DeliveryStats()
    for outcome in outcomes:
        notification = session.get(NgsiNotification, outcome.notification_id)
        subscription = session.get(NgsiSubscription, outcome.subscription_pk)
        if notification is None or subscription is None:
            continue  # the subscription was deleted meanwhile, and its queue with it
        notification.attempts += 1
        subscription.last_notification_at = now
        if outcome.ok:
            notification.status = "delivered"
            notification.delivered_at = now
            notification.last_error = ""
            subscription.times_sent += 1
            subscription.last_success_at = now
            stats.delivered += 1
            continue
        notification.last_error = outcome.error
        subscription.times_failed += 1
        subscription.last_failure_at = now
        stats.errors.append(outcome.error)
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = "failed"
            stats.failed += 1
            log.warning(
                "notification given up after retries",
                notification_id=notification.id,
                subscription=subscription.subscription_id,
                error=outcome.error,
            )
        else:
            notification.next_attempt_at = now + retry_delay(notification.attempts)
            stats.retried += 1
    session.flush()
    return stats


def deliver_due(
    session: Session, *, client: httpx.Client, now: datetime | None = None, limit: int = 200
) -> DeliveryStats:
    """Claim, send and record in one session (the caller commits); for tests and the CLI."""
    jobs = claim_due(session, now=now or utcnow(), limit=limit)
    allowed = egress.allowed_hosts(session)
    checked: dict[str, egress.Target | NgsiError] = {}
    outcomes = [send(job, client, allowed=allowed, checked=checked) for job in jobs]
    return record(session, outcomes, now=now or utcnow())


def requeue_failed(session: Session, *, subscription_pk: int | None = None) -> int:
    """Put notifications that were given up on back in the queue; how many."""
    query = update(NgsiNotification).where(NgsiNotification.status == "failed")
    if subscription_pk is not None:
        query = query.where(NgsiNotification.subscription_pk == subscription_pk)
    result = session.execute(query.values(status="pending", attempts=0, next_attempt_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def queue_counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    return {
        status: count
        for status, count in session.execute(
            select(NgsiNotification.status, func.count()).group_by(NgsiNotification.status)
        )
    }


class NotificationWorker:
    """A background thread that delivers the queue: woken by commits, polling as a fallback."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        idle_seconds: float = 1.0,
        client_factory: Callable[[], httpx.Client] = httpx.Client,
    ) -> None:
        self.factory = factory
        self.idle_seconds = idle_seconds
        self.client_factory = client_factory
        self._stop = threading.Event()
        self._next_housekeeping = 0.0
        self._next_kpis = 0.0
        self._thread = threading.Thread(target=self._run, name="brain-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        _wake.set()
        self._thread.join(timeout)

    def run_once(self, client: httpx.Client) -> int:
        """One round: alerts into governance reports, then the notifications that are due."""
        from citybrain.brain import flows  # governance is imported only by the worker

        handled = 0
        try:
            with self.factory() as session, transaction(session):
                handled = flows.open_cases_for_alerts(session).read
        except Exception:  # never let the alert flow hold up notifications
            log.exception("alert-to-case round failed; will retry")
        self._publish_kpis()
        self._housekeep()
        with self.factory() as session, transaction(session):
            jobs = claim_due(session, now=utcnow())
            allowed = egress.allowed_hosts(session)
        if not jobs:
            return handled
        outcomes = []
        checked: dict[str, egress.Target | NgsiError] = {}
        for job in jobs:
            if self._stop.is_set():
                break
            outcomes.append(send(job, client, allowed=allowed, checked=checked))
        with self.factory() as session, transaction(session):
            record(session, outcomes, now=utcnow())
        return handled + len(jobs)

    def _publish_kpis(self) -> None:
        """Every few seconds: the pillars' new events into their KPI entities."""
        from citybrain.brain import pillar_kpis

        if time.monotonic() < self._next_kpis:
            return
        self._next_kpis = time.monotonic() + KPI_INTERVAL_S
        try:
            with self.factory() as session, transaction(session):
                pillar_kpis.publish(session)
        except Exception:  # never let the KPIs hold up notifications
            log.exception("pillar KPI round failed; will retry")

    def _housekeep(self) -> None:
        """Once an hour: history partitions ahead, and retention when one is set."""
        if time.monotonic() < self._next_housekeeping:
            return
        self._next_housekeeping = time.monotonic() + HOUSEKEEPING_S
        try:
            with self.factory() as session, transaction(session):
                settings = session.info.get("settings")
                brain = settings.brain if settings is not None else BrainSettings()
                history.housekeep(
                    session,
                    now=utcnow(),
                    keep_months=brain.history_keep_months,
                    ahead_months=brain.history_partitions_ahead_months,
                )
        except Exception:  # never let housekeeping hold up notifications
            log.exception("history housekeeping failed; will retry next hour")

    def _run(self) -> None:
        with self.client_factory() as client:
            while not self._stop.is_set():
                try:
                    busy = self.run_once(client)
                except Exception:  # keep the worker alive; the rows stay queued
                    log.exception("notification delivery round failed")
                    busy = 0
                if not busy:
                    _wake.wait(self.idle_seconds)
                    _wake.clear()


def install(app: Any) -> None:
    """Run a notification worker for the lifetime of ``app`` (wraps its lifespan)."""
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        worker = NotificationWorker(application.state.sessionmaker)
        worker.start()
        try:
            async with previous(application) as state:
                yield state
        finally:
            worker.stop()

    app.router.lifespan_context = lifespan
