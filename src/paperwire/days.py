"""Day numbers: how the index and the query filters count days (a neutral module).

A paper's listing day is stored in the index as the number of days since 1970-01-01 (int32,
-1 unknown); `date:`/`year:` filters are ranges of these numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EPOCH = date(1970, 1, 1)
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)  # the time of "never" (an empty feed's updated)


def day_number(day: date) -> int:
    """Days since 1970-01-01: what `day_from` and `day_to` count."""
    return (day - EPOCH).days


def day_of(number: int) -> date:
    """The day a day number counts to (the inverse of `day_number`)."""
    return EPOCH + timedelta(days=number)
