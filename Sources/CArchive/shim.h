#pragma once
#include <archive.h>
#include <archive_entry.h>

/* AE_IFREG is a cast macro: not imported into Swift. */
static const unsigned int spoor_ae_ifreg = AE_IFREG;
