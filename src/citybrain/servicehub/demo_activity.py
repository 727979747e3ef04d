"""Demo activity: a month of applications (办件) at every stage, through the services.

Each application is submitted, accepted, corrected, reviewed, decided, withdrawn and
rated with ``applications`` and ``metrics`` as a clerk or applicant would, with the
service's ``today`` set to the day the step happened, so accepted dates, due dates,
paused days and e-licence dates all come from the working-day calendar. The services
stamp ``submitted_at``, ``decided_at``, ``completed_at`` and the rating's time with the
clock; those are moved back afterwards to the same days (office hours, never after now).

Stages, chosen per application and planned backwards from today on the calendar:
``submitted`` (not yet accepted), ``in_review`` (under 80 % of the limit used),
``warning`` (80–100 %), ``overdue`` (past the due date), ``correcting`` (a correction
notice unanswered), ``corrected`` (answered, clock running again), ``suspended``
(特别程序), ``granted`` (every task decided, e-licences issued; about one in ten decided
late), ``denied``, ``refused`` (不予受理) and ``withdrawn``. Most finished applications
are rated (好差评).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Final

from sqlalchemy.orm import Session

from citybrain.core.db import utcnow
from citybrain.core.security import SYSTEM, Actor, ActorKind, Role
from citybrain.core.workdays import WorkCalendar, calendar_for
from citybrain.identity import service as identity_service
from citybrain.servicehub import applications, bundles, metrics, rules, workflow
from citybrain.servicehub.models import Application, ApplicationTask, Bundle

DEMO_APPLICATIONS: Final = 200
WINDOW_DAYS: Final = 30
# Demo logins that browser tests use to apply for 开办餐饮店 themselves.
KEEP_FREE: Final = {"resident01": "开办餐饮店", "resident07": "开办餐饮店"}
LOADER: Final = Actor(kind=SYSTEM.kind, id="demo", name="演示数据", role=Role.admin)
STAGES: Final = (
    ("submitted", 8),
    ("in_review", 16),
    ("warning", 7),
    ("overdue", 7),
    ("correcting", 6),
    ("corrected", 4),
    ("suspended", 2),
    ("granted", 34),
    ("denied", 4),
    ("refused", 5),
    ("withdrawn", 5),
)
MAX_OPEN_WORKDAYS: Final = 20
OPEN_STAGES: Final = ("in_review", "warning", "overdue", "correcting", "corrected", "suspended")
LATE_SHARE: Final = 0.1
RATED_SHARE: Final = 0.65
SINGLE_ITEM_SHARE: Final = 0.4
OFFICE: Final = (time(8, 30), time(17, 30))
REFUSALS: Final = (
    "申请事项不属于本部门职权范围",
    "申请人不具备申请资格",
    "申请材料不齐全且逾期未补正",
)
DENIALS: Final = ("现场核查不符合许可条件", "经审查不符合法定条件", "申请事项与规划不符")
CORRECTIONS: Final = (
    ("身份证明材料（清晰扫描件）",),
    ("场所平面布局图", "房屋租赁合同"),
    ("食品安全管理制度", "从业人员健康证明"),
    ("近期一寸照片",),
    ("收入证明", "银行账户信息"),
)
WITHDRAWALS: Final = ("信息填写有误，重新申请", "已不需要办理", "改为线下办理")
COMMENTS: Final = {
    5: ("一次都没跑，网上就办好了", "办理很快，窗口服务热情", "材料少，流程清楚", ""),
    4: ("整体顺利，补正说明可以更清楚", "比以前方便多了", ""),
    3: ("等的时间有点长", "还可以", ""),
    2: ("补正了两次才通过，希望一次性告知", "进度查询不及时"),
    1: ("超过承诺时限才办结", "电话一直打不通"),
}
SCORES: Final = (5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
SURNAMES: Final = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN: Final = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明")
STREETS: Final = ("农业路", "花园路", "建设路", "中原路", "金水路", "嵩山路", "大学路", "经三路")
SHOP_WORDS: Final = ("小吃店", "便利店", "商贸有限公司", "餐饮管理有限公司", "科技有限公司")


@dataclass(frozen=True)
class Applicant:
    actor: Actor
    name: str
    business: str
    username: str = ""


@dataclass
class Seeded:
    """What was created, by stage and in total."""

    applications: int = 0
    tasks: int = 0
    ratings: int = 0
    stages: dict[str, int] = field(default_factory=dict)


class _Moments:
    """Times of one application's events: office hours on the given day, after the
    submission, never after ``now`` (today before opening time: between midnight and now)."""

    def __init__(self, calendar: WorkCalendar, rng: random.Random, now: datetime) -> None:
        self.zone, self.rng, self.now = calendar.zone, rng, now
        self.first: datetime | None = None

    def at(self, day: date) -> datetime:
        start = datetime.combine(day, OFFICE[0], self.zone)
        span = (datetime.combine(day, OFFICE[1], self.zone) - start).total_seconds()
        moment = start + timedelta(seconds=self.rng.uniform(0, span))
        if moment > self.now:
            midnight = datetime.combine(day, time(0), self.zone)
            moment = max(midnight, self.now - timedelta(minutes=self.rng.randint(1, 30)))
        if self.first is not None:
            moment = max(moment, self.first + timedelta(minutes=self.rng.randint(2, 30)))
        moment = min(moment, self.now).astimezone(UTC).replace(microsecond=0)
        if self.first is None:
            self.first = moment
        return moment


@cache
def _review_steps(process: str) -> list[str]:
    """The process's review steps (every manual step but accept and decide)."""
    skip = (workflow.ACCEPT_STEP, workflow.DECIDE_STEP)
    return sorted(step for step in workflow.step_labels(process) if step not in skip)


def workdays_back(calendar: WorkCalendar, today: date, count: int) -> date:
    """The working day from which ``count`` working days have been used by ``today``."""
    day, found = today, 0
    while found < count:
        found += calendar.is_workday(day)
        day -= timedelta(days=1)
    while not calendar.is_workday(day):
        day -= timedelta(days=1)
    return day


def on_or_after(calendar: WorkCalendar, day: date) -> date:
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


class _City:
    """The demo applicants, one clerk per department and the bundles, read once."""

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        person_ids: Sequence[int],
        enterprise_ids: Sequence[int],
    ) -> None:
        self.session, self.rng = session, rng
        self.clerks: dict[int, Actor] = {}
        self.logins: list[Applicant] = []
        for account in identity_service.list_accounts(session, actor=LOADER):
            if account.role == Role.department_clerk.value and account.department_id:
                self.clerks[account.department_id] = identity_service.actor_for(account)
            elif account.person_id is not None and account.username.startswith("resident"):
                person = identity_service.get_person_or_raise(session, account.person_id)
                self.logins.append(
                    Applicant(
                        identity_service.actor_for(account),
                        person.name,
                        f"{person.name[:1]}记小吃店",
                        account.username,
                    )
                )
            elif account.enterprise_id is not None:
                self.logins.append(
                    Applicant(
                        identity_service.actor_for(account),
                        self._name(),
                        account.display_name,
                        account.username,
                    )
                )
        self.person_ids = list(person_ids)
        self.enterprise_ids = list(enterprise_ids)
        every = bundles.list_bundles(session)
        self.personal = [b for b in every if b.audience == "个人"]
        self.business = [b for b in every if b.audience != "个人"]

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, 2))

    def resident(self) -> Applicant:
        person_id = self.rng.choice(self.person_ids)
        name = identity_service.get_person_or_raise(self.session, person_id).name
        actor = Actor(
            kind=ActorKind.person, id=f"demo-{person_id}", name="演示居民", person_id=person_id
        )
        return Applicant(actor, name, f"{name[:1]}记{self.rng.choice(SHOP_WORDS[:2])}")

    def enterprise(self) -> Applicant:
        enterprise_id = self.rng.choice(self.enterprise_ids)
        actor = Actor(
            kind=ActorKind.enterprise,
            id=f"demo-e{enterprise_id}",
            name="演示企业",
            enterprise_id=enterprise_id,
        )
        rng = self.rng
        business = f"郑州{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(SHOP_WORDS[2:])}"
        return Applicant(actor, self._name(), business)

    def bundle_for(self, applicant: Applicant) -> Bundle:
        person = applicant.actor.kind is ActorKind.person
        personal = person and (applicant.username in KEEP_FREE or self.rng.random() < 0.85)
        while True:
            bundle = self.rng.choice(self.personal if personal else self.business)
            if KEEP_FREE.get(applicant.username) != bundle.name:
                return bundle


def _answers(rng: random.Random, bundle: Bundle, single: bool) -> dict[str, str]:
    answers: dict[str, str] = {}
    for question in bundle.questions:
        if question.get("type") == "number":
            answers[question["key"]] = str(rng.choice((60, 80, 120, 260, 420)))
            continue
        values = [o["value"] for o in question["options"]]
        if single and "no" in values:
            answers[question["key"]] = "no"
        elif single and "held" in values:
            answers[question["key"]] = "held"
        else:
            answers[question["key"]] = rng.choice(values)
    return answers


def _form(rng: random.Random, schema: dict[str, Any], applicant: Applicant) -> dict[str, Any]:
    address = f"郑州市{rng.choice(STREETS)}{rng.randint(1, 300)}号"
    known: dict[str, Any] = {
        "applicant_name": applicant.name,
        "contact_phone": f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
        "business_name": applicant.business,
        "business_address": address,
        "business_scope": "餐饮服务；预包装食品销售",
        "food_categories": "热食类制售",
        "fire_safety_manager": applicant.name,
        "sign_location": "店门上方",
        "purpose": "本人申请办理",
    }
    form: dict[str, Any] = {}
    for key, spec in schema["properties"].items():
        if spec.get("type") == "number":
            form[key] = rng.choice((6, 45, 80, 120, 260))
        elif spec.get("type") == "boolean":
            form[key] = True
        elif "enum" in spec:
            form[key] = spec["enum"][0]
        else:
            form[key] = known.get(key, "演示")
    return form


@dataclass
class _Plan:
    """When an application is submitted and how its first task is worked."""

    stage: str
    submitted: date
    accept: date | None = None
    used: int = 0  # working days the first task has used by today (open stages)
    pause_after: int = 0  # working days into the clock when the correction came
    pause_days: int = 0  # working days the correction (or procedure) lasted so far
    answered: bool = False


class _Runner:
    def __init__(self, session: Session, city: _City, rng: random.Random, now: datetime) -> None:
        self.session, self.city, self.rng, self.now = session, city, rng, now
        self.calendar = calendar_for(session)
        self.today = applications.local_today(self.calendar, now)
        self.seeded = Seeded()
        self.reviewed: dict[int, int] = {}

    # planning

    def plan(self, stage: str, limit: int, first_limit: int) -> _Plan:
        rng, cal, today = self.rng, self.calendar, self.today
        if stage == "submitted":
            day = today - timedelta(days=rng.choice((0, 0, 0, 1, 1, 2)))
            return _Plan(stage, day)
        if stage in ("granted", "denied"):
            span = min(limit + rng.randint(1, 6), 20)
            accept = workdays_back(cal, today, span)
            return _Plan(stage, self._before(accept), accept)
        if stage in ("refused", "withdrawn"):
            accept = workdays_back(cal, today, rng.randint(1, 15))
            return _Plan(stage, self._before(accept), accept)
        share = {"in_review": (0.0, 0.79), "warning": (0.8, 1.0), "overdue": (1.05, 1.4)}
        low, high = share.get(stage, (0.0, 0.5))
        used = rng.randint(int(first_limit * low + 0.999), max(int(first_limit * high), 0))
        if stage == "overdue":
            used = max(used, first_limit + 1)
        if used > MAX_OPEN_WORKDAYS:  # a long limit: still early in it
            stage, used = "in_review", rng.randint(0, MAX_OPEN_WORKDAYS // 2)
        plan = _Plan(stage, today, used=used)
        total = used
        if stage in ("correcting", "corrected", "suspended"):
            plan.pause_after = max(used, 1)
            plan.pause_days = rng.randint(1, 4)
            plan.answered = stage == "corrected"
            after = rng.randint(0, max(int(first_limit * 0.3), 0)) if plan.answered else 0
            plan.used = plan.pause_after + after
            total = plan.pause_after + plan.pause_days + after
        plan.accept = workdays_back(cal, today, total)
        plan.submitted = self._before(plan.accept)
        return plan

    def _before(self, accept: date) -> date:
        """Submitted on the day of acceptance or up to three days before (online, any day)."""
        return accept - timedelta(days=self.rng.choice((0, 0, 0, 1, 1, 3)))

    # running

    def run(self, applicant: Applicant, bundle: Bundle, stage: str) -> Application | None:
        rng = self.rng
        answers = _answers(rng, bundle, rng.random() < SINGLE_ITEM_SHARE)
        members = bundles.chosen_members(bundle, answers)
        if not members:
            return None
        durations, requires = bundles.graph(members)
        first = [m.item.promised_days for m in members if not requires[m.item_id]]
        first_limit = max(first, default=0)
        if stage in OPEN_STAGES and first_limit < 3:
            stage = "granted"  # on-the-spot items are decided at once
        plan = self.plan(stage, rules.longest_path(durations, requires), first_limit)
        moments = _Moments(self.calendar, rng, self.now)
        submitted_at = moments.at(plan.submitted)
        schema = rules.json_schema(rules.merge_fields([m.item.form_fields for m in members]))
        application = applications.submit(
            self.session,
            actor=applicant.actor,
            bundle_id=bundle.id,
            answers=answers,
            form=_form(rng, schema, applicant),
            today=plan.submitted,
        )
        application.submitted_at = submitted_at
        self.seeded.applications += 1
        self.seeded.tasks += len(application.tasks)
        self.seeded.stages[plan.stage] = self.seeded.stages.get(plan.stage, 0) + 1
        if plan.stage != "submitted":
            self._work(application, applicant, plan, moments)
        self._finish(application, applicant, moments)
        return application

    def _step(
        self, task: ApplicationTask, action: str, day: date, moments: _Moments, **kw: Any
    ) -> None:
        applications.take_step(
            self.session,
            actor=self.city.clerks[task.department_id],
            task_id=task.id,
            action=action,
            today=day,
            **kw,
        )
        if task.decided_at is not None and action in ("decide", "refuse"):
            task.decided_at = moments.at(day)

    def _work(
        self, application: Application, applicant: Applicant, plan: _Plan, moments: _Moments
    ) -> None:
        assert plan.accept is not None
        rng, cal = self.rng, self.calendar
        if plan.stage == "refused":
            for task in [t for t in application.tasks if t.status == "submitted"]:
                self._step(task, "refuse", plan.accept, moments, reason=rng.choice(REFUSALS))
            return
        if plan.stage == "withdrawn":
            if rng.random() < 0.5:
                for task in [t for t in application.tasks if t.status == "submitted"]:
                    self._step(task, "accept", plan.accept, moments)
            applications.withdraw(
                self.session,
                actor=applicant.actor,
                application_id=application.id,
                reason=rng.choice(WITHDRAWALS),
            )
            application.completed_at = moments.at(plan.accept)
            return
        released = {t.id: plan.accept for t in application.tasks if t.status == "submitted"}
        primary = max(
            (t for t in application.tasks if t.id in released), key=lambda t: t.limit_days
        )
        done: set[int] = set()
        while released:
            task_id = min(released, key=lambda k: (released[k], k))
            start = released.pop(task_id)
            done.add(task_id)
            task = next(t for t in application.tasks if t.id == task_id)
            if task is primary and plan.stage in OPEN_STAGES:
                self._open(task, applicant, plan, moments)
                continue
            decided = self._decide(
                task, start, moments, deny=plan.stage == "denied" and task is primary
            )
            if decided is None:
                continue
            for other in application.tasks:
                if other.status == "submitted" and other.id not in done:
                    released.setdefault(other.id, on_or_after(cal, decided))

    def _decide(
        self, task: ApplicationTask, start: date, moments: _Moments, *, deny: bool = False
    ) -> date | None:
        """Accept on ``start``, review, decide within the limit (a few late) if by today."""
        rng, cal = self.rng, self.calendar
        accept = on_or_after(cal, start + timedelta(days=rng.choice((0, 0, 1))))
        if accept > self.today:
            return None
        self._step(task, "accept", accept, moments)
        limit = task.limit_days
        used = (
            rng.randint(limit + 1, limit + 3)
            if rng.random() < LATE_SHARE
            else rng.randint(min(1, limit), limit)
        )
        decide = cal.add_workdays(accept, used).day
        if decide > self.today:
            self._reviews(task, accept, moments, 1)
            return None
        self._reviews(task, decide, moments)
        if deny:
            self._step(task, "decide", decide, moments, granted=False, reason=rng.choice(DENIALS))
            return None
        self._step(task, "decide", decide, moments, granted=True)
        return decide

    def _reviews(self, task: ApplicationTask, day: date, moments: _Moments, most: int = 9) -> None:
        """Up to ``most`` of the review steps still waiting in the task's process."""
        steps = _review_steps(task.item.process)
        done = self.reviewed.get(task.id, 0)
        for step in steps[done : done + most]:
            self._step(task, "review", day, moments, step=step)
            self.reviewed[task.id] = self.reviewed.get(task.id, 0) + 1

    def _open(
        self, task: ApplicationTask, applicant: Applicant, plan: _Plan, moments: _Moments
    ) -> None:
        assert plan.accept is not None
        cal, rng = self.calendar, self.rng
        self._step(task, "accept", plan.accept, moments)
        if plan.stage in ("in_review", "warning", "overdue"):
            if plan.used and rng.random() < 0.7:
                self._reviews(task, cal.add_workdays(plan.accept, 1).day, moments, 1)
            return
        paused = cal.add_workdays(plan.accept, plan.pause_after).day
        if plan.stage == "suspended":
            self._step(
                task, "suspend", paused, moments, step="expert_review", reason="组织专家评审"
            )
            return
        materials = list(rng.choice(CORRECTIONS))
        self._step(
            task, "request_correction", paused, moments, materials=materials, reason="请补正材料"
        )
        if plan.answered:
            answered = cal.add_workdays(paused, plan.pause_days).day
            applications.answer_correction(
                self.session,
                actor=applicant.actor,
                application_id=task.application_id,
                today=answered,
            )
            self._reviews(task, answered, moments, 1)

    def _finish(self, application: Application, applicant: Applicant, moments: _Moments) -> None:
        if application.status != "completed":
            return
        decided = [t.decided_at for t in application.tasks if t.decided_at is not None]
        application.completed_at = max(decided, default=application.submitted_at)
        if self.rng.random() >= RATED_SHARE:
            return
        if not any(t.status == "granted" for t in application.tasks):
            return
        score = self.rng.choice(SCORES)
        late = any(
            not applications.task_clock(self.calendar, t, self.today).within_limit
            for t in application.tasks
            if t.status == "granted"
        )
        if late:
            score = min(score, self.rng.choice((1, 2, 3)))
        rating = metrics.rate(
            self.session,
            actor=applicant.actor,
            application_id=application.id,
            score=score,
            comment=self.rng.choice(COMMENTS[score]),
        )
        day = application.completed_at.astimezone(self.calendar.zone).date()
        later = min(day + timedelta(days=self.rng.randint(0, 3)), self.today)
        rating.created_at = max(moments.at(later), application.completed_at)
        self.seeded.ratings += 1


def load(
    session: Session,
    *,
    seed: int,
    person_ids: Sequence[int],
    enterprise_ids: Sequence[int],
    count: int = DEMO_APPLICATIONS,
    now: datetime | None = None,
) -> Seeded:
    """``count`` applications over the last month, every demo login among the applicants."""
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    city = _City(session, rng, person_ids, enterprise_ids)
    runner = _Runner(session, city, rng, now)
    stages = [name for name, weight in STAGES for _ in range(weight)]
    # Every demo login applies at least once; the rest are drawn from the whole city.
    queue = [a for a in city.logins for _ in range(rng.randint(1, 3))]
    while runner.seeded.applications < count:
        applicant = (
            queue.pop(0)
            if queue
            else (city.resident() if rng.random() < 0.65 else city.enterprise())
        )
        bundle = city.bundle_for(applicant)
        runner.run(applicant, bundle, rng.choice(stages))
    session.flush()
    return runner.seeded
