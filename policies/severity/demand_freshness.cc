#include "policies/severity/demand_freshness.h"

namespace prebell {
namespace {

std::string Age(Instant now, Instant then) {
  if (then >= now) return "0s";
  return FormatDuration(now - then);
}

}  // namespace

std::string_view DemandModeName(DemandMode mode) {
  switch (mode) {
    case DemandMode::kLive:
      return "Live";
    case DemandMode::kLastGoodPlan:
      return "LastGoodPlan";
    case DemandMode::kTimetableOnly:
      return "TimetableOnly";
  }
  return "TimetableOnly";
}

StatusOr<FreshnessDecision> DecideDemandFreshness(const FreshnessInput& input,
                                                  const FreshnessOptions& options) {
  if (options.max_sample_age <= Duration::zero()) {
    return InvalidArgumentError("demand freshness: max sample age must be positive, got " +
                                std::to_string(options.max_sample_age.count()) + "s");
  }
  if (options.keep_last_plan_for < Duration::zero()) {
    return InvalidArgumentError("demand freshness: keep-last-plan-for must not be negative, got " +
                                std::to_string(options.keep_last_plan_for.count()) + "s");
  }
  const Instant now = input.now;
  FreshnessDecision d;
  if (input.latest_sample && now - *input.latest_sample <= options.max_sample_age) {
    d.mode = DemandMode::kLive;
    d.reason = "MetricsFresh";
    d.message = "newest connections sample is " + Age(now, *input.latest_sample) + " old";
    // Stale from the first second past the bound.
    d.next_change = *input.latest_sample + options.max_sample_age + Duration(1);
    return d;
  }
  const std::string why = input.latest_sample
                              ? "newest connections sample is " + Age(now, *input.latest_sample) +
                                    " old (limit " + FormatDuration(options.max_sample_age) + ")"
                              : std::string("no connections sample available");
  if (input.last_good_plan && now < *input.last_good_plan + options.keep_last_plan_for) {
    d.mode = DemandMode::kLastGoodPlan;
    d.reason = "MetricsStale";
    d.message = why + "; keeping the plan made at " + FormatRfc3339(*input.last_good_plan) +
                " until " + FormatRfc3339(*input.last_good_plan + options.keep_last_plan_for);
    d.next_change = *input.last_good_plan + options.keep_last_plan_for;
    return d;
  }
  d.mode = DemandMode::kTimetableOnly;
  d.reason = "MetricsUnavailable";
  d.message = why + "; planning from the timetable alone";
  if (input.last_good_plan) {
    d.message +=
        " (last plan from fresh metrics made at " + FormatRfc3339(*input.last_good_plan) + ")";
  }
  return d;
}

}  // namespace prebell
