"""Reading catalogue files: national portal records, DVCQG ``LayThuTuc`` JSON, MotCua's own format."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import services
from .parsing import ParseReport, parse_laythutuc, parse_national_record


@dataclass
class FileResult:
    path: str
    kind: str = ""
    outcomes: Counter = field(default_factory=Counter)
    reports: list[ParseReport] = field(default_factory=list)
    error: str = ""


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def outcomes(self) -> Counter:
        total = Counter()
        for f in self.files:
            total.update(f.outcomes)
        return total

    @property
    def reports(self) -> list[ParseReport]:
        return [r for f in self.files for r in f.reports]

    def coverage(self) -> dict[str, tuple[int, int]]:
        """(parsed, stated) for processing times and fees over the text-based records."""
        reports = self.reports
        return {
            "time": (sum(r.states_time and r.time_parsed for r in reports), sum(r.states_time for r in reports)),
            "fee": (sum(r.states_fee and r.fee_parsed for r in reports), sum(r.states_fee for r in reports)),
        }

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.error]


def expand_paths(paths) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        else:
            files.append(path)
    return files


def _detect(item) -> str:
    if isinstance(item, dict):
        if item.get("format") == services.FORMAT_NAME:
            return "motcua"
        if "ma_thu_tuc" in item:
            return "national"
        if "MATTHC" in item:
            return "laythutuc"
    return ""


def _unwrap(data):
    """LayThuTuc answers are sometimes wrapped: {"result": [...]} or {"data": {...}}."""
    if isinstance(data, dict) and not _detect(data):
        for key in ("result", "data", "Result", "Data"):
            if key in data:
                return _unwrap(data[key])
    return data


def import_file(path: Path) -> FileResult:
    result = FileResult(path=str(path))
    try:
        data = _unwrap(json.loads(path.read_text(encoding="utf-8-sig")))
        items = data if isinstance(data, list) else [data]
        for item in items:
            kind = _detect(item)
            if not kind:
                raise services.CatalogueFormatError("không nhận ra định dạng (cần bản ghi Cổng DVCQG, LayThuTuc hoặc MotCua)")
            result.kind = kind
            if kind == "motcua":
                result.outcomes.update(services.import_catalogue(item))
                continue
            record, report = (parse_national_record if kind == "national" else parse_laythutuc)(item)
            result.reports.append(report)
            result.outcomes[services.import_record(record)] += 1
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def import_paths(paths, *, progress: bool = True) -> ImportSummary:
    summary = ImportSummary()
    files = expand_paths(paths)
    for path in tqdm(files, desc="Nhập thủ tục", unit="tệp", disable=not progress):
        summary.files.append(import_file(path))
    return summary


def import_codes(folder) -> Counter:
    """Load the national code list (citizen-services.json, business-services.json, fields.json)."""
    from .models import Field
    from .parsing import field_code

    folder = Path(folder)
    counts: Counter = Counter()
    fields_file = folder / "fields.json"
    if fields_file.exists():
        seen = set(Field.objects.values_list("code", flat=True))
        for item in json.loads(fields_file.read_text(encoding="utf-8")):
            name = (item.get("FIELD_NAME") or "").strip()
            base = name.split("(")[0].strip() if name.endswith(")") else name
            code = field_code(base)
            if base and code and code not in seen:
                Field.objects.create(code=code, name=base)
                seen.add(code)
                counts["fields"] += 1
    best: dict[str, dict] = {}
    for filename, applicant in (("citizen-services.json", "Công dân"), ("business-services.json", "Doanh nghiệp")):
        path = folder / filename
        if not path.exists():
            continue
        for item in json.loads(path.read_text(encoding="utf-8")):
            code = (item.get("TTHC_MA") or "").strip()
            if not code or not item.get("NAME"):
                continue
            entry = best.setdefault(code, {"name": item["NAME"], "weight": 0, "applicants": []})
            entry["weight"] = max(entry["weight"], int(item.get("WEIGHT") or 0))
            if applicant not in entry["applicants"]:
                entry["applicants"].append(applicant)
    for code, entry in tqdm(sorted(best.items()), desc="Mã thủ tục", unit="mã", disable=len(best) < 50):
        counts[services.upsert_name_only(code, entry["name"], min(entry["weight"], 2**31 - 1), entry["applicants"])] += 1
    return counts
