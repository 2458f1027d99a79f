from django import template
from django.utils.translation import gettext as _

from motcua.catalog.services import decimal_text

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """3500000 -> '3.500.000 đồng'."""
    try:
        return f"{int(amount):,}".replace(",", ".") + " đồng"
    except (TypeError, ValueError):
        return ""


@register.filter
def fee_text(fee) -> str:
    if fee.amount == 0:
        return _("Miễn phí")
    if fee.currency != "VND":
        return f"{fee.amount:,} {fee.currency}".replace(",", ".")
    return vnd(fee.amount)


@register.filter
def duration(channel) -> str:
    if channel.duration_value is None:
        return _("Không có thông tin")
    value = decimal_text(channel.duration_value).replace(".", ",")
    unit = _(channel.get_duration_unit_display()) if channel.duration_unit else _("(không nêu đơn vị)")
    return f"{value} {unit}"


@register.filter
def level_label(code) -> str:
    from motcua.catalog.models import Procedure

    label = dict(Procedure.Level.choices).get(code, code)
    return _(label) if label else label  # gettext("") would return the catalogue header
