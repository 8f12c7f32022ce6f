#pragma once

#include <stdint.h>

/// Linux and glibc calls that Swift's view of the C library lacks (it declares them only
/// for _GNU_SOURCE, or not at all), one wrapper each.

/// syncfs(2): writes back every dirty file and directory of the file system holding `fd`.
int spoor_syncfs(int fd);

/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writing `length` bytes of `fd`
/// from `offset` to disk and returns without waiting.
int spoor_start_writeback(int fd, int64_t offset, int64_t length);

/// mallopt(3): allocations below `mmap_threshold` bytes come from the heap, and the heap
/// keeps up to `trim_threshold` bytes of freed memory instead of returning it.
void spoor_keep_freed_memory(int mmap_threshold, int trim_threshold);
