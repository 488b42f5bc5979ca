/*
 * signal_stack.c — alternate signal stacks for a recorded program.
 *
 * A thread that overflows its stack faults on the guard page below it, and
 * the kernel can only run a handler for that fault on another stack: with
 * none, it kills the program with no word said. The main thread gets one
 * when recording begins and every thread the program starts gets one before
 * its own code runs (the interposed pthread_create), so the recorder's
 * handler runs, reports the overflow with its stack, and hands the fault to
 * the program's handler. A program that sets up its own (Rust's runtime
 * does, for the threads it starts) keeps it: Rust makes one only where a
 * thread has none.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "signal_stack.h"

#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Room for the handler, the unwinder walking a fault's stack, and the
 * program's handler after them. */
#define STACK_BYTES ((size_t)64 << 10)
/* A signal stack smaller than this is not walked from. */
#define ROOM_TO_UNWIND ((size_t)32 << 10)
/* How far from the interrupted stack pointer a fault still counts as the
 * stack's own: a call's push, or a probe of a large frame. */
#define OVERFLOW_REACH ((uintptr_t)64 << 10)

/* The calling thread's stack from signal_stack_give (its usable part), or NULL. */
static _Thread_local void *given;

void signal_stack_give(void) {
    stack_t current;
    if (sigaltstack(NULL, &current) != 0 || !(current.ss_flags & SS_DISABLE)) {
        return;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* A guard page below it: an overflow of the handler's own stack faults
     * there instead of writing over whatever lies beneath. */
    char *mapping = mmap(NULL, STACK_BYTES + page, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
        return;
    }
    if (mprotect(mapping, page, PROT_NONE) != 0) {
        munmap(mapping, STACK_BYTES + page);
        return;
    }
    stack_t stack = {.ss_sp = mapping + page, .ss_size = STACK_BYTES, .ss_flags = 0};
    if (sigaltstack(&stack, NULL) != 0) {
        munmap(mapping, STACK_BYTES + page);
        return;
    }
    given = stack.ss_sp;
}

void signal_stack_take_back(void) {
    stack_t current;
    if (!given || sigaltstack(NULL, &current) != 0 || current.ss_sp != given ||
        (current.ss_flags & SS_ONSTACK)) {
        return;
    }
    stack_t off = {.ss_flags = SS_DISABLE};
    if (sigaltstack(&off, NULL) == 0) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        munmap((char *)given - page, STACK_BYTES + page);
        given = NULL;
    }
}

bool signal_stack_roomy(void) {
    stack_t current;
    if (sigaltstack(NULL, &current) != 0 || !(current.ss_flags & SS_ONSTACK)) {
        return true; /* on the thread's own stack */
    }
    char here;
    uintptr_t used = (uintptr_t)current.ss_sp + current.ss_size - (uintptr_t)&here;
    return used < current.ss_size && current.ss_size - used >= ROOM_TO_UNWIND;
}

uintptr_t context_stack_pointer(const void *context) {
    const ucontext_t *uc = context;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
    return 0;
#endif
}

uintptr_t context_program_counter(const void *context) {
    const ucontext_t *uc = context;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

size_t context_callee_saved(const void *context, uintptr_t out[CONTEXT_CALLEE_SAVED_MOST]) {
    const ucontext_t *uc = context;
    size_t count = 0;
#if defined(__x86_64__)
    static const int saved[] = {REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15};
    for (size_t i = 0; i < sizeof saved / sizeof *saved; i++) {
        out[count++] = (uintptr_t)uc->uc_mcontext.gregs[saved[i]];
    }
#elif defined(__aarch64__)
    for (int reg = 19; reg <= 29; reg++) {
        out[count++] = (uintptr_t)uc->uc_mcontext.regs[reg];
    }
#else
    (void)uc;
    (void)out;
#endif
    return count;
}

bool signal_stack_overflowed(int signal, const siginfo_t *info, const void *context) {
    if (signal != SIGSEGV && signal != SIGBUS) {
        return false;
    }
    uintptr_t sp = context_stack_pointer(context);
    uintptr_t fault = (uintptr_t)info->si_addr;
    if (sp == 0 || info->si_code <= 0) {
        return false; /* sent by a process (a kill), not a fault */
    }
    uintptr_t distance = fault > sp ? fault - sp : sp - fault;
    return distance <= OVERFLOW_REACH;
}
