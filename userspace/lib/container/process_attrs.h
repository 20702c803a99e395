// Kernel attributes a container process takes on just before it execs and
// keeps across exec: its execution domain (linux.personality), I/O priority
// (process.ioPriority) and scheduling (process.scheduler).
#pragma once

#include "spec/spec.h"

namespace capsa::container {

// personality(2): LINUX32 makes `uname -m` report i686, as under setarch.
void apply_personality(const spec::Personality& p);
// ioprio_set(2) on this process; its children inherit it.
void apply_io_priority(const spec::IoPriority& io);
// sched_setattr(2) on this process. Before the identity change: a realtime
// policy or a negative nice needs CAP_SYS_NICE.
void apply_scheduler(const spec::Scheduler& s);

}  // namespace capsa::container
