"""Fires the app's schedules on the local stage, where nothing fires EventBridge rules.

Expressions follow EventBridge (the syntax chalice's ``Rate``/``Cron`` render), evaluated in UTC:
- ``rate(N unit)``: unit ``minute``/``hour``/``day`` when N is 1, ``minutes``/``hours``/``days`` otherwise.
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``: ``*``, numbers, ``a,b``, ``a-b``, ``*/n``, ``a/n``,
  ``a-b/n``; months ``JAN``-``DEC``; days of week ``1``-``7`` = ``SUN``-``SAT``; exactly one of day-of-month and
  day-of-week is ``?``. ``L``, ``W`` and ``#`` are rejected (the app does not use them).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_WEEKDAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_LAST_YEAR = 2199


@dataclass(frozen=True)
class _Rate:
    every: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.every

    def following(self, due: datetime, now: datetime) -> datetime:
        """The first beat after ``now`` on the grid that started at ``due`` (missed beats are skipped)."""
        missed = (now - due) // self.every
        return due + (missed + 1) * self.every


@dataclass(frozen=True)
class _Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None
    years: frozenset[int]

    def next_after(self, moment: datetime) -> datetime:
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while t.year <= _LAST_YEAR:
            if t.year not in self.years:
                t = datetime(t.year + 1, 1, 1, tzinfo=UTC)
            elif t.month not in self.months:
                t = datetime(t.year + (t.month == 12), t.month % 12 + 1, 1, tzinfo=UTC)
            elif not self._day_matches(t):
                t = datetime(t.year, t.month, t.day, tzinfo=UTC) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = datetime(t.year, t.month, t.day, t.hour, tzinfo=UTC) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise ValueError(f"the schedule never fires again after {moment.isoformat()}")

    def following(self, due: datetime, now: datetime) -> datetime:
        return self.next_after(now)

    def _day_matches(self, t: datetime) -> bool:
        if self.days is not None:
            return t.day in self.days
        aws_weekday = (t.weekday() + 1) % 7 + 1  # Python: Monday=0; AWS: Sunday=1
        return self.weekdays is not None and aws_weekday in self.weekdays


_Schedule = _Rate | _Cron


def parse_schedule(expression: str) -> _Schedule:
    """Validate an EventBridge schedule expression; ValueError says what is wrong."""
    text = expression.strip()
    if rate := _RATE.match(text):
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ValueError(f"{expression!r}: the rate must be positive")
        if (value == 1) == unit.endswith("s"):
            raise ValueError(f"{expression!r}: use a singular unit for 1 and a plural one otherwise")
        return _Rate(value * _UNITS[unit.rstrip("s")])
    cron = _CRON.match(text)
    if not cron:
        raise ValueError(f"{expression!r} is neither rate(...) nor cron(...)")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"{expression!r}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)")
    minute, hour, day, month, weekday, year = fields
    if (day == "?") == (weekday == "?"):
        raise ValueError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    return _Cron(
        minutes=_field(minute, 0, 59, {}, expression),
        hours=_field(hour, 0, 23, {}, expression),
        days=None if day == "?" else _field(day, 1, 31, {}, expression),
        months=_field(month, 1, 12, _MONTHS, expression),
        weekdays=None if weekday == "?" else _field(weekday, 1, 7, _WEEKDAYS, expression, steps=False),
        years=_field(year, 1970, _LAST_YEAR, {}, expression),
    )


def _field(
    text: str, low: int, high: int, names: dict[str, int], expression: str, steps: bool = True
) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        if slash and not steps:
            raise ValueError(f"{expression!r}: '/' is not allowed in {text!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, low, high, names, expression), _value(last, low, high, names, expression)
            if start > end:
                raise ValueError(f"{expression!r}: the range {base!r} goes backwards")
        else:
            start = _value(base, low, high, names, expression)
            end = high if slash else start
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{expression!r}: bad step in {item!r}")
            step = int(step_text)
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, low: int, high: int, names: dict[str, int], expression: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ValueError(f"{expression!r}: unsupported value {text!r}")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"{expression!r}: {number} is outside {low}-{high}")
    return number


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def next_run(expression: str, after: datetime) -> datetime:
    """The first firing strictly after ``after`` (naive datetimes are UTC); for a rate, ``after`` plus the rate."""
    return parse_schedule(expression).next_after(_utc(after))


class Scheduler:
    """Runs named jobs when their schedules fall due; a job's failure is logged and never stops the others."""

    def __init__(
        self, jobs: dict[str, tuple[str, Callable[[], object]]], clock: Callable[[], float] = time.time
    ) -> None:
        self._jobs = dict(jobs)
        self._clock = clock
        self._schedules = {name: parse_schedule(expression) for name, (expression, _) in self._jobs.items()}
        start = self._now()
        self._due = {name: schedule.next_after(start) for name, schedule in self._schedules.items()}
        self._lock = threading.Lock()

    @property
    def next_due(self) -> dict[str, datetime]:
        """When each job runs next (UTC)."""
        return dict(self._due)

    def tick(self, now: datetime | float | None = None) -> list[str]:
        """Run every job that is due at ``now`` (default: the clock) once; returns their names, failed ones too."""
        moment = self._now() if now is None else _utc(now) if isinstance(now, datetime) else _from_epoch(now)
        ran: list[str] = []
        with self._lock:
            for name, (_, job) in self._jobs.items():
                due = self._due[name]
                if due > moment:
                    continue
                ran.append(name)
                started = time.monotonic()
                try:
                    job()
                except Exception:
                    logger.exception("scheduled job %s failed", name)
                else:
                    logger.info("scheduled job %s ran in %.2f s", name, time.monotonic() - started)
                self._due[name] = self._schedules[name].following(due, moment)
        return ran

    def run_forever(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Tick until ``stop`` is set; never dies."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                logger.exception("scheduler tick failed")
            stop.wait(interval)

    def _now(self) -> datetime:
        return _from_epoch(self._clock())


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
