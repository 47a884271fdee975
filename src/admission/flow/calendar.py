"""Working days: weekends rest, except make-up working days (调休上班); public holidays rest.
The calendar is policy data (`calendars:`), so a county can keep it current without a release."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..language.flow import Calendar


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    # answers of add_working_days / working_days_between: the calendar never changes, and a
    # step asks the same few (today, n) again and again
    _memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_policy(cls, calendars: dict[str, Calendar]) -> "WorkCalendar":
        holidays: set[dt.date] = set()
        workdays: set[dt.date] = set()
        for cal in calendars.values():
            holidays.update(cal.holidays)
            workdays.update(cal.workdays)
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The day on which `n` working days after `start` end (start itself not counted)."""
        key = ("add", start, n)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._remember(key, self._add(start, n))
        return hit

    def _remember(self, key: tuple, value):
        if len(self._memo) >= 4096:
            self._memo.clear()
        self._memo[key] = value
        return value

    def _add(self, start: dt.date, n: int) -> dt.date:
        d = start
        left = n
        while left > 0:
            d += dt.timedelta(days=1)
            if self.is_working(d):
                left -= 1
        return d

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        key = ("between", start, end)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._remember(key, self._between(start, end))
        return hit

    def _between(self, start: dt.date, end: dt.date) -> int:
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.is_working(d)
        return n
