"""Money formatting the Vietnamese way (150.000 đ), whatever the active locale's grouping."""

from django import template

from motcua.payments.fees import format_vnd

register = template.Library()


@register.filter
def vnd(value) -> str:
    try:
        return format_vnd(int(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def vnd_number(value) -> str:
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
