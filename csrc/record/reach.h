/*
 * reach.h — which live blocks a program can still reach when it exits
 * (reach.c). Only the interposer uses it.
 */
#ifndef FFISCOPE_RECORD_REACH_H
#define FFISCOPE_RECORD_REACH_H

#include "ffiscope.h"

#include <stdbool.h>

/* How a live block stands at exit. */
enum reach_state {
    REACH_KEPT = 1,    /* reachable from the program's roots */
    REACH_LOST_WITH,   /* reachable only from lost blocks: freed with them */
};

/* Calls `note` for each live block of `t` that the program can still
 * reach (from its globals, the exiting thread's TLS, its stack from
 * `stack_from` up unless that is 0, and the stacks and TLS of `threads`, by
 * thread pointer), and for each lost one that another lost block points
 * to; the blocks not named are the leaks themselves. Returns false when
 * there was no memory to do it with (then nothing is called). */
typedef void (*reach_visit)(void *context, uintptr_t start, uintptr_t end);

bool reach_live_blocks(fs_tracker *t, void (*note)(fs_tracker *t, const fs_block *block, enum reach_state state),
                       const uintptr_t *threads, size_t thread_count,
                       void (*inherited_blocks)(reach_visit visit, void *context), uintptr_t stack_from);

#endif
