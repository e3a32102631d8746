"""The local stage's scheduler: EventBridge expressions (UTC) and due jobs."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from localstage.scheduler import Scheduler, next_run

LA_PAZ = timezone(timedelta(hours=-4))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(15 minutes)", utc(2025, 1, 6, 10, 7, 30), utc(2025, 1, 6, 10, 22, 30)),
        ("rate(1 minute)", utc(2025, 1, 6, 10, 7), utc(2025, 1, 6, 10, 8)),
        ("rate(1 hour)", utc(2025, 1, 6, 23, 30), utc(2025, 1, 7, 0, 30)),
        ("rate(2 hours)", utc(2025, 1, 6, 10, 0), utc(2025, 1, 6, 12, 0)),
        ("rate(1 day)", utc(2025, 2, 28, 9, 0), utc(2025, 3, 1, 9, 0)),
        ("rate(7 days)", utc(2025, 1, 1), utc(2025, 1, 8)),
    ],
)
def test_a_rate_fires_one_period_later(expression, after, expected):
    # Given a rate expression
    # When the next run is computed
    result = next_run(expression, after)

    # Then it is the given time plus the period
    assert result == expected


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # 1st of each month at 12:00 UTC
        ("cron(0 12 1 * ? *)", utc(2025, 1, 15, 8, 0), utc(2025, 2, 1, 12, 0)),
        ("cron(0 12 1 * ? *)", utc(2025, 2, 1, 11, 59, 59), utc(2025, 2, 1, 12, 0)),
        ("cron(0 12 1 * ? *)", utc(2025, 2, 1, 12, 0), utc(2025, 3, 1, 12, 0)),
        ("cron(0 12 1 * ? *)", utc(2025, 12, 5), utc(2026, 1, 1, 12, 0)),
        # every 15 minutes, with a start value and with a star
        ("cron(0/15 * * * ? *)", utc(2025, 1, 6, 10, 7), utc(2025, 1, 6, 10, 15)),
        ("cron(0/15 * * * ? *)", utc(2025, 1, 6, 10, 45), utc(2025, 1, 6, 11, 0)),
        ("cron(*/15 * * * ? *)", utc(2025, 1, 6, 23, 50), utc(2025, 1, 7, 0, 0)),
        ("cron(5/20 * * * ? *)", utc(2025, 1, 6, 10, 26), utc(2025, 1, 6, 10, 45)),
        # weekdays at 12:00 UTC: Friday noon -> Monday noon (2025-01-03 is a Friday)
        ("cron(0 12 ? * MON-FRI *)", utc(2025, 1, 3, 12, 0), utc(2025, 1, 6, 12, 0)),
        ("cron(0 12 ? * MON-FRI *)", utc(2025, 1, 6, 9, 0), utc(2025, 1, 6, 12, 0)),
        ("cron(0 12 ? * 2-6 *)", utc(2025, 1, 3, 12, 0), utc(2025, 1, 6, 12, 0)),
        # AWS numbers days of week from Sunday = 1
        ("cron(30 9 ? * 1 *)", utc(2025, 1, 6), utc(2025, 1, 12, 9, 30)),
        ("cron(0 8 ? * sun,wed *)", utc(2025, 1, 6), utc(2025, 1, 8, 8, 0)),
        # lists, ranges with steps, month names and a year
        ("cron(0,30 8-10 * * ? *)", utc(2025, 1, 6, 10, 30), utc(2025, 1, 7, 8, 0)),
        ("cron(0 8-18/5 * * ? *)", utc(2025, 1, 6, 13, 0), utc(2025, 1, 6, 18, 0)),
        ("cron(0 0 1 JAN,JUL ? *)", utc(2025, 1, 1, 0, 0), utc(2025, 7, 1, 0, 0)),
        ("cron(0 0 29 2 ? *)", utc(2025, 1, 1), utc(2028, 2, 29, 0, 0)),
        ("cron(0 0 1 1 ? 2030)", utc(2025, 6, 1), utc(2030, 1, 1, 0, 0)),
    ],
)
def test_a_cron_fires_at_the_next_matching_minute_in_utc(expression, after, expected):
    # Given a cron expression
    # When the next run is computed
    result = next_run(expression, after)

    # Then it is the first matching minute strictly after the given time
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)


def test_the_monthly_report_runs_at_eight_in_la_paz():
    # Given the monthly schedule and a moment given in La Paz time
    after = datetime(2025, 4, 20, 10, 0, tzinfo=LA_PAZ)

    # When the next run is computed
    result = next_run("cron(0 12 1 * ? *)", after)

    # Then it is the 1st at 08:00 in La Paz
    assert result.astimezone(LA_PAZ) == datetime(2025, 5, 1, 8, 0, tzinfo=LA_PAZ)


def test_a_naive_datetime_is_taken_as_utc():
    # Given a naive moment
    # When the next run is computed
    result = next_run("cron(0 12 ? * MON-FRI *)", datetime(2025, 1, 6, 11, 0))

    # Then it is read as UTC
    assert result == utc(2025, 1, 6, 12, 0)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "every 5 minutes",
        "cron(0 12 * * *)",
        "cron(0 12 1 * MON *)",
        "cron(0 12 ? * ? *)",
        "cron(0 12 L * ? *)",
        "cron(0 12 ? * 2#1 *)",
        "cron(0 12 15W * ? *)",
        "cron(60 12 1 * ? *)",
        "cron(0 24 1 * ? *)",
        "cron(0 12 1 13 ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 ? * FRI-MON *)",
        "cron(0/0 * * * ? *)",
        "cron(0 12 ? * */2 *)",
    ],
)
def test_an_expression_eventbridge_would_reject_is_rejected(expression):
    # Given an invalid or unsupported expression
    # When the next run is computed
    # Then a ValueError says so
    with pytest.raises(ValueError):
        next_run(expression, utc(2025, 1, 1))


def test_a_cron_that_never_fires_again_says_so():
    # Given a schedule limited to a past year
    # When the next run is computed
    # Then a ValueError says so
    with pytest.raises(ValueError, match="never fires"):
        next_run("cron(0 0 1 1 ? 2024)", utc(2025, 1, 1))


class FakeClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> float:
        return self.now.timestamp()


def test_tick_runs_each_due_job_once():
    # Given a scheduler started at 11:50 UTC on the last day of January
    clock = FakeClock(utc(2025, 1, 31, 11, 50))
    calls: list[str] = []
    scheduler = Scheduler(
        {
            "digest": ("rate(15 minutes)", lambda: calls.append("digest")),
            "monthly": ("cron(0 12 1 * ? *)", lambda: calls.append("monthly")),
        },
        clock=clock,
    )

    # When it ticks at several moments
    at_start = scheduler.tick()
    at_1205 = scheduler.tick(utc(2025, 1, 31, 12, 5))
    again_1205 = scheduler.tick(utc(2025, 1, 31, 12, 5))
    clock.now = utc(2025, 2, 1, 12, 0)
    on_the_first = scheduler.tick()

    # Then each job ran when it was due, once, and missed beats were not replayed
    assert at_start == []
    assert at_1205 == ["digest"]
    assert again_1205 == []
    assert on_the_first == ["digest", "monthly"]
    assert calls == ["digest", "digest", "monthly"]
    assert scheduler.next_due == {"digest": utc(2025, 2, 1, 12, 5), "monthly": utc(2025, 3, 1, 12, 0)}


def test_tick_accepts_epoch_seconds():
    # Given a job due one minute after start
    clock = FakeClock(utc(2025, 1, 6, 10, 0))
    ran: list[int] = []
    scheduler = Scheduler({"job": ("rate(1 minute)", lambda: ran.append(1))}, clock=clock)

    # When it ticks with an epoch timestamp
    result = scheduler.tick(utc(2025, 1, 6, 10, 1).timestamp())

    # Then the job ran
    assert result == ["job"] and ran == [1]


def test_a_failing_job_is_logged_and_does_not_stop_the_others(caplog):
    # Given two jobs due at the same time, the first of which raises
    clock = FakeClock(utc(2025, 1, 6, 10, 0))
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    scheduler = Scheduler(
        {"broken": ("rate(5 minutes)", broken), "fine": ("rate(5 minutes)", lambda: ran.append("fine"))},
        clock=clock,
    )

    # When they fall due
    with caplog.at_level(logging.ERROR, logger="localstage.scheduler"):
        result = scheduler.tick(utc(2025, 1, 6, 10, 5))

    # Then both ran, the failure was logged with its traceback, and the broken job stays scheduled
    assert result == ["broken", "fine"]
    assert ran == ["fine"]
    assert any("broken" in r.getMessage() and r.exc_info for r in caplog.records)
    assert scheduler.next_due["broken"] == utc(2025, 1, 6, 10, 10)


def test_an_invalid_expression_fails_at_construction():
    # Given a job with a bad schedule
    # When the scheduler is built
    # Then it refuses at once
    with pytest.raises(ValueError):
        Scheduler({"bad": ("cron(* * * * * *)", lambda: None)})


def test_run_forever_ticks_until_stopped():
    # Given a job that is due at once and stops the loop when it runs
    stop = threading.Event()
    clock = FakeClock(utc(2025, 1, 6, 10, 0))
    scheduler = Scheduler({"job": ("rate(1 minute)", stop.set)}, clock=clock)
    clock.now = utc(2025, 1, 6, 10, 1)

    # When the loop runs
    worker = threading.Thread(target=scheduler.run_forever, args=(stop,), kwargs={"interval": 0.01})
    worker.start()
    worker.join(timeout=5)

    # Then it ran the job and returned
    assert not worker.is_alive()
    assert stop.is_set()
