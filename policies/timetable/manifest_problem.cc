#include "policies/timetable/manifest_problem.h"

namespace prebell {

std::string ManifestProblem::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

std::string FormatManifestProblems(const std::vector<ManifestProblem>& problems) {
  std::string out;
  for (const ManifestProblem& p : problems) {
    if (!out.empty()) out += '\n';
    out += p.ToString();
  }
  return out;
}

}  // namespace prebell
