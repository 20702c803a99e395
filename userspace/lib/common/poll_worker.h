// A thread that waits in poll(2) on its own descriptors and on an eventfd
// (wake_fd()): wake() makes it look again, stop() (and the destructor) sets
// stopping(), wakes it and joins. Declared last in its owner, so it stops
// before anything its body uses goes away.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "common/error.h"
#include "common/unique_fd.h"

namespace capsa {

class PollWorker {
public:
  explicit PollWorker(const std::string& what) : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_) throw_sys(what + ": eventfd");
  }
  ~PollWorker() { stop(); }
  PollWorker(const PollWorker&) = delete;
  PollWorker& operator=(const PollWorker&) = delete;

  void start(std::function<void()> body) { thread_ = std::thread(std::move(body)); }
  void stop() {
    stop_ = true;
    wake();
    if (thread_.joinable()) thread_.join();
  }
  void wake() {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
    (void)ignored;
  }
  // Called by the body when wake_fd() polled readable.
  void drain() {
    uint64_t v;
    ssize_t ignored = ::read(wake_.get(), &v, sizeof v);
    (void)ignored;
  }
  int wake_fd() const { return wake_.get(); }
  bool stopping() const { return stop_; }

private:
  UniqueFd wake_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace capsa
