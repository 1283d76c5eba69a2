// SplitIcalText: an iCalendar text cut into its VEVENTs and the rest.
//
// libical's component tree takes about sixteen times the size of the text it
// was parsed from (a 5.7 MB university timetable: ~90 MB), and it is thrown
// away as soon as the events are read. Parsing the calendar without its
// VEVENTs once, and then one VEVENT at a time, keeps only one event's tree
// alive. The cut is made only where the text's structure is unambiguous
// (every BEGIN closed by its END, VEVENTs directly inside a VCALENDAR);
// otherwise `ok` is false and the caller parses the whole text as it is, so
// that libical's reading of broken files (and its error reports) is unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prebell {

struct IcalSplit {
  bool ok = false;
  // The text without the VEVENTs (VCALENDAR properties, VTIMEZONEs, ...).
  std::string rest;
  // Each VEVENT's text, BEGIN:VEVENT to END:VEVENT, in document order.
  std::vector<std::string_view> events;
};

IcalSplit SplitIcalText(std::string_view text);

}  // namespace prebell
