// What a foreground `capsa run` does while its container runs: pass signals
// on to the container's init, relay the terminal when there is one, and
// report how the init ended.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace capsa::container {

// The signals to block before the container is created, so that none sent
// between create and wait is lost.
sigset_t foreground_signals();

// Waits for `init` (a child of the caller). With pty_master >= 0 the
// caller's stdin goes to the container's terminal (raw mode when stdin is a
// terminal, window size kept in step) and its output to stdout. Returns the
// exit status, or 128+N when the init died of signal N.
int wait_foreground(pid_t init, int pty_master);

}  // namespace capsa::container
