/*
 * fault_guard.c — a read that may fault, given up if it does: the fatal
 * signals' handler calls fault_guard_recover first, which jumps back to
 * the innermost guard this thread is in.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fault_guard.h"

#include <setjmp.h>
#include <stddef.h>

/* Where a fault goes back to (this thread's innermost guard). */
static _Thread_local sigjmp_buf *fault_exit;

void fault_guard_recover(void) {
    if (fault_exit) {
        siglongjmp(*fault_exit, 1);
    }
}

/* The signal mask is not saved: the handler runs with SA_NODEFER, so
 * nothing is left blocked when it jumps back. */
bool fault_guard_run(void (*read)(void *context), void *context) {
    sigjmp_buf here;
    sigjmp_buf *outer = fault_exit;
    if (sigsetjmp(here, 0) != 0) {
        fault_exit = outer;
        return false;
    }
    fault_exit = &here;
    read(context);
    fault_exit = outer;
    return true;
}
