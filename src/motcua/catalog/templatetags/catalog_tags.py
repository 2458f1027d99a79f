from django import template

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
        return "Miễn phí"
    if fee.currency != "VND":
        return f"{fee.amount:,} {fee.currency}".replace(",", ".")
    return vnd(fee.amount)


@register.filter
def duration(channel) -> str:
    if channel.duration_value is None:
        return "Không có thông tin"
    value = decimal_text(channel.duration_value).replace(".", ",")
    unit = channel.get_duration_unit_display() if channel.duration_unit else "(không nêu đơn vị)"
    return f"{value} {unit}"


@register.filter
def level_label(code) -> str:
    from motcua.catalog.models import Procedure

    return dict(Procedure.Level.choices).get(code, code)
