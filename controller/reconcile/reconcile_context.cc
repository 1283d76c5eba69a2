#include "controller/reconcile/reconcile_context.h"

#include <spdlog/spdlog.h>

namespace prebell::reconcile {

void ReconcileContext::Event(const nlohmann::json& object, bool warning, std::string_view reason,
                             std::string_view note) const {
  if (!events || !may_write()) return;
  Status s = events->Record(runtime::ObjectReference::FromObject(object),
                            warning ? runtime::EventType::kWarning : runtime::EventType::kNormal,
                            reason, note);
  if (!s.ok()) spdlog::warn("event {} not recorded: {}", reason, s.ToString());
}

}  // namespace prebell::reconcile
