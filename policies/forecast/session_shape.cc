#include "policies/forecast/session_shape.h"

#include <algorithm>
#include <cmath>

namespace prebell {
namespace {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double Seconds(Duration d) { return static_cast<double>(d.count()); }

}  // namespace

double SessionShape::PresentFraction(Instant t, Instant start, Instant end) const {
  const double arrived = NormalCdf((Seconds(t - start) - Seconds(arrival_center)) /
                                   std::max(1.0, Seconds(arrival_spread)));
  const double left = NormalCdf((Seconds(t - end) - Seconds(departure_center)) /
                                std::max(1.0, Seconds(departure_spread)));
  return std::clamp(arrived - left, 0.0, 1.0);
}

double SessionShape::PlanningArrived(Duration since_start) const {
  return NormalCdf((Seconds(since_start) - Seconds(arrival_center)) /
                       std::max(1.0, Seconds(arrival_spread)) +
                   kPlanningShift);
}

double SessionShape::PlanningLeft(Duration since_end) const {
  return NormalCdf((Seconds(since_end) - Seconds(departure_center)) /
                       std::max(1.0, Seconds(departure_spread)) -
                   kPlanningShift);
}

double SessionShape::PlanningFraction(Instant t, Instant start, Instant end) const {
  const double f = std::clamp(PlanningArrived(t - start) - PlanningLeft(t - end), 0.0, 1.0);
  return f < kNegligible ? 0.0 : f;
}

namespace {
// z with NormalCdf(z) = 1 - kNegligible.
constexpr double kTail = 2.5758;

Duration Ceil(double s) { return Duration{static_cast<int64_t>(std::ceil(s))}; }
}  // namespace

Duration SessionShape::lead() const {
  return Ceil(
      std::max(0.0, -Seconds(arrival_center) + (kPlanningShift + kTail) * Seconds(arrival_spread)));
}

Duration SessionShape::lag() const {
  return Ceil(std::max(
      0.0, Seconds(departure_center) + (kPlanningShift + kTail) * Seconds(departure_spread)));
}

Duration SessionShape::full_from() const {
  return Ceil(Seconds(arrival_center) + (kTail - kPlanningShift) * Seconds(arrival_spread));
}

Duration SessionShape::full_until() const {
  return -Ceil(-(Seconds(departure_center) - (kTail - kPlanningShift) * Seconds(departure_spread)));
}

SessionShape DefaultShape(SessionKind kind) {
  SessionShape s;
  if (kind == SessionKind::kExam) {
    // Exams: people come early to be seated/identified, and stay to the end.
    s.arrival_center = std::chrono::seconds(-360);
    s.arrival_spread = std::chrono::seconds(240);
    s.departure_center = std::chrono::seconds(60);
    s.departure_spread = std::chrono::seconds(150);
  }
  return s;
}

}  // namespace prebell
