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
    REACH_KEPT = 1,      /* reachable from the program's roots */
    REACH_LOST_WITH,     /* reachable only from lost blocks: freed with them */
    REACH_KEPT_INTERIOR, /* reachable from the roots only through a pointer into a
                            block's middle (memcheck's "possibly lost") */
};

/* A thread that made a recorded call: its thread pointer (0 once it
 * ended), and an address on its stack. A thread glibc started keeps its
 * stack and TLS in one mapping; the main thread's stack is a mapping of its
 * own, apart from its TLS. */
typedef struct reach_thread {
    uintptr_t pointer;
    uintptr_t stack;
} reach_thread;

typedef void (*reach_visit)(void *context, uintptr_t start, uintptr_t end);

/* What the program can still reach through, besides its globals, the
 * exiting thread's TLS, and what it mapped for itself. */
typedef struct reach_roots {
    /* Whose stacks and TLS are roots, but the exiting thread's stack. */
    const reach_thread *threads;
    size_t thread_count;
    /* The blocks a forked copy inherited (NULL: none). */
    void (*inherited_blocks)(reach_visit visit, void *context);
    /* A program leaving from inside its frames (`_exit`, or exit called
     * there): its stack from `stack_from` up (0: not a root), and its
     * registers as it left. */
    uintptr_t stack_from;
    const void *registers;
    size_t registers_bytes;
    /* The leak check's outermost frame: on the exiting thread's stack,
     * what is below it is the check's own (or stale), never a root. */
    uintptr_t checking_frame;
} reach_roots;

/* Calls `note` for each live block of `t` that the program can still
 * reach from `roots` (by its start all the way, or not), and for each
 * lost one that another lost block points to; the blocks not named are
 * the leaks themselves. Returns false when there was no memory to do it
 * with, or more blocks than it can number (then nothing is called). */
bool reach_live_blocks(fs_tracker *t, void (*note)(fs_tracker *t, const fs_block *block, enum reach_state state),
                       const reach_roots *roots);

#endif
