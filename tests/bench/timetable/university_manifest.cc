#include "tests/bench/timetable/university_manifest.h"

#include <cstdio>
#include <random>
#include <string>

namespace prebell::bench {
namespace {

constexpr const char* kDays[] = {"MO", "TU", "WE", "TH", "FR"};
// The first teaching day (week 1, 2026-09-28 is a Monday) for each weekday.
constexpr const char* kFirstDay[] = {"2026-09-28", "2026-09-29", "2026-09-30", "2026-10-01",
                                     "2026-10-02"};
constexpr const char* kYearEnd = "UNTIL=20270612T000000Z";
constexpr const char* kTermOneEnd = "UNTIL=20261212T000000Z";

class Writer {
 public:
  explicit Writer(unsigned seed) : rng_(seed) {}

  unsigned Pick(unsigned n) { return static_cast<unsigned>(rng_() % n); }

  void Session(const std::string& name, const char* kind, const std::string& course,
               const std::string& start, const char* duration, const std::string& rule,
               int attendance) {
    out_ += "  - name: " + name + "\n    kind: " + kind + "\n    course: " + course +
            "\n    start: '" + start + "'\n    duration: " + duration + "\n";
    if (!rule.empty()) out_ += "    recurrence: " + rule + "\n";
    out_ += "    expectedAttendance: " + std::to_string(attendance) + "\n";
  }

  std::string Days(unsigned count, unsigned* first) {
    unsigned start = Pick(5 - count + 1);
    *first = start;
    std::string days;
    for (unsigned i = 0; i < count; ++i) days += std::string(i ? "," : "") + kDays[start + i];
    return days;
  }

  static std::string At(const char* day, unsigned hour, unsigned minute = 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%sT%02u:%02u:00", day, hour, minute);
    return buf;
  }

  std::string& text() { return out_; }

 private:
  std::mt19937 rng_;
  std::string out_;
};

void Faculty(Writer& w, int faculty) {
  const std::string f = "f" + std::to_string(faculty);
  std::string& out = w.text();
  out += "apiVersion: prebell.io/v1alpha1\nkind: Timetable\nmetadata:\n  name: faculty-" +
         std::to_string(faculty) +
         "-2026\n  namespace: university\n  labels:\n    prebell.io/stack: live\n"
         "spec:\n  timeZone: Europe/London\n  exclusions:\n"
         "  - {from: '2026-11-02', until: '2026-11-06', reason: Reading week}\n"
         "  - {from: '2026-12-12', until: '2027-01-10', reason: Winter vacation}\n"
         "  - {from: '2027-02-15', until: '2027-02-19', reason: Reading week}\n"
         "  - {from: '2027-03-27', until: '2027-04-25', reason: Spring vacation}\n"
         "  - {from: '2027-05-03', until: '2027-05-03', reason: Bank holiday}\n"
         "  - {from: '2027-05-31', until: '2027-05-31', reason: Bank holiday}\n"
         "  sessions:\n";
  for (int i = 0; i < kRecurringPerFaculty; ++i) {
    const std::string course = "F" + std::to_string(faculty) + "C" + std::to_string(i / 4);
    const std::string name = f + "-s" + std::to_string(i);
    const unsigned hour = 9 + w.Pick(9);  // 09:00 .. 17:00
    const int attendance = 20 + static_cast<int>(w.Pick(600));
    const unsigned kind = w.Pick(100);
    unsigned first = 0;
    if (kind < 35) {  // lectures, two or three days a week
      const std::string days = w.Days(2 + w.Pick(2), &first);
      w.Session(name, "Class", course, Writer::At(kFirstDay[first], hour), "50m",
                "FREQ=WEEKLY;BYDAY=" + days + ";" + kYearEnd, attendance);
    } else if (kind < 65) {  // tutorials
      first = w.Pick(5);
      w.Session(name, "Class", course, Writer::At(kFirstDay[first], hour), "50m",
                std::string("FREQ=WEEKLY;BYDAY=") + kDays[first] + ";" + kYearEnd,
                attendance / 10 + 8);
    } else if (kind < 80) {  // daily lab slots
      w.Session(name, "Class", course, Writer::At(kFirstDay[0], hour), "1h50m",
                std::string("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;") + kYearEnd, 24);
    } else if (kind < 88) {  // fortnightly practicals
      first = w.Pick(5);
      w.Session(name, "Class", course, Writer::At(kFirstDay[first], hour), "3h",
                std::string("FREQ=WEEKLY;INTERVAL=2;BYDAY=") + kDays[first] + ";" + kYearEnd,
                attendance / 2);
    } else if (kind < 93) {  // seminar series
      first = w.Pick(5);
      w.Session(name, "Class", course, Writer::At(kFirstDay[first], 17, 30), "1h30m",
                std::string("FREQ=WEEKLY;BYDAY=") + kDays[first] + ";COUNT=10", 30);
    } else if (kind < 97) {  // monthly meetings: an ordinal weekday
      const bool first_wednesday = w.Pick(2) != 0;
      w.Session(
          name, "Event", course, Writer::At(first_wednesday ? "2026-10-07" : "2026-10-30", 16),
          "1h",
          std::string(first_wednesday ? "FREQ=MONTHLY;BYDAY=1WE;" : "FREQ=MONTHLY;BYDAY=-1FR;") +
              kYearEnd,
          60);
    } else {  // first-term only
      first = w.Pick(5);
      w.Session(name, "Class", course, Writer::At(kFirstDay[first], hour), "50m",
                std::string("FREQ=WEEKLY;BYDAY=") + kDays[first] + ";" + kTermOneEnd, attendance);
    }
  }
  for (int e = 0; e < kExamsPerFaculty; ++e) {
    // January and May/June exam periods.
    const bool winter = e % 3 == 0;
    char day[16];
    std::snprintf(day, sizeof day, winter ? "2027-01-%02u" : "2027-05-%02u",
                  winter ? 11 + w.Pick(12) : 10 + w.Pick(20));
    w.Session(f + "-exam-" + std::to_string(e), "Exam",
              "F" + std::to_string(faculty) + "C" + std::to_string(e),
              Writer::At(day, w.Pick(2) ? 9 : 14, 30), "2h", "",
              100 + static_cast<int>(w.Pick(900)));
  }
}

}  // namespace

std::string UniversityManifest() {
  Writer w(20262027);
  for (int f = 1; f <= kFaculties; ++f) {
    if (f > 1) w.text() += "---\n";
    Faculty(w, f);
  }
  return w.text();
}

}  // namespace prebell::bench
