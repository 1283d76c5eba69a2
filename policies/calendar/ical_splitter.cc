#include "policies/calendar/ical_splitter.h"

#include <algorithm>
#include <cctype>

namespace prebell {
namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) ==
                  std::toupper(static_cast<unsigned char>(b));
         });
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

}  // namespace

IcalSplit SplitIcalText(std::string_view text) {
  IcalSplit split;
  split.rest.reserve(std::min<size_t>(text.size(), 1 << 16));
  std::vector<std::string> open;  // component names, outermost first
  size_t event_begin = std::string_view::npos;
  size_t pos = 0;
  while (pos < text.size()) {
    // One logical line: a physical line and its folded continuations.
    size_t end = pos;
    do {
      const size_t nl = text.find('\n', end);
      end = nl == std::string_view::npos ? text.size() : nl + 1;
    } while (end < text.size() && (text[end] == ' ' || text[end] == '\t'));
    const std::string_view line = text.substr(pos, end - pos);
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
      content.remove_suffix(1);
    }
    const bool folded = content.find('\n') != std::string_view::npos;
    if (!folded && StartsWithIgnoreCase(content, "BEGIN:")) {
      const std::string name = Upper(content.substr(6));
      if (name == "VEVENT" && open.size() == 1 && open.front() == "VCALENDAR") {
        event_begin = pos;
      }
      open.push_back(name);
    } else if (!folded && StartsWithIgnoreCase(content, "END:")) {
      const std::string name = Upper(content.substr(4));
      if (open.empty() || open.back() != name) return {};  // not cleanly nested
      open.pop_back();
      if (name == "VEVENT" && event_begin != std::string_view::npos && open.size() == 1) {
        split.events.push_back(text.substr(event_begin, end - event_begin));
        event_begin = std::string_view::npos;
        pos = end;
        continue;
      }
    } else if (open.empty() && !Upper(content).empty()) {
      return {};  // content outside any component
    }
    if (event_begin == std::string_view::npos) split.rest.append(line);
    pos = end;
  }
  if (!open.empty()) return {};
  split.ok = true;
  return split;
}

}  // namespace prebell
