// Samples of the live connections metric, and the rules for trusting them.
//
// A MetricSample is one reading (unix-second instant, connections). Raw
// readings come from Prometheus or a recorded CSV and may be NaN, negative,
// absurd (a counter reset, a unit mistake), duplicated or out of order.
// SanitizeSamples turns them into a series every model here can rely on:
// sorted by time, one value per instant (the last reading wins), finite,
// 0 <= value <= kMaxPlausibleConnections. What was dropped is counted, so a
// caller can say why a forecast ignores part of the history.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policies/common/time_text.h"

namespace prebell {

struct MetricSample {
  Instant time{};
  double value = 0;

  friend bool operator==(const MetricSample&, const MetricSample&) = default;
};

// More live connections than any platform has: a reading above this is a
// broken exporter, not demand.
inline constexpr double kMaxPlausibleConnections = 1e8;

struct SanitizeReport {
  int64_t kept = 0;
  int64_t not_a_number = 0;  // NaN or infinite
  int64_t negative = 0;
  int64_t absurd = 0;      // above kMaxPlausibleConnections
  int64_t duplicates = 0;  // same instant as a later reading

  int64_t dropped() const { return not_a_number + negative + absurd + duplicates; }
  // "kept 201840 samples; dropped 3 NaN, 1 negative" (empty parts omitted).
  std::string Summary() const;
};

struct SanitizedSamples {
  std::vector<MetricSample> samples;  // sorted, unique times, plausible values
  SanitizeReport report;
};

SanitizedSamples SanitizeSamples(std::vector<MetricSample> raw);

// True when `value` may enter a model (finite, within the plausible range).
bool IsPlausibleConnections(double value);

// The samples with time in [from, to), from a sorted series.
std::span<const MetricSample> SamplesBetween(std::span<const MetricSample> sorted, Instant from,
                                             Instant to);
// The samples with time <= t, from a sorted series: everything a decision at
// `t` may see.
std::span<const MetricSample> SamplesUpTo(std::span<const MetricSample> sorted, Instant t);

}  // namespace prebell
