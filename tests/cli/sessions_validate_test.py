#!/usr/bin/env python3
"""`prebell sessions` and `prebell validate` run as a user runs them.

Each test starts the built binary on files (the examples, temporary
manifests and calendars) and checks the exit status (0 ok, 2 bad input),
the JSON contract (one array; timetable, session, kind, course, start, end,
expectedAttendance; RFC 3339 UTC times) and that every error names the file,
the line and the field.

Usage: sessions_validate_test.py --prebell BIN --source REPO [--shared-scenarios DIR]
"""
import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

ARGS = None


def run(*argv, stdin=None):
    p = subprocess.run([ARGS.prebell, *argv], input=stdin, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def example(name):
    return os.path.join(ARGS.source, "examples", "timetables", name)


def utc(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


class TempFiles:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()

    def cleanup(self):
        self.dir.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
        return path


SCHOOL_KEYS = ["timetable", "session", "kind", "course", "start", "end", "expectedAttendance"]


class SessionsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempFiles()
        self.addCleanup(self.tmp.cleanup)

    def sessions_json(self, *argv):
        rc, out, err = run("sessions", "--output", "json", *argv)
        self.assertEqual(rc, 0, err)
        data = json.loads(out)
        self.assertIsInstance(data, list)
        return data

    def test_json_shape_and_dst(self):
        data = self.sessions_json("--from", "2026-10-26T00:00:00Z", "--to", "2026-11-07T00:00:00Z",
                                  example("school-day.yaml"))
        self.assertGreater(len(data), 0)
        for o in data:
            self.assertEqual(list(o.keys()), SCHOOL_KEYS)
            self.assertRegex(o["start"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertRegex(o["end"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertLess(utc(o["start"]), utc(o["end"]))
            self.assertGreaterEqual(utc(o["start"]), utc("2026-10-26T00:00:00Z"))
            self.assertLess(utc(o["start"]), utc("2026-11-07T00:00:00Z"))
            self.assertIn(o["kind"], ["Class", "Exam", "Event"])
            self.assertIsInstance(o["expectedAttendance"], int)
        starts = [(utc(o["start"]), utc(o["end"]), o["timetable"], o["session"]) for o in data]
        self.assertEqual(starts, sorted(starts))
        algebra = [o["start"] for o in data if o["session"] == "grade9-algebra"]
        # 08:00 in Chicago: CDT (13:00Z) until Sunday 1 November, CST (14:00Z) after.
        self.assertIn("2026-10-30T13:00:00Z", algebra)
        self.assertIn("2026-11-02T14:00:00Z", algebra)
        self.assertEqual(len(algebra), 10)  # two school weeks, Monday to Friday

    def test_exclusions_apply(self):
        data = self.sessions_json("--from", "2026-11-23T00:00:00Z", "--to", "2026-11-30T00:00:00Z",
                                  example("school-day.yaml"))
        days = {o["start"][:10] for o in data if o["session"] == "grade9-algebra"}
        self.assertEqual(days, {"2026-11-23", "2026-11-24"})  # Thanksgiving break 25-27

    def test_several_files_one_sorted_array(self):
        data = self.sessions_json("--from", "2026-11-23T00:00:00Z", "--to", "2026-11-24T00:00:00Z",
                                  example("school-day.yaml"), example("university-autumn-term.yaml"))
        self.assertEqual({o["timetable"] for o in data},
                         {"lincoln-high-fall-2026", "autumn-term-2026"})
        keys = [(o["start"], o["end"], o["timetable"], o["session"]) for o in data]
        self.assertEqual(keys, sorted(keys))

    def test_standard_input_and_table(self):
        with open(example("school-day.yaml")) as f:
            text = f.read()
        rc, out, err = run("sessions", "--from", "2026-10-29T00:00:00Z", "--to",
                           "2026-10-29T12:00:00Z", "-", stdin=text)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("START"), out)
        self.assertIn("Wed 2026-10-28 19:00 -05:00", lines[1])
        self.assertIn("online-study-hall", lines[1])
        self.assertTrue(lines[-1].startswith("1 occurrence starting in"), out)

    def test_icalendar_file(self):
        ics = self.tmp.write("exams.ics", """
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//prebell tests//EN
            BEGIN:VEVENT
            UID:quiz-1@example.edu
            DTSTAMP:20260101T000000Z
            DTSTART:20261201T180000
            DURATION:PT45M
            RRULE:FREQ=WEEKLY;COUNT=3
            SUMMARY:Weekly quiz
            END:VEVENT
            END:VCALENDAR
            """)
        data = self.sessions_json("--from", "2026-12-01T00:00:00Z", "--to", "2027-01-01T00:00:00Z",
                                  "--time-zone", "America/Chicago", ics)
        self.assertEqual([o["start"] for o in data],
                         ["2026-12-02T00:00:00Z", "2026-12-09T00:00:00Z", "2026-12-16T00:00:00Z"])
        self.assertEqual({o["session"] for o in data}, {"quiz-1@example.edu"})
        self.assertEqual(list(data[0].keys()), SCHOOL_KEYS)

    def test_bad_input_exits_2_naming_file_and_field(self):
        bad = self.tmp.write("bad.yaml", """
            apiVersion: prebell.io/v1alpha1
            kind: Timetable
            metadata: {name: bad}
            spec:
              timeZone: Europe/London
              sessions:
              - name: a
                start: '2026-09-28T09:00:00'
                duration: 90x
            """)
        rc, out, err = run("sessions", "--from", "2026-09-01T00:00:00Z", "--to",
                           "2026-10-01T00:00:00Z", bad)
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn(bad + ":9: spec.sessions[0].duration: '90x' is not a duration", err)

    def test_usage_errors_exit_2(self):
        school = example("school-day.yaml")
        cases = [
            (["sessions", "/nonexistent/term.yaml"], "/nonexistent/term.yaml: no such file"),
            (["sessions", "--from", "yesterday", school], "--from: 'yesterday'"),
            (["sessions", "--from", "2026-10-02T00:00:00Z", "--to", "2026-10-01T00:00:00Z", school],
             "--to: 2026-10-01T00:00:00Z is not after --from"),
            (["sessions", "--time-zone", "Mars/Olympus", school], "unknown time zone 'Mars/Olympus'"),
            (["sessions", "--output", "xml", school], "xml"),
            (["sessions"], "FILE is required"),
            (["sessions", ARGS.source], "is a directory"),
        ]
        for argv, message in cases:
            with self.subTest(argv=argv):
                rc, out, err = run(*argv)
                self.assertEqual(rc, 2, (out, err))
                self.assertIn(message, err + out)

    def test_pathological_rules_are_bad_input(self):
        # Too costly to expand at all: refused by validation, with its line.
        filtered = self.tmp.write("filtered.yaml", """
            apiVersion: prebell.io/v1alpha1
            kind: Timetable
            metadata: {name: busy}
            spec:
              timeZone: UTC
              sessions:
              - name: every-second-in-december
                start: '2026-01-01T00:00:00'
                duration: 1s
                recurrence: FREQ=SECONDLY;BYMONTH=12
            """)
        rc, out, err = run("sessions", "--from", "2026-01-01T00:00:00Z", "--to",
                           "2026-01-02T00:00:00Z", filtered)
        self.assertEqual(rc, 2, err)
        self.assertIn(filtered + ":10: spec.sessions[0].recurrence: the rule "
                      "FREQ=SECONDLY;BYMONTH=12 would visit about", err)
        # Valid, but a century of it is more than the occurrence budget.
        seconds = self.tmp.write("seconds.yaml", """
            apiVersion: prebell.io/v1alpha1
            kind: Timetable
            metadata: {name: busy}
            spec:
              timeZone: UTC
              sessions:
              - name: every-second
                start: '2026-01-01T00:00:00'
                duration: 1s
                recurrence: FREQ=SECONDLY
            """)
        rc, out, err = run("sessions", "--from", "2026-01-01T00:00:00Z", "--to",
                           "2126-01-01T00:00:00Z", seconds)
        self.assertEqual(rc, 2, err)
        self.assertEqual(out, "")
        self.assertIn(seconds + ": timetable 'busy': session 'every-second': more than", err)

    def test_default_window_is_seven_days_from_now(self):
        rc, out, err = run("sessions", "--output", "json", example("school-day.yaml"))
        self.assertEqual(rc, 0, err)
        now = dt.datetime.now(dt.timezone.utc)
        for o in json.loads(out):
            start = utc(o["start"])
            self.assertGreaterEqual(start, now - dt.timedelta(minutes=5))
            self.assertLess(start, now + dt.timedelta(days=7, minutes=5))


class ValidateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempFiles()
        self.addCleanup(self.tmp.cleanup)

    def test_examples_are_valid(self):
        files = [example("university-autumn-term.yaml"), example("school-day.yaml")]
        shared = os.path.join(ARGS.shared_scenarios, "london-sample", "timetable.yaml")
        if os.path.exists(shared):
            files.append(shared)
        rc, out, err = run("validate", *files)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        lines = out.splitlines()
        self.assertEqual(len(lines), len(files))
        for f, line in zip(files, lines):
            self.assertTrue(line.startswith(f + ": OK: 1 Timetable"), line)

    def test_every_error_is_reported(self):
        path = self.tmp.write("broken.yaml", """
            apiVersion: prebell.io/v1alpha1
            kind: Timetable
            metadata:
              name: broken
            spec:
              timeZone: Europe/Londn
              sessions:
              - name: a
                start: '2026-09-28T09:00:00'
                duration: 1h
                recurence: FREQ=WEEKLY
              - name: a
                start: '2026-09-28T09:00:00Z'
                duration: 1h
                expectedAttendance: -5
              exclusions:
              - from: '2026-10-30'
                until: '2026-10-26'
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: x}
            """)
        good = example("school-day.yaml")
        rc, out, err = run("validate", path, good)
        self.assertEqual(rc, 2)
        expected = [
            path + ":6: spec.timeZone: unknown time zone 'Europe/Londn'",
            path + ":11: spec.sessions[0].recurence: unknown field (did you mean 'recurrence'?)",
            path + ":12: spec.sessions[1].name: duplicate session name 'a' (first at line 8)",
            path + ":13: spec.sessions[1].start: '2026-09-28T09:00:00Z' has a UTC offset",
            path + ":15: spec.sessions[1].expectedAttendance: -5 is out of range",
            path + ":18: spec.exclusions[0].until: 2026-10-26 is before from 2026-10-30",
            path + ":20: document 2 (kind 'ConfigMap', apiVersion 'v1', name 'x') is not a "
                   "prebell resource",
        ]
        lines = err.splitlines()
        self.assertEqual(len(lines), len(expected), err)
        for want, got in zip(expected, lines):
            self.assertTrue(got.startswith(want), (want, got))
        # The good file still gets its summary.
        self.assertIn(good + ": OK: 1 Timetable", out)

    def test_scaling_policies_beside_timetables(self):
        policy = os.path.join(ARGS.shared_scenarios, "london-sample", "policy.yaml")
        if not os.path.exists(policy):
            self.skipTest(policy + " is not on this machine")
        rc, out, err = run("validate", policy)
        self.assertEqual(rc, 0, err)
        self.assertIn("1 ScalingPolicy", out)

    def test_icalendar_errors(self):
        ics = self.tmp.write("bad.ics", """
            BEGIN:VCALENDAR
            VERSION:2.0
            BEGIN:VEVENT
            UID:x@example.edu
            DTSTART:2026garbage
            END:VEVENT
            END:VCALENDAR
            """)
        rc, out, err = run("validate", ics)
        self.assertEqual(rc, 2)
        self.assertIn(ics + ":5:", err)
        self.assertIn("DTSTART", err)

    def test_missing_file_and_empty_file(self):
        empty = self.tmp.write("empty.yaml", "# nothing here\n")
        rc, out, err = run("validate", "/nonexistent.yaml", empty)
        self.assertEqual(rc, 2)
        self.assertIn("/nonexistent.yaml: no such file", err)
        self.assertIn(empty + ": no Timetable or ScalingPolicy in the file", err)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--prebell", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--shared-scenarios", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "scenarios"))
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
