// Decoding a watch response body into events.
//
// The API server sends one JSON object per line: {"type": "ADDED" |
// "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR", "object": {...}}. The
// connection delivers arbitrary pieces: a piece is not an event. The decoder
// keeps a carry-over buffer, splits on '\n' and decodes complete lines only,
// so an event split across any number of reads (at any byte) decodes the
// same as one delivered whole. An ERROR event carries a metav1.Status; code
// 410 means the watch's resourceVersion is too old: relist.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/kube/api_error.h"
#include "policies/common/status.h"

namespace prebell::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
std::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;           // the object (for kBookmark: only metadata.resourceVersion)
  std::optional<ApiStatus> error;  // set iff type == kError

  // An ERROR event that asks for a relist (HTTP 410 Gone / reason Expired).
  bool IsGone() const;
};

// Decodes one line (without its '\n').
StatusOr<WatchEvent> DecodeWatchEvent(std::string_view line);

class WatchDecoder {
 public:
  // A line longer than this is refused (a corrupt stream must not eat memory).
  static constexpr size_t kDefaultMaxLine = 64 * 1024 * 1024;

  explicit WatchDecoder(size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Appends the events completed by `piece` to `out`. An error (a line that
  // is not an event, or too long) makes the rest of the stream unusable:
  // the caller reconnects.
  Status Feed(std::string_view piece, std::vector<WatchEvent>& out);

  // At the end of the body: an error if part of an event is left over.
  Status Finish() const;

  size_t buffered() const { return carry_.size(); }

 private:
  size_t max_line_;
  std::string carry_;  // the start of an incomplete line
};

}  // namespace prebell::kube
