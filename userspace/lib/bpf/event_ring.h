// A libbpf ring buffer whose records are one fixed-size struct shared with
// the BPF side. Records are handed to a callback during poll(); the
// callback's exceptions are logged, never thrown through libbpf's C frames.
// Heap-held by its owner (libbpf keeps a pointer to it).
#pragma once

#include <bpf/libbpf.h>

#include <cerrno>
#include <functional>
#include <string>

#include <spdlog/spdlog.h>

#include "bpf/libbpf_util.h"

namespace capsa::bpf {

template <typename Event>
class EventRing {
public:
  using Handler = std::function<void(const Event&)>;

  // what: the ring's name in errors ("the policy events ring buffer").
  EventRing(int map_fd, std::string what) : what_(std::move(what)) {
    ring_ = ring_buffer__new(map_fd, &EventRing::callback, this, nullptr);
    if (!ring_) throw_bpf("open " + what_, -errno);
  }
  ~EventRing() { ring_buffer__free(ring_); }
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // Waits up to timeout_ms for records and hands each to fn; returns how many.
  int poll(int timeout_ms, const Handler& fn) {
    fn_ = &fn;
    int n = ring_buffer__poll(ring_, timeout_ms);
    fn_ = nullptr;
    if (n < 0 && n != -EINTR) throw_bpf("poll " + what_, n);
    return n < 0 ? 0 : n;
  }

private:
  static int callback(void* ctx, void* data, size_t size) noexcept {
    auto* self = static_cast<EventRing*>(ctx);
    if (size < sizeof(Event) || !self->fn_) return 0;
    try {
      (*self->fn_)(*static_cast<const Event*>(data));
    } catch (const std::exception& e) {
      spdlog::error("{}: event handler: {}", self->what_, e.what());
    }
    return 0;
  }

  ring_buffer* ring_ = nullptr;
  const Handler* fn_ = nullptr;
  std::string what_;
};

}  // namespace capsa::bpf
