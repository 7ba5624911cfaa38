from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nbtools.jobs.errors import InvalidScheduleError, OutsideCalendarError
from nbtools.jobs.schedules import (
    MAX_CRON_LENGTH,
    check_cron,
    describe,
    due_times,
    next_times,
    preview,
    previous_times,
)
from nbtools.jobs.zones import check_timezone

UTC = timezone.utc


def test_presets_and_normalization() -> None:
    assert check_cron("daily") == "0 0 * * *"
    assert check_cron("  0   6 * *   1-5 ") == "0 6 * * 1-5"


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("yearly", "0 0 1 1 *"),
        ("weekly", "0 0 * * 1"),  # ours: Monday
        ("@weekly", "0 0 * * 0"),  # cron's: Sunday
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        (" @Monthly ", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_cron_nicknames_mean_what_they_mean_in_a_crontab(written: str, stored: str) -> None:
    assert check_cron(written) == stored


def test_reboot_is_refused_saying_a_job_without_schedule_runs_on_demand() -> None:
    with pytest.raises(InvalidScheduleError, match="'@reboot' names no time") as refused:
        check_cron("@reboot")
    assert refused.value.details["field"] == "cron"
    with pytest.raises(InvalidScheduleError, match=r"'@fortnightly' has 1 field; it needs 5"):
        check_cron("@fortnightly")


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("* * * *", "has 4 fields; it needs 5"),
        ("61 * * * *", "minute must be 0-59, got 61"),
        ("0 24 * * *", "hour must be 0-23, got 24"),
        ("0 0 0 * *", "day of month must be 1-31, got 0"),
        ("0 0 1-32 * *", "day of month must be 1-31, got 32"),
        ("0 0 * 13 *", "month must be 1-12 or jan-dec, got 13"),
        ("0 0 * * 8", "day of week must be 0-7 or sun-sat, got 8"),
        ("*/0 * * * *", "minute step must be a positive whole number"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
        ("", "has 0 fields"),
        ("*/" + "9" * 5000 + " * * * *", "at most 1000 characters"),
    ],
)
def test_bad_cron_names_the_reason(expression: str, reason: str) -> None:
    with pytest.raises(InvalidScheduleError, match=reason) as refused:
        check_cron(expression)
    assert refused.value.details["field"] == "cron"


def test_a_cron_expression_of_the_longest_length_is_read() -> None:
    longest = "0 6 * * 1-5".ljust(MAX_CRON_LENGTH)
    assert check_cron(longest) == "0 6 * * 1-5"
    with pytest.raises(InvalidScheduleError, match=f"at most {MAX_CRON_LENGTH} characters"):
        check_cron(longest + " ")


@pytest.mark.parametrize(
    ("expression", "cron_field", "reason"),
    [
        ("-1 * * * *", "minute", "minute must be 0-59, got '-1'"),
        ("60 * * * *", "minute", "minute must be 0-59, got 60"),
        ("0-60 * * * *", "minute", "minute must be 0-59, got 60"),
        ("1,,2 * * * *", "minute", "minute has an empty item in '1,,2'"),
        ("x * * * *", "minute", "minute must be 0-59, got 'x'"),
        ("0 24 * * *", "hour", "hour must be 0-23, got 24"),
        ("0 */0 * * *", "hour", "the hour step must be a positive whole number, got '0'"),
        ("0 9-17/x * * *", "hour", "the hour step must be a positive whole number, got 'x'"),
        ("0 0 32 * *", "day of month", "day of month must be 1-31, got 32"),
        ("0 0 L-2 * *", "day of month", "day of month must be 1-31, got 'L'"),
        ("0 0 32W * *", "day of month", "day of month must be 1-31, got 32"),
        ("0 0 * 0 *", "month", "month must be 1-12 or jan-dec, got 0"),
        ("0 0 * jan-13 *", "month", "month must be 1-12 or jan-dec, got 13"),
        ("0 0 * smarch *", "month", "got 'smarch'"),
        ("0 6 * * funday", "day of week", "day of week must be 0-7 or sun-sat"),
        ("0 0 * * 5L", "day of week", "got '5L'"),
        ("0 0 * * mon#6", "day of week", "the week of the month after # must be 1-5, got '6'"),
        ("0 0 * * 8#1", "day of week", "day of week must be 0-7 or sun-sat, got 8"),
        # lists croniter cannot compute ("check each field", before), and what to write
        ("0 0 15W,L * *", "day of month", r"15W \(the weekday nearest a day\) cannot be listed"),
        ("0 0 1,15w * mon", "day of month", r"give it alone \(15W\), or list days and L"),
        ("0 0 1 * mon#1,fri", "day of week", r"mon#1 \(a day of a week of the month\) cannot"),
        ("0 0 * * mon,fri#5", "day of week", r"list days of weeks of the month only \(mon#1,"),
    ],
)
def test_bad_cron_field_is_named_in_words(expression: str, cron_field: str, reason: str) -> None:
    with pytest.raises(InvalidScheduleError, match=reason) as refused:
        check_cron(expression)
    assert refused.value.details == {"cron": expression, "field": "cron", "cron_field": cron_field}


#: What croniter takes in the month and the day of week: the English names, any case.
MONTHS = "jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec"
DAYS = "sun, mon, tue, wed, thu, fri, sat"


@pytest.mark.parametrize(
    ("expression", "cron_field", "reason"),
    [
        ("0 6 * * lundi", "day of week", f"got 'lundi'. The day of week takes English names, in any case: {DAYS}."),
        ("0 6 * * Monday", "day of week", f"got 'Monday'. The day of week takes English names, in any case: {DAYS}; did you mean 'mon'?"),
        ("0 6 * * mon-VEN", "day of week", f"got 'VEN'. The day of week takes English names, in any case: {DAYS}."),
        ("0 6 * * LUN#1", "day of week", f"got 'LUN'. The day of week takes English names, in any case: {DAYS}."),
        ("0 6 * janvier *", "month", f"got 'janvier'. The month takes English names, in any case: {MONTHS}; did you mean 'jan'?"),
        ("0 6 * Januar-MAR *", "month", f"got 'Januar'. The month takes English names, in any case: {MONTHS}; did you mean 'jan'?"),
        ("0 6 * MAI *", "month", f"got 'MAI'. The month takes English names, in any case: {MONTHS}."),
    ],
)  # fmt: skip
def test_a_word_a_field_does_not_take_is_told_the_names_it_takes(
    expression: str, cron_field: str, reason: str
) -> None:
    """An unknown name (`lundi`, `janvier`: croniter knows English names only) was refused
    with "day of week must be 0-7 or sun-sat", a range the user could not read as the names
    it takes: the refusal names the cron field, lists its names, and the one meant when the
    word begins with it."""
    with pytest.raises(InvalidScheduleError) as refused:
        check_cron(expression)
    assert refused.value.message.endswith(reason)
    assert refused.value.details == {"cron": expression, "field": "cron", "cron_field": cron_field}


@pytest.mark.parametrize(
    "spellings",
    [
        ("0 6 * jan mon", "0 6 * JAN MON", "0 6 * Jan Mon", "0 6 * jAn mOn"),
        ("0 6 * jan-mar sat-sun", "0 6 * JAN-MAR SAT-SUN", "0 6 * Jan-Mar Sat-Sun"),
        ("0 6 * * mon#2", "0 6 * * MON#2", "0 6 * * Mon#2"),
        ("0 6 * */2 sun/2", "0 6 * */2 SUN/2"),
    ],
)
def test_names_of_months_and_days_are_taken_in_any_case(spellings: tuple[str, ...]) -> None:
    """Lowercase, uppercase and mixed-case names are one schedule: the same times, the
    same words."""
    after = datetime(2026, 1, 1, tzinfo=UTC)
    first, *others = spellings
    expected = (next_times(check_cron(first), "UTC", after, 5), describe(first))
    for spelled in others:
        assert (next_times(check_cron(spelled), "UTC", after, 5), describe(spelled)) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "0-59 0-23 1-31 1-12 0-7",
        "59 23 31 12 7",
        "*/59 */23 */31 */12 */7",
        "0 0 ? JAN-DEC SUN-SAT",
        "0 0 15W * *",
        "0 0 L * *",
        "0 0 ? * mon#5",
        "30-10 * * * *",
    ],
)
def test_cron_field_edge_values_are_accepted(expression: str) -> None:
    assert check_cron(expression) == expression


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "../etc/passwd",
        "/etc/localtime",
        # files of a zoneinfo directory that name no IANA zone, or the machine's own one
        "localtime",
        "posixrules",
        "right/UTC",
        "posix/Europe/Lisbon",
        "zone.tab",
        "Factory",  # an IANA zone of no place ("-00")
        "europe/lisbon",
        "Europe",  # a folder of zone files, not one
        "Europe/" + "x" * 300,  # longer than a file name may be
        "x" * 5000,
    ],
)
def test_unknown_timezone(name: str) -> None:
    with pytest.raises(InvalidScheduleError, match="Unknown timezone") as info:
        check_timezone(name)
    assert info.value.details == {"timezone": name, "field": "timezone"}
    assert len(info.value.message) < 200  # a long name is cut short in the message


def test_an_empty_timezone_is_refused_not_read_as_utc() -> None:
    with pytest.raises(InvalidScheduleError, match="The timezone is empty") as info:
        check_timezone("")
    assert info.value.details["field"] == "timezone"


@pytest.mark.parametrize("name", ["UTC", "Etc/GMT+5", "US/Eastern", "EST5EDT", "Europe/Kyiv"])
def test_iana_names_and_their_links_are_zones(name: str) -> None:
    assert str(check_timezone(name)) == name


def test_daily_time_stays_local_across_spring_forward() -> None:
    # Europe/Lisbon moves from UTC+0 to UTC+1 on 2026-03-29.
    times = next_times("0 6 * * *", "Europe/Lisbon", datetime(2026, 3, 27, 12, tzinfo=UTC), 4)
    assert [(t.day, t.hour) for t in times] == [(28, 6), (29, 5), (30, 5), (31, 5)]
    assert all(t.tzinfo == UTC for t in times)


def test_a_skipped_local_time_still_runs_once_that_day() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29: the run moves to the next valid time.
    times = next_times("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 28, 12, tzinfo=UTC), 3)
    assert [t.date().day for t in times] == [29, 30, 31]


def test_hourly_across_fall_back_has_25_distinct_hours() -> None:
    midnight = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 00:00 in Berlin (UTC+2)
    day = due_times(
        "0 * * * *", "Europe/Berlin", midnight, datetime(2026, 10, 25, 22, 59, tzinfo=UTC)
    )
    assert len(day) == 25
    assert len(set(day)) == 25


def test_preview_gives_words_and_local_times() -> None:
    model = preview("0 6 * * 1-5", "America/New_York", datetime(2026, 1, 1, tzinfo=UTC))
    assert "06:00 AM" in model["description"]
    assert "Monday through Friday" in model["description"]
    assert len(model["next"]) == 5
    assert model["next_local"][0] == "2026-01-01T06:00:00-05:00"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("1 * * * *", "At 1 minute past the hour"),
        ("1/5 * * * *", "Every 5 minutes, starting at 1 minute past the hour"),
        ("1 */2 * * *", "At 1 minute past the hour, every 2 hours"),
        ("0 1/1 * * *", "Every 1 hour, starting at 01:00 AM"),
        # counts other than one stay plural, times with a 1 in them as they are
        ("21 * * * *", "At 21 minutes past the hour"),
        ("1,2 * * * *", "At 1 and 2 minutes past the hour"),
        ("1 1 * * *", "At 01:01 AM"),
        ("0 0 */2 * *", "At 12:00 AM, every 2 days"),
    ],
)
def test_a_count_of_one_is_said_in_the_singular(expression: str, words: str) -> None:
    assert describe(expression) == words
    assert preview(expression, "UTC", datetime(2026, 1, 1, tzinfo=UTC))["description"] == words


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        (
            "0 0 * * mon#1,fri#5",
            "At 12:00 AM, on the first Monday and the fifth Friday of the month",
        ),
        ("0 0 * * 1#1,5#5", "At 12:00 AM, on the first Monday and the fifth Friday of the month"),
        (
            "0 6 ? * MON#1,tue#2,7#3",
            "At 06:00 AM, on the first Monday, the second Tuesday, and the third Sunday of the month",
        ),
        (
            "*/5 * * * 0#2,1#4",
            "Every 5 minutes, on the second Sunday and the fourth Monday of the month",
        ),
        ("0 0 L,15 * *", "At 12:00 AM, on day 15 of the month and on the last day of the month"),
        ("0 0 1,l * *", "At 12:00 AM, on day 1 of the month and on the last day of the month"),
        (
            "0 0 L,1-3 2 *",
            "At 12:00 AM, between day 1 and 3 of the month and on the last day of the month, "
            "only in February",
        ),
        ("0 0 L,L * *", "At 12:00 AM, on the last day of the month"),
        # cron_descriptor's own words where they are right
        ("0 0 * * mon#2", "At 12:00 AM, on the second Monday of the month"),
        ("0 0 L * *", "At 12:00 AM, on the last day of the month"),
        ("0 0 1,15 * *", "At 12:00 AM, on day 1 and 15 of the month"),
        ("0 0 * * mon,fri", "At 12:00 AM, only on Monday and Friday"),
    ],
)
def test_lists_of_last_days_and_weekdays_of_the_month_are_said_in_full(
    expression: str, words: str
) -> None:
    """cron_descriptor said "on the  Monday and Friday of the month" for ``mon#1,fri#5``
    (every Monday and Friday, to a reader) and "on day L and 15 of the month"."""
    assert describe(check_cron(expression)) == words


@pytest.mark.parametrize("expression", ["0 0 29 2 *", "0 0 31 * *", "0 0 30 2 1", "0 0 L 2 *"])
def test_rare_schedules_still_fire(expression: str) -> None:
    assert check_cron(expression) == expression


@pytest.mark.parametrize("year", [1, 2, 999, 1970, 2027, 3000, 3999, 4000, 5000, 9998, 9999])
@pytest.mark.parametrize(("cron", "zone"), [("0 0 * * *", "UTC"), ("0 * * * *", "UTC"),
                                            ("0 0 * * *", "Europe/Lisbon")])  # fmt: skip
def test_a_time_is_found_from_just_before_it_in_every_year(year: int, cron: str, zone: str) -> None:
    """ "At or after" is "strictly after a microsecond before", whatever the year: croniter's
    float timestamps made 23:59:59.999999 midnight from about the year 3700 (and near the
    year 1), so `--from 9998-06-01` listed 9998-06-02 and the calendar's last midnight and
    hours were never found."""
    moment = datetime(year, 6, 1, tzinfo=check_timezone(zone)).astimezone(UTC)
    tick = timedelta(microseconds=1)
    assert next_times(cron, zone, moment - tick) == [moment]
    assert next_times(cron, zone, moment) != [moment]  # strictly after: the next one


def test_the_calendar_ends_with_the_year_9999() -> None:
    """Run times stop where Python's calendar does: fewer than asked near its end, an error
    naming the field (``start``) when none is left or the search begins on its first day."""
    near = datetime(9999, 12, 29, 12, tzinfo=UTC)
    assert next_times("0 0 * * *", "UTC", near, 5) == [
        datetime(9999, 12, 30, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
    ]
    assert due_times(
        "0 0 * * *", "UTC", datetime(9999, 12, 31, tzinfo=UTC), near.max.replace(tzinfo=UTC)
    ) == [datetime(9999, 12, 31, tzinfo=UTC)]
    # from just before them, the last midnight and hours are found (an hourly schedule's
    # search for a clock change looked a day past the calendar's end)
    last = datetime(9999, 12, 31, 23, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    assert next_times("0 * * * *", "UTC", last - timedelta(hours=1) - tick, 3) == [
        last - timedelta(hours=1),
        last,
    ]
    assert next_times("0 0 * * *", "UTC", last.replace(hour=0) - tick, 2) == [last.replace(hour=0)]
    for cron, zone, after in [
        ("0 0 29 2 *", "UTC", datetime(9996, 3, 1, tzinfo=UTC)),
        ("0 * * * *", "Pacific/Kiritimati", datetime(9999, 12, 31, 9, 30, tzinfo=UTC)),
        ("0 0 * * *", "America/New_York", datetime(1, 1, 1, tzinfo=UTC)),  # local: year 0
    ]:
        with pytest.raises(OutsideCalendarError) as info:
            next_times(cron, zone, after)
        assert info.value.details["field"] == "start"
        assert "9999" in info.value.message or "first day" in info.value.message


#: Schedules restricting both the day of the month and the day of the week, and their first
#: days in 2026 (at midnight UTC): the days either field names.
EITHER_DAY = {
    "0 0 1 * mon#3": ["01-01", "01-19", "02-01", "02-16", "03-01", "03-16"],
    "0 0 L * mon#1,fri#5": ["01-05", "01-30", "01-31", "02-02", "02-28", "03-02"],
    "0 0 L,15 * fri#2": ["01-09", "01-15", "01-31", "02-13", "02-15", "02-28"],
    "0 0 31 * sun#5": ["01-31", "03-29", "03-31", "05-31", "07-31", "08-30"],
    "0 0 */10 * mon#1": ["01-01", "01-05", "01-11", "01-21", "01-31", "02-01"],
    "0 0 15W 8 mon": ["08-03", "08-10", "08-14", "08-17", "08-24", "08-31"],  # 15: Saturday
    "0 0 30 2,3 mon#1": ["02-02", "03-02", "03-30"],  # no 30 February: its first Monday
    # as before: croniter ORs days without L, W or # itself
    "0 0 15 * mon": ["01-05", "01-12", "01-15", "01-19", "01-26", "02-02"],
    "0 0 L * fri": ["01-02", "01-09", "01-16", "01-23", "01-30", "01-31"],
}


@pytest.mark.parametrize("cron", list(EITHER_DAY))
def test_a_day_of_the_month_or_of_the_week_fires(cron: str) -> None:
    """Before, croniter intersected them when one had L, W or #: ``0 0 1 * mon#3`` was refused
    ("never fires"), ``L`` beside ``mon#1,fri#5`` and ``mon`` beside ``15W`` were left out."""
    assert check_cron(cron) == cron
    days = EITHER_DAY[cron]
    start = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    times = next_times(cron, "UTC", start, len(days))
    assert [time.strftime("%m-%d") for time in times] == days
    assert all(time.year == 2026 and time.hour == time.minute == 0 for time in times)
    assert previous_times(cron, "UTC", times[-1], len(days)) == times[::-1]


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        (
            "0 0 1 * mon#3",
            "At 12:00 AM, on day 1 of the month, or on the third Monday of the month",
        ),
        (
            "0 0 L * mon#1,fri#5",
            "At 12:00 AM, on the last day of the month, or on the first Monday and the fifth "
            "Friday of the month",
        ),
        ("0 6 */2 * 1-5", "At 06:00 AM, every 2 days, or Monday through Friday"),
        ("0 0 15 * mon", "At 12:00 AM, on day 15 of the month, or on Monday"),
        ("0 0 * * mon#3", "At 12:00 AM, on the third Monday of the month"),
    ],
)
def test_days_of_the_month_and_of_the_week_are_said_as_either(cron: str, words: str) -> None:
    """cron_descriptor said "on day 1 of the month, on the third Monday of the month" (both,
    to a reader) where the job runs on either."""
    assert describe(cron) == words
