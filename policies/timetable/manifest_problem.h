// ManifestProblem: one thing wrong with a manifest, for a person to fix.
//
// It names the file, the line, the field path ("spec.sessions[3].duration")
// and what is wrong; ToString() is "FILE:LINE: FIELD: PROBLEM", the form the
// ScalingPolicy parser and compilers use, so editors can jump to it.
#pragma once

#include <string>
#include <vector>

namespace prebell {

struct ManifestProblem {
  std::string file;
  int line = 0;       // 1-based; 0 when unknown
  std::string field;  // empty for a problem with the whole document
  std::string message;

  std::string ToString() const;
  friend bool operator==(const ManifestProblem&, const ManifestProblem&) = default;
};

// One problem per line.
std::string FormatManifestProblems(const std::vector<ManifestProblem>& problems);

}  // namespace prebell
