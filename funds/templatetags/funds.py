from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """12,345.60"""
    if value is None or value == "":
        return "0.00"
    return f"{Decimal(value):,.2f}"


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@register.filter
def percent0(value) -> int:
    """A progress bar's width: 0–100."""
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
