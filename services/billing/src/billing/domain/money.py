"""Amounts in minor units and the three roundings billing makes, each half up and exact.

Money is an int of centimes, never a float: a line's net, its VAT and a month's pro rata
are computed with integers only, so the same inputs give the same invoice on every machine
and an invoice's total is always the sum of its lines.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

STANDARD_VAT_BP = 2000
"""Morocco's standard VAT rate, 20 %, in basis points."""


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative numbers."""
    return (2 * numerator + denominator) // (2 * denominator)


def discounted(gross_minor: int, percent: int) -> int:
    """What is left of `gross_minor` after a discount of `percent` (the discount rounded half up)."""
    return gross_minor - _half_up(gross_minor * percent, 100)


def share(amount_minor: int, percent: int) -> int:
    """`percent` of `amount_minor` (a late cancellation's fee), rounded half up."""
    return _half_up(amount_minor * percent, 100)


def vat_of(net_minor: int, rate_bp: int) -> int:
    """The VAT on a line's net at `rate_bp` basis points, rounded half up to the centime."""
    return _half_up(net_minor * rate_bp, 10000)


def pro_rata(per_month_minor: int, days: int, days_in_month: int) -> int:
    """A monthly price for `days` of a month of `days_in_month` days, rounded half up."""
    return _half_up(per_month_minor * days, days_in_month)


def month_of(day: date) -> str:
    """The period (`YYYY-MM`) a day belongs to."""
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a period `YYYY-MM`."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def previous_month(day: date) -> str:
    """The period before the one `day` is in."""
    return month_of(day.replace(day=1) - timedelta(days=1))


def months_between(first: date, last: date) -> list[str]:
    """Every period from `first`'s to `last`'s, in order (empty when `last` is before `first`)."""
    periods: list[str] = []
    current = first.replace(day=1)
    while current <= last:
        periods.append(month_of(current))
        current = (current + timedelta(days=32)).replace(day=1)
    return periods


def text(amount_minor: int, currency: str = "MAD") -> str:
    """`1 234,50 MAD`: how an amount reads on an invoice (French grouping, two decimals)."""
    units, cents = divmod(amount_minor, 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{grouped},{cents:02d} {currency}"
