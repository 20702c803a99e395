#include "common/error.h"

#include <cstring>

namespace capsa {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  return ::strerror_r(err, buf, sizeof buf);
}

void throw_sys(std::string_view what, int err) {
  throw Error(std::string(what) + ": " + errno_text(err), err);
}

}  // namespace capsa
