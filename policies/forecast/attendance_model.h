// AttendanceModel: how many live connections each expected attendee of a
// session really brings (show-up rate times devices), per course and kind.
//
// Learned from history as a regression: at each observation the connections
// above the baseline are the sum, over the sessions then in progress, of
// expectedAttendance x presence (SessionShape) x ratio(course, kind). It is
// solved as ridge least squares by preconditioned conjugate gradients
// (matrix-free, so thousands of courses cost linear time per iteration), with
// each ratio shrunk towards its kind's typical value: courses that always
// meet together share the load instead of getting wild values. Ratios are
// kept in [0, kMaxRatio]; a couple of robust passes down-weight observations
// far off the fit (a session that drew four times its audience once must not
// set its course's ratio for the rest of term).
//
// Courses never seen get the kind's value: for classes and events the upper
// quartile of the learned courses (an unknown course is planned for
// generously), for exams a prior that expects nearly everybody, with devices
// (exams are rare in history and costly to get wrong).
//
// The fit also measures how far observations land above the prediction
// (SpikeMargin): the relative margin a plan adds to the learned spikes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policies/timetable/timetable.h"

namespace prebell {

inline constexpr double kMaxRatio = 5.0;

// Priors before anything is learned.
double PriorRatio(SessionKind kind);

// Observations in compressed-row form: row r has terms [row_begin[r],
// row_begin[r+1]) of (key, coefficient = attendance x presence).
struct AttendanceRows {
  std::vector<int64_t> row_begin{0};
  std::vector<int32_t> term_key;
  std::vector<double> term_coef;

  size_t size() const { return row_begin.size() - 1; }
  void AddTerm(int32_t key, double coef) {
    term_key.push_back(key);
    term_coef.push_back(coef);
  }
  void EndRow() { row_begin.push_back(static_cast<int64_t>(term_key.size())); }
};

enum class RatioSource {
  kLearned,  // enough history for this course and kind
  kKind,     // from the learned courses of the same kind
  kPrior,    // nothing of this kind learned yet
};
std::string_view RatioSourceName(RatioSource source);

class AttendanceModel {
 public:
  struct Options {
    // Weight of the prior, in observations' worth (a course is observed for
    // about an hour a week: the prior only decides what the data cannot).
    double prior_strength = 2;
    // A key with less evidence than this many (full-weight) observations
    // counts as unseen.
    double min_evidence = 5;
    int max_iterations = 150;
    double tolerance = 1e-4;  // relative residual of the normal equations
    int robust_passes = 2;
  };

  AttendanceModel(std::vector<SessionKind> key_kinds, Options options);
  explicit AttendanceModel(std::vector<SessionKind> key_kinds)
      : AttendanceModel(std::move(key_kinds), Options{}) {}

  // Fits ratios to `excess` (connections above baseline, one per row) with
  // `weight` per row (0 ignores a row). Warm-starts from the previous fit.
  // The spike margin is measured on the rows flagged in `plateau` (all rows
  // if empty): arrivals and departures are the shape's business.
  void Fit(const AttendanceRows& rows, std::span<const double> excess,
           std::span<const double> weight, std::span<const uint8_t> plateau = {});

  double Ratio(int32_t key) const { return ratio_[static_cast<size_t>(key)]; }
  RatioSource Source(int32_t key) const { return source_[static_cast<size_t>(key)]; }
  // Relative margin to add to planned spikes (>= 0).
  double SpikeMargin() const { return spike_margin_; }
  int learned_keys() const { return learned_keys_; }
  size_t key_count() const { return kinds_.size(); }

 private:
  void AssignUnseen();

  std::vector<SessionKind> kinds_;
  Options options_;
  std::vector<double> fitted_;  // solution of the last fit (warm start)
  std::vector<double> ratio_;
  std::vector<RatioSource> source_;
  std::vector<double> evidence_;
  std::vector<float> robust_;  // per row: the robustness weight of the last fit
  double spike_margin_ = 0.15;
  int learned_keys_ = 0;
};

}  // namespace prebell
