// FakeApiServer: an in-memory Kubernetes API behind the Transport interface,
// for unit tests of code built on kube::Client (reconcilers, informers)
// without a real API server. Part of prebell_kube_testing.
//
// What it does as the API server does:
// - objects of any registered resource, by the same paths; one counter for
//   resourceVersions (opaque strings to callers); uid, creationTimestamp,
//   metadata.generation (bumped when anything but metadata and status
//   changes);
// - create (409 AlreadyExists), get/delete (404), update with optimistic
//   concurrency (409 Conflict on a stale resourceVersion), merge patches
//   (RFC 7386) and JSON patches (RFC 6902; a failed "test" is 422);
// - the status subresource (writes to it change only .status; writes to the
//   object keep its .status when the resource has the subresource) and the
//   scale subresource (an autoscaling/v1 Scale over .spec.replicas);
// - finalizers: a delete sets deletionTimestamp; the object goes when its
//   last finalizer is removed;
// - list with labelSelector (=, ==, !=, exists, !exists, in, notin) and
//   fieldSelector (dotted paths, = and !=), resourceVersion in the answer;
// - watches: from "" or "0" (the current objects as ADDED, then changes) or
//   from a version (the changes after it, from a bounded history; older
//   than the history -> an ERROR 410 event), objects entering or leaving a
//   selector as ADDED/DELETED, BOOKMARK on request (SendBookmarks).
// What it approximates: server-side apply is a merge patch that also
// creates (no field ownership, no apply conflicts); strategic merge patch is
// a merge patch. No admission, defaulting, validation or RBAC.
// Faults: SetHook answers chosen requests itself (a 409, a 500, a refused
// connection); ExpireWatches ends every watch with 410 and forgets history.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/clock.h"
#include "controller/kube/resource.h"
#include "controller/kube/scripted_transport.h"
#include "controller/kube/transport.h"

namespace prebell::kube {

class FakeApiServer final : public Transport {
 public:
  explicit FakeApiServer(std::shared_ptr<const Clock> clock = nullptr);

  // The fake knows only registered resources (a path to another one is a
  // 404, as for a CRD that is not installed). ConfigMaps, Events,
  // Namespaces, Leases, Deployments, StatefulSets and HPAs are registered
  // from the start (Deployments, StatefulSets and HPAs with a status
  // subresource).
  void AddResource(const ResourceType& type, bool status_subresource = false);

  // Test-side access, not counted as requests and not passed to the hook.
  // Seed stores an object as a create would (or replaces it, keeping uid).
  StatusOr<nlohmann::json> Seed(const ResourceType& type, nlohmann::json object);
  std::optional<nlohmann::json> Object(const ResourceType& type, const std::string& ns,
                                       const std::string& name) const;
  std::string resource_version() const;

  // Answers a request instead of the fake when it returns a value.
  using Hook = std::function<std::optional<StatusOr<HttpResponse>>(const HttpRequest&)>;
  void SetHook(Hook hook);
  // Ends every open watch with an ERROR 410 event and forgets the history:
  // resuming from any earlier version gets 410 (what compaction does).
  void ExpireWatches();
  // Sends a BOOKMARK at the current version to watches that asked for them.
  void SendBookmarks();
  size_t open_watches() const;

  // Every request received (Send and Stream), in order.
  std::vector<HttpRequest> requests() const;
  // Write requests (POST, PUT, PATCH, DELETE), whether or not they succeeded.
  std::vector<HttpRequest> writes() const;
  void ClearRequests();

  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<StreamResponse> Stream(const HttpRequest& request,
                                  std::chrono::seconds idle_timeout) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Label-selector matching as the API server does it, for tests.
StatusOr<bool> MatchesLabelSelector(std::string_view selector, const nlohmann::json& labels);

}  // namespace prebell::kube
