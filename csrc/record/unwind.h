/*
 * unwind.h — a call stack walked with each function's unwind rules, read
 * once per return address and kept (unwind.c), for stacks.c; the
 * interposer's dlclose makes it forget what it kept.
 */
#ifndef FFISCOPE_RECORD_UNWIND_H
#define FFISCOPE_RECORD_UNWIND_H

/* Fills `out` with at most `max` return addresses of the calling thread's
 * stack, innermost first, as `backtrace` does (the first is in the caller
 * of this function). Returns how many, or -1 when a frame's rules are
 * beyond this walker (a signal frame, a realigned stack, another
 * architecture): the caller then takes a `backtrace`. */
int unwind_stack(void **out, int max);

/* Forgets every rule read so far: a library was unloaded, and another may
 * be loaded at its addresses. */
void unwind_forget(void);

#endif
