#include "policies/timetable/timetable.h"

namespace prebell {

std::string_view SessionKindName(SessionKind kind) {
  switch (kind) {
    case SessionKind::kClass:
      return "Class";
    case SessionKind::kExam:
      return "Exam";
    case SessionKind::kEvent:
      return "Event";
  }
  return "Class";
}

StatusOr<SessionKind> ParseSessionKind(std::string_view text) {
  if (text == "Class") return SessionKind::kClass;
  if (text == "Exam") return SessionKind::kExam;
  if (text == "Event") return SessionKind::kEvent;
  return InvalidArgumentError("'" + std::string(text) +
                              "' is not a session kind (expected Class, Exam or Event)");
}

}  // namespace prebell
