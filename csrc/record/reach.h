/*
 * reach.h — which live blocks a program can still reach when it exits
 * (reach.c). Only the interposer uses it.
 */
#ifndef FFISCOPE_RECORD_REACH_H
#define FFISCOPE_RECORD_REACH_H

#include "ffiscope.h"

#include <stdbool.h>

/* Calls `reached` for each live block of `t` that the exiting thread can
 * still reach; the rest are the leaks. Returns false when there was no
 * memory to do it with (then nothing is called). */
bool reach_live_blocks(fs_tracker *t, void (*reached)(fs_tracker *t, const fs_block *block));

#endif
