/*
 * unwind.h — a call stack walked with each function's unwind rules, read
 * once per return address and kept (unwind.c), for stacks.c, and the
 * frame a program called exit from, for the interposer's leak check; the
 * interposer's dlclose makes it forget what it kept.
 */
#ifndef FFISCOPE_RECORD_UNWIND_H
#define FFISCOPE_RECORD_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills `out` with at most `max` return addresses of the calling thread's
 * stack, innermost first, as `backtrace` does (the first is in the caller
 * of this function). Returns how many, or -1 when a frame's rules are
 * beyond this walker (a signal frame, a realigned stack, another
 * architecture): the caller then takes a `backtrace`. */
int unwind_stack(void **out, int max);

/* The registers a call keeps for its caller, as context_callee_saved
 * lists them on x86-64: rbx, rbp, r12, r13, r14, r15. */
#define UNWIND_KEPT 6
#define UNWIND_KEPT_RBP 1

/* A frame as it makes a call: where it will return to (`pc`), its stack
 * pointer before the call, and the registers a call keeps for it. */
typedef struct unwind_frame {
    uintptr_t pc;
    uintptr_t sp;
    uintptr_t kept[UNWIND_KEPT];
} unwind_frame;

/* Code to walk out of: [start, end). */
typedef struct unwind_range {
    uintptr_t start;
    uintptr_t end;
} unwind_range;

/* Walks up from `frame` (filled from a getcontext of the calling thread:
 * `pc` where it returns to) through the frames whose code is in one of
 * `ranges`, restoring the kept registers each saved, to the first frame
 * whose code is in none of them, at most `max_frames` up: `frame` is then
 * that frame as it made its call. False, `frame` left anywhere, when a
 * frame's rules are beyond this walker or the stack ends first (and
 * always but on x86-64). */
bool unwind_out_of(unwind_frame *frame, const unwind_range *ranges, size_t range_count, unsigned max_frames);

/* Forgets every rule read so far: a library was unloaded, and another may
 * be loaded at its addresses. */
void unwind_forget(void);

#endif
