// IcalTextIndex: where components and properties sit in an iCalendar text.
//
// libical keeps no positions, so error messages would otherwise name only a
// UID. The index unfolds content lines (RFC 5545 3.1) the same way libical
// does and remembers the physical line each logical line starts on and the
// component it belongs to. Components are numbered per name in document
// order, which is the order libical's tree lists them in. It is built only
// when there is an error to report.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace prebell {

class IcalTextIndex {
 public:
  struct Line {
    int number = 0;    // 1-based physical line where the logical line starts
    std::string name;  // property name, upper case ("DTSTART"), or "BEGIN"/"END"
    std::string text;  // the whole unfolded logical line
  };

  explicit IcalTextIndex(std::string_view text);

  // Line number of BEGIN:<component> of its `ordinal`-th (0-based) instance;
  // 0 if the text has no such component.
  int ComponentLine(std::string_view component, size_t ordinal) const;
  // The first logical line named `property` inside that component (nested
  // components included), or nullptr.
  const Line* FindProperty(std::string_view component, size_t ordinal,
                           std::string_view property) const;
  // The first logical line inside that component whose text is `text`.
  const Line* FindText(std::string_view component, size_t ordinal, std::string_view text) const;

 private:
  struct Component {
    std::string name;
    size_t first = 0;  // index into lines_ of BEGIN
    size_t last = 0;   // index into lines_ of END (or the last line)
  };
  const Component* Find(std::string_view component, size_t ordinal) const;

  std::vector<Line> lines_;
  std::vector<Component> components_;  // in document order of their BEGIN
};

}  // namespace prebell
