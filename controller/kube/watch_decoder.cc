#include "controller/kube/watch_decoder.h"

namespace prebell::kube {

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

bool WatchEvent::IsGone() const {
  return type == WatchEventType::kError && error &&
         (error->code == 410 || error->reason == "Expired" || error->reason == "Gone");
}

StatusOr<WatchEvent> DecodeWatchEvent(std::string_view line) {
  auto shown = [&] {
    std::string s(line.substr(0, 120));
    if (line.size() > 120) s += "...";
    return s;
  };
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("watch stream: not a JSON object: '" + shown() + "'");
  }
  auto type = j.find("type");
  auto object = j.find("object");
  if (type == j.end() || !type->is_string()) {
    return InvalidArgumentError("watch stream: event without a type: '" + shown() + "'");
  }
  if (object == j.end() || !object->is_object()) {
    return InvalidArgumentError("watch stream: event without an object: '" + shown() + "'");
  }
  WatchEvent ev;
  const auto& t = type->get_ref<const std::string&>();
  if (t == "ADDED") {
    ev.type = WatchEventType::kAdded;
  } else if (t == "MODIFIED") {
    ev.type = WatchEventType::kModified;
  } else if (t == "DELETED") {
    ev.type = WatchEventType::kDeleted;
  } else if (t == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
  } else if (t == "ERROR") {
    ev.type = WatchEventType::kError;
    ev.error = ParseApiStatus(*object);
    if (!ev.error) {
      return InvalidArgumentError("watch stream: ERROR event without a Status: '" + shown() + "'");
    }
  } else {
    return InvalidArgumentError("watch stream: unknown event type '" + t + "'");
  }
  ev.object = std::move(*object);
  return ev;
}

Status WatchDecoder::Feed(std::string_view piece, std::vector<WatchEvent>& out) {
  while (!piece.empty()) {
    auto nl = piece.find('\n');
    if (nl == std::string_view::npos) {
      if (carry_.size() + piece.size() > max_line_) {
        return ResourceExhaustedError("watch stream: a line exceeds " + std::to_string(max_line_) +
                                      " bytes");
      }
      carry_.append(piece);
      return OkStatus();
    }
    std::string_view tail = piece.substr(0, nl);
    piece.remove_prefix(nl + 1);
    std::string_view line;
    if (carry_.empty()) {
      line = tail;
    } else {
      if (carry_.size() + tail.size() > max_line_) {
        return ResourceExhaustedError("watch stream: a line exceeds " + std::to_string(max_line_) +
                                      " bytes");
      }
      carry_.append(tail);
      line = carry_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Blank lines carry nothing (some proxies send them to keep a stream alive).
    bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
    if (!blank) {
      auto ev = DecodeWatchEvent(line);
      if (!ev.ok()) {
        carry_.clear();
        return ev.status();
      }
      out.push_back(std::move(ev).value());
    }
    carry_.clear();
  }
  return OkStatus();
}

Status WatchDecoder::Finish() const {
  if (carry_.find_first_not_of(" \t\r") == std::string::npos) return OkStatus();
  return UnavailableError("watch stream ended inside an event (" + std::to_string(carry_.size()) +
                          " bytes without a newline)");
}

}  // namespace prebell::kube
