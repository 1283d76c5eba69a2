// LoadYamlDocuments: every document of a YAML stream, as YAML::LoadAll gives
// them, without LoadAll's endless loop.
//
// yaml-cpp 0.7 (Debian 12's) loops forever, allocating on every turn, on a
// document that starts with a token no node can start with (a lone ',' is
// enough; jbeder/yaml-cpp#1040, fixed upstream by #1319): each call for the
// next document yields an empty one without consuming anything. A malformed
// manifest must get an error, never a hang, so the stream is first parsed
// for its events only; a document that starts where the previous one did is
// that loop, and is reported as a YAML::ParserException at its mark. Only a
// stream that passes is built into nodes by YAML::LoadAll.
//
// Throws what YAML::LoadAll throws (YAML::Exception and its subclasses).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace prebell {

std::vector<YAML::Node> LoadYamlDocuments(const std::string& text);

}  // namespace prebell
