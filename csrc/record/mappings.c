/*
 * mappings.c — the program's own anonymous mappings (mappings.h), as a
 * small table of address ranges under a spin lock. mmap is rare next to
 * malloc and a system call anyway, so a scan of the table costs it little;
 * ranges that touch are joined, so a program mapping arena after arena
 * next to each other keeps one entry.
 */
#include "mappings.h"

#include <stdatomic.h>

typedef struct span {
    uintptr_t start;
    uintptr_t end;
} span;

static span kept[MAPPINGS_KEPT];
static size_t kept_count;
static size_t not_kept; /* ranges the table had no room for */
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void take_lock(void) {
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
    }
}

static void give_lock(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

/* A new entry, or a count of one the table had no room for. */
static void keep(uintptr_t start, uintptr_t end) {
    if (kept_count < MAPPINGS_KEPT) {
        kept[kept_count++] = (span){.start = start, .end = end};
    } else {
        not_kept++;
    }
}

static bool forget(uintptr_t start, uintptr_t end) {
    bool found = false;
    for (size_t i = 0; i < kept_count;) {
        span *k = &kept[i];
        if (k->end <= start || k->start >= end) {
            i++;
            continue;
        }
        found = true;
        if (k->start < start && k->end > end) {
            /* A hole in the middle: the right part becomes an entry of its own. */
            uintptr_t right_end = k->end;
            k->end = start;
            keep(end, right_end);
            i++;
        } else if (k->start < start) {
            k->end = start;
            i++;
        } else if (k->end > end) {
            k->start = end;
            i++;
        } else {
            *k = kept[--kept_count];
        }
    }
    return found;
}

void mappings_add(uintptr_t start, size_t length) {
    uintptr_t end = start + length;
    if (length == 0 || end < start) {
        return;
    }
    take_lock();
    (void)forget(start, end);
    bool joined = false;
    for (size_t i = 0; i < kept_count && !joined; i++) {
        if (kept[i].end == start) {
            kept[i].end = end;
            joined = true;
        } else if (kept[i].start == end) {
            kept[i].start = start;
            joined = true;
        }
    }
    if (!joined) {
        keep(start, end);
    }
    give_lock();
}

bool mappings_remove(uintptr_t start, size_t length) {
    uintptr_t end = start + length;
    if (length == 0 || end < start) {
        return false;
    }
    take_lock();
    bool found = forget(start, end);
    give_lock();
    return found;
}

void mappings_visit(void (*visit)(void *context, uintptr_t start, uintptr_t end), void *context) {
    take_lock();
    for (size_t i = 0; i < kept_count; i++) {
        visit(context, kept[i].start, kept[i].end);
    }
    give_lock();
}

size_t mappings_not_kept(void) {
    take_lock();
    size_t count = not_kept;
    give_lock();
    return count;
}

void mappings_after_fork(void) {
    /* A range half written by a thread the fork left behind reads as
     * a range: the table stays one the leak check can read. */
    give_lock();
}
