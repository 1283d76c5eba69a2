#!/usr/bin/env python3
"""Writes seeded, reproducible random iCalendar files for the differential test.

Each calendar has a few VEVENTs with random recurrence rules (every FREQ,
INTERVAL, COUNT/UNTIL, BYDAY with ordinals, BYMONTHDAY, BYYEARDAY, BYWEEKNO,
BYMONTH, BYSETPOS, WKST), EXDATEs, RDATEs, RECURRENCE-ID overrides that move
or cancel an instance, cancelled series, and times in IANA zones, Windows
zone names, vendor-prefixed TZIDs, zones defined only by a VTIMEZONE, UTC,
floating times and all-day dates. A manifest (manifest.json) lists each file
with the window and floating zone to expand it over.

The generator steers clear of the cases where python3-recurring-ical-events
2.0.1 (with icalendar 4.0.3, dateutil 2.8.2, pytz) reads RFC 5545
differently from prebell; README.md in this directory lists each one and why.
It never changes what is compared, only what is generated.

Usage: gen_calendars.py --seed N --count N --out DIR
"""
import argparse
import datetime as dt
import json
import os
import random

import pytz
from dateutil import rrule as du

# Zones whose DST rules the tests must cover, the Windows names Outlook
# writes for them (the same in ICU/CLDR and in icalendar's table), and a
# VTIMEZONE with their current rules for files that carry definitions.
ZONES = {
    "America/Chicago": {
        "windows": "Central Standard Time",
        "observances": [
            ("DAYLIGHT", "19700308T020000", "-0600", "-0500", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"),
            ("STANDARD", "19701101T020000", "-0500", "-0600", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"),
        ],
    },
    "Europe/London": {
        "windows": "GMT Standard Time",
        "observances": [
            ("DAYLIGHT", "19700329T010000", "+0000", "+0100", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
            ("STANDARD", "19701025T020000", "+0100", "+0000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
        ],
    },
    "Australia/Sydney": {
        "windows": "AUS Eastern Standard Time",
        "observances": [
            ("STANDARD", "19700405T030000", "+1100", "+1000", "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"),
            ("DAYLIGHT", "19701004T020000", "+1000", "+1100", "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU"),
        ],
    },
    "Asia/Kolkata": {
        "windows": "India Standard Time",
        "observances": [("STANDARD", "19700101T000000", "+0530", "+0530", None)],
    },
    "Europe/Berlin": {
        "windows": "W. Europe Standard Time",
        "observances": [
            ("DAYLIGHT", "19700329T020000", "+0100", "+0200", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
            ("STANDARD", "19701025T030000", "+0200", "+0100", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
        ],
    },
}
DST_ZONES = ["America/Chicago", "Europe/London", "Australia/Sydney", "Europe/Berlin"]
PREFIXES = ["/mozilla.org/20050126_1/", "/citadel.org/20190914_1/",
            "/freeassociation.sourceforge.net/Tzfile/"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
TIMES_OF_DAY = [(8, 0), (9, 0), (9, 30), (10, 15), (12, 0), (13, 0), (14, 30), (16, 0),
                (18, 45), (19, 0), (23, 30), (0, 15), (1, 30), (2, 30), (3, 0)]
SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")


def fmt_local(t):
    return t.strftime("%Y%m%dT%H%M%S")


def fmt_date(d):
    return d.strftime("%Y%m%d")


def localize_checked(tz, naive):
    """The instant of a local time, or None when it happens twice.

    A nonexistent time is fine: pytz (is_dst=False) and prebell both read it
    with the offset before the gap. An ambiguous one is not: pytz takes the
    second reading, RFC 5545 (and prebell) the first.
    """
    try:
        return tz.localize(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        return None
    except pytz.NonExistentTimeError:
        return tz.localize(naive, is_dst=False)


def in_gap(tz, naive):
    try:
        tz.localize(naive, is_dst=None)
        return False
    except pytz.NonExistentTimeError:
        return True
    except pytz.AmbiguousTimeError:
        return False


class Reject(Exception):
    """This random event hits a case the two implementations read differently."""


class EventWriter:
    def __init__(self, rnd, calendar_mode, zone, floating_zone, uid):
        self.rnd = rnd
        self.mode = calendar_mode  # iana windows prefixed custom utc floating allday
        self.zone = zone  # IANA zone whose rules apply (None for utc)
        self.floating_zone = floating_zone
        self.uid = uid
        self.all_day = calendar_mode == "allday"
        if calendar_mode == "utc":
            self.tz = pytz.utc
        elif calendar_mode in ("floating", "allday"):
            self.tz = pytz.timezone(floating_zone)
        else:
            self.tz = pytz.timezone(zone)

    # How a local time is written in this calendar.
    def tzid(self):
        return {"iana": self.zone, "windows": ZONES[self.zone]["windows"] if self.zone else None,
                "prefixed": self.prefixed_name, "custom": self.custom_name}.get(self.mode)

    def time_prop(self, name, local, extra=""):
        if self.all_day:
            return f"{name};VALUE=DATE{extra}:{fmt_date(local)}"
        if self.mode == "utc":
            return f"{name}{extra}:{fmt_local(local)}Z"
        if self.mode == "floating":
            return f"{name}{extra}:{fmt_local(local)}"
        return f"{name};TZID={self.tzid()}{extra}:{fmt_local(local)}"

    def check(self, local):
        """Rejects a local time pytz and RFC 5545 read differently."""
        if self.all_day:
            return
        if localize_checked(self.tz, local) is None:
            raise Reject("ambiguous local time")

    def check_floating_length(self, start):
        """Rejects a floating instance that spans a change of UTC offset.

        python adds a floating event's length to the wall-clock start (it has
        no zone to do better); prebell reads floating times in the floating
        zone and keeps DTEND - DTSTART as an exact length (RFC 5545
        3.8.5.3), so the two ends differ by the DST shift.
        """
        if self.mode != "floating" or not self.length:
            return
        a = localize_checked(self.tz, start)
        b = localize_checked(self.tz, start + self.length)
        if a is None or b is None or a.utcoffset() != b.utcoffset():
            raise Reject("floating instance across a DST change")

    def random_rule(self):
        r = self.rnd
        freqs = ["DAILY", "WEEKLY", "WEEKLY", "MONTHLY", "MONTHLY", "YEARLY"]
        if not self.all_day:
            freqs += ["HOURLY", "MINUTELY", "SECONDLY"]
        freq = r.choice(freqs)
        parts = [("FREQ", freq)]
        if freq == "DAILY":
            if r.random() < 0.5:
                parts.append(("INTERVAL", r.randint(2, 4)))
            if r.random() < 0.4:
                parts.append(("BYDAY", ",".join(sorted(r.sample(WEEKDAYS, r.randint(1, 5)),
                                                       key=WEEKDAYS.index))))
            if r.random() < 0.2:
                parts.append(("BYMONTH", ",".join(map(str, sorted(r.sample(range(1, 13), 4))))))
            if r.random() < 0.1:
                parts.append(("BYMONTHDAY", ",".join(map(str, sorted(r.sample(range(1, 29), 6))))))
        elif freq == "WEEKLY":
            if r.random() < 0.5:
                parts.append(("INTERVAL", r.randint(2, 3)))
                parts.append(("WKST", r.choice(WEEKDAYS)))
            days = sorted(r.sample(WEEKDAYS, r.randint(1, 3)), key=WEEKDAYS.index)
            with_days = r.random() < 0.8
            if with_days:
                parts.append(("BYDAY", ",".join(days)))
            if with_days and r.random() < 0.15 and len(days) > 1:
                parts.append(("BYSETPOS", r.choice(["1", "-1"])))
            if r.random() < 0.1:
                parts.append(("BYMONTH", ",".join(map(str, sorted(r.sample(range(1, 13), 6))))))
        elif freq == "MONTHLY":
            if r.random() < 0.4:
                parts.append(("INTERVAL", r.randint(2, 3)))
            kind = r.choice(["monthday", "nth", "setpos", "plain"])
            if kind == "monthday":
                parts.append(("BYMONTHDAY", r.choice(["1", "15", "-1", "1,15", "31", "-2,10", "29,30"])))
            elif kind == "nth":
                n = r.choice(["1", "2", "3", "4", "-1", "-2", "5"])
                parts.append(("BYDAY", n + r.choice(WEEKDAYS)))
            elif kind == "setpos":
                parts.append(("BYDAY", r.choice(["MO,TU,WE,TH,FR", "SA,SU", "TU,TH"])))
                parts.append(("BYSETPOS", r.choice(["1", "-1", "2", "1,-1", "3"])))
            if r.random() < 0.15:
                parts.append(("BYMONTH", ",".join(map(str, sorted(r.sample(range(1, 13), 5))))))
        elif freq == "YEARLY":
            kind = r.choice(["anniversary", "month_nth", "month_day", "yearday", "weekno", "year_nth"])
            if kind == "month_nth":
                parts.append(("BYMONTH", str(r.randint(1, 12))))
                parts.append(("BYDAY", r.choice(["1", "2", "-1", "4"]) + r.choice(WEEKDAYS)))
            elif kind == "month_day":
                parts.append(("BYMONTH", ",".join(map(str, sorted(r.sample(range(1, 13), 2))))))
                parts.append(("BYMONTHDAY", r.choice(["1", "10", "-1", "29"])))
            elif kind == "yearday":
                parts.append(("BYYEARDAY", r.choice(["1", "100", "-1", "1,-1", "200,300", "366"])))
            elif kind == "weekno":
                parts.append(("BYWEEKNO", r.choice(["1", "20", "1,26", "10,30", "2"])))
                parts.append(("BYDAY", r.choice(["MO", "TH", "SU", "MO,FR"])))
                if r.random() < 0.5:
                    parts.append(("WKST", r.choice(WEEKDAYS)))
            elif kind == "year_nth":
                parts.append(("BYDAY", r.choice(["1MO", "-1FR", "20TU", "53SU", "-10WE"])))
            if r.random() < 0.2:
                parts.append(("INTERVAL", 2))
        elif freq == "HOURLY":
            parts.append(("INTERVAL", r.randint(1, 8)))
            if r.random() < 0.4:
                parts.append(("BYHOUR", ",".join(map(str, sorted(r.sample(range(24), 6))))))
            if r.random() < 0.3:
                parts.append(("BYDAY", ",".join(sorted(r.sample(WEEKDAYS, 3), key=WEEKDAYS.index))))
            if r.random() < 0.2:
                parts.append(("BYMINUTE", "0,30"))
        elif freq == "MINUTELY":
            parts.append(("INTERVAL", r.choice([15, 20, 45, 90])))
            if r.random() < 0.5:
                parts.append(("BYHOUR", ",".join(map(str, sorted(r.sample(range(24), 8))))))
        else:  # SECONDLY
            parts.append(("INTERVAL", r.choice([600, 900, 3600, 7200])))
            if r.random() < 0.3:
                parts.append(("BYMINUTE", "0,10,20,30,40,50"))
        return parts

    def make(self, window_from, window_to):
        """The VEVENT lines (master first, then overrides)."""
        r = self.rnd
        tz = self.tz
        # A start somewhere around the window.
        span = (window_to - window_from).days
        day0 = window_from.date() + dt.timedelta(days=r.randint(-60, max(1, span - 10)))
        if self.all_day:
            start0 = dt.datetime(day0.year, day0.month, day0.day)
        else:
            if r.random() < 0.25 and hasattr(tz, "_utc_transition_times"):
                # Land on (or next to) a DST transition night on purpose.
                trans = [t for t in tz._utc_transition_times
                         if window_from - dt.timedelta(days=60) <= t <= window_to]
                if trans:
                    t = r.choice(trans)
                    local = pytz.utc.localize(t).astimezone(tz).replace(tzinfo=None)
                    day0 = local.date() - dt.timedelta(days=r.randint(0, 7))
            h, m = r.choice(TIMES_OF_DAY)
            start0 = dt.datetime(day0.year, day0.month, day0.day, h, m)

        rule_parts = self.random_rule() if r.random() < 0.85 else None
        lines = ["BEGIN:VEVENT", f"UID:{self.uid}", f"SUMMARY:Course {self.uid}",
                 "DTSTAMP:20250101T000000Z"]
        occurrences = [start0]
        sub_daily = False
        if rule_parts:
            freq = rule_parts[0][1]
            sub_daily = freq in SUB_DAILY
            rule_text = ";".join(f"{k}={v}" for k, v in rule_parts)
            try:
                naive = du.rrulestr(rule_text, dtstart=start0)
                first = naive.after(start0 - dt.timedelta(seconds=1), inc=True)
            except ValueError as e:  # dateutil refuses rules it proves empty
                raise Reject(str(e))
            if first is None or first.year > window_to.year + 3:
                raise Reject("rule has no instance near the window")
            start0 = first
            naive = du.rrulestr(rule_text, dtstart=start0)
            end_kind = r.choice(["count", "until", "none"] if not sub_daily else ["count"])
            limit = window_to + dt.timedelta(days=3)
            if end_kind == "count":
                count = r.randint(1, 40 if not sub_daily else 60)
                rule_text += f";COUNT={count}"
                occurrences = list(du.rrulestr(rule_text, dtstart=start0))
            else:
                occurrences = []
                for t in naive:
                    if t > limit or len(occurrences) > 500:
                        break
                    occurrences.append(t)
                if end_kind == "until":
                    if len(occurrences) < 2:
                        raise Reject("too few instances for an UNTIL")
                    j = r.randint(0, len(occurrences) - 2)
                    a, b = occurrences[j], occurrences[j + 1]
                    until_local = a + (b - a) / 2
                    until_local = until_local.replace(microsecond=0)
                    if self.all_day:
                        until = fmt_date(a)
                    elif self.mode == "floating":
                        until = fmt_local(until_local)
                    else:
                        # UTC, as RFC 5545 requires with a TZID; half-way
                        # between two instances so that no offset question
                        # arises (dateutil compares with DTSTART's offset).
                        inst = localize_checked(tz, until_local) or tz.localize(until_local)
                        until = fmt_local(inst.astimezone(pytz.utc).replace(tzinfo=None)) + "Z"
                        if abs((b - a).total_seconds()) < 6 * 3600:
                            raise Reject("UNTIL too close to an instance")
                    rule_text += f";UNTIL={until}"
                    occurrences = occurrences[: j + 1]
                elif sub_daily:
                    raise Reject("sub-daily rules always end")
            if not occurrences:
                raise Reject("empty rule")
            if len(occurrences) > 400:
                raise Reject("too many instances for the python peer to be quick")
        self.check(start0)
        lines.append(self.time_prop("DTSTART", start0))
        # Length: DTEND, DURATION (exact units only for timed events), or none.
        if self.all_day:
            days = r.randint(1, 3)
            if r.random() < 0.5:
                lines.append(self.time_prop("DTEND", start0 + dt.timedelta(days=days)))
            else:
                lines.append(f"DURATION:P{days}D")
        else:
            minutes = r.choice([0, 30, 45, 50, 60, 90, 120, 180])
            choice = r.random()
            if choice < 0.6 and minutes:
                end0 = start0 + dt.timedelta(minutes=minutes)
                self.check(end0)
                # DTEND and DTSTART in the same wall-clock zone: the length
                # is the exact difference of the two instants.
                lines.append(self.time_prop("DTEND", end0))
            elif choice < 0.9 and minutes:
                lines.append(f"DURATION:PT{minutes // 60}H{minutes % 60}M")
        if rule_parts:
            lines.append("RRULE:" + rule_text)
        self.length = dt.timedelta(minutes=minutes) if not self.all_day else None
        for t in occurrences:
            self.check(t)
            self.check_floating_length(t)
            if sub_daily and not self.all_day and in_gap(tz, t):
                raise Reject("a sub-daily rule in a DST gap makes duplicate instants")

        instances = list(occurrences)
        one_per_day = len({t.date() for t in occurrences}) == len(occurrences)
        # RDATEs on days without other instances (python dedups instances by
        # comparing datetimes that carry DTSTART's offset).
        if rule_parts and one_per_day and not sub_daily and r.random() < 0.4:
            used = {t.date() for t in occurrences}
            for _ in range(r.randint(1, 2)):
                d = occurrences[0].date() + dt.timedelta(days=r.randint(1, 200))
                if any(abs((d - u).days) <= 1 for u in used):
                    continue
                h, m = r.choice(TIMES_OF_DAY) if r.random() < 0.5 else (start0.hour, start0.minute)
                t = dt.datetime(d.year, d.month, d.day, h, m) if not self.all_day else \
                    dt.datetime(d.year, d.month, d.day)
                self.check(t)
                self.check_floating_length(t)
                lines.append(self.time_prop("RDATE", t))
                used.add(d)
                instances.append(t)
        # EXDATEs of existing instances.
        exdates = set()
        if rule_parts and one_per_day and not sub_daily and len(occurrences) > 2 and r.random() < 0.5:
            for t in r.sample(occurrences, min(len(occurrences) - 1, r.randint(1, 3))):
                lines.append(self.time_prop("EXDATE", t))
                exdates.add(t)
        # A cancelled series.
        if r.random() < 0.05:
            lines.append("STATUS:CANCELLED")
        lines.append("END:VEVENT")

        # Overrides: move or cancel single instances (python matches them by
        # the RECURRENCE-ID's date, so only series with one instance a day).
        live = sorted(set(instances) - exdates)
        if rule_parts and one_per_day and not sub_daily and live and r.random() < 0.5:
            for rid in r.sample(live, min(len(live), r.randint(1, 2))):
                o = ["BEGIN:VEVENT", f"UID:{self.uid}", "DTSTAMP:20250101T000000Z",
                     self.time_prop("RECURRENCE-ID", rid)]
                if r.random() < 0.35:
                    o += [self.time_prop("DTSTART", rid), "STATUS:CANCELLED"]
                    if self.all_day:
                        o.append(self.time_prop("DTEND", rid + dt.timedelta(days=1)))
                else:
                    if self.all_day:
                        moved = rid + dt.timedelta(days=r.choice([-2, -1, 1, 2, 3]))
                        o += [self.time_prop("DTSTART", moved),
                              self.time_prop("DTEND", moved + dt.timedelta(days=1))]
                    else:
                        moved = rid + dt.timedelta(hours=r.choice([-3, -1, 1, 2, 5, 24, 48]),
                                                   minutes=r.choice([0, 15, 30]))
                        end = moved + dt.timedelta(minutes=r.choice([30, 60, 120]))
                        self.check(moved)
                        self.check(end)
                        o += [self.time_prop("DTSTART", moved), self.time_prop("DTEND", end),
                              f"SUMMARY:Course {self.uid} (moved)"]
                o.append("END:VEVENT")
                lines += o
        return lines


def vtimezone(tzid, zone, outlook_style):
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    for kind, start, frm, to, rule in ZONES[zone]["observances"]:
        if outlook_style:
            start = "1601" + start[4:]
        lines += [f"BEGIN:{kind}", f"DTSTART:{start}", f"TZOFFSETFROM:{frm}", f"TZOFFSETTO:{to}"]
        if rule:
            lines.append("RRULE:" + rule)
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return lines


def make_calendar(rnd, index):
    mode = rnd.choice(["iana", "iana", "windows", "prefixed", "custom", "utc", "floating", "allday"])
    zone = rnd.choice(list(ZONES)) if mode not in ("utc",) else None
    floating_zone = rnd.choice(DST_ZONES + ["Asia/Kolkata", "UTC"])
    start = dt.datetime(2025, 1, 1) + dt.timedelta(days=rnd.randint(0, 700), hours=rnd.choice([0, 0, 6, 13]))
    window_from = start
    window_to = start + dt.timedelta(days=rnd.randint(20, 420))
    header = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//prebell//differential test//EN",
              "CALSCALE:GREGORIAN"]
    events = []
    writer_names = {}
    if mode == "prefixed":
        writer_names["prefixed"] = rnd.choice(PREFIXES) + zone
    if mode == "custom":
        writer_names["custom"] = f"Campus Time {index}"
    nevents = rnd.randint(1, 6)
    n = 0
    attempts = 0
    while n < nevents and attempts < 200:
        attempts += 1
        w = EventWriter(rnd, mode, zone, floating_zone, f"ev{index}-{n}@prebell.test")
        w.prefixed_name = writer_names.get("prefixed")
        w.custom_name = writer_names.get("custom")
        try:
            events += w.make(window_from, window_to)
            n += 1
        except Reject:
            continue
    lines = list(header)
    if mode == "windows":
        lines += vtimezone(ZONES[zone]["windows"], zone, outlook_style=True)
    elif mode == "prefixed":
        lines += vtimezone(writer_names["prefixed"], zone, outlook_style=False)
    elif mode == "custom":
        lines += vtimezone(writer_names["custom"], zone, outlook_style=False)
    elif mode == "iana" and rnd.random() < 0.5:
        lines += vtimezone(zone, zone, outlook_style=False)
    lines += events
    lines.append("END:VCALENDAR")
    return {
        "text": "\r\n".join(lines) + "\r\n",
        "from": window_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": window_to.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "floating_zone": floating_zone,
        "mode": mode,
        "zone": zone,
    }


def generate(seed, count, out_dir):
    rnd = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    for i in range(count):
        cal = make_calendar(rnd, i)
        name = f"cal-{seed}-{i:04d}.ics"
        with open(os.path.join(out_dir, name), "w", newline="") as f:
            f.write(cal.pop("text"))
        cal["file"] = name
        manifest.append(cal)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    generate(a.seed, a.count, a.out)


if __name__ == "__main__":
    main()
