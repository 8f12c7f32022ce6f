#pragma once
#include <zlib.h>

/* inflateInit2 is a macro over inflateInit2_. */
static inline int spoor_inflate_init2(z_streamp strm, int window_bits) {
    return inflateInit2(strm, window_bits);
}
