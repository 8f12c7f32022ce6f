#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "CFileSync.h"

int spoor_syncfs(int fd) { return syncfs(fd); }

int spoor_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}
