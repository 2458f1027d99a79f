"""Synthetic dossier histories for demos and benchmarks, written in bulk (COPY on PostgreSQL).

Each dossier gets a plausible history over the last ``days`` days: channel (online share per
agency), reception or refusal, hand-overs and transfers, supplement requests (the appointment moved
by the waiting time), fee payment (online or not), withdrawal or stop, a decision early, on time or
late, and the return of the result; events after "now" are dropped, so recent dossiers are still in
progress. Codes follow each agency's pattern with per-day sequences continuing the
``DossierCodeCounter`` rows, which are then moved forward, so ``allocate_code`` never repeats one.
Rollups are rebuilt set-based at the end (the signal is not sent for generated events).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections import defaultdict

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from motcua.catalog.models import Channel, DurationUnit, Field, OnlineService, Procedure, ProcedureChannel, ServiceLevel
from motcua.dossiers.models import Dossier, DossierCodeCounter, DossierEvent, Status
from motcua.organisations.models import Agency

S = Status
LAST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Hữu", "Thanh", "Gia"]
FIRST = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam",
         "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến"]
FIELD_NAMES = ["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Kinh doanh", "Y tế", "Giáo dục", "Giao thông",
               "Lao động", "Tài nguyên môi trường"]
DOSSIER_COLUMNS = [
    "id", "code", "procedure_id", "status", "paused_from_status", "channel", "receiving_agency_id", "competent_agency_id",
    "current_agency_id", "applicant_type", "applicant_name", "applicant_identity", "applicant_phone", "summary",
    "result_method", "created_at", "updated_at", "submitted_at", "received_at", "appointment_at", "decided_at",
    "returned_at", "finished_at", "paused_at", "paused_working_seconds", "supplement_count", "timeliness", "paid_online",
    "is_digitised", "has_electronic_result", "reuses_data",
]
EVENT_COLUMNS = ["dossier_id", "action", "from_status", "to_status", "actor_role", "agency_id", "at", "data"]
APPLICANT_ACTIONS = ("submit", "supplement", "withdraw")
HOUR = 3600.0
DAY = 86400.0


def _COPY(value) -> str:
    """One value in PostgreSQL's COPY text format (generated text never holds tabs or newlines)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _txt(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


class Generator:
    def __init__(self, count: int, agencies: int = 50, seed: int = 766, days: int = 365, now=None, batch: int = 50000):
        self.count, self.n_agencies, self.days, self.batch = count, agencies, days, batch
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.start = self.now - dt.timedelta(days=days)
        self.tz = timezone.get_current_timezone()

    # --- reference data ----------------------------------------------------------------------

    def ensure_reference_data(self) -> None:
        """Use existing agencies and procedures, creating synthetic ones when there are too few."""
        agencies = list(Agency.objects.filter(is_active=True, kind__in=["department", "commune_committee"]).order_by("id")[: self.n_agencies])
        if len(agencies) < self.n_agencies:
            parent = Agency.objects.filter(parent=None).order_by("id").first()
            existing = set(Agency.objects.values_list("code", flat=True))
            province = settings.PROVINCE_CODE
            new, i = [], 0
            while len(agencies) + len(new) < self.n_agencies:
                i += 1
                code = f"000.{50 + i // 100:02d}.{i % 100:02d}.H{province}"
                if code in existing:
                    continue
                commune = i % 3 != 0
                new.append(Agency(
                    code=code, name=f"{'UBND xã' if commune else 'Sở'} Thử nghiệm {i}", short_name=f"{'Xã' if commune else 'Sở'} TN {i}",
                    kind="commune_committee" if commune else "department", level="commune" if commune else "province",
                    parent=parent, is_service_point=True,
                ))
            Agency.objects.bulk_create(new)
            agencies += list(Agency.objects.filter(code__in=[a.code for a in new]))
        self.agencies = agencies

        wanted = 60
        procedures = list(Procedure.objects.filter(is_active=True).order_by("-popularity", "id")[:wanted])
        if len(procedures) < wanted:
            fields = []
            for k, name in enumerate(FIELD_NAMES):
                fields.append(Field.objects.get_or_create(code=f"TN{k:02d}", defaults={"name": f"{name} (thử nghiệm)"})[0])
            have = set(Procedure.objects.values_list("code", flat=True))
            new = []
            for i in range(wanted * 2):
                code = f"9.{i:06d}"
                if code in have:
                    continue
                new.append(Procedure(code=code, name=f"Thủ tục thử nghiệm số {i}", field=fields[i % len(fields)],
                                     popularity=self.rng.randint(1, 1000)))
                if len(procedures) + len(new) >= wanted:
                    break
            Procedure.objects.bulk_create(new)
            created = list(Procedure.objects.filter(code__in=[p.code for p in new]))
            ProcedureChannel.objects.bulk_create([
                ProcedureChannel(procedure=p, channel=ch, duration_value=self.rng.choice([1, 3, 5, 7, 10, 15, 20]),
                                 duration_unit=DurationUnit.WORKING_DAYS)
                for p in created for ch in (Channel.ONLINE, Channel.COUNTER)
            ])
            procedures += created
        self.procedures = procedures
        durations = {}
        for pid, value, unit in ProcedureChannel.objects.filter(procedure__in=procedures).exclude(duration_value=None).values_list(
            "procedure_id", "duration_value", "duration_unit"
        ):
            days = float(value) * {"working_hours": 1 / 8, "hours": 1 / 24, "months": 22, "days": 5 / 7}.get(unit, 1)
            durations.setdefault(pid, max(days, 0.5))
        self.duration = {p.id: durations.get(p.id, self.rng.choice([3, 5, 7, 10, 15])) for p in procedures}
        self.fee_bearing = {p.id: self.rng.random() < 0.35 for p in procedures}

        # Each agency handles a subset of procedures, offered online at some level.
        self.catalogue, services = {}, []
        for a in agencies:
            subset = self.rng.sample(procedures, k=min(len(procedures), self.rng.randint(8, 25)))
            self.catalogue[a.id] = subset
            for p in subset:
                level = self.rng.choices([ServiceLevel.FULL, ServiceLevel.PARTIAL, ServiceLevel.INFORMATION], [5, 3, 2])[0]
                services.append(OnlineService(procedure=p, agency=a, service_level=level))
        OnlineService.objects.bulk_create(services, ignore_conflicts=True)
        self.online_share = {a.id: min(0.92, max(0.08, self.rng.gauss(0.45, 0.18))) for a in agencies}
        self.weights = [self.rng.paretovariate(1.2) for _ in agencies]

    # --- one history ---------------------------------------------------------------------------

    def _working_time(self, t: dt.datetime) -> dt.datetime:
        """Move ``t`` into office hours of a weekday (08:00-17:00 local)."""
        local = t.astimezone(self.tz)
        while local.weekday() >= 5:
            local = (local + dt.timedelta(days=1)).replace(hour=8, minute=0)
        if local.hour < 8:
            local = local.replace(hour=8, minute=self.rng.randint(0, 59))
        elif local.hour >= 17:
            local = (local + dt.timedelta(days=1)).replace(hour=8, minute=self.rng.randint(0, 59))
            return self._working_time(local)
        return local

    def history(self, agency, procedure) -> tuple[dict, list[tuple]]:
        rng = self.rng
        r = rng.random()
        online = rng.random() < self.online_share[agency.id]
        channel = Channel.ONLINE if online else (Channel.POST if r < 0.06 else Channel.COUNTER)
        t0 = self._working_time(self.start + dt.timedelta(seconds=rng.random() * self.days * DAY))
        while t0 > self.now:  # a weekend or evening pushed it into the future
            t0 = self._working_time(self.start + dt.timedelta(seconds=rng.random() * self.days * DAY))
        events: list[tuple] = []  # (action, from, to, at, data)
        d = {"channel": int(channel), "submitted_at": t0, "created_at": t0, "supplement_count": 0,
             "paused_working_seconds": 0, "timeliness": "", "paid_online": None, "received_at": None,
             "appointment_at": None, "decided_at": None, "returned_at": None, "finished_at": None,
             "is_digitised": rng.random() < 0.72, "reuses_data": rng.random() < 0.35,
             "has_electronic_result": False}
        t = t0
        if online:
            events.append(("submit", S.DRAFT, S.SUBMITTED, t, None))
            t = self._working_time(t + dt.timedelta(hours=rng.uniform(0.5, 20)))
            if rng.random() < 0.03:
                events.append(("refuse", S.SUBMITTED, S.REFUSED, t, None))
                d["finished_at"] = t
                return d, events
            events.append(("accept", S.SUBMITTED, S.ACCEPTED, t, None))
        else:
            events.append(("receive_at_counter", S.DRAFT, S.ACCEPTED, t, None))
        received = t
        d["received_at"] = received
        legal_days = self.duration[procedure.id]
        appointment = received + dt.timedelta(days=legal_days * 7 / 5)
        t = t + dt.timedelta(minutes=rng.uniform(10, 120))
        events.append(("start_processing", S.ACCEPTED, S.PROCESSING, t, None))
        if rng.random() < 0.25:
            t = t + dt.timedelta(hours=rng.uniform(1, 30))
            events.append(("forward", S.PROCESSING, S.PROCESSING, t, {"step": "xu_ly"}))
        if rng.random() < 0.04:
            t = t + dt.timedelta(hours=rng.uniform(1, 30))
            target = rng.choice(self.agencies)
            events.append(("transfer", S.PROCESSING, S.PROCESSING, t, {"to_agency": target.id}))
        supplements = 2 if rng.random() < 0.03 else 1 if rng.random() < 0.12 else 0
        for _ in range(supplements):
            t = t + dt.timedelta(hours=rng.uniform(2, 48))
            events.append(("request_supplement", S.PROCESSING, S.SUPPLEMENT_REQUESTED, t, None))
            waited = dt.timedelta(days=rng.uniform(0.5, 6))
            t = self._working_time(t + waited)
            working = int(waited.total_seconds() * 5 / 7 / 3)  # about 8 working hours a calendar day
            d["paused_working_seconds"] += working
            appointment = appointment + waited
            events.append(("supplement", S.SUPPLEMENT_REQUESTED, S.PROCESSING, t, {"paused_working_seconds": working}))
        if self.fee_bearing[procedure.id]:
            t = t + dt.timedelta(hours=rng.uniform(0.2, 4))
            events.append(("request_payment", S.PROCESSING, S.PAYMENT_REQUESTED, t, None))
            t = t + dt.timedelta(hours=rng.uniform(0.1, 30))
            paid_online = rng.random() < (0.7 if online else 0.12)
            events.append(("payment_received", S.PAYMENT_REQUESTED, S.PROCESSING, t, None))
            d["paid_online"] = (2 if rng.random() < 0.5 else 1) if paid_online else None
        d["appointment_at"] = appointment
        r = rng.random()
        if r < 0.015:
            t = t + dt.timedelta(hours=rng.uniform(1, 72))
            events.append(("withdraw", S.PROCESSING, S.WITHDRAWN, t, None))
            d["finished_at"] = t
            return d, events
        if r < 0.02:
            t = t + dt.timedelta(hours=rng.uniform(1, 72))
            events.append(("stop", S.PROCESSING, S.STOPPED, t, None))
            d["finished_at"] = t
            return d, events
        span = (appointment - received).total_seconds()
        factor = rng.choices([rng.uniform(0.25, 0.85), rng.uniform(0.85, 0.99), rng.uniform(1.0, 1.6)], [45, 45, 10])[0]
        decided = self._working_time(max(t + dt.timedelta(minutes=30), received + dt.timedelta(seconds=span * factor)))
        events.append(("approve", S.PROCESSING, S.DECIDED, decided, None))
        d["decided_at"] = decided
        d["has_electronic_result"] = rng.random() < 0.62
        if decided > appointment or supplements > 1:
            d["timeliness"] = "late"
        elif decided.astimezone(self.tz).date() < appointment.astimezone(self.tz).date():
            d["timeliness"] = "early"
        else:
            d["timeliness"] = "on_time"
        returned = self._working_time(decided + dt.timedelta(hours=rng.uniform(1, 72)))
        events.append(("return_result", S.DECIDED, S.RETURNED, returned, None))
        d["returned_at"] = d["finished_at"] = returned
        return d, events

    def cut_at_now(self, d: dict, events: list) -> list:
        """Drop what has not happened yet and set the status and dates to what it is now."""
        kept = [e for e in events if e[3] <= self.now]
        if not kept:
            return []
        last_at = kept[-1][3]
        d["status"] = int(kept[-1][2])
        for key in ("received_at", "decided_at", "returned_at", "finished_at"):
            if d[key] is not None and d[key] > self.now:
                d[key] = None
        if d["decided_at"] is None:
            d["timeliness"] = ""
            d["has_electronic_result"] = False
        actions = [e[0] for e in kept]
        d["supplement_count"] = actions.count("request_supplement")
        if "payment_received" not in actions:
            d["paid_online"] = None
        d["paused_working_seconds"] = sum((e[4] or {}).get("paused_working_seconds", 0) for e in kept if e[0] == "supplement")
        if d["status"] in (S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED):
            d["paused_at"], d["paused_from_status"] = last_at, int(S.PROCESSING)
        d["updated_at"] = last_at
        if d["received_at"] is None and d["status"] == S.SUBMITTED:
            d["appointment_at"] = None
        return kept

    # --- writing -------------------------------------------------------------------------------

    def run(self, progress=None) -> dict:
        self.ensure_reference_data()
        next_id = (Dossier.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        counters = defaultdict(int)
        for agency_id, day, value in DossierCodeCounter.objects.filter(agency__in=self.agencies).values_list(
            "agency_id", "day", "last_value"
        ):
            counters[(agency_id, day)] = value
        agency_choices = self.rng.choices
        written = events_written = 0
        while written < self.count:
            n = min(self.batch, self.count - written)
            dossiers, events = [], []
            picked = agency_choices(self.agencies, self.weights, k=n)
            for agency in picked:
                procedure = self.rng.choice(self.catalogue[agency.id])
                d, evs = self.history(agency, procedure)
                evs = self.cut_at_now(d, evs)
                if not evs:
                    continue
                local_day = d["created_at"].astimezone(self.tz)
                key = (agency.id, local_day.date())
                counters[key] += 1
                d.update(
                    id=next_id, code=agency.dossier_code_pattern.format(agency=agency.code, date=local_day, seq=counters[key]),
                    procedure_id=procedure.id, receiving_agency_id=agency.id, competent_agency_id=agency.id,
                    current_agency_id=agency.id, applicant_type=1 if self.rng.random() < 0.85 else 2,
                    applicant_name=f"{self.rng.choice(LAST)} {self.rng.choice(MIDDLE)} {self.rng.choice(FIRST)}",
                    applicant_identity=f"0{self.rng.randrange(10**10, 10**11)}",
                    applicant_phone=f"09{self.rng.randrange(10**7, 10**8)}",
                    summary=f"Hồ sơ {procedure.name[:120]}".replace("\t", " ").replace("\n", " ").replace("\\", "/"),
                    result_method="electronic" if d["has_electronic_result"] else ("post" if d["channel"] == 3 else "counter"),
                )
                dossiers.append(tuple(d.get(c) for c in DOSSIER_COLUMNS))
                for action, frm, to, at, data in evs:
                    role = "applicant" if action in APPLICANT_ACTIONS else "system"
                    events.append((next_id, action, int(frm), int(to), role, agency.id, at,
                                   json.dumps(data, ensure_ascii=False) if data else "{}"))
                next_id += 1
            self._write(Dossier, DOSSIER_COLUMNS, dossiers)
            self._write(DossierEvent, EVENT_COLUMNS, events)
            written += n
            events_written += len(events)
            if progress:
                progress(n)
        self._finish(counters, next_id)
        return {"dossiers": written, "events": events_written}

    @staticmethod
    def _const(field) -> str:
        value = field.get_default()
        if value is None:
            return "\\N"
        if isinstance(value, (dict, list)):
            return _txt(json.dumps(value))
        return _txt(value)

    def _plan(self, model, produced: list[str]) -> tuple[list, list[str], str]:
        """Columns written: the ones produced, then every other column with its constant default
        (so a column added to the model later still gets a value)."""
        others = [f for f in model._meta.concrete_fields if f.attname not in produced and not f.primary_key]
        fields = [model._meta.get_field(a if not a.endswith("_id") else a[:-3]) for a in produced] + others
        return fields, [f.column for f in fields], "\t".join(self._const(f) for f in others)

    def _write(self, model, produced: list[str], rows: list[tuple]) -> None:
        """Write rows (tuples in the order of ``produced``, None for NULL): COPY on PostgreSQL."""
        if not rows:
            return
        fields, columns, consts = self._plan(model, produced)
        if connection.vendor == "postgresql":
            tail = ("\t" + consts if consts else "") + "\n"
            buf = io.StringIO()
            write = buf.write
            for row in rows:
                write("\t".join([_COPY(v) for v in row]))
                write(tail)
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            data = buf.getvalue()
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {model._meta.db_table} ({cols}) FROM STDIN") as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i:i + (1 << 20)])
        else:
            defaults = {f.attname: f.get_default() for f in fields[len(produced):]}
            json_columns = [i for i, a in enumerate(produced) if isinstance(fields[i], models.JSONField)]
            objs = []
            for row in rows:
                values = dict(zip(produced, row))
                for i in json_columns:
                    values[produced[i]] = json.loads(row[i])
                objs.append(model(**defaults, **values))
            # bulk_create skips DossierEvent.save() (append-only guard); dates are explicit.
            with transaction.atomic():
                model.objects.bulk_create(objs, batch_size=2000)

    def _finish(self, counters: dict, next_id: int) -> None:
        with transaction.atomic():
            existing = {(c.agency_id, c.day): c for c in DossierCodeCounter.objects.filter(agency__in=self.agencies)}
            new, changed = [], []
            for (agency_id, day), value in counters.items():
                row = existing.get((agency_id, day))
                if row is None:
                    new.append(DossierCodeCounter(agency_id=agency_id, day=day, last_value=value))
                elif row.last_value < value:
                    row.last_value = value
                    changed.append(row)
            DossierCodeCounter.objects.bulk_create(new, batch_size=5000)
            DossierCodeCounter.objects.bulk_update(changed, ["last_value"], batch_size=5000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), %s)", [next_id - 1])
