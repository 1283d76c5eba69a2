#include "controller/reconcile/prediction_book.h"

#include <algorithm>

namespace prebell::reconcile {

void PredictionBook::Put(const std::string& ns, const std::string& policy,
                         std::vector<SessionPrediction> predictions) {
  std::map<SessionKey, double> entries;
  for (SessionPrediction& p : predictions) {
    entries[{std::move(p.timetable), std::move(p.session), p.start}] = p.connections;
  }
  std::lock_guard<std::mutex> lock(mu_);
  by_policy_[{ns, policy}] = std::move(entries);
}

void PredictionBook::Forget(const std::string& ns, const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  by_policy_.erase({ns, policy});
}

std::optional<double> PredictionBook::Lookup(const std::string& ns, const std::string& timetable,
                                             const std::string& session, Instant start) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<double> best;
  const SessionKey key{timetable, session, start};
  for (auto it = by_policy_.lower_bound({ns, std::string()});
       it != by_policy_.end() && it->first.first == ns; ++it) {
    auto found = it->second.find(key);
    if (found != it->second.end()) best = std::max(best.value_or(0.0), found->second);
  }
  return best;
}

}  // namespace prebell::reconcile
