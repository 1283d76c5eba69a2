#include "controller/runtime/watcher.h"

#include "controller/kube/api_error.h"

namespace prebell::runtime {
namespace {

uint64_t SeedOr(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Watcher::Watcher(std::shared_ptr<kube::Client> client, WatcherOptions options,
                 std::shared_ptr<const kube::Clock> clock)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(std::move(clock)),
      backoff_(options_.backoff, SeedOr(options_.seed)),
      rng_(SeedOr(options_.seed) ^ 0x9e3779b97f4a7c15ULL) {}

void Watcher::Cancel() {
  std::lock_guard<std::mutex> lock(stream_mu_);
  cancelled_ = true;
  if (stream_) stream_->Cancel();
}

void Watcher::DropStream() {
  std::lock_guard<std::mutex> lock(stream_mu_);
  stream_.reset();
}

WatcherStep Watcher::Step() {
  {
    std::lock_guard<std::mutex> lock(stream_mu_);
    if (cancelled_) {
      WatcherStep s;
      s.error = AbortedError("watcher cancelled");
      return s;
    }
  }
  switch (state_) {
    case State::kList:
      return DoList();
    case State::kOpenWatch:
      return DoOpenWatch();
    case State::kWatching:
      return DoWatch();
  }
  return {};
}

void Watcher::GoneRelist() {
  DropStream();
  state_ = State::kList;
  // Relist at the last version seen: the watch cache can usually serve it.
  list_rv_ = rv_.empty() ? "0" : rv_;
  ++counters_.relists_after_gone;
}

WatcherStep Watcher::Fail(Status error) {
  DropStream();
  ++counters_.watch_failures;
  state_ = State::kOpenWatch;
  WatcherStep s;
  s.sleep = backoff_.Next(clock_->Now());
  s.error = std::move(error);
  return s;
}

WatcherStep Watcher::DoList() {
  kube::ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  StatusOr<kube::ObjectList> list = InternalError("unset");
  if (list_rv_ == "0") {
    lo.resource_version = "0";  // any version: served by the watch cache, no paging
    list = client_->List(options_.type, options_.ns, lo);
  } else if (!list_rv_.empty()) {
    lo.resource_version = list_rv_;
    lo.match = kube::ResourceVersionMatch::kNotOlderThan;
    list = client_->List(options_.type, options_.ns, lo);
  } else {
    list = client_->ListAll(options_.type, options_.ns, lo, options_.page_size);
  }
  ++counters_.lists;
  WatcherStep s;
  if (!list.ok()) {
    s.error = list.status();
    if (kube::IsResourceExpired(list.status()) && !list_rv_.empty() && list_rv_ != "0") {
      list_rv_ = "";  // that version is gone too: a consistent read, at once
      return s;
    }
    s.sleep = backoff_.Next(clock_->Now());
    return s;
  }
  rv_ = list->resource_version;
  list_rv_ = rv_.empty() ? "0" : rv_;
  state_ = State::kOpenWatch;
  WatcherEvent ev;
  ev.kind = WatcherEvent::Kind::kRestarted;
  ev.objects = std::move(list->items);
  ev.resource_version = rv_;
  s.events.push_back(std::move(ev));
  return s;
}

WatcherStep Watcher::DoOpenWatch() {
  kube::WatchOptions wo;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.resource_version = rv_;
  wo.allow_bookmarks = true;
  int lo = static_cast<int>(options_.min_watch_timeout.count());
  int hi = std::max(lo, static_cast<int>(options_.max_watch_timeout.count()));
  wo.timeout_seconds = std::uniform_int_distribution<int>(lo, hi)(rng_);
  auto stream = client_->Watch(options_.type, options_.ns, wo);
  if (!stream.ok()) {
    if (kube::IsResourceExpired(stream.status())) {
      GoneRelist();
      WatcherStep s;
      s.error = stream.status();
      return s;
    }
    return Fail(stream.status());
  }
  {
    std::lock_guard<std::mutex> lock(stream_mu_);
    stream_ = std::move(stream).value();
    if (cancelled_) stream_->Cancel();
  }
  ++counters_.watches_opened;
  watch_opened_at_ = clock_->Now();
  watch_events_ = 0;
  state_ = State::kWatching;
  return {};
}

WatcherStep Watcher::DoWatch() {
  auto next = stream_->Next();
  if (!next.ok()) {
    if (next.status().code() == StatusCode::kAborted) {  // Cancel(): no backoff
      DropStream();
      state_ = State::kOpenWatch;
      WatcherStep s;
      s.error = next.status();
      return s;
    }
    return Fail(next.status());
  }
  if (!next->has_value()) {
    // The server ended the watch (its timeoutSeconds): resume at once,
    // unless it ended at once with nothing in it (then something is wrong).
    bool very_short =
        clock_->Now() - watch_opened_at_ < std::chrono::seconds(1) && watch_events_ == 0;
    if (very_short) return Fail(UnavailableError("watch ended within a second, empty"));
    DropStream();
    state_ = State::kOpenWatch;
    return {};
  }
  kube::WatchEvent& ev = **next;
  ++watch_events_;
  WatcherStep s;
  switch (ev.type) {
    case kube::WatchEventType::kAdded:
    case kube::WatchEventType::kModified:
    case kube::WatchEventType::kDeleted: {
      std::string rv = kube::ResourceVersionOf(ev.object);
      if (!rv.empty()) rv_ = rv;
      ++counters_.events;
      WatcherEvent out;
      out.kind = ev.type == kube::WatchEventType::kDeleted ? WatcherEvent::Kind::kDeleted
                                                           : WatcherEvent::Kind::kApplied;
      if (ev.object.is_object()) {
        if (!ev.object.contains("apiVersion")) ev.object["apiVersion"] = options_.type.ApiVersion();
        if (!ev.object.contains("kind")) ev.object["kind"] = options_.type.kind;
      }
      out.object = std::move(ev.object);
      s.events.push_back(std::move(out));
      return s;
    }
    case kube::WatchEventType::kBookmark: {
      std::string rv = kube::ResourceVersionOf(ev.object);
      if (!rv.empty()) rv_ = rv;
      return s;
    }
    case kube::WatchEventType::kError: {
      Status err = kube::ApiError{ev.error ? ev.error->code : 0, ev.error ? ev.error->reason : "",
                                  ev.error ? ev.error->message : "", std::nullopt}
                       .ToStatus("watch " + options_.type.Name() + " ERROR event");
      if (ev.IsGone()) {
        GoneRelist();
        s.error = err;
        return s;
      }
      return Fail(err);
    }
  }
  return s;
}

}  // namespace prebell::runtime
