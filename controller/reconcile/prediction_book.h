// PredictionBook: the connections each upcoming session is expected to
// bring, as the ScalingPolicy reconciler's last plans forecast them, for the
// Timetable status (`nextSessions[].predictedPeak`).
//
// Each policy's predictions replace that policy's previous ones; a session
// driven by several policies reports the largest. Bounded by what the plans
// list (the sessions within their horizon). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "policies/common/time_text.h"

namespace prebell::reconcile {

struct SessionPrediction {
  std::string timetable;  // Occurrence::timetable
  std::string session;    // Occurrence::session
  Instant start{};
  double connections = 0;
};

class PredictionBook {
 public:
  void Put(const std::string& ns, const std::string& policy,
           std::vector<SessionPrediction> predictions);
  void Forget(const std::string& ns, const std::string& policy);
  std::optional<double> Lookup(const std::string& ns, const std::string& timetable,
                               const std::string& session, Instant start) const;

 private:
  using SessionKey = std::tuple<std::string, std::string, Instant>;
  mutable std::mutex mu_;
  // (ns, policy) -> session -> connections
  std::map<std::pair<std::string, std::string>, std::map<SessionKey, double>> by_policy_;
};

}  // namespace prebell::reconcile
