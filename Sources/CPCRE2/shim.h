#pragma once
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Cast macros are not imported into Swift. */
static inline size_t spoor_pcre2_unset(void) { return PCRE2_UNSET; }
