#pragma once

#include <stdint.h>

/// Linux calls the C library declares only for _GNU_SOURCE, so Swift's view of it lacks
/// them.

/// syncfs(2): writes back every dirty file and directory of the file system holding `fd`.
int spoor_syncfs(int fd);

/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writing `length` bytes of `fd`
/// from `offset` to disk and returns without waiting.
int spoor_start_writeback(int fd, int64_t offset, int64_t length);
