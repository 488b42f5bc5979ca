/*
 * call_log.c — which of the lessons' C functions ran. The lessons' C is
 * compiled with -finstrument-functions, so every function it enters calls
 * __cyg_profile_func_enter; a log started for a tracker keeps the functions
 * entered by threads bound to that tracker, once each, in order. Tests use
 * it to check that the code a step highlights is code the step ran.
 *
 * This file is compiled without the flag, so the hooks never call themselves.
 */
#include "ffiscope.h"

#include <stdatomic.h>

#define LOGS 16
#define CALLS 256

typedef struct call_log {
    _Atomic(fs_tracker *) tracker; /* NULL: the slot is free */
    _Atomic size_t count;
    void *_Atomic calls[CALLS];
} call_log;

static call_log logs[LOGS];

void __cyg_profile_func_enter(void *fn, void *call_site);
void __cyg_profile_func_exit(void *fn, void *call_site);

void __cyg_profile_func_enter(void *fn, void *call_site) {
    (void)call_site;
    fs_tracker *current = fs_tracker_current();
    if (current == NULL) {
        return;
    }
    for (size_t i = 0; i < LOGS; i++) {
        call_log *log = &logs[i];
        if (atomic_load_explicit(&log->tracker, memory_order_acquire) != current) {
            continue;
        }
        size_t seen = atomic_load_explicit(&log->count, memory_order_acquire);
        for (size_t j = 0; j < seen && j < CALLS; j++) {
            if (atomic_load_explicit(&log->calls[j], memory_order_relaxed) == fn) {
                return;
            }
        }
        size_t at = atomic_fetch_add_explicit(&log->count, 1, memory_order_acq_rel);
        if (at < CALLS) {
            atomic_store_explicit(&log->calls[at], fn, memory_order_release);
        }
        return;
    }
}

void __cyg_profile_func_exit(void *fn, void *call_site) {
    (void)fn;
    (void)call_site;
}

int fs_call_log_start(fs_tracker *t) {
    for (size_t i = 0; i < LOGS; i++) {
        call_log *log = &logs[i];
        /* Cleared while the slot is still free, then claimed: a slot in use
         * by another tracker's log is never touched. */
        if (atomic_load_explicit(&log->tracker, memory_order_acquire) != NULL) {
            continue;
        }
        fs_tracker *expected = NULL;
        if (!atomic_compare_exchange_strong(&log->tracker, &expected, (fs_tracker *)&logs[i])) {
            continue;
        }
        /* Reserved under a marker no thread is bound to; now cleared and handed over. */
        for (size_t j = 0; j < CALLS; j++) {
            atomic_store_explicit(&log->calls[j], NULL, memory_order_relaxed);
        }
        atomic_store_explicit(&log->count, 0, memory_order_relaxed);
        atomic_store_explicit(&log->tracker, t, memory_order_release);
        return 1;
    }
    return 0;
}

size_t fs_call_log_stop(fs_tracker *t, void **out, size_t capacity) {
    for (size_t i = 0; i < LOGS; i++) {
        call_log *log = &logs[i];
        if (atomic_load_explicit(&log->tracker, memory_order_acquire) != t) {
            continue;
        }
        size_t count = atomic_load_explicit(&log->count, memory_order_acquire);
        size_t n = count < CALLS ? count : CALLS;
        n = n < capacity ? n : capacity;
        for (size_t j = 0; j < n; j++) {
            out[j] = atomic_load_explicit(&log->calls[j], memory_order_acquire);
        }
        atomic_store_explicit(&log->tracker, NULL, memory_order_release);
        return n;
    }
    return 0;
}
