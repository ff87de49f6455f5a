"""Territory imports: the features of a GIS file as one change set, with a report per feature.

Each feature's properties are mapped to a territory (``name_field``,
``code_field``, ``parent_code_field``, ``rep_field``; everything else is
kept as ``attributes``), its geometry goes through the geometry gate and the
overlap policy like any write (:func:`service.usecases.change_sets.apply_change_set`).
All or nothing by default; with ``atomic=False`` the refused features are
left out and the rest written. ``dry_run`` checks everything and writes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from geo.errors import GeoError, Issue
from service.auth import Principal
from service.schemas.territories import RulesModel
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.errors import StorageError
from service.usecases.change_sets import (
    ChangeSetOutcome,
    ChangeSetRefusedError,
    Operation,
    OpFailure,
    OverlapPolicy,
    Policy,
    apply_change_set,
)
from service.usecases.import_report import MAX_REPORTED_ISSUES, ImportReport
from service.usecases.territory_writes import check_attributes, rules_from_model
from service.web.gisfiles import GisFeature, GisTable

CODE: Final = re.compile(r"^[A-Za-z0-9._\-]{1,100}$")
COLOR: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
# Columns an export writes that are the territory's own state, not attributes.
EXPORT_ONLY: Final = frozenset({"id", "version", "updated_at", "updated_by", "parent_id", "fid"})


@dataclass(frozen=True)
class FieldMap:
    """Which property holds what; the rest become attributes."""

    name_field: str = "name"
    code_field: str = "code"
    parent_code_field: str = "parent_code"
    rep_field: str = "rep_ids"


@dataclass(frozen=True)
class ImportOptions:
    """How to import: all or nothing, dry run, overlap policy, repair."""

    atomic: bool = True
    dry_run: bool = False
    on_overlap: OverlapPolicy = "warn"
    repair: bool = False


def import_territories(
    store: Store,
    table: GisTable,
    fields: FieldMap,
    options: ImportOptions,
    *,
    principal: Principal,
    settings: Settings,
) -> tuple[ImportReport, list[dict[str, Any]], int | None]:
    """Import ``table``: the report, one result per feature (``feature``, ``id``, ``status``)
    and the change set's id (None when nothing was written)."""
    report = ImportReport(atomic=options.atomic, rows=len(table.features))
    failed: set[int] = set()
    with store.write() as tx:
        ops, order = _operations(tx, table.features, fields, report, failed)
        outcome = _apply(tx, ops, order, options, principal, settings, report, failed)
        stored = outcome is not None and outcome.id is not None
        if stored:
            report.stored = True
            report.created = len(outcome.results) if outcome else 0
    results = _results(table.features, order, outcome, failed, dry_run=not stored)
    report.failed_rows = len(failed)
    return report, results, outcome.id if stored and outcome else None


def _operations(
    tx: Tx,
    features: Sequence[GisFeature],
    fields: FieldMap,
    report: ImportReport,
    failed: set[int],
) -> tuple[list[Operation], list[int]]:
    """One create per good feature, parents before children; ``order[k]`` is op k's feature."""
    parsed: dict[int, tuple[dict[str, Any], str | None]] = {}
    for i, f in enumerate(features):
        issues: list[Issue] = []
        if f.problem is not None:
            issues.append(Issue(f.pointer, f.problem, code="bad-feature"))
        out = _fields(f, fields, issues)
        for issue in issues:
            report.add(issue)
        if issues:
            failed.add(i)
        else:
            parsed[i] = out
    by_code = {v[0]["code"]: i for i, v in parsed.items() if v[0].get("code")}
    order = _parents_first(parsed, by_code)
    temp = {i: -(k + 1) for k, i in enumerate(order)}
    ops = []
    for i in order:
        values, parent_code = parsed[i]
        if parent_code is not None:
            values["parent_id"] = _parent_id(tx, parent_code, by_code, temp)
            if values["parent_id"] is None:
                reason = f"no territory has the parent code {parent_code!r}"
                pointer = f"{features[i].pointer}/properties/{fields.parent_code_field}"
                report.add(Issue(pointer, reason, code="unknown-parent"))
                failed.add(i)
        ops.append(Operation("create", temp[i], fields=values, geometry=features[i].geometry))
    keep = [k for k, i in enumerate(order) if i not in failed]
    return [ops[k] for k in keep], [order[k] for k in keep]


def _parents_first(
    parsed: Mapping[int, tuple[dict[str, Any], str | None]], by_code: dict[str, int]
) -> list[int]:
    order: list[int] = []
    placed: set[int] = set()

    def place(i: int, path: tuple[int, ...]) -> None:
        if i in placed or i in path:
            return
        parent = by_code.get(parsed[i][1] or "")
        if parent is not None and parent != i:
            place(parent, (*path, i))
        placed.add(i)
        order.append(i)

    for i in sorted(parsed):
        place(i, ())
    return order


def _parent_id(tx: Tx, code: str, by_code: dict[str, int], temp: dict[int, int]) -> int | None:
    if code in by_code:
        return temp[by_code[code]]
    found = tx.find_territories(code=code)
    return found[0].id if found else None


def _fields(
    f: GisFeature, fields: FieldMap, issues: list[Issue]
) -> tuple[dict[str, Any], str | None]:
    props = dict(f.properties)
    base = f"{f.pointer}/properties/"
    name = _pop(props, fields.name_field)
    if not isinstance(name, str | int) or not 0 < len(str(name).strip()) <= 200:
        issues.append(
            Issue(
                base + fields.name_field,
                "a territory needs a name (1 to 200 characters)",
                code="required",
            )
        )
    code = _text(_pop(props, fields.code_field))
    if code is not None and not CODE.match(code):
        issues.append(
            Issue(
                base + fields.code_field,
                "a code is 1 to 100 letters, digits, '._-'",
                code="bad-code",
            )
        )
    parent_code = _text(_pop(props, fields.parent_code_field))
    values: dict[str, Any] = {"name": str(name).strip(), "code": code, "parent_id": None}
    values["rep_ids"] = _rep_ids(_pop(props, fields.rep_field), base + fields.rep_field, issues)
    values["color"] = _color(_pop(props, "color"), base + "color", issues)
    values["rules"] = _rules(_pop(props, "rules"), base + "rules", issues)
    attributes = props.pop("attributes", None)
    values["attributes"] = {
        **(attributes if isinstance(attributes, dict) else _json_object(attributes)),
        **{k: v for k, v in props.items() if k not in EXPORT_ONLY and v is not None},
    }
    try:
        check_attributes(values["attributes"])
    except GeoError as exc:
        issues += [Issue(f.pointer + i.pointer, i.reason, code=i.code) for i in exc.issues]
    return values, parent_code


def _pop(props: dict[str, Any], name: str) -> Any:
    """The property ``name``: as spelled, else in any case (KML's ``Name``), else cut to the
    10 characters a Shapefile column keeps."""
    if name in props:
        return props.pop(name)
    for key in list(props):
        if key.casefold() in (name.casefold(), name[:10].casefold()):
            return props.pop(key)
    return None


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rep_ids(value: object, pointer: str, issues: list[Issue]) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    try:
        ids = tuple(int(str(v).strip()) for v in items if str(v).strip())
    except ValueError:
        issues.append(
            Issue(pointer, "rep ids are whole numbers separated by ';'", code="bad-rep-ids")
        )
        return ()
    if any(not 0 < i < 2**31 for i in ids) or len(ids) > 20:
        issues.append(Issue(pointer, "up to 20 rep ids, each from 1", code="bad-rep-ids"))
    return ids


def _color(value: object, pointer: str, issues: list[Issue]) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and COLOR.match(value):
        return value
    issues.append(Issue(pointer, "a color is #rrggbb", code="bad-color"))
    return None


def _rules(value: object, pointer: str, issues: list[Issue]) -> Any:
    raw = _json_object(value) if isinstance(value, str) else value
    if not raw:
        return rules_from_model(None)
    try:
        return rules_from_model(RulesModel.model_validate(raw).model_dump())
    except ValidationError as exc:
        reason = "; ".join(e["msg"] for e in exc.errors())
        issues.append(Issue(pointer, f"rules: {reason}", code="bad-rules"))
        return rules_from_model(None)


def _json_object(value: object) -> dict[str, Any]:
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _apply(
    tx: Tx,
    ops: list[Operation],
    order: list[int],
    options: ImportOptions,
    principal: Principal,
    settings: Settings,
    report: ImportReport,
    failed: set[int],
) -> ChangeSetOutcome | None:
    """Apply the set; without ``atomic``, drop what was refused and try the rest again."""
    dry = options.dry_run or (options.atomic and bool(failed))
    policy = Policy(options.on_overlap, options.repair, dry_run=dry, kind="import")
    for _ in range(3):
        if not ops:
            return None
        try:
            limits = settings.model_copy(update={"max_change_operations": max(len(ops), 1)})
            return apply_change_set(tx, ops, principal=principal, settings=limits, policy=policy)
        except ChangeSetRefusedError as exc:
            refused = {f.index for f in exc.failures}
            for f in exc.failures:
                failed.add(order[f.index])
                for issue in _issues(f, order):
                    _refusal(report, issue)
            if options.atomic:
                return None
            ops = [op for k, op in enumerate(ops) if k not in refused]
            order[:] = [i for k, i in enumerate(order) if k not in refused]
    return None


def _refusal(report: ImportReport, issue: Issue) -> None:
    """A refusal is an error even when its code is one that warns elsewhere (an overlap)."""
    if len(report.issues) + len(report.warnings) < MAX_REPORTED_ISSUES:
        report.issues.append(issue)
    else:
        report.truncated = True


def _issues(f: OpFailure, order: list[int]) -> list[Issue]:
    base = f"/features/{order[f.index]}"
    error = f.error
    if isinstance(error, GeoError) and error.issues:
        return [Issue(base + i.pointer, i.reason, i.location, i.code) for i in error.issues]
    code = error.code if isinstance(error, GeoError | StorageError) else "refused"
    detail = error.detail if isinstance(error, GeoError | StorageError) else str(error)
    return [Issue(base, detail, code=code)]


def _results(
    features: Sequence[GisFeature],
    order: list[int],
    outcome: ChangeSetOutcome | None,
    failed: set[int],
    *,
    dry_run: bool,
) -> list[dict[str, Any]]:
    ids: dict[int, int | None] = {}
    if outcome is not None:
        ids = {order[k]: r.id for k, r in enumerate(outcome.results)}
    out = []
    for i in range(len(features)):
        if i in failed:
            status = "failed"
        elif i in ids:
            status = "checked" if dry_run else "created"
        else:
            status = "not-written"
        out.append({"feature": i, "id": None if dry_run else ids.get(i), "status": status})
    return out
