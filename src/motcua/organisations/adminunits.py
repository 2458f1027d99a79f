"""Loading administrative units from the ``vietnamadminunits`` package's SQLite dataset.

The dataset ships the 2025 structure (34 provinces, 3,321 communes) in ``admin_units`` and the
pre-2025 structure (63 provinces, 696 districts, 10,035 wards; five island districts have no wards)
in ``admin_units_legacy``. Rows are stored in ``AdministrativeUnit`` under
``AdministrativeUnit.make_key(code, level, legacy)``; loading twice changes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from motcua.core.text import fold, nfc
from motcua.organisations.models import AdministrativeUnit

Level = AdministrativeUnit.Level
FIELDS = ("code", "name", "short_name", "unit_type", "level", "parent_id", "is_legacy", "name_folded")


def dataset_path() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).resolve().parent / "data" / "dataset.db"


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[tuple[bool, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _province_type(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def _unit(code, name, short, unit_type, level, parent_key, legacy) -> AdministrativeUnit:
    name = nfc(name)
    return AdministrativeUnit(
        key=AdministrativeUnit.make_key(code, level, legacy),
        code=code,
        name=name,
        short_name=nfc(short),
        unit_type=nfc(unit_type),
        level=level,
        parent_id=parent_key,
        is_legacy=legacy,
        name_folded=fold(name)[:200],
    )


def read_units(province: str | None = None, legacy: bool = True) -> list[list[AdministrativeUnit]]:
    """Units from the dataset, as lists by depth (provinces, then districts, then communes)."""
    con = sqlite3.connect(f"file:{dataset_path()}?mode=ro", uri=True)
    try:
        provinces: dict[str, AdministrativeUnit] = {}
        communes: list[AdministrativeUnit] = []
        query = "SELECT province, provinceShort, provinceCode, ward, wardShort, wardType, wardCode FROM admin_units"
        params: tuple = ()
        if province:
            query += " WHERE provinceCode = ?"
            params = (province,)
        for p_name, p_short, p_code, w_name, w_short, w_type, w_code in con.execute(query + " ORDER BY wardCode", params):
            if p_code not in provinces:
                provinces[p_code] = _unit(p_code, p_name, p_short, _province_type(p_name), Level.PROVINCE, None, False)
            communes.append(
                _unit(w_code, w_name, w_short, w_type, Level.COMMUNE, provinces[p_code].key, False)
            )
        levels = [list(provinces.values()), communes]
        if legacy and not province:
            old_provinces: dict[str, AdministrativeUnit] = {}
            districts: dict[str, AdministrativeUnit] = {}
            wards: list[AdministrativeUnit] = []
            rows = con.execute(
                "SELECT province, provinceShort, provinceCode, district, districtShort, districtType, districtCode,"
                " ward, wardShort, wardType, wardCode FROM admin_units_legacy ORDER BY districtCode, wardCode"
            )
            for p_name, p_short, p_code, d_name, d_short, d_type, d_code, w_name, w_short, w_type, w_code in rows:
                if p_code not in old_provinces:
                    old_provinces[p_code] = _unit(
                        p_code, p_name, p_short, _province_type(p_name), Level.PROVINCE, None, True
                    )
                if d_code not in districts:
                    districts[d_code] = _unit(
                        d_code, d_name, d_short, d_type, Level.DISTRICT, old_provinces[p_code].key, True
                    )
                if w_code:  # island districts without wards
                    wards.append(_unit(w_code, w_name, w_short, w_type, Level.COMMUNE, districts[d_code].key, True))
            levels[0] += old_provinces.values()
            levels.insert(1, list(districts.values()))
            levels[2] += wards
        return levels
    finally:
        con.close()


def load_admin_units(
    province: str | None = None,
    legacy: bool = True,
    progress: Callable[[Iterable], Iterable] | None = None,
    batch_size: int = 1000,
) -> LoadSummary:
    """Create missing units, update changed ones, leave identical ones alone.

    ``province`` limits the load to one 2025 province and its communes (no legacy data).
    ``progress`` wraps the iterable of batches (e.g. ``tqdm``).
    """
    summary = LoadSummary()
    levels = read_units(province, legacy)
    batches = []
    for units in levels:
        for start in range(0, len(units), batch_size):
            batches.append(units[start : start + batch_size])
    iterator = progress(batches) if progress else batches
    with transaction.atomic():
        for batch in iterator:
            existing = AdministrativeUnit.objects.in_bulk([u.key for u in batch])
            to_create, to_update = [], []
            for unit in batch:
                k = (unit.is_legacy, unit.level)
                summary.by_level[k] = summary.by_level.get(k, 0) + 1
                current = existing.get(unit.key)
                if current is None:
                    to_create.append(unit)
                elif any(getattr(current, f) != getattr(unit, f) for f in FIELDS):
                    to_update.append(unit)
                else:
                    summary.unchanged += 1
            AdministrativeUnit.objects.bulk_create(to_create, batch_size=batch_size)
            AdministrativeUnit.objects.bulk_update(to_update, FIELDS, batch_size=batch_size)
            summary.created += len(to_create)
            summary.updated += len(to_update)
    return summary
