#!/usr/bin/env python3
"""Differential test: prebell's iCalendar import against python3-recurring-ical-events.

Expands each calendar over a window with prebell (`prebell sessions --output
json`, or the prebell_ical_expand test tool that prints the same JSON) and
with recurring_ical_events, and compares the multisets of (UID, start, end)
of occurrences that start in [from, to). Any difference fails the test with
a readable diff per calendar.

  run_differential.py --expander CMD... --generate N --seed S --work DIR
  run_differential.py --expander CMD... --ics FILE... --from T --to T [--time-zone Z]

CMD is the command prefix before the options, e.g. "prebell sessions" or
"prebell_ical_expand". Only the comparison is done here; what the generator
avoids (and why) is in README.md.
"""
import argparse
import collections
import datetime as dt
import json
import os
import shlex
import subprocess
import sys

import icalendar
import icalendar.timezone_cache
import pytz
import recurring_ical_events

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_calendars  # noqa: E402

UTC = pytz.utc


def parse_rfc3339(text):
    return UTC.localize(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def fmt(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def localize_rfc5545(tz, naive):
    """A floating time read in `tz` the way RFC 5545 3.3.5 (and prebell) reads it."""
    try:
        return tz.localize(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        return tz.localize(naive, is_dst=True)  # the first of the two readings
    except pytz.NonExistentTimeError:
        return tz.localize(naive, is_dst=False)  # the offset before the gap


def to_instant(value, floating_tz):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return localize_rfc5545(floating_tz, value)
        return value
    # A DATE: the start of that day in the floating zone.
    return localize_rfc5545(floating_tz, dt.datetime(value.year, value.month, value.day))


def python_occurrences(path, window_from, window_to, floating_zone):
    """(UID, start, end) of each occurrence python starts in [from, to)."""
    icalendar.timezone_cache._timezone_cache.clear()  # TZIDs are per file
    with open(path, "rb") as f:
        calendar = icalendar.Calendar.from_ical(f.read())
    floating_tz = pytz.timezone(floating_zone)
    # recurring_ical_events returns events that overlap the span; ask for a
    # wider span (naive: it compares in each event's own zone) and keep the
    # ones that start in the window.
    pad = dt.timedelta(days=3)
    span_from = (window_from - pad).replace(tzinfo=None)
    span_to = (window_to + pad).replace(tzinfo=None)
    result = collections.Counter()
    for event in recurring_ical_events.of(calendar).between(span_from, span_to):
        # STATUS:CANCELLED is data to recurring_ical_events; to prebell (and
        # to any calendar client) a cancelled instance does not happen.
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = to_instant(event["DTSTART"].dt, floating_tz)
        end = to_instant(event["DTEND"].dt, floating_tz) if "DTEND" in event else start
        if window_from <= start < window_to:
            result[(str(event["UID"]), fmt(start), fmt(end))] += 1
    return result


def prebell_occurrences(expander, path, window_from, window_to, floating_zone):
    cmd = expander + ["--from", fmt(window_from), "--to", fmt(window_to),
                      "--time-zone", floating_zone, "--output", "json", path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(shlex.quote, cmd))} exited {proc.returncode}:\n"
                           f"{proc.stderr.strip()}")
    result = collections.Counter()
    for o in json.loads(proc.stdout):
        result[(o["session"], o["start"], o["end"])] += 1
    return result


def diff(ours, theirs):
    lines = []
    keys = sorted(set(ours) | set(theirs), key=lambda k: (k[1], k[0], k[2]))
    for k in keys:
        a, b = ours.get(k, 0), theirs.get(k, 0)
        if a != b:
            lines.append(f"  {k[0]}  {k[1]} -> {k[2]}   prebell x{a}, python x{b}")
    return lines


def compare(expander, path, window_from, window_to, floating_zone):
    """Returns a list of problem lines (empty: identical)."""
    try:
        ours = prebell_occurrences(expander, path, window_from, window_to, floating_zone)
    except RuntimeError as e:
        return [f"  prebell failed: {e}"]
    try:
        theirs = python_occurrences(path, window_from, window_to, floating_zone)
    except Exception as e:  # the peer crashing is a finding too
        return [f"  python failed: {type(e).__name__}: {e}"]
    return diff(ours, theirs) + ([] if sum(ours.values()) or sum(theirs.values()) else [])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--expander", required=True, help="command prefix, e.g. 'prebell sessions'")
    p.add_argument("--generate", type=int, default=0, help="number of random calendars")
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--work", default="differential-work")
    p.add_argument("--ics", nargs="*", default=[])
    p.add_argument("--from", dest="window_from")
    p.add_argument("--to", dest="window_to")
    p.add_argument("--time-zone", default="UTC")
    a = p.parse_args()
    expander = shlex.split(a.expander)

    cases = []
    if a.generate:
        out = os.path.join(a.work, f"seed-{a.seed}")
        for c in gen_calendars.generate(a.seed, a.generate, out):
            cases.append((os.path.join(out, c["file"]), c["from"], c["to"], c["floating_zone"],
                          f"{c['mode']} {c['zone'] or ''}".strip()))
    for path in a.ics:
        if not (a.window_from and a.window_to):
            p.error("--ics needs --from and --to")
        cases.append((path, a.window_from, a.window_to, a.time_zone, "file"))
    if not cases:
        p.error("nothing to compare: give --generate N or --ics FILE...")

    failures = 0
    total_occurrences = 0
    for path, f, t, zone, what in cases:
        window_from, window_to = parse_rfc3339(f), parse_rfc3339(t)
        problems = compare(expander, path, window_from, window_to, zone)
        if problems:
            failures += 1
            print(f"DIFFERENT {path} ({what}; window {f} .. {t}; floating zone {zone}):")
            print("\n".join(problems))
        else:
            total_occurrences += sum(
                prebell_occurrences(expander, path, window_from, window_to, zone).values())
    print(f"{len(cases) - failures} of {len(cases)} calendars identical "
          f"({total_occurrences} occurrences compared in the identical ones)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
