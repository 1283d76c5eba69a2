// The recorded-metric CSV format of `prebell backtest --metrics` (DESIGN.md):
// a header `timestamp,connections`, then one row per reading, unix seconds
// and a number. Pure text parsing; the command reads the file.
//
// A reading that is missing, "NaN", negative or absurd is kept as it is here
// (SanitizeSamples decides what to trust and counts it): a gap in a recording
// is data, not a broken file. A row that is not two fields, or a timestamp
// that is not unix seconds, is bad input: kInvalidArgument naming the file,
// the line and the field (at most 20 problems listed, then a count).
#pragma once

#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/forecast/metric_series.h"

namespace prebell {

StatusOr<std::vector<MetricSample>> ParseConnectionsCsv(std::string_view text,
                                                        std::string_view file_name);

}  // namespace prebell
