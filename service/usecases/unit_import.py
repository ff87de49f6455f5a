"""The unit layer from a GeoJSON FeatureCollection: every feature gated, all or nothing.

Each feature needs an id (the Feature ``id``, or the property named by
``id_field``), unique in the file, and a polygonal geometry that passes the
geometry gate (the same one territories pass). Any refusal stores nothing
and the report lists every one with its pointer; otherwise the layer is
replaced whole in one transaction.
"""

from __future__ import annotations

from typing import IO, Any

from geo.errors import GeoError, Issue
from geo.geojson import json_type
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.unit_ops import Unit
from service.usecases.import_report import ImportReport, report_answer, run_import
from service.usecases.territory_writes import clean_geometry
from service.web.http import InvalidJSONError, json_issue, parse_json


def import_units(
    store: Store,
    settings: Settings,
    body: IO[bytes],
    *,
    id_field: str | None,
    actor: str | None,
    instance: str,
) -> tuple[int, dict[str, Any]]:
    """Gate every feature, then replace the unit layer; 200 with the report or a 422 problem."""
    report = ImportReport(atomic=True)
    units = _read_units(body.read(), settings, id_field, report)

    def work(tx: Tx) -> None:
        tx.replace_units(units, actor=actor)
        report.created = len(units)

    if not report.issues:  # a refused file or feature: nothing is written at all
        run_import(store, report, work, entity="units", actor=actor)
    status, answer = report_answer(report, report.summary(), instance)
    if status == 422 and not report.failed_rows:
        answer["detail"] = "The file is not a usable FeatureCollection; nothing was stored."
    return status, answer


def _read_units(
    payload: bytes, settings: Settings, id_field: str | None, report: ImportReport
) -> list[Unit]:
    features = _features(payload, settings, report)
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(features):
        report.rows += 1
        unit = _unit(feature, i, settings, id_field, seen)
        if isinstance(unit, Unit):
            units.append(unit)
        else:
            report.failed_rows += 1
            for issue in unit:
                report.add(issue)
    return units


def _features(payload: bytes, settings: Settings, report: ImportReport) -> list[Any]:
    """The ``features`` array, or none with the reason in the report."""
    try:
        doc = parse_json(payload)
    except InvalidJSONError as exc:
        return _refuse(report, json_issue(exc))
    except (UnicodeDecodeError, ValueError):
        return _refuse(report, Issue("/", "not valid UTF-8 JSON", code="bad-json"))
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return _refuse(report, Issue("/type", "expected a FeatureCollection", code="wrong-type"))
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        return _refuse(
            report, Issue("/features", "expected a non-empty array of features", code="empty")
        )
    if len(features) > settings.max_design_units:
        reason = f"{len(features)} features; a unit layer holds at most {settings.max_design_units}"
        return _refuse(report, Issue("/features", reason, code="too-many"))
    return features


def _refuse(report: ImportReport, issue: Issue) -> list[Any]:
    report.add(issue)
    return []


def _unit(
    feature: Any, i: int, settings: Settings, id_field: str | None, seen: dict[str, int]
) -> Unit | list[Issue]:
    at = f"/features/{i}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return [Issue(at, f"expected a Feature, got {json_type(feature)}", code="wrong-type")]
    props = feature.get("properties")
    props = props if isinstance(props, dict) else {}
    issues: list[Issue] = []
    unit_id = _unit_id(feature, props, id_field, at, issues)
    if unit_id is not None and unit_id in seen:
        reason = f"unit id {unit_id!r} is also feature {seen[unit_id]}'s"
        issues.append(Issue(_id_pointer(at, id_field), reason, code="duplicate-id"))
    name = props.get("name")
    if name is not None and not isinstance(name, str):
        issues.append(Issue(f"{at}/properties/name", "a name is a string", code="wrong-type"))
    try:
        geometry = clean_geometry(feature.get("geometry"), settings, repair=False).geometry
    except GeoError as exc:
        issues += [_under(issue, at) for issue in exc.issues]
    if issues or unit_id is None:
        return issues
    seen[unit_id] = i
    return Unit(unit_id, name, geometry)


def _unit_id(
    feature: dict[str, Any],
    props: dict[str, Any],
    id_field: str | None,
    at: str,
    issues: list[Issue],
) -> str | None:
    raw = feature.get("id") if id_field is None else props.get(id_field)
    where = _id_pointer(at, id_field)
    if isinstance(raw, bool) or not isinstance(raw, str | int) or str(raw).strip() == "":
        what = "the Feature id" if id_field is None else f"property {id_field!r}"
        issues.append(
            Issue(where, f"{what} must be a non-empty string or integer", code="required")
        )
        return None
    if len(str(raw)) > 200:
        issues.append(Issue(where, "a unit id has at most 200 characters", code="too-long"))
        return None
    return str(raw)


def _id_pointer(at: str, id_field: str | None) -> str:
    return f"{at}/id" if id_field is None else f"{at}/properties/{_escape(id_field)}"


def _escape(token: str) -> str:
    """RFC 6901 escaping of one pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def _under(issue: Issue, at: str) -> Issue:
    """The gate's issue (pointing at ``/geometry``) under the feature's pointer."""
    return Issue(at + issue.pointer, issue.reason, issue.location, issue.code)
