"""The resident's and enterprise's one home: code, applications with their dates and
warnings, reports with their progress, most-used services, latest notices, search box."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.core.db import utcnow
from citybrain.core.security import Role
from citybrain.governance import intake
from citybrain.identity import service as identity_service
from citybrain.notifications import service as notifications_service
from citybrain.portal import home_service
from citybrain.portal.pages import STATIC_DIR
from citybrain.servicehub import applications, bundles
from tests.factories.governance import make_case, make_departments
from tests.factories.identity import auth_headers, make_resident, make_staff
from tests.factories.servicehub import (
    RESTAURANT_ANSWERS,
    load_catalog,
    resident_with_business_licence,
    restaurant_form,
)

HTML = {"Accept": "text/html"}


@pytest.fixture
def city(reference_session: Session) -> Session:
    """Divisions and streets, the demo departments, catalog and bundles, and the
    departments the case categories name."""
    load_catalog(reference_session)
    make_departments(reference_session)
    return reference_session


def _apply_for_restaurant(session: Session, account) -> int:  # type: ignore[no-untyped-def]
    bundle = bundles.get_bundle_by_name(session, "开办餐饮店")
    assert bundle is not None
    application = applications.submit(
        session,
        actor=identity_service.actor_for(account),
        bundle_id=bundle.id,
        answers=RESTAURANT_ANSWERS,
        form=restaurant_form(),
    )
    return application.id


def test_resident_home_shows_code_applications_reports_services_and_notices(
    client: TestClient, city: Session
) -> None:
    account, _ = resident_with_business_licence(city)
    application_id = _apply_for_restaurant(city, account)
    case = make_case(
        city,
        channel="app",
        address="管城区商都路与未来路交叉口",
        reporter=intake.Reporter(account_id=account.id, person_id=account.person_id),
    )
    notifications_service.send(
        city, topic="test", title="您的办件已受理", title_en="Accepted", person_id=account.person_id
    )
    page = client.get("/", headers={**auth_headers(client, account), **HTML})
    assert page.status_code == 200
    text = page.text
    # my code: the colour, a link to the full code page
    assert 'id="home-code"' in text and 'href="/citycode"' in text and "常态码" in text
    # my applications, with the date to expect and the clock's words
    assert f'data-application="{application_id}"' in text
    assert "预计办结" in text and "开办餐饮店" in text
    # my reports, with the steps of the lifecycle
    assert f'data-case="{case.id}"' in text and 'aria-current="step"' in text
    assert "派遣" in text
    # the search box, most-used services and my notices
    assert 'role="search"' in text and 'id="search-input"' in text
    assert 'id="most-used-list"' in text and "新生儿出生" in text
    assert 'id="home-notice-list"' in text and "您的办件已受理" in text
    assert "/static/js/home.js" in text and "/static/css/console.css" in text
    # landmarks and labels for screen readers; the old shortcuts stay
    assert 'aria-labelledby="home-applications-title"' in text
    assert '<label for="search-input">' in text
    assert "常用入口" in text


def test_application_rows_carry_the_warning_of_the_worst_clock(city: Session) -> None:
    account, _ = resident_with_business_licence(city)
    _apply_for_restaurant(city, account)
    actor = identity_service.actor_for(account)
    rows = home_service.my_applications(city, actor)
    assert len(rows) == 1
    row = rows[0]
    assert row.total == 3 and row.done == 0
    assert row.expected_on is not None and row.status_label == "已提交"
    assert row.level == "none"  # nothing accepted yet: no clock runs
    # the worst of the task clocks wins
    assert home_service._level(["on_time", "warning", "overdue"]) == "overdue"
    assert home_service._level(["on_time", "warning"]) == "warning"
    assert home_service._level(["on_time", "not_started"]) == "normal"
    assert home_service._level(["paused", "on_time"]) == "paused"


def test_most_used_counts_recent_applications_and_falls_back_to_the_curated_list(
    city: Session,
) -> None:
    resident = identity_service.actor_for(make_resident(city))
    shortcuts, from_usage = home_service.most_used(city, resident)
    assert not from_usage
    assert [s.name for s in shortcuts][:2] == ["新生儿出生", "退休"]
    account, _ = resident_with_business_licence(city)
    enterprise_view = identity_service.actor_for(account)
    # residents apply for the restaurant bundle (an enterprise bundle): it leads for enterprises
    _apply_for_restaurant(city, account)
    from citybrain.core.security import Actor, ActorKind

    enterprise = Actor(kind=ActorKind.enterprise, id="9", name="企业", enterprise_id=1)
    shortcuts, from_usage = home_service.most_used(city, enterprise)
    assert from_usage and shortcuts[0].name == "开办餐饮店" and shortcuts[0].uses == 1
    assert len({s.name for s in shortcuts}) == len(shortcuts) == home_service.MOST_USED_COUNT
    assert enterprise_view.person_id is not None


def test_old_applications_do_not_count_as_recent(city: Session) -> None:
    account, _ = resident_with_business_licence(city)
    application_id = _apply_for_restaurant(city, account)
    application = applications.get_application_or_raise(city, application_id)
    application.submitted_at = utcnow() - timedelta(days=home_service.MOST_USED_DAYS + 1)
    city.flush()
    from citybrain.core.security import Actor, ActorKind

    enterprise = Actor(kind=ActorKind.enterprise, id="9", name="企业", enterprise_id=1)
    _, from_usage = home_service.most_used(city, enterprise)
    assert not from_usage


def test_staff_home_keeps_the_department_panels(client: TestClient, city: Session) -> None:
    clerk = make_staff(city, Role.department_clerk)
    page = client.get("/", headers={**auth_headers(client, clerk), **HTML})
    assert page.status_code == 200
    assert 'id="home-code"' not in page.text and 'id="search-input"' not in page.text
    assert "本部门" in page.text and 'href="/inbox"' in page.text


def test_resident_without_anything_sees_friendly_empty_states(
    client: TestClient, city: Session
) -> None:
    resident = make_resident(city)
    page = client.get("/", headers={**auth_headers(client, resident), **HTML})
    assert page.status_code == 200
    assert 'id="no-applications"' in page.text and 'id="no-reports"' in page.text
    assert 'id="no-home-notices"' in page.text


def test_manifest_is_installable() -> None:
    manifest = json.loads((STATIC_DIR / "manifest.webmanifest").read_text("utf-8"))
    for key in ("name", "short_name", "start_url", "display", "theme_color", "lang", "icons"):
        assert manifest.get(key), key
    assert manifest["display"] == "standalone" and manifest["lang"] == "zh-CN"
    sizes = set()
    for icon in manifest["icons"]:
        assert (STATIC_DIR / icon["src"]).exists(), icon["src"]
        if "any" in icon.get("purpose", "any").split():
            sizes.update(icon["sizes"].split())
    assert {"192x192", "512x512"} <= sizes or "any" in sizes


def test_styles_are_large_type_and_in_rem() -> None:
    css = (STATIC_DIR / "css" / "console.css").read_text("utf-8")
    sizes = re.findall(r"font-size:\s*([\d.]+)(\w+)", css)
    assert sizes and all(unit == "rem" for _, unit in sizes)  # follows the user's setting
    assert min(float(value) for value, _ in sizes) >= 0.9  # 16.2 px at the default root
    base = (STATIC_DIR / "css" / "citybrain.css").read_text("utf-8")
    assert "font-size: 112.5%" in base  # 18 px body at the browser default
