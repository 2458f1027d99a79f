"""Catalogue business rules: import/export in MotCua's own format, versioning, search.

MotCua's format is documented in docs/catalog-format.md. ``export_procedure`` and
``import_record`` are exact inverses: exporting, importing and exporting again gives the same JSON.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from motcua.core.text import nfc

from .models import (
    DocumentComponent,
    EForm,
    Fee,
    Field,
    Procedure,
    ProcedureCase,
    ProcedureChannel,
    ProcedureVersion,
)
from .search import search_procedures, suggest_procedures  # noqa: F401  (public API of the app)

FORMAT_NAME = "motcua-catalogue"
FORMAT_VERSION = 1

TEXT_FIELDS = [
    "name",
    "procedure_type",
    "competent_agency",
    "implementing_agency",
    "coordinating_agency",
    "steps",
    "conditions",
    "legal_bases_raw",
    "results_raw",
    "publishing_decision",
    "channels_raw",
    "components_raw",
    "source_url",
]
LIST_FIELDS = ["levels", "applicant_types", "legal_bases", "results"]


class CatalogueFormatError(ValueError):
    """A record that does not follow the catalogue format."""


def decimal_text(value) -> str | None:
    """Canonical text of a duration: Decimal('7.00') -> '7', '0.5' -> '0.5'."""
    if value in (None, ""):
        return None
    text = format(Decimal(str(value)).normalize(), "f")
    return text


# --------------------------------------------------------------------------- export


def export_procedure(procedure: Procedure, *, with_popularity: bool = True) -> dict:
    """The full content of one procedure in MotCua's format (see docs/catalog-format.md)."""
    cases = list(procedure.cases.all())
    case_names = {c.id: c.name for c in cases}
    data = {
        "code": procedure.code,
        "field": {"code": procedure.field.code, "name": procedure.field.name} if procedure.field_id else None,
    }
    for name in TEXT_FIELDS:
        data[name] = getattr(procedure, name)
    for name in LIST_FIELDS:
        data[name] = list(getattr(procedure, name) or [])
    data["unparsed"] = dict(procedure.unparsed or {})
    data["is_active"] = procedure.is_active
    if with_popularity:
        data["popularity"] = procedure.popularity
    data["cases"] = [{"name": c.name} for c in cases]
    data["channels"] = [
        {
            "channel": ch.channel,
            "case": case_names.get(ch.case_id),
            "duration_value": decimal_text(ch.duration_value),
            "duration_unit": ch.duration_unit,
            "description": ch.description,
            "raw_text": ch.raw_text,
            "fees": [
                {"kind": f.kind, "amount": f.amount, "currency": f.currency, "description": f.description}
                for f in sorted(ch.fees.all(), key=lambda f: f.id)
            ],
        }
        for ch in sorted(procedure.channels.all(), key=lambda ch: ch.id)  # keep the source order
    ]
    data["components"] = [
        {
            "case": case_names.get(c.case_id),
            "code": c.code,
            "name": c.name,
            "form": c.form,
            "quantity": c.quantity,
            "required": c.required,
            "template_name": c.template_name,
            "template_file": c.template_file.name or "",
            "template_url": c.template_url,
            "group": c.group,
            "eform": c.eform.code if c.eform_id else None,
            "order": c.order,
        }
        for c in procedure.components.all()
    ]
    return data


def _prefetched(queryset):
    return queryset.select_related("field").prefetch_related(
        "cases", "channels__fees", "components__eform"
    )


def export_eform(eform: EForm) -> dict:
    return {"code": eform.code, "name": eform.name, "schema": eform.schema, "ui": eform.ui}


def export_catalogue(procedures=None) -> dict:
    """A whole catalogue document: procedures (by code) and the e-forms they use."""
    qs = _prefetched(procedures if procedures is not None else Procedure.objects.all()).order_by("code")
    items = [export_procedure(p) for p in qs]
    codes = sorted({c["eform"] for p in items for c in p["components"] if c["eform"]})
    eforms = [export_eform(e) for e in EForm.objects.filter(code__in=codes).order_by("code")]
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "eforms": eforms, "procedures": items}


# --------------------------------------------------------------------------- versions


def snapshot(procedure: Procedure) -> ProcedureVersion:
    """Store (once) the content of ``procedure`` at its current version number."""
    fresh = _prefetched(Procedure.objects.filter(pk=procedure.pk)).get()
    version, _ = ProcedureVersion.objects.get_or_create(
        procedure=fresh, number=fresh.version, defaults={"snapshot": export_procedure(fresh, with_popularity=False)}
    )
    return version


def current_version(procedure: Procedure) -> ProcedureVersion:
    """The ProcedureVersion a new dossier must reference (created on first use)."""
    version = ProcedureVersion.objects.filter(procedure=procedure, number=procedure.version).first()
    return version or snapshot(procedure)


# --------------------------------------------------------------------------- import


def _text(value, limit: int | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CatalogueFormatError(f"giá trị phải là chuỗi: {value!r}")
    # Keep line breaks in long texts; normalise each line.
    text = "\n".join(nfc(line) if line.strip() else "" for line in value.split("\n")).strip("\n")
    return text[:limit] if limit else text


def normalize_record(record: dict) -> dict:
    """Fill defaults and check types so the record compares equal to ``export_procedure``."""
    if not isinstance(record, dict):
        raise CatalogueFormatError("mỗi thủ tục phải là một đối tượng JSON")
    code = _text(record.get("code"), 20)
    name = _text(record.get("name"), 500)
    if not code or not name:
        raise CatalogueFormatError("thiếu mã (code) hoặc tên (name) thủ tục")
    out: dict = {"code": code}
    field = record.get("field")
    if field:
        if not isinstance(field, dict) or not field.get("code") or not field.get("name"):
            raise CatalogueFormatError("field phải có code và name")
        out["field"] = {"code": _text(field["code"], 40), "name": _text(field["name"], 255)}
    else:
        out["field"] = None
    limits = {"name": 500, "competent_agency": 500, "implementing_agency": 500, "coordinating_agency": 500}
    limits.update({"procedure_type": 255, "publishing_decision": 255, "source_url": 500})
    for key in TEXT_FIELDS:
        out[key] = _text(record.get(key), limits.get(key))
    for key in LIST_FIELDS:
        value = record.get(key) or []
        if not isinstance(value, list):
            raise CatalogueFormatError(f"{key} phải là một danh sách")
        out[key] = value
    unparsed = record.get("unparsed") or {}
    if not isinstance(unparsed, dict):
        raise CatalogueFormatError("unparsed phải là một đối tượng")
    out["unparsed"] = unparsed
    out["is_active"] = bool(record.get("is_active", True))
    if "popularity" in record and record["popularity"] is not None:
        out["popularity"] = int(record["popularity"])
    out["cases"] = [{"name": _text(c.get("name"), 500)} for c in record.get("cases") or []]
    case_names = {c["name"] for c in out["cases"]}
    channels = []
    for ch in record.get("channels") or []:
        try:
            channel = int(ch["channel"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueFormatError("kênh (channel) phải là 1, 2 hoặc 3") from exc
        if channel not in (1, 2, 3):
            raise CatalogueFormatError("kênh (channel) phải là 1, 2 hoặc 3")
        if ch.get("case") and ch["case"] not in case_names:
            raise CatalogueFormatError(f"trường hợp không có trong cases: {ch['case']}")
        fees = []
        for fee in ch.get("fees") or []:
            kind = fee.get("kind", "le_phi")
            if kind not in Fee.Kind.values:
                raise CatalogueFormatError(f"loại phí không hợp lệ: {kind}")
            amount = int(fee.get("amount") or 0)
            if amount < 0:
                raise CatalogueFormatError("số tiền phí không được âm")
            fees.append(
                {
                    "kind": kind,
                    "amount": amount,
                    "currency": _text(fee.get("currency") or "VND", 3),
                    "description": _text(fee.get("description")),
                }
            )
        channels.append(
            {
                "channel": channel,
                "case": ch.get("case") or None,
                "duration_value": decimal_text(ch.get("duration_value")),
                "duration_unit": ch.get("duration_unit") or "",
                "description": _text(ch.get("description")),
                "raw_text": _text(ch.get("raw_text")),
                "fees": fees,
            }
        )
    out["channels"] = channels
    components = []
    for index, comp in enumerate(record.get("components") or []):
        form = comp.get("form") or "original"
        if form not in DocumentComponent.Form.values:
            raise CatalogueFormatError(f"dạng giấy tờ không hợp lệ: {form}")
        if comp.get("case") and comp["case"] not in case_names:
            raise CatalogueFormatError(f"trường hợp không có trong cases: {comp['case']}")
        components.append(
            {
                "case": comp.get("case") or None,
                "code": _text(comp.get("code"), 60),
                "name": _text(comp.get("name")),
                "form": form,
                "quantity": int(comp.get("quantity", 1)),
                "required": bool(comp.get("required", True)),
                "template_name": _text(comp.get("template_name"), 255),
                "template_file": comp.get("template_file") or "",
                "template_url": _text(comp.get("template_url"), 500),
                "group": _text(comp.get("group"), 255),
                "eform": comp.get("eform") or None,
                "order": int(comp.get("order", index)),
            }
        )
    out["components"] = components
    return out


def _content(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "popularity"}


def import_eform(data: dict) -> EForm:
    if not isinstance(data, dict) or not data.get("code") or not isinstance(data.get("schema"), dict):
        raise CatalogueFormatError("biểu mẫu điện tử phải có code và schema")
    eform, _ = EForm.objects.update_or_create(
        code=data["code"],
        defaults={"name": _text(data.get("name") or data["code"], 255), "schema": data["schema"], "ui": data.get("ui") or {}},
    )
    return eform


@transaction.atomic
def import_record(record: dict) -> str:
    """Create or update one procedure from a record in MotCua's format.

    Idempotent by national code. Returns "created", "updated" (content changed: version bumped and
    snapshotted) or "unchanged" (only the popularity may have been refreshed).
    """
    rec = normalize_record(record)
    existing = _prefetched(Procedure.objects.filter(code=rec["code"])).select_for_update(of=("self",)).first()
    if existing is not None:
        if _content(export_procedure(existing, with_popularity=False)) == _content(rec):
            if "popularity" in rec and rec["popularity"] != existing.popularity:
                existing.popularity = rec["popularity"]
                existing.save(update_fields=["popularity"])
            return "unchanged"
    eform_codes = {c["eform"] for c in rec["components"] if c["eform"]}
    eforms = {e.code: e for e in EForm.objects.filter(code__in=eform_codes)}
    missing = eform_codes - set(eforms)
    if missing:
        raise CatalogueFormatError(f"biểu mẫu điện tử không tồn tại: {', '.join(sorted(missing))}")
    field = None
    if rec["field"]:
        field, _ = Field.objects.get_or_create(code=rec["field"]["code"], defaults={"name": rec["field"]["name"]})
        if field.name != rec["field"]["name"]:
            field.name = rec["field"]["name"]
            field.save()
    procedure = existing or Procedure(code=rec["code"])
    procedure.field = field
    for key in TEXT_FIELDS + LIST_FIELDS + ["unparsed", "is_active"]:
        setattr(procedure, key, rec[key])
    if "popularity" in rec:
        procedure.popularity = rec["popularity"]
    if existing is not None:
        procedure.version += 1
        existing.cases.all().delete()
        existing.channels.all().delete()
        existing.components.all().delete()
    procedure.save()
    cases = {c["name"]: ProcedureCase.objects.create(procedure=procedure, name=c["name"], order=i) for i, c in enumerate(rec["cases"])}
    for ch in rec["channels"]:
        channel = ProcedureChannel.objects.create(
            procedure=procedure,
            case=cases.get(ch["case"]),
            channel=ch["channel"],
            duration_value=Decimal(ch["duration_value"]) if ch["duration_value"] is not None else None,
            duration_unit=ch["duration_unit"],
            description=ch["description"],
            raw_text=ch["raw_text"],
        )
        Fee.objects.bulk_create([Fee(channel=channel, **fee) for fee in ch["fees"]])
    DocumentComponent.objects.bulk_create(
        [
            DocumentComponent(
                procedure=procedure,
                case=cases.get(c["case"]),
                code=c["code"],
                name=c["name"],
                form=c["form"],
                quantity=c["quantity"],
                required=c["required"],
                template_name=c["template_name"],
                template_file=c["template_file"],
                template_url=c["template_url"],
                group=c["group"],
                eform=eforms.get(c["eform"]),
                order=c["order"],
            )
            for c in rec["components"]
        ]
    )
    snapshot(procedure)
    return "updated" if existing is not None else "created"


def import_catalogue(document: dict) -> dict[str, int]:
    """Import a whole document in MotCua's format; returns counts by outcome."""
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise CatalogueFormatError(f'không phải tệp danh mục MotCua (thiếu "format": "{FORMAT_NAME}")')
    for eform in document.get("eforms") or []:
        import_eform(eform)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for record in document.get("procedures") or []:
        counts[import_record(record)] += 1
    return counts


def upsert_name_only(code: str, name: str, popularity: int, applicant_types: list[str] | None = None) -> str:
    """Create a procedure known only by its code and name (national code list), or refresh popularity."""
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        procedure = Procedure(code=code, name=nfc(name)[:500], popularity=popularity, applicant_types=applicant_types or [])
        procedure.save()
        snapshot(procedure)
        return "created"
    if procedure.popularity != popularity:
        procedure.popularity = popularity
        procedure.save(update_fields=["popularity"])
        return "updated"
    return "unchanged"
