/*
 * signal_stack.h — an alternate signal stack for every thread of a recorded
 * program (signal_stack.c), so that a stack overflow's fault still runs the
 * recorder's handler, which reports it, and then the program's own (Rust's
 * "has overflowed its stack"). Only the interposer uses it.
 */
#ifndef FFISCOPE_RECORD_SIGNAL_STACK_H
#define FFISCOPE_RECORD_SIGNAL_STACK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Gives the calling thread a signal stack of its own, unless it has one. */
void signal_stack_give(void);

/* Takes back the calling thread's signal stack, if it is still the one
 * signal_stack_give made (a thread's last act). */
void signal_stack_take_back(void);

/* Whether a handler running now on a signal stack has room to walk the
 * interrupted thread's call stack: the program's own signal stack may be
 * a few KiB (a Rust thread's is 8 KiB), too small for the unwinder. */
bool signal_stack_roomy(void);

/* The stack pointer a ucontext_t holds (the interrupted code's, for a
 * signal's; getcontext's caller's); 0 where this does not know where the
 * machine keeps it. */
uintptr_t context_stack_pointer(const void *context);

/* The program counter a ucontext_t holds (getcontext's: where it returns
 * to); 0 where this does not know where the machine keeps it. */
uintptr_t context_program_counter(const void *context);

/* The registers a ucontext_t holds that a call keeps for its caller
 * (x86-64's rbx, rbp, r12-r15; aarch64's x19-x29), into `out`: at a call,
 * the others are the callee's to clobber, so they hold nothing the caller
 * still uses. Returns how many (0 where this does not know them). */
#define CONTEXT_CALLEE_SAVED_MOST 12
size_t context_callee_saved(const void *context, uintptr_t out[CONTEXT_CALLEE_SAVED_MOST]);

/* Whether a SIGSEGV or SIGBUS hit just past the stack pointer of the code
 * it interrupted: the stack ran into its guard page. */
bool signal_stack_overflowed(int signal, const siginfo_t *info, const void *context);

#endif
