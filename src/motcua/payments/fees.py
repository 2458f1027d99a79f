"""Fee computation: the catalogue's legal amounts, then the province's rules on top."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from motcua.catalog.models import Channel, Fee, ProcedureChannel
from motcua.payments.models import ApplicantCategory, CollectAt, CollectionPolicy, FeeRule


def format_vnd(amount: int) -> str:
    """150000 -> '150.000 đ' (Vietnamese thousands separator)."""
    return f"{int(amount):,}".replace(",", ".") + " đ"


@dataclass
class FeeLine:
    kind: str
    label: str
    base_amount: int
    amount: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "base_amount": self.base_amount, "amount": self.amount,
                "notes": self.notes}


@dataclass
class FeeQuote:
    lines: list[FeeLine]
    total: int
    collect_at: str
    explanation: str

    @property
    def is_free(self) -> bool:
        return self.total == 0

    @property
    def collect_at_label(self) -> str:
        return CollectAt(self.collect_at).label

    @property
    def total_display(self) -> str:
        return format_vnd(self.total)


@functools.cache
def _inputs_sql() -> str:
    """Everything a quote reads, in ONE statement: the procedure's channels of one kind with their
    fees (part 0), the province's rules in force (part 1), the collection policies (part 2).

    One round trip and no ORM compilation (three querysets cost ~1.5 ms of CPU per quote, and a
    dossier is quoted at the start of processing and again when payment is asked).
    """
    qn = connection.ops.quote_name

    def t(model):
        return qn(model._meta.db_table)

    return (
        "SELECT 0, pc.id, pc.case_id, f.kind, f.amount, NULL, NULL, NULL, NULL, NULL, NULL, f.id "
        f"FROM {t(ProcedureChannel)} pc LEFT JOIN {t(Fee)} f ON f.channel_id = pc.id "
        "WHERE pc.procedure_id = %s AND pc.channel = %s "
        "UNION ALL "
        "SELECT 1, r.id, NULL, r.kind, r.amount, r.effect, r.percent, CAST(r.applicant_categories AS TEXT), r.name, "
        f"r.legal_basis, NULL, NULL FROM {t(FeeRule)} r "
        "WHERE r.is_active AND (r.procedure_id = %s OR r.procedure_id IS NULL) AND (r.channel = %s OR r.channel IS NULL) "
        "AND (r.valid_from IS NULL OR r.valid_from <= %s) AND (r.valid_to IS NULL OR r.valid_to >= %s) "
        "UNION ALL "
        f"SELECT 2, p.id, p.channel, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p.collect_at, NULL FROM {t(CollectionPolicy)} p "
        "WHERE p.procedure_id = %s AND (p.channel = %s OR p.channel IS NULL) "
        "ORDER BY 1, 2, 12"
    )


def _quote_inputs(procedure_id: int, channel: int, on: dt.date):
    """(channels {id: (case_id, [(kind, amount)…])}, rules in id order, policies [(channel, collect_at)…])."""
    channels: dict[int, tuple[int | None, list]] = {}
    rules: list[FeeRule] = []
    policies: list[tuple[int | None, str]] = []
    with connection.cursor() as cursor:
        cursor.execute(_inputs_sql(), [procedure_id, channel, procedure_id, channel, on, on, procedure_id, channel])
        for part, pk, extra, kind, amount, effect, percent, categories, name, basis, collect_at, _ in cursor.fetchall():
            if part == 0:
                fees = channels.setdefault(pk, (extra, []))[1]
                if kind is not None:
                    fees.append((kind, amount))
            elif part == 1:
                # Only what compute_fee reads (procedure and channel: the quote's, not the rule's "any").
                rules.append(FeeRule(id=pk, kind=kind, amount=amount, effect=effect, percent=percent, name=name,
                                     legal_basis=basis, applicant_categories=json.loads(categories or "[]"),
                                     procedure_id=procedure_id, channel=channel, is_active=True))
            else:
                policies.append((extra, collect_at))
    return channels, rules, policies


def _applies(rule: FeeRule, kind: str, category: str | None) -> bool:
    if rule.kind and rule.kind != kind:
        return False
    if rule.applicant_categories and category not in rule.applicant_categories:
        return False
    return True


def _basis(rule: FeeRule) -> str:
    return f" ({rule.legal_basis})" if rule.legal_basis else ""


def compute_fee(procedure, channel: int, applicant_category: str | None = None, *, case=None,
                on: dt.date | None = None) -> FeeQuote:
    """What an applicant pays for ``procedure`` through ``channel``, line by line, explained.

    Base lines come from the catalogue's ``Fee`` rows of the matching ``ProcedureChannel`` (the
    case's own channel first, else the general one); ``amount`` rules set or override a kind's
    base; then exemptions (free) and the largest percentage reduction that applies.
    ``procedure`` and ``case``: instances or their ids (a dossier's ``procedure_id`` saves loading it).
    """
    on = on or timezone.localdate()
    channel = int(channel)
    channels, rules, policies = _quote_inputs(getattr(procedure, "pk", procedure), channel, on)
    found = list(channels.values())
    chosen = [c for c in found if case is not None and c[0] == getattr(case, "pk", case)] or [
        c for c in found if c[0] is None
    ] or found[:1]
    lines: dict[str, FeeLine] = {}
    for _, fees in chosen:
        for kind, amount in fees:
            line = lines.get(kind)
            if line is None:
                lines[kind] = FeeLine(kind, Fee.Kind(kind).label, amount, amount)
            else:
                line.base_amount += amount
                line.amount += amount
    for rule in rules:
        if rule.effect != FeeRule.Effect.AMOUNT or rule.amount is None or rule.applicant_categories:
            continue
        kinds = [rule.kind] if rule.kind else (list(lines) or [Fee.Kind.FEE])
        for kind in kinds:
            lines[kind] = FeeLine(kind, Fee.Kind(kind).label, rule.amount, rule.amount,
                                  [f"Mức thu theo {rule.name}{_basis(rule)}."])
    for line in lines.values():
        if line.amount == 0:
            continue
        exempt = next((r for r in rules if r.effect == FeeRule.Effect.EXEMPT and _applies(r, line.kind, applicant_category)), None)
        if exempt:
            line.amount = 0
            who = ApplicantCategory(applicant_category).label if applicant_category in ApplicantCategory.values else ""
            line.notes.append(f"Miễn {line.label.lower()}{' cho ' + who.lower() if who else ''} theo {exempt.name}{_basis(exempt)}.")
            continue
        reductions = [r for r in rules if r.effect == FeeRule.Effect.PERCENT_OFF and r.percent
                      and _applies(r, line.kind, applicant_category)]
        if reductions:
            best = max(reductions, key=lambda r: r.percent)
            # Round half up to the đồng: amounts are whole VND.
            line.amount = (line.amount * (100 - best.percent) + 50) // 100
            line.notes.append(f"Giảm {best.percent}% theo {best.name}{_basis(best)}.")
    total = sum(line.amount for line in lines.values())
    if total == 0:
        collect_at = CollectAt.NONE  # nothing to collect: no need to ask when
    else:
        # The channel-specific policy wins over the procedure-wide one.
        policies.sort(key=lambda p: p[0] is None)
        collect_at = policies[0][1] if policies else CollectAt.BEFORE_PROCESSING
    explanation = _explain(list(lines.values()), total, collect_at, Channel(channel).label)
    return FeeQuote(list(lines.values()), total, collect_at, explanation)


def _explain(lines: list[FeeLine], total: int, collect_at: str, channel_label: str) -> str:
    if not lines or all(line.base_amount == 0 for line in lines):
        return f"Thủ tục này không thu phí, lệ phí khi thực hiện qua kênh {channel_label.lower()}."
    parts = []
    for line in lines:
        text = f"{line.label}: {format_vnd(line.amount)}"
        if line.amount != line.base_amount:
            text += f" (mức gốc {format_vnd(line.base_amount)})"
        if line.notes:
            text += " – " + " ".join(line.notes)
        parts.append(text)
    if total == 0:
        return "Bạn được miễn toàn bộ phí, lệ phí. " + " ".join(parts)
    return f"Tổng số tiền phải nộp: {format_vnd(total)}, {CollectAt(collect_at).label.lower()}. " + "; ".join(parts) + "."
