/*
 * mappings.h — the memory a recorded program mapped for itself with mmap
 * (mappings.c), kept so that the leak check at exit can read it: an
 * interpreter's object arenas, a custom allocator's pages. A block that
 * only such memory points to is reachable, as memcheck counts it. Only the
 * interposer uses it.
 */
#ifndef FFISCOPE_RECORD_MAPPINGS_H
#define FFISCOPE_RECORD_MAPPINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many separate mappings are kept at most (adjacent ones count once). */
#define MAPPINGS_KEPT 8192u

/* Notes [start, start + length) mapped anonymously by the program. */
void mappings_add(uintptr_t start, size_t length);
/* Forgets [start, start + length): unmapped, or mapped anew over. True
 * when some of it was kept. */
bool mappings_remove(uintptr_t start, size_t length);
/* Calls `visit` for each mapping kept, under the table's lock. */
void mappings_visit(void (*visit)(void *context, uintptr_t start, uintptr_t end), void *context);
/* How many mappings the table had no room for (more than MAPPINGS_KEPT
 * apart at once): the leak check could not read them. */
size_t mappings_not_kept(void);
/* In a forked child: the table's lock freed, in case another thread of
 * the parent held it when it forked (that thread is not in the child). */
void mappings_after_fork(void);

#endif
