// One academic year of a large university as Timetable manifests: the input
// of timetable_bench.
//
// 2026/27 in Europe/London (both DST changes fall in term), three faculties
// of 1,750 recurring sessions each (the CRD allows 2,000 per Timetable):
// lectures two or three times a week, tutorials, daily lab slots,
// fortnightly practicals, seminar series with COUNT, monthly meetings with
// ordinal BYDAY, term-only classes, plus one-off exams; reading weeks,
// vacations and bank holidays as exclusions. Over 300,000 occurrences.
// Seeded: every run benchmarks the same text.
#pragma once

#include <string>

namespace prebell::bench {

inline constexpr int kFaculties = 3;
inline constexpr int kRecurringPerFaculty = 1750;
inline constexpr int kExamsPerFaculty = 150;

// A multi-document YAML file with kFaculties Timetables.
std::string UniversityManifest();

}  // namespace prebell::bench
