// ScheduleBook: the expanded occurrences of every Timetable the controller
// knows, shared by the Timetable reconciler (which writes them), the
// ScalingPolicy reconciler and the schedule-signal publisher (which read).
//
// An entry is replaced whole (readers hold a shared_ptr to an immutable
// snapshot, so no reader sees half an update). An invalid update of a
// Timetable does not remove its entry: the last valid expansion keeps
// serving until the timetable is fixed or deleted. Each change of a
// namespace's entries bumps its version, which consumers use to notice that
// the schedule they planned on is out of date. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/time_text.h"
#include "policies/timetable/occurrence.h"

namespace prebell::reconcile {

struct TimetableSchedule {
  std::string ns;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string time_zone;  // IANA
  int64_t generation = 0;
  // Sorted; every occurrence starting in [expanded_from, expanded_to).
  std::vector<Occurrence> occurrences;
  Instant expanded_from{};
  Instant expanded_to{};
};

class ScheduleBook {
 public:
  void Put(std::shared_ptr<const TimetableSchedule> schedule);
  // True if there was an entry.
  bool Remove(std::string_view ns, std::string_view name);

  std::vector<std::shared_ptr<const TimetableSchedule>> InNamespace(std::string_view ns) const;
  std::vector<std::string> Namespaces() const;
  // Changes with every Put/Remove in the namespace; 0 for one never seen.
  uint64_t Version(std::string_view ns) const;

 private:
  mutable std::mutex mu_;
  // namespace -> name -> schedule
  std::map<std::string, std::map<std::string, std::shared_ptr<const TimetableSchedule>>,
           std::less<>>
      entries_;
  std::map<std::string, uint64_t, std::less<>> versions_;
  uint64_t next_version_ = 1;
};

}  // namespace prebell::reconcile
