#include "controller/reconcile/schedule_book.h"

namespace prebell::reconcile {

void ScheduleBook::Put(std::shared_ptr<const TimetableSchedule> schedule) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string ns = schedule->ns;
  entries_[ns][schedule->name] = std::move(schedule);
  versions_[ns] = next_version_++;
}

bool ScheduleBook::Remove(std::string_view ns, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ns);
  if (it == entries_.end()) return false;
  auto entry = it->second.find(std::string(name));
  if (entry == it->second.end()) return false;
  it->second.erase(entry);
  versions_[std::string(ns)] = next_version_++;
  if (it->second.empty()) entries_.erase(it);
  return true;
}

std::vector<std::shared_ptr<const TimetableSchedule>> ScheduleBook::InNamespace(
    std::string_view ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<const TimetableSchedule>> out;
  auto it = entries_.find(ns);
  if (it == entries_.end()) return out;
  for (const auto& [name, schedule] : it->second) out.push_back(schedule);
  return out;
}

std::vector<std::string> ScheduleBook::Namespaces() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [ns, entries] : entries_) out.push_back(ns);
  return out;
}

uint64_t ScheduleBook::Version(std::string_view ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = versions_.find(ns);
  return it == versions_.end() ? 0 : it->second;
}

}  // namespace prebell::reconcile
