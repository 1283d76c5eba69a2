// Synthetic traces for tests: a weekly timetable and the connections it
// causes under a known model (baseline by local time of day, per-course
// ratios, the default arrival/departure shape, optional noise), so tests can
// check that what is learned is what was put in.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "policies/forecast/metric_series.h"
#include "policies/forecast/session_shape.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/time_zone.h"

namespace prebell::testing {

inline Instant Utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}} + std::chrono::hours{hh} +
         std::chrono::minutes{mm};
}

inline Instant LocalAt(const TimeZone& zone, int y, unsigned m, unsigned d, int hh, int mm = 0) {
  return zone.ToInstant(date::local_days{date::year{y} / date::month{m} / date::day{d}} +
                        std::chrono::hours{hh} + std::chrono::minutes{mm});
}

// A smooth day profile in local time: 300 at night, up to ~1,800 at 14:00.
inline double DayProfile(const TimeZone& zone, Instant t) {
  const LocalTime l = zone.ToLocal(t);
  const auto day = date::floor<date::days>(l);
  const double h = static_cast<double>((l - day).count()) / 3600.0;
  return 300 + 1500 * std::exp(-std::pow((h - 14) / 4.0, 2));
}

struct CourseSpec {
  std::string course;
  SessionKind kind = SessionKind::kClass;
  int64_t attendance = 1000;
  double ratio = 0.7;  // true connections per expected attendee
};

// One occurrence of `spec` starting at local `start` for `minutes`.
inline Occurrence MakeOccurrence(const TimeZone& zone, const CourseSpec& spec, Instant start,
                                 int minutes, const std::string& timetable = "tt") {
  Occurrence o;
  o.timetable = timetable;
  o.session = spec.course + "-" + std::to_string(start.time_since_epoch().count());
  o.kind = spec.kind;
  o.course = spec.course;
  o.start = start;
  o.end = start + std::chrono::minutes(minutes);
  o.expected_attendance = spec.attendance;
  (void)zone;
  return o;
}

struct Truth {
  std::map<std::string, double> ratio;  // by course
  // Occurrences whose audience is multiplied (surges), by session name.
  std::map<std::string, double> multiplier;
};

// Connections every `step` over [from, to).
inline std::vector<MetricSample> Synthesize(const TimeZone& zone,
                                            const std::vector<Occurrence>& occurrences,
                                            const Truth& truth, Instant from, Instant to,
                                            std::chrono::seconds step, double noise_sd = 0,
                                            uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_sd > 0 ? noise_sd : 1);
  std::vector<MetricSample> out;
  for (Instant t = from; t < to; t += step) {
    double v = DayProfile(zone, t);
    for (const Occurrence& o : occurrences) {
      if (t < o.start - std::chrono::hours(1) || t > o.end + std::chrono::hours(1)) continue;
      double r = truth.ratio.at(o.course);
      auto m = truth.multiplier.find(o.session);
      if (m != truth.multiplier.end()) r *= m->second;
      v += r * static_cast<double>(o.expected_attendance) *
           DefaultShape(o.kind).PresentFraction(t, o.start, o.end);
    }
    if (noise_sd > 0) v += noise(rng);
    out.push_back({t, std::max(0.0, v)});
  }
  return out;
}

}  // namespace prebell::testing
