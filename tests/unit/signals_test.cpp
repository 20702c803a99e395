#include <signal.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/signals.h"

namespace capsa {
namespace {

TEST(Signals, NamesWithAndWithoutPrefixAndNumbers) {
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(parse_signal("RTMIN+1"), SIGRTMIN + 1);
}

TEST(Signals, UnknownNamesAndOutOfRangeNumbersFail) {
  for (const char* bad : {"", "NOPE", "SIG", "0", "65", "99999", "kill", "RTMAX+1"}) {
    EXPECT_THROW(parse_signal(bad), Error) << bad;
  }
}

}  // namespace
}  // namespace capsa
