#pragma once

/// Starts reading the cache line that holds `p`, without waiting for it: a loop that will
/// soon read scattered memory asks for it a few items ahead, so that the misses overlap
/// with work. Swift has no prefetch of its own. A hint only: it never faults, whatever `p`.
static inline void spoor_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
