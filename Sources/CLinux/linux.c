#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>
#include "CLinux.h"

int spoor_syncfs(int fd) { return syncfs(fd); }

int spoor_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

void spoor_keep_freed_memory(int mmap_threshold, int trim_threshold) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}
