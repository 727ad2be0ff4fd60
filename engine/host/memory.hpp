// Memory a long-running process gives back to the system.
//
// glibc's malloc gives each thread that allocates an arena of its own (up
// to 8 per core) and, by default, raises its trim threshold to twice the
// largest buffer freed so far, so an arena keeps up to that much free
// memory at its top for good; malloc_trim does not release the top of a
// thread's arena either. A production spawned for one request (each
// light-curve request of serve's inbox; its operations are detached
// actors, a thread each) then leaves its freed buffers in a fresh arena
// every time: serve grew by about 10 MB a request until every arena held
// its high-water mark (150 MB on 2 cores after 40 requests, measured by
// scripts/soak.sh; on 64 cores it would be gigabytes). With fixed
// thresholds it stays at its size (27-29 MB over the same requests), at
// no measurable cost to a run or a request (paired, 2026-12-07).
#pragma once

namespace engine {

/// Fixes malloc's thresholds at start-up (glibc; nothing elsewhere):
/// buffers up to 32 MiB come from the arenas (what glibc's own adaptive
/// threshold reaches after the first large free), an arena returns free
/// memory at its top above 1 MiB to the system at once, and there are no
/// fastbins (a free joins its free neighbours at once, see memory.cpp). Call before
/// any thread starts. An environment that sets them itself
/// (MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES) is left alone: then, and off
/// glibc, it returns false.
bool keep_freed_memory_returnable();

/// Returns the free pages inside every malloc arena to the system (glibc's
/// malloc_trim). A few milliseconds; safe while other threads allocate.
void release_free_memory();

} // namespace engine
