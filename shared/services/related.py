"""Cross-region association (the plan's section 五): what other regions hold about a subject, and who shares its
legal representative.

For supervisors: jurisdiction does not hide other regions' records here (that is the point), but only what a
record's timeline would show is returned, natural persons are never indexed, and ID numbers never leave (the
intake keeps them masked; the masked form is compared, not shown).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from shared.categories import CATEGORY_INFO
from shared.identifiers import is_valid_reg_no, is_valid_uscc, normalize_code
from shared.ledger import LedgerEntry
from shared.regions import city_of, in_jurisdiction, is_fujian_region, region_name
from shared.registry import LegalRep
from shared.services.deps import Deps
from shared.services.queries import QueryError
from shared.timeutil import iso_utc

BASIS_ID = "姓名及证件号码（脱敏后）一致"
BASIS_NAME = "姓名一致"


def _subject_code(raw: str, deps: Deps) -> str | None:
    code = normalize_code(raw)
    if code and len(code) == 18 and is_valid_uscc(code):
        return code
    if code and len(code) == 15 and is_valid_reg_no(code):
        found = deps.tables.registry.lookup([], [code], []).by_reg_no.get(code)
        return found.uscc if found else None
    raise QueryError(f"“{raw}”不是有效的统一社会信用代码或注册号")


def _record(e: LedgerEntry, caller_region: str, departments: dict[str, str]) -> dict[str, Any]:
    return {
        "record_id": e.record_id,
        "category": e.category.value,
        "category_name": CATEGORY_INFO[e.category].name_zh,
        "doc_no": e.doc_no,
        "production_date": e.production_date.isoformat(),
        "department": e.department,
        "department_name": departments.get(e.department, e.department),
        "region_code": e.region_code,
        "region_name": region_name(e.region_code),
        "published_at": iso_utc(e.published_at) if e.published_at else None,
        "other_region": not in_jurisdiction(caller_region, e.region_code),
    }


def _city(code: str) -> str:
    return city_of(code) if is_fujian_region(code) and code != "350000" else code


def _shares(mine: list[LegalRep], theirs: LegalRep) -> str | None:
    """How strongly a subject's representative is the same person as one of ours (None: a namesake)."""
    for rep in mine:
        if rep.name_key != theirs.name_key:
            continue
        if rep.id_masked and theirs.id_masked:
            if rep.id_masked == theirs.id_masked:
                return BASIS_ID
            continue  # same name, different ID: two people
        return BASIS_NAME
    return None


def related(raw_code: str, caller_region: str, deps: Deps) -> dict[str, Any]:
    """Records of the subject grouped by city and department, and subjects sharing its legal representative."""
    uscc = _subject_code(raw_code, deps)
    subject = deps.tables.registry.subject(uscc) if uscc else None
    entries = list(deps.tables.records.about_subject(uscc)) if uscc else []
    departments = {code: d.name for code, d in deps.tables.registry.departments().items()}
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        groups[_city(e.region_code)][e.department].append(_record(e, caller_region, departments))
    regions = [
        {
            "city": city,
            "city_name": region_name(city),
            "other_region": not in_jurisdiction(caller_region, city) and not in_jurisdiction(city, caller_region),
            "departments": [
                {"department": d, "department_name": departments.get(d, d), "records": recs}
                for d, recs in sorted(by_dept.items())
            ],
        }
        for city, by_dept in sorted(groups.items())
    ]

    mine = [
        LegalRep(name=subject.legal_rep, uscc=uscc, subject_name=subject.name, source="register")
        for subject in [subject]
        if subject is not None and subject.legal_rep and uscc
    ]
    mine += [
        LegalRep(name=n, uscc=uscc or "", id_masked=e.fields.get("legal_rep_id_number", ""), source=e.record_id)
        for e in entries
        if (n := e.fields.get("legal_rep", ""))
    ]
    shared: dict[str, dict[str, Any]] = {}
    for name_key in sorted({rep.name_key for rep in mine if rep.name_key}):
        for theirs in deps.tables.registry.represented_by(name_key):
            basis = _shares(mine, theirs) if theirs.uscc != uscc else None
            if basis is None:
                continue
            known = shared.get(theirs.uscc)
            if known is None or (known["basis"] == BASIS_NAME and basis == BASIS_ID):
                shared[theirs.uscc] = {
                    "uscc": theirs.uscc,
                    "name": theirs.subject_name,
                    "legal_rep": theirs.name,
                    "basis": basis,
                }
    return {
        "uscc": uscc,
        "subject_name": subject.name
        if subject
        else (entries[-1].attributed_name or entries[-1].subject_name)
        if entries
        else None,
        "legal_rep": sorted({rep.name for rep in mine}),
        "records": len(entries),
        "other_region_records": sum(1 for e in entries if not in_jurisdiction(caller_region, e.region_code)),
        "regions": regions,
        "shared_legal_rep": sorted(shared.values(), key=lambda s: (s["basis"] != BASIS_ID, s["uscc"])),
    }
