#include "controller/exporter/health_checks.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace prebell::exporter {
namespace {

using Probe = HealthChecks::Probe;

TEST(HealthChecks, NoChecksIsHealthyAndReady) {
  HealthChecks h;
  EXPECT_TRUE(h.Run(Probe::kLiveness, false).ok);
  EXPECT_EQ(h.Run(Probe::kLiveness, false).text, "ok");
  HealthReport ready = h.Run(Probe::kReadiness, true);
  EXPECT_TRUE(ready.ok);
  EXPECT_EQ(ready.text, "[+]shutdown ok\nreadyz check passed\n");
}

TEST(HealthChecks, FailuresAreListedWithTheirReason) {
  HealthChecks h;
  CheckState caches(UnavailableError("Timetable informer not synced"));
  h.Add(Probe::kReadiness, "informers", caches.AsCheck());
  h.Add(Probe::kLiveness, "workers", [] { return OkStatus(); });
  HealthReport r = h.Run(Probe::kReadiness, false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text,
            "[-]informers failed: Timetable informer not synced\n[+]shutdown ok\n"
            "readyz check failed\n");
  EXPECT_TRUE(h.Run(Probe::kLiveness, false).ok);  // probes are separate

  caches.Set(OkStatus());
  EXPECT_TRUE(h.Run(Probe::kReadiness, false).ok);
}

TEST(HealthChecks, ReplacingAndThrowingChecks) {
  HealthChecks h;
  h.Add(Probe::kLiveness, "loop", [] { return InternalError("stuck"); });
  h.Add(Probe::kLiveness, "loop", [] { return OkStatus(); });
  EXPECT_TRUE(h.Run(Probe::kLiveness, false).ok);
  h.Add(Probe::kLiveness, "bad", []() -> Status { throw std::runtime_error("boom"); });
  HealthReport r = h.Run(Probe::kLiveness, true);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("[-]bad failed: check threw: boom"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("[+]loop ok"), std::string::npos);
}

TEST(HealthChecks, ShutdownFailsReadinessOnly) {
  HealthChecks h;
  h.SetShuttingDown();
  EXPECT_FALSE(h.Run(Probe::kReadiness, false).ok);
  EXPECT_TRUE(h.Run(Probe::kLiveness, false).ok);
}

}  // namespace
}  // namespace prebell::exporter
