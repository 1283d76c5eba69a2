#include "policies/calendar/ical_text_index.h"

#include <algorithm>
#include <cctype>

namespace prebell {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// The property name of a content line: up to the first ';' or ':'.
std::string_view NameOf(std::string_view line) {
  const size_t end = line.find_first_of(";:");
  return end == std::string_view::npos ? line : line.substr(0, end);
}

}  // namespace

IcalTextIndex::IcalTextIndex(std::string_view text) {
  int number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view physical = text.substr(pos, eol - pos);
    if (!physical.empty() && physical.back() == '\r') physical.remove_suffix(1);
    ++number;
    pos = eol + 1;
    if (!physical.empty() && (physical.front() == ' ' || physical.front() == '\t') &&
        !lines_.empty()) {
      lines_.back().text.append(physical.substr(1));  // folded continuation
      continue;
    }
    if (physical.empty()) continue;
    lines_.push_back({number, Upper(NameOf(physical)), std::string(physical)});
  }
  std::vector<size_t> open;  // indices into components_
  for (size_t i = 0; i < lines_.size(); ++i) {
    const Line& l = lines_[i];
    const size_t colon = l.text.find(':');
    const std::string value = colon == std::string::npos ? "" : Upper(l.text.substr(colon + 1));
    if (l.name == "BEGIN") {
      open.push_back(components_.size());
      components_.push_back({value, i, lines_.size() - 1});
    } else if (l.name == "END") {
      // Close the innermost open component of that name (and anything
      // left open inside it).
      for (size_t k = open.size(); k-- > 0;) {
        if (components_[open[k]].name == value) {
          for (size_t j = k; j < open.size(); ++j) components_[open[j]].last = i;
          open.resize(k);
          break;
        }
      }
    }
  }
}

const IcalTextIndex::Component* IcalTextIndex::Find(std::string_view component,
                                                    size_t ordinal) const {
  size_t seen = 0;
  for (const Component& c : components_) {
    if (!EqualsIgnoreCase(c.name, component)) continue;
    if (seen++ == ordinal) return &c;
  }
  return nullptr;
}

int IcalTextIndex::ComponentLine(std::string_view component, size_t ordinal) const {
  const Component* c = Find(component, ordinal);
  return c ? lines_[c->first].number : 0;
}

const IcalTextIndex::Line* IcalTextIndex::FindProperty(std::string_view component, size_t ordinal,
                                                       std::string_view property) const {
  const Component* c = Find(component, ordinal);
  if (!c) return nullptr;
  for (size_t i = c->first + 1; i <= c->last && i < lines_.size(); ++i) {
    if (EqualsIgnoreCase(lines_[i].name, property)) return &lines_[i];
  }
  return nullptr;
}

const IcalTextIndex::Line* IcalTextIndex::FindText(std::string_view component, size_t ordinal,
                                                   std::string_view text) const {
  const Component* c = Find(component, ordinal);
  if (!c) return nullptr;
  for (size_t i = c->first + 1; i <= c->last && i < lines_.size(); ++i) {
    if (lines_[i].text == text) return &lines_[i];
  }
  return nullptr;
}

}  // namespace prebell
