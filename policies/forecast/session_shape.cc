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

Duration SessionShape::lead() const {
  const double s = -Seconds(arrival_center) + kPlanningSigmas * Seconds(arrival_spread);
  return Duration{static_cast<int64_t>(std::ceil(std::max(0.0, s)))};
}

Duration SessionShape::lag() const {
  const double s = Seconds(departure_center) + kPlanningSigmas * Seconds(departure_spread);
  return Duration{static_cast<int64_t>(std::ceil(std::max(0.0, s)))};
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
