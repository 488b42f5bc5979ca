/*
 * unrecorded.h — the blocks glibc handed out while nothing recorded them
 * (unrecorded.c). Only the interposer uses it.
 *
 * A free the tracker does not know is either one of these (a block made
 * before recording began, or on the recorder's own behalf) or a bug: a
 * pointer no allocator handed out, an interior pointer, or a block freed
 * too long ago for the tracker to remember. Keeping these addresses lets the
 * interposer pass the first kind to glibc and refuse the rest, which glibc
 * would abort on (or, worse, accept).
 */
#ifndef FFISCOPE_RECORD_UNRECORDED_H
#define FFISCOPE_RECORD_UNRECORDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Stops keeping addresses for good: this process does not record (it is a
 * forked child, another process records, or the recording is over). */
void unrecorded_stop(void);
/* Notes a block glibc just handed out unrecorded (NULL is ignored). */
void unrecorded_add(void *ptr);
/* Forgets ptr; true when it was one of these blocks. */
bool unrecorded_take(void *ptr);
/* Whether unrecorded_take can be believed when it says no: false once more
 * blocks were handed out unrecorded than the set holds, or once it stopped. */
bool unrecorded_complete(void);
/* In a forked child: the set's lock freed, in case another thread of the
 * parent held it when it forked; the set is then believed only when it
 * says yes (it may have been halfway through a change). */
void unrecorded_after_fork(void);
/* Some blocks glibc made are not in the set: from now on it is believed
 * only when it says yes. */
void unrecorded_cannot_tell(void);
/* The bytes glibc's malloc_usable_size counts in a block glibc made (0 for
 * NULL, or when the C library's cannot be found). */
size_t unrecorded_usable_size(void *ptr);
/* Calls `visit` with the bytes of each block the set holds, as glibc's
 * malloc_usable_size measures them. */
void unrecorded_visit(void (*visit)(void *context, uintptr_t start, uintptr_t end), void *context);

#endif
