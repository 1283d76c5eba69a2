// Test support: the text exposition of a registry, as a map from
// `name{label="value",...}` (labels sorted, as prometheus-cpp writes them)
// to the sample value.
#pragma once

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <sstream>
#include <string>

namespace prebell::exporter::testing {

inline std::string Exposition(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

inline std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

inline std::map<std::string, double> Samples(const prometheus::Registry& registry) {
  return Samples(Exposition(registry));
}

}  // namespace prebell::exporter::testing
