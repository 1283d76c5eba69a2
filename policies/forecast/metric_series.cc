#include "policies/forecast/metric_series.h"

#include <algorithm>
#include <cmath>

namespace prebell {

std::string SanitizeReport::Summary() const {
  std::string s = "kept " + std::to_string(kept) + " samples";
  std::string dropped_parts;
  auto part = [&](int64_t n, const char* what) {
    if (n == 0) return;
    dropped_parts += (dropped_parts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  part(not_a_number, "NaN/infinite");
  part(negative, "negative");
  part(absurd, "absurd (above 1e8)");
  part(duplicates, "duplicate-time");
  if (!dropped_parts.empty()) s += "; dropped " + dropped_parts;
  return s;
}

bool IsPlausibleConnections(double value) {
  return std::isfinite(value) && value >= 0 && value <= kMaxPlausibleConnections;
}

SanitizedSamples SanitizeSamples(std::vector<MetricSample> raw) {
  SanitizedSamples out;
  // Stable: among readings at the same instant the last one read wins.
  std::stable_sort(raw.begin(), raw.end(),
                   [](const MetricSample& a, const MetricSample& b) { return a.time < b.time; });
  out.samples.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const MetricSample& s = raw[i];
    if (i + 1 < raw.size() && raw[i + 1].time == s.time) {
      ++out.report.duplicates;
      continue;
    }
    if (!std::isfinite(s.value)) {
      ++out.report.not_a_number;
    } else if (s.value < 0) {
      ++out.report.negative;
    } else if (s.value > kMaxPlausibleConnections) {
      ++out.report.absurd;
    } else {
      out.samples.push_back(s);
    }
  }
  out.report.kept = static_cast<int64_t>(out.samples.size());
  return out;
}

std::span<const MetricSample> SamplesBetween(std::span<const MetricSample> sorted, Instant from,
                                             Instant to) {
  auto by_time = [](const MetricSample& s, Instant t) { return s.time < t; };
  auto lo = std::lower_bound(sorted.begin(), sorted.end(), from, by_time);
  auto hi = std::lower_bound(lo, sorted.end(), to, by_time);
  return {lo, hi};
}

std::span<const MetricSample> SamplesUpTo(std::span<const MetricSample> sorted, Instant t) {
  auto hi = std::upper_bound(sorted.begin(), sorted.end(), t,
                             [](Instant x, const MetricSample& s) { return x < s.time; });
  return {sorted.begin(), hi};
}

}  // namespace prebell
