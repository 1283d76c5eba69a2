// Input files named on the command line: reading them, and telling a
// Timetable manifest from an iCalendar file.
//
// ReadInputFile never throws: every failure is a Status naming the path. A
// file that is missing, is a directory, cannot be opened for permission or
// is too large is bad input (the user named something unusable; exit status
// 2); a read error on an open file is a runtime failure (exit status 1).
// "-" is standard input, so `kubectl get timetables -o yaml | prebell
// sessions -` works. Header-only: the subcommands are the binary's only
// translation units (controller/main/CMakeLists.txt).
#pragma once

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

#include "controller/main/commands.h"
#include "policies/common/status.h"

namespace prebell::cli {

// Larger inputs are refused rather than read into memory.
inline constexpr std::uintmax_t kMaxInputBytes = 64u << 20;

inline StatusOr<std::string> ReadInputFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::cin >> std::noskipws;
    char buf[1 << 16];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      text.append(buf, static_cast<size_t>(std::cin.gcount()));
      if (text.size() > kMaxInputBytes) {
        return InvalidArgumentError("standard input: more than 64 MiB");
      }
    }
    if (std::cin.bad()) return UnavailableError("standard input: read error");
    return text;
  }
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    if (!ec || ec == std::errc::no_such_file_or_directory) {
      return NotFoundError(path + ": no such file");
    }
    if (ec == std::errc::permission_denied)
      return PermissionDeniedError(path + ": permission denied");
    return InvalidArgumentError(path + ": " + ec.message());
  }
  if (std::filesystem::is_directory(st)) {
    return InvalidArgumentError(path + ": is a directory, not a file");
  }
  if (std::filesystem::is_regular_file(st)) {
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxInputBytes) {
      return InvalidArgumentError(path + ": larger than 64 MiB");
    }
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == EACCES) return PermissionDeniedError(path + ": permission denied");
    return InvalidArgumentError(path + ": cannot open the file" +
                                (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : ""));
  }
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return UnavailableError(path + ": read error");
  if (text.size() > kMaxInputBytes) return InvalidArgumentError(path + ": larger than 64 MiB");
  return text;
}

// An iCalendar file by its name (.ics) or, for standard input and other
// names, by its first line.
inline bool IsIcalendarInput(const std::string& path, std::string_view text) {
  if (path.size() >= 4) {
    std::string ext = path.substr(path.size() - 4);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".ics") return true;
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                           text.front() == '\n')) {
    text.remove_prefix(1);
  }
  return text.substr(0, 15) == "BEGIN:VCALENDAR";
}

// The exit status for a failed step (DESIGN.md, "Contracts").
inline int ExitStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kPermissionDenied:
    case StatusCode::kResourceExhausted:
    case StatusCode::kFailedPrecondition:
      return kExitBadInput;
    default:
      return kExitRuntimeFailure;
  }
}

// The message, prefixed with `path` unless it already names it.
inline std::string NamingFile(const std::string& path, const std::string& message) {
  if (message.rfind(path, 0) == 0) return message;
  return path + ": " + message;
}

}  // namespace prebell::cli
