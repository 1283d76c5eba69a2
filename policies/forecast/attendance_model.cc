#include "policies/forecast/attendance_model.h"

#include <algorithm>
#include <cmath>

namespace prebell {
namespace {

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

int KindIndex(SessionKind k) { return static_cast<int>(k); }

}  // namespace

double PriorRatio(SessionKind kind) {
  switch (kind) {
    case SessionKind::kExam:
      return 1.3;  // nearly everybody comes, some with a second device
    case SessionKind::kClass:
    case SessionKind::kEvent:
      return 0.7;
  }
  return 0.7;
}

std::string_view RatioSourceName(RatioSource source) {
  switch (source) {
    case RatioSource::kLearned:
      return "learned";
    case RatioSource::kKind:
      return "kind";
    case RatioSource::kPrior:
      return "prior";
  }
  return "prior";
}

AttendanceModel::AttendanceModel(std::vector<SessionKind> key_kinds, Options options)
    : kinds_(std::move(key_kinds)), options_(options) {
  const size_t n = kinds_.size();
  fitted_.assign(n, 0);
  ratio_.assign(n, 0);
  source_.assign(n, RatioSource::kPrior);
  evidence_.assign(n, 0);
  for (size_t j = 0; j < n; ++j) {
    fitted_[j] = PriorRatio(kinds_[j]);
    ratio_[j] = fitted_[j];
  }
  AssignUnseen();
}

void AttendanceModel::Fit(const AttendanceRows& rows, std::span<const double> excess,
                          std::span<const double> weight, std::span<const uint8_t> plateau) {
  const size_t n = kinds_.size();
  const size_t m = rows.size();
  if (n == 0) return;

  // Per-key evidence and prior scale.
  std::vector<double> sum_a2(n, 0), count(n, 0);
  for (size_t r = 0; r < m; ++r) {
    const double w = weight[r];
    if (!(w > 0)) continue;
    for (int64_t t = rows.row_begin[r]; t < rows.row_begin[r + 1]; ++t) {
      const auto j = static_cast<size_t>(rows.term_key[static_cast<size_t>(t)]);
      const double a = rows.term_coef[static_cast<size_t>(t)];
      sum_a2[j] += w * a * a;
      count[j] += w;
    }
  }
  // Shrink targets: the typical learned ratio of each kind (medians from the
  // previous fit), else the prior.
  double kind_target[3];
  for (SessionKind k : {SessionKind::kClass, SessionKind::kExam, SessionKind::kEvent}) {
    std::vector<double> learned;
    for (size_t j = 0; j < n; ++j) {
      if (kinds_[j] == k && source_[j] == RatioSource::kLearned) learned.push_back(ratio_[j]);
    }
    kind_target[KindIndex(k)] = learned.size() >= 3 ? Quantile(learned, 0.5) : PriorRatio(k);
  }
  std::vector<double> lambda(n, 0), target(n, 0);
  for (size_t j = 0; j < n; ++j) {
    target[j] = kind_target[KindIndex(kinds_[j])];
    lambda[j] = count[j] > 0 ? options_.prior_strength * sum_a2[j] / count[j] : 1.0;
  }

  // Rows keep the robustness weight the last fit gave them (rows are only
  // ever appended), so a re-fit starts near its answer and needs one pass.
  const bool warm = !robust_.empty();
  robust_.resize(m, 1.0f);
  std::vector<double> w_eff(m);
  for (size_t r = 0; r < m; ++r) w_eff[r] = weight[r] * robust_[r];
  std::vector<double> k = fitted_;
  std::vector<char> fixed(n, 0);
  for (size_t j = 0; j < n; ++j) {
    if (count[j] <= 0) fixed[j] = 1;  // no data: stays at its target
  }

  auto solve = [&]() {
    // Solve (X^T W X + L) k = X^T W e + L target on the free keys.
    std::vector<double> diag(n, 0), b(n, 0);
    for (size_t j = 0; j < n; ++j) {
      diag[j] = lambda[j];
      b[j] = lambda[j] * target[j];
    }
    for (size_t r = 0; r < m; ++r) {
      const double w = w_eff[r];
      if (!(w > 0)) continue;
      double fixed_part = 0;
      for (int64_t t = rows.row_begin[r]; t < rows.row_begin[r + 1]; ++t) {
        const auto j = static_cast<size_t>(rows.term_key[static_cast<size_t>(t)]);
        if (fixed[j]) fixed_part += rows.term_coef[static_cast<size_t>(t)] * k[j];
      }
      const double e = excess[r] - fixed_part;
      for (int64_t t = rows.row_begin[r]; t < rows.row_begin[r + 1]; ++t) {
        const auto j = static_cast<size_t>(rows.term_key[static_cast<size_t>(t)]);
        const double a = rows.term_coef[static_cast<size_t>(t)];
        diag[j] += w * a * a;
        b[j] += w * a * e;
      }
    }
    auto matvec = [&](const std::vector<double>& v, std::vector<double>& out) {
      for (size_t j = 0; j < n; ++j) out[j] = fixed[j] ? 0 : lambda[j] * v[j];
      for (size_t r = 0; r < m; ++r) {
        const double w = w_eff[r];
        if (!(w > 0)) continue;
        double dot = 0;
        for (int64_t t = rows.row_begin[r]; t < rows.row_begin[r + 1]; ++t) {
          const auto j = static_cast<size_t>(rows.term_key[static_cast<size_t>(t)]);
          if (!fixed[j]) dot += rows.term_coef[static_cast<size_t>(t)] * v[j];
        }
        if (dot == 0) continue;
        for (int64_t t = rows.row_begin[r]; t < rows.row_begin[r + 1]; ++t) {
          const auto j = static_cast<size_t>(rows.term_key[static_cast<size_t>(t)]);
          if (!fixed[j]) out[j] += w * rows.term_coef[static_cast<size_t>(t)] * dot;
        }
      }
    };
    std::vector<double> x(n, 0), res(n, 0), z(n, 0), p(n, 0), ap(n, 0);
    for (size_t j = 0; j < n; ++j) x[j] = fixed[j] ? 0 : k[j];
    matvec(x, ap);
    double bnorm = 0;
    for (size_t j = 0; j < n; ++j) {
      res[j] = fixed[j] ? 0 : b[j] - ap[j];
      z[j] = diag[j] > 0 ? res[j] / diag[j] : 0;
      p[j] = z[j];
      if (!fixed[j]) bnorm += b[j] * b[j];
    }
    bnorm = std::sqrt(bnorm);
    double rz = 0;
    for (size_t j = 0; j < n; ++j) rz += res[j] * z[j];
    for (int it = 0; it < options_.max_iterations && rz > 0; ++it) {
      matvec(p, ap);
      double pap = 0;
      for (size_t j = 0; j < n; ++j) pap += p[j] * ap[j];
      if (!(pap > 0)) break;
      const double alpha = rz / pap;
      double rnorm = 0;
      for (size_t j = 0; j < n; ++j) {
        x[j] += alpha * p[j];
        res[j] -= alpha * ap[j];
        rnorm += res[j] * res[j];
      }
      if (std::sqrt(rnorm) <= options_.tolerance * std::max(bnorm, 1e-12)) break;
      double rz_new = 0;
      for (size_t j = 0; j < n; ++j) {
        z[j] = diag[j] > 0 ? res[j] / diag[j] : 0;
        rz_new += res[j] * z[j];
      }
      const double beta = rz_new / rz;
      rz = rz_new;
      for (size_t j = 0; j < n; ++j) p[j] = z[j] + beta * p[j];
    }
    for (size_t j = 0; j < n; ++j) {
      if (!fixed[j]) k[j] = x[j];
    }
  };

  auto residuals = [&](std::vector<double>& pred, std::vector<double>& res) {
    pred.assign(m, 0);
    res.assign(m, 0);
    for (size_t r = 0; r < m; ++r) {
      double p = 0;
      for (int64_t t = rows.row_begin[r]; t < rows.row_begin[r + 1]; ++t) {
        p += rows.term_coef[static_cast<size_t>(t)] *
             k[static_cast<size_t>(rows.term_key[static_cast<size_t>(t)])];
      }
      pred[r] = p;
      res[r] = excess[r] - p;
    }
  };

  // Keys without data are pinned to their target.
  for (size_t j = 0; j < n; ++j) {
    if (fixed[j]) k[j] = target[j];
  }
  std::vector<double> pred, res;
  const int first_pass = warm ? options_.robust_passes - 1 : 0;
  for (int pass = first_pass; pass <= options_.robust_passes; ++pass) {
    // Non-negativity by an active set: pin negative ratios to 0 and re-solve.
    for (int round = 0; round < 4; ++round) {
      solve();
      bool changed = false;
      for (size_t j = 0; j < n; ++j) {
        if (!fixed[j] && k[j] < 0) {
          k[j] = 0;
          fixed[j] = 2;  // pinned by the bound, released next pass
          changed = true;
        }
      }
      if (!changed) break;
    }
    residuals(pred, res);
    if (pass == options_.robust_passes) break;
    // Huber-style weights from the robust scale of the residuals.
    std::vector<double> absr;
    absr.reserve(m);
    for (size_t r = 0; r < m; ++r) {
      if (weight[r] > 0) absr.push_back(std::abs(res[r]));
    }
    const double scale = 1.4826 * Quantile(absr, 0.5);
    if (!(scale > 0)) break;
    // First a Huber pass (bounded influence from a contaminated start), then
    // Tukey's bisquare, which ignores observations far off the fit.
    for (size_t r = 0; r < m; ++r) {
      const double a = std::abs(res[r]);
      double f = 1.0;
      if (pass == 0) {
        const double c = 2.0 * scale;
        f = a <= c ? 1.0 : c / a;
      } else {
        const double c = 4.685 * scale;
        const double u = a / c;
        f = u < 1 ? (1 - u * u) * (1 - u * u) : 0.0;
      }
      robust_[r] = static_cast<float>(f);
      w_eff[r] = weight[r] * f;
    }
    for (size_t j = 0; j < n; ++j) {
      if (fixed[j] == 2) fixed[j] = 0;
    }
  }

  fitted_ = k;
  learned_keys_ = 0;
  for (size_t j = 0; j < n; ++j) {
    evidence_[j] = count[j];
    ratio_[j] = std::clamp(k[j], 0.0, kMaxRatio);
    if (count[j] >= options_.min_evidence) {
      source_[j] = RatioSource::kLearned;
      ++learned_keys_;
    } else {
      source_[j] = RatioSource::kPrior;
    }
  }
  AssignUnseen();

  // How far above the prediction observations land, relative to the spike,
  // on rows that the robust passes trusted.
  std::vector<double> preds;
  for (size_t r = 0; r < m; ++r) {
    if (weight[r] > 0 && pred[r] > 0) preds.push_back(pred[r]);
  }
  const double p_ref = Quantile(preds, 0.5);
  // Weighted by the rows' weights: a row may stand for many minutes.
  std::vector<std::pair<double, double>> rel;
  double total = 0;
  for (size_t r = 0; r < m; ++r) {
    if (!(weight[r] > 0) || !(pred[r] > 0) || !(w_eff[r] > 0)) continue;
    if (!plateau.empty() && !plateau[r]) continue;
    rel.emplace_back(res[r] / std::max(pred[r], p_ref), weight[r]);
    total += weight[r];
  }
  if (rel.size() >= 20) {
    std::sort(rel.begin(), rel.end());
    double acc = 0;
    double q99 = rel.back().first;
    for (const auto& [v, w] : rel) {
      acc += w;
      if (acc >= 0.99 * total) {
        q99 = v;
        break;
      }
    }
    spike_margin_ = std::clamp(1.25 * q99, 0.05, 0.5);
  }
}

void AttendanceModel::AssignUnseen() {
  const size_t n = kinds_.size();
  std::vector<double> learned[3];
  for (size_t j = 0; j < n; ++j) {
    if (source_[j] == RatioSource::kLearned) learned[KindIndex(kinds_[j])].push_back(ratio_[j]);
  }
  double unseen[3];
  RatioSource unseen_source[3];
  for (SessionKind k : {SessionKind::kClass, SessionKind::kEvent}) {
    const auto& v = learned[KindIndex(k)];
    if (v.size() >= 3) {
      unseen[KindIndex(k)] = Quantile(v, 0.75);
      unseen_source[KindIndex(k)] = RatioSource::kKind;
    } else {
      unseen[KindIndex(k)] = PriorRatio(k);
      unseen_source[KindIndex(k)] = RatioSource::kPrior;
    }
  }
  {
    const auto& v = learned[KindIndex(SessionKind::kExam)];
    if (v.size() >= 3) {
      unseen[KindIndex(SessionKind::kExam)] = Quantile(v, 0.75);
      unseen_source[KindIndex(SessionKind::kExam)] = RatioSource::kKind;
    } else {
      // Few or no exams learned: nearly everyone comes, and at least as many
      // devices per head as the keenest classes show.
      double r = PriorRatio(SessionKind::kExam);
      for (double x : v) r = std::max(r, x);
      const auto& classes = learned[KindIndex(SessionKind::kClass)];
      if (classes.size() >= 3) r = std::max(r, std::min(2.5, Quantile(classes, 0.9)));
      unseen[KindIndex(SessionKind::kExam)] = r;
      unseen_source[KindIndex(SessionKind::kExam)] =
          v.empty() && classes.size() < 3 ? RatioSource::kPrior : RatioSource::kKind;
    }
  }
  for (size_t j = 0; j < n; ++j) {
    if (source_[j] == RatioSource::kLearned) continue;
    ratio_[j] = unseen[KindIndex(kinds_[j])];
    source_[j] = unseen_source[KindIndex(kinds_[j])];
  }
}

}  // namespace prebell
