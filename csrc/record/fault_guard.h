/*
 * fault_guard.h — reading memory that may fault, and giving the read up if
 * it does (fault_guard.c): another thread's stack or TLS, which it may
 * unmap meanwhile; a stack walked by rules that could describe it wrongly.
 */
#ifndef FFISCOPE_RECORD_FAULT_GUARD_H
#define FFISCOPE_RECORD_FAULT_GUARD_H

#include <stdbool.h>

/* Runs `read(context)`. A fault inside it (this thread's) ends it where it
 * was, and this returns false; true when it ran to its end. Guards nest. */
bool fault_guard_run(void (*read)(void *context), void *context);

/* In a fault handler: when the fault is this thread's, inside
 * fault_guard_run, goes back there (and does not return). */
void fault_guard_recover(void);

#endif
