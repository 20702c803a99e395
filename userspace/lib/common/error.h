// Error type used across the library: a message that already carries its
// context (what was attempted, on which object, the errno text).
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace capsa {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& msg, int err = 0) : std::runtime_error(msg), errno_(err) {}
  int sys_errno() const noexcept { return errno_; }

private:
  int errno_;
};

std::string errno_text(int err);

// Throws Error("<what>: <strerror(err)>"), keeping err for callers that branch on it.
[[noreturn]] void throw_sys(std::string_view what, int err = errno);

}  // namespace capsa
