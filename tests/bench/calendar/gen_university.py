#!/usr/bin/env python3
"""Writes one academic year of a large university as an iCalendar file.

2026/27 at a university in Europe/London (both DST changes fall in term):
three terms, 6,000 recurring sessions (lectures, tutorials, labs, seminars,
fortnightly and monthly meetings, daily lab slots) with reading-week EXDATEs,
moved and cancelled instances, RDATE catch-up sessions, plus a one-off exam
timetable, exported the way Google Calendar does (VTIMEZONE + TZID, UTC
DTSTAMP and UNTIL). Seeded and reproducible.

Usage: gen_university.py [--sessions 6000] [--seed 7] > university-2026.ics
"""
import argparse
import datetime as dt
import random
import sys

import pytz
from dateutil import rrule as du

LONDON = pytz.timezone("Europe/London")
TERMS = [  # first Monday, last Friday, reading week Monday (or None)
    (dt.date(2026, 9, 28), dt.date(2026, 12, 11), dt.date(2026, 11, 2)),
    (dt.date(2027, 1, 11), dt.date(2027, 3, 26), dt.date(2027, 2, 15)),
    (dt.date(2027, 4, 26), dt.date(2027, 6, 11), None),
]
DAYS = ["MO", "TU", "WE", "TH", "FR"]
SUBJECTS = ["Mathematics", "Physics", "Chemistry", "Biology", "History", "Economics", "Law",
            "Computer Science", "Engineering", "Medicine", "Philosophy", "Linguistics",
            "Geography", "Music", "Architecture", "Psychology", "Statistics", "Politics"]

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/London
X-LIC-LOCATION:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def local(d, h, m=0):
    return dt.datetime(d.year, d.month, d.day, h, m)


def fmt(t):
    return t.strftime("%Y%m%dT%H%M%S")


def utc(t):
    return LONDON.localize(t).astimezone(pytz.utc).strftime("%Y%m%dT%H%M%SZ")


def weekday_on_or_after(d, code):
    target = DAYS.index(code)
    return d + dt.timedelta(days=(target - d.weekday()) % 7)


def session(rnd, i, out):
    subject = rnd.choice(SUBJECTS)
    code = f"{subject[:4].upper()}{100 + i % 400}"
    kind = rnd.choices(["lecture", "tutorial", "lab", "seminar", "fortnightly", "monthly", "daily"],
                       [30, 24, 15, 12, 6, 3, 10])[0]
    term_index = rnd.choice([0, 0, 1, 1, 2]) if kind != "lecture" else rnd.choice([0, 1])
    first, last, reading = TERMS[term_index]
    hour = rnd.randint(8, 18)
    minutes = rnd.choice([0, 0, 0, 30])
    length = {"lecture": 50, "tutorial": 50, "lab": 170, "seminar": 110, "fortnightly": 60,
              "monthly": 90, "daily": 120}[kind]
    uid = f"{code.lower()}-{kind}-{i}@timetable.uni.example"
    if kind == "daily":
        days = DAYS
        rule = f"FREQ=DAILY;BYDAY={','.join(days)}"
    elif kind == "fortnightly":
        days = [rnd.choice(DAYS)]
        rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={days[0]}"
    elif kind == "monthly":
        days = [rnd.choice(DAYS)]
        rule = f"FREQ=MONTHLY;BYDAY={rnd.choice(['1', '2', '3', '-1'])}{days[0]}"
    else:
        n = {"lecture": rnd.choice([2, 3, 3]), "tutorial": 1, "lab": 1, "seminar": 1}[kind]
        days = sorted(rnd.sample(DAYS, n), key=DAYS.index)
        rule = f"FREQ=WEEKLY;BYDAY={','.join(days)}"
    # Most lectures, tutorials and labs belong to year-long modules: one
    # series from the first to the last week of teaching, the vacation and
    # reading weeks taken out with EXDATEs (as Google Calendar writes them
    # when single instances are deleted).
    year_long = kind in ("lecture", "tutorial", "lab", "seminar") and rnd.random() < 0.85
    if year_long:
        first, last = TERMS[0][0], TERMS[-1][1]
    # DTSTART is the rule's first instance, as calendar clients write it
    # (RFC 5545 leaves an unsynchronised DTSTART undefined).
    start = du.rrulestr(rule, dtstart=local(first, hour, minutes)).after(
        local(first, hour, minutes), inc=True)
    end = start + dt.timedelta(minutes=length)
    until = local(last, 23, 59)
    if rnd.random() < 0.7:
        rule += f";UNTIL={utc(until)}"
    else:
        weeks = (last - first).days // 7 + 1
        per_week = {"daily": 5, "fortnightly": 0.5, "monthly": 0.25}.get(kind, len(days))
        rule += f";COUNT={max(1, int(weeks * per_week))}"
    out.append("BEGIN:VEVENT")
    out.append(f"DTSTART;TZID=Europe/London:{fmt(start)}")
    out.append(f"DTEND;TZID=Europe/London:{fmt(end)}")
    out.append(f"RRULE:{rule}")
    if year_long:
        breaks = [t[2] for t in TERMS if t[2]]
        for (_, end_of_term, _), (next_term, _, _) in zip(TERMS, TERMS[1:]):
            monday = end_of_term + dt.timedelta(days=3)
            while monday < next_term:
                breaks.append(monday)
                monday += dt.timedelta(days=7)
        for monday in breaks:
            for code_day in days:
                d = weekday_on_or_after(monday, code_day)
                out.append(f"EXDATE;TZID=Europe/London:{fmt(local(d, hour, minutes))}")
    elif reading and kind in ("lecture", "tutorial", "lab", "seminar", "daily"):
        for code_day in days:
            d = weekday_on_or_after(reading, code_day)
            out.append(f"EXDATE;TZID=Europe/London:{fmt(local(d, hour, minutes))}")
    if kind in ("lecture", "tutorial") and rnd.random() < 0.1:
        catch_up = weekday_on_or_after(last - dt.timedelta(days=4), "SA" if False else days[-1])
        out.append(f"RDATE;TZID=Europe/London:{fmt(local(catch_up + dt.timedelta(days=1), 10))}")
    out.append("DTSTAMP:20260801T120000Z")
    out.append(f"UID:{uid}")
    out.append(f"SUMMARY:{code} {subject} {kind}")
    out.append(f"LOCATION:Building {rnd.randint(1, 40)}\\, room {rnd.randint(1, 400)}")
    out.append(f"X-PREBELL-ATTENDANCE:{rnd.choice([15, 25, 40, 80, 150, 300, 600])}")
    out.append("SEQUENCE:0")
    out.append("STATUS:CONFIRMED")
    out.append("TRANSP:OPAQUE")
    out.append("END:VEVENT")
    # A moved and a cancelled instance for some series.
    if kind in ("lecture", "seminar", "tutorial") and rnd.random() < 0.15:
        week = rnd.randint(1, 6)
        rid = start + dt.timedelta(weeks=week)
        if not (reading and rid.date() >= reading and rid.date() < reading + dt.timedelta(days=7)):
            moved = rid + dt.timedelta(days=1, hours=rnd.choice([-2, 1, 3]))
            out += ["BEGIN:VEVENT", f"DTSTART;TZID=Europe/London:{fmt(moved)}",
                    f"DTEND;TZID=Europe/London:{fmt(moved + dt.timedelta(minutes=length))}",
                    "DTSTAMP:20260801T120000Z", f"UID:{uid}",
                    f"RECURRENCE-ID;TZID=Europe/London:{fmt(rid)}",
                    f"SUMMARY:{code} {subject} {kind} (moved)", "SEQUENCE:1", "END:VEVENT"]
    elif kind in ("lecture", "lab") and rnd.random() < 0.1:
        rid = start + dt.timedelta(weeks=rnd.randint(1, 6))
        out += ["BEGIN:VEVENT", f"DTSTART;TZID=Europe/London:{fmt(rid)}",
                f"DTEND;TZID=Europe/London:{fmt(rid + dt.timedelta(minutes=length))}",
                "DTSTAMP:20260801T120000Z", f"UID:{uid}",
                f"RECURRENCE-ID;TZID=Europe/London:{fmt(rid)}", "STATUS:CANCELLED",
                f"SUMMARY:{code} {subject} {kind} (cancelled)", "SEQUENCE:1", "END:VEVENT"]


def exams(rnd, out, count):
    for i in range(count):
        period = rnd.choice([(dt.date(2027, 1, 4), 5), (dt.date(2027, 5, 17), 15)])
        day = period[0] + dt.timedelta(days=rnd.randint(0, period[1]))
        if day.weekday() >= 5:
            day += dt.timedelta(days=7 - day.weekday())
        start = local(day, rnd.choice([9, 14]), 30 if rnd.random() < 0.3 else 0)
        out += ["BEGIN:VEVENT", f"DTSTART;TZID=Europe/London:{fmt(start)}",
                f"DTEND;TZID=Europe/London:{fmt(start + dt.timedelta(hours=rnd.choice([2, 3])))}",
                "DTSTAMP:20260801T120000Z", f"UID:exam-{i}@exams.uni.example",
                f"SUMMARY:{rnd.choice(SUBJECTS)} exam {i}",
                f"X-PREBELL-ATTENDANCE:{rnd.choice([40, 120, 300, 800])}", "END:VEVENT"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=6000)
    p.add_argument("--exams", type=int, default=600)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rnd = random.Random(a.seed)
    out = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
           "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Timetable 2026/27",
           "X-WR-TIMEZONE:Europe/London", VTIMEZONE]
    for i in range(a.sessions):
        session(rnd, i, out)
    exams(rnd, out, a.exams)
    out.append("END:VCALENDAR")
    sys.stdout.write("\r\n".join("\r\n".join(x.split("\n")) for x in out) + "\r\n")


if __name__ == "__main__":
    main()
