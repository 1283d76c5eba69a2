// Rrule: the RRULE value of a Timetable session, parsed and checked part by
// part, before libical ever sees it.
//
// libical's icalrecurrencetype_from_string is lenient (it skips what it does
// not understand and keeps going), so a typo would silently change the
// schedule. ParseRrule is strict instead: it accepts exactly the RFC 5545
// section 3.3.10 grammar with upper-case names (as the Timetable CRD does),
// rejects parts the RFC forbids for the given FREQ (BYMONTHDAY with WEEKLY,
// BYWEEKNO other than YEARLY, BYDAY ordinals other than MONTHLY/YEARLY, ...),
// COUNT together with UNTIL, and a BYSETPOS that can never select anything
// because every period has fewer candidates. Every message names the part:
// "BYDAY: 'XX' is not a weekday (MO, TU, WE, TH, FR, SA, SU)".
//
// The value keeps the text without UNTIL and COUNT, which the expander hands
// to libical (it handles the end of the rule itself: a UTC UNTIL has to be
// compared as an instant, which libical cannot do for a floating DTSTART).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell {

enum class RruleFrequency { kSecondly, kMinutely, kHourly, kDaily, kWeekly, kMonthly, kYearly };

// "SECONDLY" ... "YEARLY".
std::string_view RruleFrequencyName(RruleFrequency f);

// UNTIL in one of its three RFC 5545 forms.
struct RruleUntil {
  enum class Form {
    kUtc,    // 20261216T000000Z: an instant
    kLocal,  // 20261216T000000: wall-clock time in the timetable's zone
    kDate,   // 20261216: the last local day on which an occurrence may start
  };
  Form form = Form::kUtc;
  Instant utc{};      // kUtc
  LocalTime local{};  // kLocal
  LocalDay day{};     // kDate
};

struct Rrule {
  struct WeekdayNum {
    int ordinal = 0;       // 0: every such weekday; 2: the second; -1: the last
    unsigned weekday = 1;  // date::weekday::c_encoding(): 0 = Sunday ... 6 = Saturday
  };

  RruleFrequency frequency = RruleFrequency::kWeekly;
  int interval = 1;
  int64_t count = 0;  // 0: no COUNT
  std::optional<RruleUntil> until;
  unsigned week_start = 1;  // WKST, c_encoding (default Monday)
  std::vector<int> by_second;
  std::vector<int> by_minute;
  std::vector<int> by_hour;
  std::vector<WeekdayNum> by_day;
  std::vector<int> by_month_day;
  std::vector<int> by_year_day;
  std::vector<int> by_week_no;
  std::vector<int> by_month;
  std::vector<int> by_set_pos;

  // The parts other than UNTIL and COUNT, in their original order and
  // spelling ("FREQ=WEEKLY;BYDAY=MO,WE").
  std::string text_without_end;
};

// kInvalidArgument naming the offending part; see the file comment.
StatusOr<Rrule> ParseRrule(std::string_view text);

// False when no local day can ever satisfy the rule's day-level parts
// (BYMONTH, BYMONTHDAY, BYYEARDAY, BYDAY with or without ordinals, and the
// defaults RFC 5545 takes from DTSTART for MONTHLY and YEARLY rules): e.g.
// FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31, or FREQ=MONTHLY;BYMONTH=4 starting on
// a 31st, or FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31 starting in February
// (INTERVAL decides which months and years a MONTHLY or YEARLY rule visits).
// Decided exactly over the 400-year Gregorian cycle; the parts it does not
// model (BYWEEKNO, BYSETPOS, INTERVAL of finer rules) only ever make it
// answer true.
bool RruleCanMatchSomeDay(const Rrule& rule, LocalTime dtstart);

// False when the rule is MONTHLY or YEARLY and every BYSETPOS position lies
// beyond the largest set any period can hold (FREQ=MONTHLY;BYDAY=MO;
// BYSETPOS=6): libical 3.0.16 spends seconds inside icalrecur_iterator_new
// before it gives up on such a rule. Same cycle scan as above.
bool RruleSetPosCanSelect(const Rrule& rule, LocalTime dtstart);

}  // namespace prebell
