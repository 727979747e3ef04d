"""How categories.csv was derived from the shared city_mgmt_categories.csv (run once, by hand).

Usage: python derive_categories.py SOURCE.csv DEPARTMENTS.csv OUT.csv
(DEPARTMENTS.csv: src/citybrain/demo/data/departments.csv)
"""

import csv
import re
import sys
from pathlib import Path

src, departments, dst = sys.argv[1], sys.argv[2], sys.argv[3]
names = {
    r["slug"]: r["name"] for r in csv.DictReader(Path(departments).read_text("utf-8").splitlines())
}
rows = list(csv.DictReader(Path(src).read_text("utf-8").splitlines()))
# department keyword -> demo department slug (first match wins)
RULES = [
    ("交通警察", "public-security"),
    ("公安", "public-security"),
    ("园林", "landscape"),
    ("水利", "water"),
    ("水务", "water"),
    ("供水", "water"),
    ("生态环境", "ecology-environment"),
    ("城乡建设", "urban-construction"),
    ("交通运输", "transport"),
    ("民政", "civil-affairs"),
    ("消防", "fire-rescue"),
    ("市场监督", "market-regulation"),
    ("应急", "emergency"),
    ("国防", "national-defence"),
    ("房屋产权", "housing"),
    ("城市管理", "urban-management"),
    ("环卫", "urban-management"),
    ("执法", "urban-management"),
    ("街道办事处", "urban-management"),
]
UTILITY = ("供电", "通信", "广电", "燃气", "热力", "邮政", "产权单位", "铁塔")
out = []
seq: dict[tuple[str, str], int] = {}
for r in rows:
    if r["minor"].startswith("（"):
        continue  # extension placeholder rows
    kind = "component" if r["kind"] == "部件" else "event"
    letter = "C" if kind == "component" else "E"
    major = r["major_code"] or "XX"
    dept_text = r["typical_department"]
    fixes = []
    if r["minor"] in ("交通信号灯", "交通信号设施"):
        dept_text = "郑州市公安局交通警察支队"
        fixes.append(
            "source mapped signals to 通信运营商/铁塔公司; signals belong to the traffic police"
        )
    if r["minor_code"]:
        code = f"{letter}{r['minor_code']}"
    else:
        seq[(letter, major)] = seq.get((letter, major), 0) + 1
        code = f"{letter}{major}L{seq[(letter, major)]:02d}"
    slug = next((s for k, s in RULES if k in dept_text), None)
    owner = ""
    if slug is None and any(u in dept_text for u in UTILITY):
        slug, owner = "city-operations", dept_text
    if slug is None:
        slug = "city-operations"
    if slug != "city-operations" and any(u in dept_text for u in UTILITY):
        owner = dept_text
    m = re.search(r"GB/T 47678\.5-2026: (\d{5})", r["note"])
    duty = "owner_first" if kind == "component" else "locality_first"
    tl, unit = (
        r["time_limit"],
        {"工作日": "workdays", "工作时": "workhours", "": ""}[r["time_unit"]],
    )
    src_note = "published" if tl else "default"
    if not tl:
        tl, unit = ("5", "workdays")
    out.append(
        dict(
            code=code,
            kind=kind,
            major_code=r["major_code"],
            major=r["major"],
            minor_code=r["minor_code"],
            name=r["minor"],
            gb2026_code=m.group(1) if m else "",
            department_slug=slug,
            department=names[slug],
            source_department=dept_text,
            duty_rule=duty,
            time_limit=tl,
            time_unit=unit,
            time_limit_source=src_note,
            fix="; ".join(fixes),
        )
    )
out.append(
    dict(
        code="H0001",
        kind="appeal",
        major_code="",
        major="12345诉求",
        minor_code="",
        name="一般诉求",
        gb2026_code="",
        department_slug="hotline-12345",
        department=names["hotline-12345"],
        source_department="12345热线",
        duty_rule="locality_first",
        time_limit="5",
        time_unit="workdays",
        time_limit_source="published",
        fix="",
    )
)
with Path(dst).open("w", encoding="utf-8", newline="") as handle:
    w = csv.DictWriter(handle, fieldnames=list(out[0]))
    w.writeheader()
    w.writerows(out)
print(len(out), "categories written")
