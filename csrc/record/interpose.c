/*
 * interpose.c — the shared library `ffiscope record` preloads into a
 * program. It replaces the C library's allocation functions and records every
 * block in a tracker of its own, whose rings and site names live in memory
 * shared with ffiscope (record_channel.h): ffiscope reads each event where
 * the program's thread wrote it, and an event is safe there once made,
 * whatever becomes of the program.
 *
 * The tracker is a bare one: no header in front of a block and no
 * quarantine. Blocks up to 16 KiB come from its slabs, where a slot's own
 * state says whether a free is of a live block, a freed one (and who freed
 * it) or none, and a 16-byte canary after each block shows an overflow when
 * it is freed; the rest come from glibc's own entry points (__libc_malloc
 * and friends), so no dlsym is needed, and so no bootstrap allocation
 * either.
 *
 * Each call's site is its return address, a number ffiscope symbolizes with
 * the module table written here; nothing in the channel points into this
 * process.
 * A thread-local flag keeps the tracker's own work and anything glibc
 * allocates on its behalf out of the recording.
 *
 * Only one process records into a channel: the first to claim it (claim.c).
 * Programs it starts inherit the preload: with --follow-children each claims
 * a channel of its own while one is free; otherwise, and when none is, they
 * pass every call straight through. A forked child stops recording into
 * its parent's channel; with --follow-children its first call claims one
 * of its own (below, "a fork"). A block glibc made while nothing recorded
 * (before recording began, or for the recorder itself) is kept in a set
 * (unrecorded.c) and passed to glibc untouched when it is freed; any other
 * pointer the tracker does not know (a double or invalid free) is reported
 * and refused, so the program runs on where glibc would abort it.
 *
 * With --guard (FFISCOPE_RECORD_GUARD), blocks come from guard.c instead:
 * each on pages of its own, so an overflow or a use after free faults; the
 * SIGSEGV handler here has guard.c explain the fault, reports it and lets
 * the program go on. With --stack N (FFISCOPE_RECORD_STACK), every allocation's
 * site is its call stack (stacks.c); a fault, a crash and a child that
 * died always carry theirs. At exit, the blocks still live are told
 * reachable or lost (reach.c), reading among the roots the memory the
 * program mapped for itself: its mmap, munmap and mremap pass through here
 * to the kernel, and its anonymous mappings are kept (mappings.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../tracker_shard.h"
#include "caller.h"
#include "claim.h"
#include "fault_guard.h"
#include "guard.h"
#include "mappings.h"
#include "reach.h"
#include "record_channel.h"
#include "signal_stack.h"
#include "stacks.h"
#include "unrecorded.h"
#include "unwind.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <sys/wait.h>

#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

#define EXPORTED __attribute__((visibility("default")))
#define SITE ((const char *)__builtin_return_address(0))

static _Atomic(fs_tracker *) recorder;
/* The tracker whose slabs hold the program's small blocks: kept after a
 * fork, whose child records nothing but may still free or resize them. */
static fs_tracker *slab_keeper;
/* A forked copy that records into a channel of its own (--follow-children)
 * holds the blocks of the process it was forked from, in that process's
 * tracker (and its parent's, for a copy of a copy): its own frees of them
 * are no events, and their words are roots of its leak check. */
#define INHERITED_AT_MOST 8u
static fs_tracker *inherited[INHERITED_AT_MOST];
static size_t inherited_count;
static fs_record_header *channel;
static _Thread_local bool inside;
static bool guarding;
/* Frames kept for each call's site (--stack); 0: the return address only. */
static size_t stack_depth;

/* Every thread that made a recorded call and has not ended, by thread
 * pointer (0 once it ended): at exit, their stacks and TLS are roots of
 * the leak check (reach.c). A thread that ended is not: glibc keeps its
 * stack for the next thread, and what is left on it is stale, as memcheck
 * and LeakSanitizer, which read live threads' stacks alone, take it. */
#define THREADS_KNOWN 4096u
static reach_thread threads_seen[THREADS_KNOWN];
static _Atomic size_t threads_seen_count;
static _Thread_local bool thread_seen;
static _Thread_local size_t thread_seen_slot = THREADS_KNOWN;

static void see_thread(void) {
    thread_seen = true;
    size_t slot = atomic_fetch_add_explicit(&threads_seen_count, 1, memory_order_relaxed);
    if (slot < THREADS_KNOWN) {
        /* Any address of this frame's is on the thread's stack. Written
         * before the pointer is released: a check that reads the pointer
         * reads the stack after it. */
        threads_seen[slot].stack = (uintptr_t)__builtin_frame_address(0);
        __atomic_store_n(&threads_seen[slot].pointer, (uintptr_t)__builtin_thread_pointer(), __ATOMIC_RELEASE);
        thread_seen_slot = slot;
    }
}

/* The thread is ending (its TLS destructors have run): no longer a root. */
static void forget_thread(void) {
    if (thread_seen_slot < THREADS_KNOWN) {
        __atomic_store_n(&threads_seen[thread_seen_slot].pointer, 0, __ATOMIC_RELAXED);
        thread_seen_slot = THREADS_KNOWN;
    }
}

/* A forked copy of a recorded process that has made no call yet: its first
 * claims a channel for it (follow_fork), so that a fork that only execs
 * another program claims none. */
static _Atomic bool fork_unclaimed;
static fs_tracker *follow_fork(void);

/* The tracker, when this call should be recorded. */
static inline fs_tracker *recording(void) {
    if (inside) {
        return NULL;
    }
    fs_tracker *t = atomic_load_explicit(&recorder, memory_order_acquire);
    if (__builtin_expect(!t, 0) && atomic_load_explicit(&fork_unclaimed, memory_order_relaxed)) {
        t = follow_fork();
    }
    if (t && !thread_seen) {
        see_thread();
    }
    return t;
}

/* ---- the backing allocator: glibc's own ---------------------------------- */

static void *libc_allocate(size_t size) { return __libc_malloc(size); }
static void libc_release(void *ptr) { __libc_free(ptr); }
static const fs_allocator glibc = {.allocate = libc_allocate, .release = libc_release};

/* The tracker of a process this one was forked from whose slabs hold ptr. */
static fs_tracker *inherited_holding(const void *ptr) {
    for (size_t i = 0; i < inherited_count; i++) {
        if (tracker_region_holds(inherited[i], ptr)) {
            return inherited[i];
        }
    }
    return NULL;
}

/* Whether ptr is in memory this library hands out (a slab, inherited or
 * not, or the guard's region), live or not: never glibc's to free or resize. */
static bool ours(const void *ptr) {
    return tracker_region_holds(slab_keeper, ptr) || guard_owns(ptr) || inherited_holding(ptr);
}

/* The size a live block of ours was asked for. */
static size_t our_size(const void *ptr) {
    if (guard_owns(ptr)) {
        return guard_size(ptr);
    }
    fs_tracker *from = inherited_holding(ptr);
    return tracker_block_size(from ? from : slab_keeper, ptr);
}

/* The inherited blocks a forked copy freed, by address, one per hash slot
 * (a clash forgets the older): a second free of one is a double free,
 * named with the first's site. */
#define INHERITED_FREES 1024u
typedef struct inherited_free {
    uintptr_t address;
    size_t size;
    const char *site;
} inherited_free;
static inherited_free inherited_frees[INHERITED_FREES];
static atomic_flag inherited_frees_lock = ATOMIC_FLAG_INIT;

/* The slot for `address`, locked until inherited_free_done. */
static inherited_free *inherited_free_slot(uintptr_t address) {
    while (atomic_flag_test_and_set_explicit(&inherited_frees_lock, memory_order_acquire)) {
    }
    return &inherited_frees[(address * UINT64_C(0x9E3779B97F4A7C15)) >> 54]; /* 2^10 slots */
}

static void inherited_free_done(void) { atomic_flag_clear_explicit(&inherited_frees_lock, memory_order_release); }

/* A live block a forked copy inherited, freed by it at `site`, with no
 * event: a slab block stays where it is, its slot saying it was freed; a
 * large one goes back to glibc, which made it. False for any other pointer. */
static bool disowned(void *ptr, const char *site) {
    size_t size = 0;
    enum disowned how = DISOWNED_NONE;
    for (size_t i = 0; i < inherited_count && how == DISOWNED_NONE; i++) {
        how = tracker_disown(inherited[i], ptr, &size);
    }
    if (how == DISOWNED_NONE) {
        return false;
    }
    inherited_free *slot = inherited_free_slot((uintptr_t)ptr);
    *slot = (inherited_free){.address = (uintptr_t)ptr, .size = size, .site = site};
    inherited_free_done();
    if (how == DISOWNED_TABLE) {
        __libc_free(ptr);
    }
    return true;
}

/* Whether ptr is a live block the forked copy inherited; *size its size. */
static bool inherited_live(const void *ptr, size_t *size) {
    for (size_t i = 0; i < inherited_count; i++) {
        if (tracker_live_size(inherited[i], ptr, size)) {
            return true;
        }
    }
    return false;
}

/* Whether ptr is an inherited block the copy freed before: *first says
 * where, and how large it was. */
static bool freed_inherited(const void *ptr, inherited_free *first) {
    if (inherited_count == 0) {
        return false;
    }
    *first = *inherited_free_slot((uintptr_t)ptr);
    inherited_free_done();
    return first->address == (uintptr_t)ptr;
}

/* ---- the backing allocator with --guard ----------------------------------- */

/* The site of the realloc the tracker allocates for, and what freeing a
 * block found: the tracker's allocator callbacks take neither. */
static _Thread_local const char *working_for;
static _Thread_local guard_finding damage;
static _Thread_local bool damage_found;

/* A guarded block, or glibc's (counted) when the guard has no room. */
static void *obtain(size_t size, size_t alignment, const char *site) {
    bool power_of_two = (alignment & (alignment - 1)) == 0;
    void *ptr = power_of_two ? guard_allocate(size, alignment, site) : NULL;
    if (ptr) {
        return ptr;
    }
    atomic_fetch_add_explicit(&channel->unguarded, 1, memory_order_relaxed);
    return alignment ? __libc_memalign(alignment, size) : __libc_malloc(size);
}

static void *guarded_allocate(size_t size) { return obtain(size, 0, working_for); }

static void guarded_release(void *ptr) {
    if (!guard_owns(ptr)) {
        __libc_free(ptr);
    } else if (guard_release(ptr, &damage)) {
        damage_found = true;
    }
}

static const fs_allocator guarded = {.allocate = guarded_allocate, .release = guarded_release};

static void report_damage(fs_tracker *t, const char *site) {
    if (damage_found) {
        damage_found = false;
        tracker_report(t, damage.kind, damage.address, damage.size, damage.block, damage.detail,
                       site, damage.alloc_site);
    }
}

/* ---- modules --------------------------------------------------------------- */

static bool module_known(uint64_t start) {
    uint64_t count = atomic_load_explicit(&channel->module_count, memory_order_relaxed);
    for (uint64_t i = 0; i < count; i++) {
        if (channel->modules[i].start == start) {
            return true;
        }
    }
    return false;
}

/* Held while modules are written into the table (taken before the
 * loader's lock when both are). */
static pthread_mutex_t adding_modules = PTHREAD_MUTEX_INITIALIZER;

/* Writes a module's code into the table, unless it is there already; the
 * caller holds adding_modules. */
static void write_module(uint64_t start, uint64_t end, uint64_t bias, const char *name) {
    uint64_t count = atomic_load_explicit(&channel->module_count, memory_order_relaxed);
    /* Past the table's room, its addresses are named by offset only. */
    if (!module_known(start) && count < FS_RECORD_MODULES) {
        fs_record_module *module = &channel->modules[count];
        module->start = start;
        module->end = end;
        module->bias = bias;
        if (name && name[0]) {
            strncpy(module->path, name, FS_RECORD_PATH_BYTES - 1);
        } else {
            /* The program itself has no name here. */
            ssize_t length = readlink("/proc/self/exe", module->path, FS_RECORD_PATH_BYTES - 1);
            module->path[length > 0 ? length : 0] = '\0';
        }
        atomic_store_explicit(&channel->module_count, count + 1, memory_order_release);
    }
}

/* The C library's code, [start, end): a block it makes for its caller
 * (`asprintf`'s string, `strdup`'s copy) is named by the caller, and one it
 * makes for itself (stdout's buffer) by the call that needed it, so such an
 * allocation is named by a short stack even without --stack. Its return
 * address alone is in a function the library may not even export
 * (`__vasprintf_internal`), which says nothing of whose block it is. */
static uintptr_t c_library_start;
static uintptr_t c_library_end;

/* Frames of a stack the C library's allocations are named by without
 * --stack: past its own (`_IO_str_overflow`, `_IO_default_xsputn`,
 * `__vfprintf_internal`, `__vasprintf_internal`) and a wrapper's
 * (`g_vasprintf`, `g_strdup_vprintf`, `g_strdup_printf`) to the program's.
 * Each frame more is a few nanoseconds more of the walk, on every such
 * allocation. */
#define C_LIBRARY_CALL_FRAMES 8u

/* Writes each code segment of a module into the table; the C library's
 * (the one `__libc_calloc` is in) is kept as `c_library_start` and `_end`. */
static int add_module(struct dl_phdr_info *info, size_t size, void *unused) {
    (void)size;
    (void)unused;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && (segment->p_flags & PF_X)) {
            uint64_t start = info->dlpi_addr + segment->p_vaddr;
            write_module(start, start + segment->p_memsz, info->dlpi_addr, info->dlpi_name);
            if ((uintptr_t)&__libc_calloc - start < segment->p_memsz) {
                c_library_start = start;
                c_library_end = start + segment->p_memsz;
            }
        }
    }
    return 0;
}

/* Waits, about two seconds at most, until ffiscope has read every module
 * of the image an exec ends: the new program's modules are about to take
 * the table's place, and the old program's events may still be unread (a
 * wrapper script that execs another that execs the program leaves each in
 * turn within milliseconds). */
#define MODULES_PATIENCE_NAPS 40000u /* of 50 µs */

static void await_modules_read(void) {
    uint64_t image = atomic_load_explicit(&channel->image, memory_order_relaxed);
    uint64_t count = atomic_load_explicit(&channel->module_count, memory_order_relaxed);
    uint64_t wanted = FS_RECORD_MODULES_READ(image, count < FS_RECORD_MODULES ? count : FS_RECORD_MODULES);
    const struct timespec pause = {.tv_nsec = 50000};
    for (unsigned naps = 0; naps < MODULES_PATIENCE_NAPS; naps++) {
        if (atomic_load_explicit(&channel->modules_read, memory_order_acquire) == wanted) {
            return;
        }
        nanosleep(&pause, NULL);
    }
}

/* Every site an event names must be in the module table before the event
 * is published: ffiscope reads the event straight from its ring, then the
 * table. So a return address seen for the first time is looked for in the
 * table, and the module it is in (one dlopen loaded since) is written in
 * first. The addresses looked for are remembered, one word each by hash
 * (a clash only looks again). */
#define SITES_LOOKED_FOR 4096u
static _Atomic uintptr_t sites_looked_for[SITES_LOOKED_FOR];

static bool in_a_module(uintptr_t address) {
    uint64_t count = atomic_load_explicit(&channel->module_count, memory_order_acquire);
    for (uint64_t i = 0; i < count && i < FS_RECORD_MODULES; i++) {
        if (address >= channel->modules[i].start && address < channel->modules[i].end) {
            return true;
        }
    }
    return false;
}

/* Writes the module `address` is in into the table (nothing for code made
 * at run time, in no module). The loader's lookup that takes no lock finds
 * it: inside malloc, this thread must not wait for the loader's lock,
 * which another thread may hold in a dl_iterate_phdr callback of the
 * program's while it waits for a lock this one holds. Nor does it wait for
 * adding_modules (a signal handler's malloc may come here while this
 * thread holds it): false when another is adding, to look again next
 * time. */
static bool add_module_of(uintptr_t address) {
    if (pthread_mutex_trylock(&adding_modules) != 0) {
        return false;
    }
#if defined(DLFO_EH_SEGMENT_TYPE)
    struct dl_find_object found;
    if (_dl_find_object((void *)address, &found) == 0 && found.dlfo_link_map) {
        write_module((uint64_t)(uintptr_t)found.dlfo_map_start, (uint64_t)(uintptr_t)found.dlfo_map_end,
                     (uint64_t)found.dlfo_link_map->l_addr, found.dlfo_link_map->l_name);
    }
#else
    (void)address;
    dl_iterate_phdr(add_module, NULL); /* before glibc 2.35: under the loader's lock */
#endif
    pthread_mutex_unlock(&adding_modules);
    return true;
}

static inline void name_module_of(const char *return_address) {
    uintptr_t address = (uintptr_t)return_address;
    _Atomic uintptr_t *looked = &sites_looked_for[(address * UINT64_C(0x9E3779B97F4A7C15)) >> 52];
    if (atomic_load_explicit(looked, memory_order_relaxed) == address) {
        return;
    }
    if (in_a_module(address) || add_module_of(address)) {
        atomic_store_explicit(looked, address, memory_order_relaxed);
    }
}

/* glibc's own, under the name it exports beside `sigaction`: this library
 * replaces `sigaction` for the program (below), and its own calls must not
 * come back to it. */
extern int __sigaction(int signal, const struct sigaction *action, struct sigaction *old);

static void signal_default(int signal) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    __sigaction(signal, &action, NULL);
}

/* The signals a program dies of. Everything it did is already in the
 * shared rings: the handler reports the crash, and the signal's default
 * action then runs again. */
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

static bool is_fatal(int signal) {
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        if (fatal_signals[i] == signal) {
            return true;
        }
    }
    return false;
}

/* ---- the program's own handlers for the fatal signals -------------------- */

/* Once this library's handler is installed, it stays the one the kernel
 * runs for the fatal signals: a program that installs its own (CPython's
 * faulthandler, a runtime that catches its own faults) has it kept here
 * instead, and called for every fault the guard does not explain, as the
 * kernel would have called it. `sigaction` and `signal` answer with the
 * program's own handlers, so the program sees what it set. Without this, a
 * program's handler would take --guard's faults and the crash reports. */
static _Atomic bool handlers_kept;
static struct sigaction program_actions[NSIG];

EXPORTED int sigaction(int signal, const struct sigaction *action, struct sigaction *old) {
    if (!atomic_load_explicit(&handlers_kept, memory_order_acquire) || !is_fatal(signal)) {
        return __sigaction(signal, action, old);
    }
    struct sigaction previous = program_actions[signal];
    if (action) {
        program_actions[signal] = *action;
    }
    if (old) {
        *old = previous;
    }
    return 0;
}

/* signal() as glibc makes it (BSD semantics: restarted calls, the signal
 * blocked while its handler runs), through the sigaction above. */
EXPORTED sighandler_t signal(int signal, sighandler_t handler) {
    struct sigaction action;
    struct sigaction old;
    memset(&action, 0, sizeof action);
    if (handler == SIG_ERR || signal <= 0 || signal >= NSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, signal);
    action.sa_flags = SA_RESTART;
    return sigaction(signal, &action, &old) < 0 ? SIG_ERR : old.sa_handler;
}

/* Whether the program set a handler of its own for `signal`. */
static bool program_handles(int signal) {
    sighandler_t handler = program_actions[signal].sa_handler;
    return handler != SIG_DFL && handler != SIG_IGN;
}

/* Runs the handler the program set for `signal`, as the kernel would have:
 * its mask added while it runs, reset first if it asked for that. False
 * when the program set none (the default, or ignored: a fault cannot be). */
static bool run_program_handler(int signal, siginfo_t *info, void *context) {
    if (!program_handles(signal)) {
        return false;
    }
    struct sigaction chosen = program_actions[signal];
    if (chosen.sa_flags & SA_RESETHAND) {
        memset(&program_actions[signal], 0, sizeof program_actions[signal]);
    }
    sigset_t before;
    pthread_sigmask(SIG_BLOCK, &chosen.sa_mask, &before);
    if (chosen.sa_flags & SA_SIGINFO) {
        chosen.sa_sigaction(signal, info, context);
    } else {
        chosen.sa_handler(signal);
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    return true;
}

/* Every event is in shared memory once made: dying loses none. */
static void die_of(int signal) {
    signal_default(signal);
    raise(signal);
}

/* The faulting instruction, named as a return address is: one byte past
 * it, since ffiscope looks one byte back for the call that a return
 * address follows (a fault on a function's first instruction would
 * otherwise be named for the function before it). */
static const char *fault_site(void *context) {
    const ucontext_t *uc = context;
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    uintptr_t pc = (uintptr_t)__builtin_return_address(0) - 1;
#endif
    return (const char *)(pc + 1);
}

/* Where a crash happened: its stack, unless this handler runs on a signal
 * stack too small to walk it from (a Rust thread's own, 8 KiB): then the
 * faulting instruction alone. */
static const char *crash_site(void *context) {
    const char *at = fault_site(context);
    return signal_stack_roomy() ? stacks_site_in_handler(at, FS_RECORD_STACK_FRAMES) : at;
}

/* This thread reported its stack's overflow: the abort that the program's
 * handler raises next (Rust's, after "has overflowed its stack") is the
 * same crash, not another. */
static _Thread_local bool overflow_reported;

/* A fault in a guarded block is reported and the program goes on. Any
 * other fatal signal goes to the program's own handler when it set one
 * (which may recover); otherwise it is reported as the crash it is, with
 * the stack it happened on (ffiscope tells a panic that could not unwind
 * from it). An abort is reported before the program's handler runs: glibc's
 * abort() kills the program itself after that handler returns. */
static void on_fatal_signal(int signal, siginfo_t *info, void *context) {
    fault_guard_recover();
    guard_finding finding;
    fs_tracker *t = atomic_load_explicit(&recorder, memory_order_acquire);
    if (t && inside) {
        die_of(signal); /* inside the tracker: nothing more can be said safely */
    }
    if (t && signal == SIGSEGV && guarding) {
        inside = true;
        if (guard_explain_fault((uintptr_t)info->si_addr, &finding)) {
            const char *where = stacks_site_in_handler(fault_site(context), FS_RECORD_STACK_FRAMES);
            tracker_report(t, finding.kind, finding.address, finding.size, finding.block,
                           finding.detail, where, finding.alloc_site);
            inside = false;
            return; /* the page is open now: the access runs again and goes on */
        }
        inside = false;
    }
    if (t) {
        inside = true;
        bool overflow = signal_stack_overflowed(signal, info, context);
        /* Reported before the program's handler runs; an abort's always
         * (glibc's abort() kills the program after that handler returns),
         * unless it is the program's handler ending an overflow reported. */
        bool crash = overflow || signal == SIGABRT || !program_handles(signal);
        if (signal == SIGABRT && overflow_reported) {
            crash = false;
        }
        if (crash) {
            const char *where = crash_site(context);
            size_t cause = overflow ? FS_RECORD_CRASH_STACK_OVERFLOW : 0;
            tracker_report(t, FS_EVENT_CRASH, (uintptr_t)info->si_addr, cause, 0, (size_t)signal, where, NULL);
            overflow_reported = overflow_reported || overflow;
        }
        inside = false;
    }
    if (run_program_handler(signal, info, context)) {
        return; /* the program's handler dealt with it (or the fault comes again) */
    }
    die_of(signal);
}

static void catch_fatal_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fatal_signal;
    /* No SA_RESETHAND: a guarded block's fault returns here again for the
     * next block; die_of restores the default action itself. The
     * faults run on the thread's signal stack (signal_stack.c), the only
     * place a stack overflow's can run; the rest on the stack they
     * interrupted, where an abort's stack is walked whole (a panic that
     * could not unwind is told by it). */
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        int signal = fatal_signals[i];
        bool fault = signal == SIGSEGV || signal == SIGBUS;
        action.sa_flags = SA_SIGINFO | SA_NODEFER | (fault ? SA_ONSTACK : 0);
        /* What the program (or a library started before this one) had set
         * is its handler from now on. */
        __sigaction(signal, &action, &program_actions[signal]);
    }
    atomic_store_explicit(&handlers_kept, true, memory_order_release);
}

/* ---- the program's own mappings --------------------------------------------- */

/* Where this library lies: its own mappings (the tracker's tables, the
 * guard's pages, signal stacks) are not the program's, and its tables name
 * every block, so they must never be read as the program's memory. */
static uintptr_t own_start, own_end;

static int find_own_extent(struct dl_phdr_info *info, size_t size, void *base) {
    (void)size;
    if (info->dlpi_addr != (uintptr_t)base) {
        return 0;
    }
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD) {
            uintptr_t start = info->dlpi_addr + segment->p_vaddr;
            uintptr_t end = start + segment->p_memsz;
            own_start = own_start && own_start < start ? own_start : start;
            own_end = own_end > end ? own_end : end;
        }
    }
    return 1;
}

static void find_own_module(void) {
    Dl_info self;
    if (dladdr((void *)&find_own_module, &self)) {
        dl_iterate_phdr(find_own_extent, self.dli_fbase);
    }
}

/* Whether a mapping made from `return_address` is the recorded program's
 * own: not this library's, nor made while it works (own_end is 0 until it
 * knows where it lies, and nothing is kept before recording starts). */
static bool programs_own(const char *return_address) {
    uintptr_t from = (uintptr_t)return_address;
    return !inside && own_end != 0 && (from < own_start || from >= own_end) &&
           atomic_load_explicit(&recorder, memory_order_relaxed);
}

/* The kernel maps and unmaps whole pages. */
static size_t whole_pages(size_t length) {
    size_t page = (size_t)getpagesize();
    return length > SIZE_MAX - page ? length : (length + page - 1) & ~(page - 1);
}

/* mmap and friends are system calls made here directly: glibc's own calls
 * them internally (its allocator, the loader, thread stacks), never
 * through these, so only what the program maps itself is kept. */
#if UINTPTR_MAX == UINT64_MAX && defined(SYS_mmap)
EXPORTED void *mmap(void *address, size_t length, int protection, int flags, int fd, off_t offset) {
    void *mapped = (void *)syscall(SYS_mmap, address, length, protection, flags, fd, offset);
    if (mapped != MAP_FAILED && programs_own(SITE)) {
        if (flags & MAP_ANONYMOUS) {
            mappings_add((uintptr_t)mapped, whole_pages(length));
        } else {
            (void)mappings_remove((uintptr_t)mapped, whole_pages(length)); /* a file mapped over memory kept */
        }
    }
    return mapped;
}

EXPORTED void *mmap64(void *address, size_t length, int protection, int flags, int fd, off_t offset)
    __attribute__((alias("mmap")));

EXPORTED int munmap(void *address, size_t length) {
    int result = (int)syscall(SYS_munmap, address, length);
    if (result == 0 && programs_own(SITE)) {
        (void)mappings_remove((uintptr_t)address, whole_pages(length));
    }
    return result;
}

EXPORTED void *mremap(void *old_address, size_t old_length, size_t new_length, int flags, ...) {
    void *new_address = NULL;
    if (flags & MREMAP_FIXED) {
        va_list rest;
        va_start(rest, flags);
        new_address = va_arg(rest, void *);
        va_end(rest);
    }
    void *moved = (void *)syscall(SYS_mremap, old_address, old_length, new_length, flags, new_address);
    if (moved != MAP_FAILED && programs_own(SITE)) {
        /* Kept where it was kept before: an anonymous mapping stays one. */
        if (mappings_remove((uintptr_t)old_address, whole_pages(old_length))) {
            mappings_add((uintptr_t)moved, whole_pages(new_length));
        }
    }
    return moved;
}
#endif

/* ---- start and finish ------------------------------------------------------- */

/* The tracker's rings and site names, in the channel (record_channel.h). */
static bool channel_ring(size_t index, ring_control **control, slot **slots) {
    if (index >= channel->max_rings) {
        return false;
    }
    char *base = (char *)channel;
    *control = (ring_control *)(void *)(base + FS_RECORD_CONTROLS_OFFSET) + index;
    *slots = (slot *)(void *)(base + fs_record_rings_offset(channel)) + index * channel->ring_capacity;
    /* Counted before the ring's first event: the reader merges the rings counted. */
    uint64_t count = atomic_load_explicit(&channel->ring_count, memory_order_relaxed);
    while (count < index + 1 &&
           !atomic_compare_exchange_weak_explicit(&channel->ring_count, &count, index + 1,
                                                  memory_order_release, memory_order_relaxed)) {
    }
    return true;
}

static tracker_sharing sharing = {.ring = channel_ring};

static void before_fork(void);
static void after_fork_in_parent(void);
static void forked_child(void);

/* ---- an allocator of the program's own ---------------------------------- */

/*
 * A program that defines malloc itself (jemalloc or mimalloc linked into
 * it, rustc's) is first in the loader's search, before any preloaded
 * library: its calls, and every library's, reach its own malloc, and this
 * library records none of them. Asked once, of the loader, in the process
 * that first records (a forked copy is the same program, and tells the
 * same); each exec starts this library anew and asks again. On a 32-bit
 * target operator new is `_Znwj`, and `_Znwm` is found nowhere.
 */
static const char *const replaced_names[] = {FS_RECORD_REPLACED_NAMES};
_Static_assert(sizeof replaced_names / sizeof *replaced_names == FS_RECORD_REPLACED_COUNT,
               "FS_RECORD_REPLACED_COUNT counts FS_RECORD_REPLACED_NAMES");

static uint64_t elsewhere_mask;
static uintptr_t elsewhere_first;

/* Whether the function the loader found at `found` is defined there. A
 * program built without -pie whose code takes `malloc`'s address (CPython's
 * allocator tables do, Debian's python3.11 among them) has its PLT entry
 * stand for the function everywhere: the loader answers with that stub,
 * which jumps on to ffiscope's. Its symbol is undefined in the program. */
static bool defined_at(uintptr_t found) {
    Dl_info info;
    const ElfW(Sym) *symbol = NULL;
    if (!dladdr1((void *)found, &info, (void **)&symbol, RTLD_DL_SYMENT) || !symbol) {
        return true; /* nothing says otherwise */
    }
    return symbol->st_shndx != SHN_UNDEF;
}

static void tell_allocator_elsewhere(fs_tracker *t, bool forked) {
    if (!forked) {
        for (size_t i = 0; i < FS_RECORD_REPLACED_COUNT; i++) {
            uintptr_t found = (uintptr_t)dlsym(RTLD_DEFAULT, replaced_names[i]);
            /* Not found at all (operator new in a C program) is no other allocator. */
            if (found && (found < own_start || found >= own_end) && defined_at(found)) {
                elsewhere_mask |= UINT64_C(1) << i;
                elsewhere_first = elsewhere_first ? elsewhere_first : found;
            }
        }
    }
    if (elsewhere_mask) {
        tracker_note(t, FS_EVENT_ALLOCATOR_ELSEWHERE, elsewhere_first, (size_t)elsewhere_mask);
    }
}

/* Starts the tracker over `channel`, which this process has claimed:
 * `image` is the program's number after an exec took the channel over (0:
 * none); `forked`: a forked copy, whose signal handlers and signal stack
 * are its parent's, set already. Leaves `recorder` NULL when it cannot. */
static void start_tracker(uint64_t image, bool forked) {
    pthread_mutex_lock(&adding_modules);
    dl_iterate_phdr(add_module, NULL);
    pthread_mutex_unlock(&adding_modules);
    if (stacks_start(channel, (fs_record_stack *)(void *)((char *)channel + fs_record_stacks_offset(channel)))) {
        void *warm[1];
        backtrace(warm, 1); /* loads the unwinder now, not in a fault handler */
        const char *depth = getenv("FFISCOPE_RECORD_STACK");
        stack_depth = depth ? strtoul(depth, NULL, 10) : 0;
        stack_depth = stack_depth > FS_RECORD_STACK_FRAMES ? FS_RECORD_STACK_FRAMES : stack_depth;
    }
    const char *guard = getenv("FFISCOPE_RECORD_GUARD");
    const char *floor = getenv("FFISCOPE_RECORD_GUARD_ALIGN");
    if (!forked && guard && guard[0] == '1' && guard_start(floor ? strtoul(floor, NULL, 10) : 16)) {
        guarding = true;
        atomic_store_explicit(&channel->guarded, 1, memory_order_relaxed);
    }
    /* Small blocks from the tracker's slabs (a slot's state tells a double
     * free exactly, its canary an overflow); guarded blocks each on pages
     * of their own. */
    sharing.sites = (const char **)(void *)((char *)channel + fs_record_sites_offset(channel));
    sharing.site_capacity = channel->site_capacity;
    fs_tracker *t = tracker_new_bare(guarding ? &guarded : &glibc, channel->ring_capacity, !guarding, &sharing);
    if (!t) {
        return;
    }
    slab_keeper = t;
    atomic_store_explicit(&channel->ticks_at_start, t->ticks_at_start, memory_order_relaxed);
    atomic_store_explicit(&channel->ns_at_start, t->ns_at_start, memory_order_relaxed);
    if (image) {
        /* Where this program's events begin: the blocks of the one the
         * process was went with the exec, and its addresses mean other
         * modules. Its events are all in the rings, and earlier. */
        tracker_note(t, FS_EVENT_IMAGE, (uintptr_t)image, 0);
    }
    tell_allocator_elsewhere(t, forked);
    if (!forked) {
        pthread_atfork(before_fork, after_fork_in_parent, forked_child);
        signal_stack_give();
        catch_fatal_signals();
    }
    atomic_store_explicit(&recorder, t, memory_order_release);
    atomic_store_explicit(&channel->state, FS_RECORD_RECORDING, memory_order_release);
}

/* Claims the channel, when this process is the one to record, and starts
 * the tracker; leaves `recorder` NULL otherwise. */
static void begin_recording(void) {
    claimed_channel claimed = claim_channel();
    if (!claimed.header) {
        return;
    }
    channel = claimed.header;
    uint64_t image = 0;
    if (claimed.took_over) {
        await_modules_read();
        atomic_store_explicit(&channel->module_count, 0, memory_order_relaxed);
        image = atomic_fetch_add_explicit(&channel->image, 1, memory_order_release) + 1;
    }
    start_tracker(image, false);
}

/* ---- a fork ------------------------------------------------------------------ */

/*
 * A forked copy begins with its parent's memory: its blocks, and the
 * tracker that made them, whose rings are in the parent's channel and
 * must never be written here. So the copy stops recording there, and with
 * --follow-children its first call claims a channel of its own and starts
 * a tracker in it, the parent's tracker kept to tell the blocks it
 * inherited: their frees are no events (a slab block stays, its slot
 * saying it was freed; a large one goes back to glibc, which made it), a
 * second free of one is a double free, and those still held are roots of
 * its leak check. The parent's tracker is held whole across the fork (no
 * thread halfway through a change of it), or the copy is not followed;
 * the copy never asks it for a shard of its own, whose ring would be the
 * copy's channel's.
 */
static fs_tracker *forking_tracker;
static bool held_for_fork;
static _Thread_local bool inside_before_fork;
/* In the copy: whether it may follow, and whose copy it is. */
static bool fork_followable;
static int32_t forked_parent;

static void before_fork(void) {
    inside_before_fork = inside;
    inside = true; /* a handler's malloc after this one must not wait for the locks held */
    forking_tracker = atomic_load_explicit(&recorder, memory_order_acquire);
    held_for_fork = forking_tracker && !guarding && tracker_hold_for_fork(forking_tracker);
}

static void after_fork_in_parent(void) {
    if (held_for_fork) {
        tracker_let_go_after_fork(forking_tracker);
    }
    inside = inside_before_fork;
}

static void forked_child(void) {
    if (held_for_fork) {
        tracker_let_go_after_fork(forking_tracker);
    }
    /* Locks another thread of the parent may have held: it is not here. */
    pthread_mutex_init(&adding_modules, NULL);
    mappings_after_fork();
    unrecorded_after_fork();
    atomic_store_explicit(&recorder, NULL, memory_order_release);
    if (forking_tracker) {
        fork_followable = held_for_fork && inherited_count < INHERITED_AT_MOST;
        forked_parent = (int32_t)getppid();
        atomic_store_explicit(&fork_unclaimed, true, memory_order_release);
    } else {
        unrecorded_stop();
    }
    inside = inside_before_fork;
}

/* The first call of a forked copy: a channel of its own when one is free
 * (--follow-children), and the tracker started in it; the tracker, or
 * NULL when the copy records nothing. */
static fs_tracker *follow_fork(void) {
    if (!atomic_exchange_explicit(&fork_unclaimed, false, memory_order_acq_rel)) {
        return atomic_load_explicit(&recorder, memory_order_acquire);
    }
    bool was_inside = inside;
    inside = true;
    claimed_channel claimed = {0};
    if (fork_followable) {
        claimed = claim_forked(forked_parent);
    }
    if (claimed.header) {
        inherited[inherited_count++] = slab_keeper;
        channel = claimed.header;
        /* Only this thread came through the fork. */
        atomic_store_explicit(&threads_seen_count, 0, memory_order_relaxed);
        thread_seen = false;
        thread_seen_slot = THREADS_KNOWN;
        start_tracker(0, true);
    }
    fs_tracker *t = atomic_load_explicit(&recorder, memory_order_acquire);
    if (!t) {
        unrecorded_stop();
        count_forked_unrecorded(); /* taken back if it execs */
    }
    inside = was_inside;
    return t;
}

/* The blocks a forked copy inherited and still holds, for its leak check:
 * listed in memory of their own (the inherited trackers only lose blocks,
 * so the list cannot outgrow its first count). */
static void visit_inherited_blocks(reach_visit visit, void *context) {
    for (size_t i = 0; i < inherited_count; i++) {
        size_t count = fs_live_blocks(inherited[i], NULL, 0);
        size_t bytes = (count ? count : 1) * sizeof(fs_block);
        fs_block *blocks = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (blocks == MAP_FAILED) {
            continue;
        }
        count = fs_live_blocks(inherited[i], blocks, count);
        for (size_t j = 0; j < count; j++) {
            visit(context, (uintptr_t)blocks[j].address, (uintptr_t)(blocks[j].address + blocks[j].size));
        }
        munmap(blocks, bytes);
    }
}

__attribute__((constructor(101))) static void start_recording(void) {
    inside = true;
    find_own_module();
    begin_recording();
    inside = false;
    if (!atomic_load_explicit(&recorder, memory_order_relaxed)) {
        /* Nothing records here: no free needs telling apart. */
        unrecorded_stop();
    }
}

static void note_reach(fs_tracker *t, const fs_block *block, enum reach_state state) {
    uint8_t kind = state == REACH_KEPT            ? FS_EVENT_REACHABLE
                   : state == REACH_KEPT_INTERIOR ? FS_EVENT_REACHABLE_INTERIOR
                                                  : FS_EVENT_LOST_WITH;
    tracker_note(t, kind, (uintptr_t)block->address, (size_t)block->size);
}

/* The end of a recording: the blocks still live are told reachable or
 * lost (`leaving`, for a program leaving from inside its frames: where
 * they are, as reach_roots says), and the channel says `state`. */
static void finish_with_leak_check(fs_tracker *t, uint32_t state, const reach_roots *leaving) {
    inside = true;
    size_t threads = atomic_load_explicit(&threads_seen_count, memory_order_relaxed);
    reach_roots roots = leaving ? *leaving : (reach_roots){0};
    roots.threads = threads_seen;
    roots.thread_count = threads < THREADS_KNOWN ? threads : THREADS_KNOWN;
    roots.inherited_blocks = inherited_count ? visit_inherited_blocks : NULL;
    roots.checking_frame = (uintptr_t)__builtin_frame_address(0);
    reach_live_blocks(t, note_reach, &roots);
    atomic_store_explicit(&channel->mappings_unread, mappings_not_kept(), memory_order_relaxed);
    atomic_store_explicit(&recorder, NULL, memory_order_release);
    unrecorded_stop();
    /* After the last event: whoever reads the state then finds them all. */
    atomic_store_explicit(&channel->state, state, memory_order_release);
}

/* How far up the stack the call a program made into exit is looked for:
 * past this library's handler, glibc's exit machinery and its `error`,
 * `err` and the like, which call exit for the program. */
#define EXIT_CALLER_FRAMES 32u
/* glibc's `_start` calls `__libc_start_main` (which calls `main`, and exit
 * with what it returns) within its first 0x30 bytes on x86-64. */
#define ENTRY_CALL_REACH 64u

/* The registers of the thread running the exit handlers, as the recording's
 * end began (that thread called exit). */
static ucontext_t exit_context;

/* Where the program called exit from, when it did so from inside its own
 * frames: a `usage()` or a fatal error that exits, a `--version`, Rust's
 * `process::exit`, a signal handler. Those frames are still on the stack
 * while exit runs its handlers below them, so what they hold is still
 * reachable, as memcheck reads it. False when `main` returned (the C
 * library called exit from the code that called `main`, whose frames are
 * gone, stale below the stack pointer) or the walk could not be made
 * (then the stack is no root, as before). */
static bool exit_called_from_frames(unwind_frame *caller) {
    uintptr_t kept[CONTEXT_CALLEE_SAVED_MOST];
    if (context_callee_saved(&exit_context, kept) != UNWIND_KEPT) {
        return false;
    }
    caller->pc = context_program_counter(&exit_context);
    caller->sp = context_stack_pointer(&exit_context);
    memcpy(caller->kept, kept, sizeof caller->kept);
    const unwind_range passed[] = {{own_start, own_end}, {c_library_start, c_library_end}};
    if (!unwind_out_of(caller, passed, sizeof passed / sizeof *passed, EXIT_CALLER_FRAMES)) {
        return false;
    }
    uintptr_t entry = (uintptr_t)getauxval(AT_ENTRY);
    return !(caller->pc > entry && caller->pc - entry <= ENTRY_CALL_REACH);
}

/* The end of a recording, once everything that runs at exit has run, on
 * the thread that called exit (exit_context holds its registers). */
__attribute__((noinline)) static void finish_after_exit(fs_tracker *t) {
    unwind_frame caller;
    if (!exit_called_from_frames(&caller)) {
        finish_with_leak_check(t, FS_RECORD_FINISHED, NULL);
        return;
    }
    reach_roots leaving = {
        .stack_from = caller.sp,
        .registers = caller.kept,
        .registers_bytes = sizeof caller.kept,
    };
    finish_with_leak_check(t, FS_RECORD_FINISHED_IN_FRAMES, &leaving);
}

static void finish_recording(void *unused) {
    (void)unused;
    fs_tracker *t = atomic_load_explicit(&recorder, memory_order_acquire);
    if (!t || !channel) {
        return;
    }
    getcontext(&exit_context);
    finish_after_exit(t);
}

extern int __cxa_atexit(void (*function)(void *), void *argument, void *dso_handle);

/*
 * The destructors of every library the program loaded free its blocks too
 * (a C++ library's static objects), and most of them run after this one:
 * a library is initialised after those it does not depend on, and finished
 * before them. So this destructor only asks exit for one more handler,
 * which glibc runs once the handler running now (the loader's, which calls
 * every library's destructors) returns: the recording finishes last.
 */
__attribute__((destructor(101))) static void finish_after_every_destructor(void) {
    if (!atomic_load_explicit(&recorder, memory_order_acquire) || !channel) {
        return;
    }
    bool was_inside = inside;
    inside = true;
    int refused = __cxa_atexit(finish_recording, NULL, NULL);
    inside = was_inside;
    if (refused) {
        finish_recording(NULL);
    }
}

/* ---- the replaced functions ----------------------------------------------- */

/* Tracker work may touch errno (its tables grow with mmap); a successful
 * call leaves the program's errno as it was. */
#define KEEP_ERRNO(body)     \
    do {                     \
        int kept = errno;    \
        inside = true;       \
        body;                \
        inside = false;      \
        errno = kept;        \
    } while (0)

static void *adopted(fs_tracker *t, void *ptr, size_t size, const char *site) {
    if (ptr) {
        KEEP_ERRNO(tracker_adopt(t, ptr, size, site));
    }
    return ptr;
}

/* A call's form (enum fs_form) in its site's bits (ffiscope.h). */
#define FORM_BITS ((uint64_t)FS_SITE_FORM_MASK << FS_SITE_FORM_SHIFT)

static inline const char *with_form(const char *site, unsigned form) {
    return (const char *)(uintptr_t)((uint64_t)(uintptr_t)site | (uint64_t)form << FS_SITE_FORM_SHIFT);
}

static inline const char *without_form(const char *site) {
    return (const char *)(uintptr_t)((uint64_t)(uintptr_t)site & ~FORM_BITS);
}

/* A site with caller.h's tags and its form taken off: the address it names. */
static inline const char *untagged(const char *site) {
    return (const char *)((uintptr_t)without_form(site) & ~(FS_RECORD_TAIL_CALLED_TAG | FS_RECORD_CALLEE_UNKNOWN_TAG));
}

/* The site an allocation is named by: `first`, the return address or a
 * site caller.h made for the call that came back to it, or with --stack
 * (or, for a call from the C library's code, always) the call stack it
 * tops; with first's form either way. */
static inline __attribute__((always_inline)) const char *site_of(const char *first, const char *return_address) {
    name_module_of(return_address);
    if (first != return_address) {
        name_module_of(untagged(first));
    }
    size_t depth = stack_depth;
    if (depth == 0) {
        if ((uintptr_t)return_address - c_library_start >= c_library_end - c_library_start) {
            return first;
        }
        depth = C_LIBRARY_CALL_FRAMES;
    }
    unsigned form = FS_SITE_FORM(first);
    const char *site;
    KEEP_ERRNO(site = stacks_site(without_form(first), return_address, depth));
    return with_form(site, form);
}

/* The site of a recorded call: caller.h's reading of the frame the
 * allocator's entry saved, or the return address alone where the entry
 * went on without one (NULL). Read only while recording: the reading may
 * fault, and only then is there a handler to give it up. */
static inline __attribute__((always_inline)) const char *call_site(const caller_frame *frame,
                                                                    const char *return_address, uintptr_t entry) {
    return frame ? caller_site_read(frame, entry) : return_address;
}

/* The alignment every slab slot has (its stride is a multiple of 16). */
#define SLOT_ALIGNMENT 16u

/* A new block for a recorded call: guarded with --guard; else from the
 * tracker (its slabs, or glibc for a large block, recorded as it is
 * made); glibc's when aligned past a slot's alignment. */
static inline __attribute__((always_inline)) void *allocated(fs_tracker *t, size_t size, size_t alignment,
                                                              const char *first, const char *return_address) {
    const char *site = site_of(first, return_address);
    void *ptr;
    if (guarding) {
        KEEP_ERRNO(ptr = obtain(size, alignment, site));
    } else if (alignment <= SLOT_ALIGNMENT) {
        KEEP_ERRNO(ptr = tracker_allocate(t, size, site));
        if (!ptr) {
            errno = ENOMEM;
        }
        return ptr;
    } else {
        ptr = __libc_memalign(alignment, size);
    }
    return adopted(t, ptr, size, site);
}

/* Whether glibc should have a pointer the tracker does not know: one of
 * the unrecorded blocks (forgotten now), or any pointer once the set of
 * them overflowed and cannot tell. */
static bool glibc_made_unrecorded(void *ptr) {
    return unrecorded_take(ptr) || !unrecorded_complete();
}

/* Releases ptr through the tracker; glibc's when it made the block while
 * nothing recorded; refused and reported as an invalid free otherwise. */
/* A free is named by its return address alone, even with --stack: a
 * stack per free would double the cost, and the free's own line is what a
 * foreign or double free report needs. */
static inline __attribute__((always_inline)) void released(fs_tracker *t, void *ptr, const char *site) {
    name_module_of(untagged(site));
    int result;
    KEEP_ERRNO(result = tracker_release(t, ptr, site); report_damage(t, site));
    if (result != RELEASE_UNKNOWN || disowned(ptr, site)) {
        return;
    }
    inherited_free first;
    if (freed_inherited(ptr, &first)) {
        KEEP_ERRNO(tracker_report(t, FS_EVENT_DOUBLE_FREE, (uintptr_t)ptr, first.size, (uintptr_t)ptr, 0, site,
                                  first.site));
        return;
    }
    /* Every guarded block is the tracker's: one it does not know (inside a
     * block, or freed long ago) is refused like any pointer glibc never
     * made. */
    if (!ours(ptr) && glibc_made_unrecorded(ptr)) {
        __libc_free(ptr);
    } else {
        KEEP_ERRNO(tracker_refuse_free(t, ptr, site));
    }
}

/* A block glibc made for a call nothing records, kept in the set. */
static void *unrecorded(void *ptr) {
    unrecorded_add(ptr);
    return ptr;
}

/* The bodies of malloc, calloc and realloc, called as free_called is. */
static inline __attribute__((always_inline)) void *malloc_called(size_t size, const caller_frame *frame,
                                                                  const char *return_address) {
    fs_tracker *t = recording();
    return t ? allocated(t, size, 0, call_site(frame, return_address, (uintptr_t)malloc), return_address)
             : unrecorded(__libc_malloc(size));
}

static inline __attribute__((always_inline)) void *calloc_called(size_t count, size_t size,
                                                                  const caller_frame *frame,
                                                                  const char *return_address) {
    fs_tracker *t = recording();
    if (!t) {
        return unrecorded(__libc_calloc(count, size));
    }
    if (size != 0 && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    const char *first = call_site(frame, return_address, (uintptr_t)calloc);
    if (guarding) {
        /* A guarded block is zeroed already; one glibc gave when the guard
         * had no room may be a block freed a moment ago. */
        void *ptr = allocated(t, count * size, 0, first, return_address);
        if (ptr && !guard_owns(ptr)) {
            memset(ptr, 0, count * size);
        }
        return ptr;
    }
    if (count * size <= MAX_SLAB_BLOCK) {
        void *ptr = allocated(t, count * size, 0, first, return_address); /* a slot, maybe used before */
        if (ptr) {
            memset(ptr, 0, count * size);
        }
        return ptr;
    }
    /* glibc's, which knows when fresh pages are zero already. */
    return adopted(t, __libc_calloc(count, size), count * size, site_of(first, return_address));
}

/* free's body, called by its entry with the frame it saved (or NULL) and
 * the return address. */
static inline __attribute__((always_inline)) void free_called(void *ptr, const caller_frame *frame,
                                                               const char *return_address) {
    if (!ptr) {
        return;
    }
    fs_tracker *t = recording();
    if (t) {
        released(t, ptr, call_site(frame, return_address, (uintptr_t)free));
    } else if (!ours(ptr)) {
        /* A block of ours freed where nothing records (a forked child)
         * stays where it is: glibc never made it. */
        unrecorded_take(ptr);
        __libc_free(ptr);
    }
}


/* glibc's realloc of an unrecorded block already taken out of the set:
 * the block it returns goes in (or ptr again, still the caller's, when the
 * realloc fails). */
static void *libc_realloc_taken(void *ptr, size_t size) {
    void *moved = __libc_realloc(ptr, size);
    unrecorded_add(moved ? moved : ptr);
    return moved;
}

/* realloc where nothing records. */
static void *realloc_unrecorded(void *ptr, size_t size) {
    if (!ours(ptr)) {
        unrecorded_take(ptr);
        return libc_realloc_taken(ptr, size);
    }
    void *moved = __libc_malloc(size);
    size_t old = our_size(ptr);
    if (moved) {
        memcpy(moved, ptr, old < size ? old : size);
    }
    return moved;
}

static inline __attribute__((always_inline)) void *realloc_called(void *ptr, size_t size,
                                                                   const caller_frame *frame,
                                                                   const char *return_address) {
    fs_tracker *t = recording();
    if (!t) {
        return ptr ? realloc_unrecorded(ptr, size) : unrecorded(__libc_malloc(size));
    }
    const char *first = call_site(frame, return_address, (uintptr_t)realloc);
    if (!ptr) {
        return allocated(t, size, 0, first, return_address);
    }
    if (size == 0) {
        released(t, ptr, first);
        return NULL;
    }
    const char *site = site_of(first, return_address);
    /* A block the tracker holds moves, as under a sanitizer: a copy, and
     * the old block's free is recorded before glibc can reuse it. */
    void *moved = NULL;
    bool known = false;
    KEEP_ERRNO(known = tracker_knows(t, ptr); if (known) {
        working_for = site;
        moved = tracker_reallocate(t, ptr, size, site);
        report_damage(t, site);
    });
    size_t inherited_size = 0;
    if (!known && inherited_live(ptr, &inherited_size)) {
        /* A block the copy inherited moves into one of its own. */
        KEEP_ERRNO(moved = tracker_allocate(t, size, site));
        if (!moved) {
            errno = ENOMEM;
            return NULL;
        }
        memcpy(moved, ptr, inherited_size < size ? inherited_size : size);
        (void)disowned(ptr, site);
        return moved;
    }
    if (!known) {
        if (!ours(ptr) && glibc_made_unrecorded(ptr)) {
            return libc_realloc_taken(ptr, size);
        }
        /* Freed before, or never a block: reported as a double or invalid
         * free, and the pointer is left alone. */
        released(t, ptr, first);
        errno = EINVAL;
        return NULL;
    }
    if (!moved) {
        errno = ENOMEM;
    }
    return moved;
}

/* The allocator's entry points, named by their return address alone:
 * what a direct call, or one through a GOT slot, needs (caller.h). */
#if defined(__x86_64__)
#define PLAIN_ENTRY(name) __attribute__((used)) name##_plain
#else
#define PLAIN_ENTRY(name) EXPORTED name
#endif
void PLAIN_ENTRY(free)(void *ptr) {
    free_called(ptr, NULL, SITE);
}
void *PLAIN_ENTRY(malloc)(size_t size) {
    return malloc_called(size, NULL, SITE);
}
void *PLAIN_ENTRY(calloc)(size_t count, size_t size) {
    return calloc_called(count, size, NULL, SITE);
}
void *PLAIN_ENTRY(realloc)(void *ptr, size_t size) {
    return realloc_called(ptr, size, NULL, SITE);
}

#if defined(__x86_64__)
/* The allocator's entries. A direct call (`call rel32`) or one through a
 * GOT slot (`call *slot(%rip)`), told from the bytes before the return
 * address, goes on to the body by a jump, so the return address is still
 * the caller's. Any other call saves the sixteen registers as the caller
 * left them, with the return address above them (caller.h's frame), and
 * passes the frame after the function's own arguments: a call through a
 * pointer that went to a function ending in a tail call to the allocator
 * is told by them from one that went to the allocator. rax and rcx are
 * kept on the stack while the bytes are read, and given back. */
#define ALLOCATOR_ENTRY(name, frame_argument)                                 \
    __asm__(".text\n"                                                        \
            ".globl " #name "\n"                                             \
            ".type " #name ", @function\n" #name ":\n"                        \
            ".cfi_startproc\n"                                               \
            "    endbr64\n"                                                  \
            "    pushq %rax\n"                                               \
            ".cfi_adjust_cfa_offset 8\n"                                     \
            "    pushq %rcx\n"                                               \
            ".cfi_adjust_cfa_offset 8\n"                                     \
            "    movq 16(%rsp), %rax\n" /* the return address */            \
            "    movl %eax, %ecx\n"                                          \
            "    andl $0xfff, %ecx\n"                                        \
            "    cmpl $6, %ecx\n" /* its 6 bytes before in its own page */  \
            "    jb 1f\n"                                                    \
            "    cmpb $0xe8, -5(%rax)\n"                                     \
            "    je 2f\n"                                                    \
            "    cmpw $0x15ff, -6(%rax)\n"                                   \
            "    je 2f\n"                                                    \
            "1:  popq %rcx\n"                                                \
            ".cfi_adjust_cfa_offset -8\n"                                    \
            "    popq %rax\n"                                                \
            ".cfi_adjust_cfa_offset -8\n"                                    \
            "    subq $136, %rsp\n"                                          \
            ".cfi_adjust_cfa_offset 136\n"                                   \
            "    movq %rax, 0(%rsp)\n"                                       \
            "    movq %rcx, 8(%rsp)\n"                                       \
            "    movq %rdx, 16(%rsp)\n"                                      \
            "    movq %rbx, 24(%rsp)\n"                                      \
            "    leaq 144(%rsp), %rax\n" /* rsp as the call found it */      \
            "    movq %rax, 32(%rsp)\n"                                      \
            "    movq %rbp, 40(%rsp)\n"                                      \
            "    movq %rsi, 48(%rsp)\n"                                      \
            "    movq %rdi, 56(%rsp)\n"                                      \
            "    movq %r8, 64(%rsp)\n"                                       \
            "    movq %r9, 72(%rsp)\n"                                       \
            "    movq %r10, 80(%rsp)\n"                                      \
            "    movq %r11, 88(%rsp)\n"                                      \
            "    movq %r12, 96(%rsp)\n"                                      \
            "    movq %r13, 104(%rsp)\n"                                     \
            "    movq %r14, 112(%rsp)\n"                                     \
            "    movq %r15, 120(%rsp)\n"                                     \
            "    movq %rsp, " frame_argument "\n"                            \
            "    call " #name "_saved\n"                                     \
            "    addq $136, %rsp\n"                                          \
            ".cfi_adjust_cfa_offset -136\n"                                  \
            "    ret\n"                                                      \
            ".cfi_adjust_cfa_offset 16\n" /* as at 2: */                     \
            "2:  popq %rcx\n"                                                \
            ".cfi_adjust_cfa_offset -8\n"                                    \
            "    popq %rax\n"                                                \
            ".cfi_adjust_cfa_offset -8\n"                                    \
            "    jmp " #name "_plain\n"                                      \
            ".cfi_endproc\n"                                                 \
            ".size " #name ", .-" #name "\n")

/* The return address a caller_frame holds. */
#define RETURN_ADDRESS(frame) ((const char *)(uintptr_t)(frame)->return_address)

__attribute__((used)) void free_saved(void *ptr, const caller_frame *frame) {
    free_called(ptr, frame, RETURN_ADDRESS(frame));
}
__attribute__((used)) void *malloc_saved(size_t size, const caller_frame *frame) {
    return malloc_called(size, frame, RETURN_ADDRESS(frame));
}
__attribute__((used)) void *calloc_saved(size_t count, size_t size, const caller_frame *frame) {
    return calloc_called(count, size, frame, RETURN_ADDRESS(frame));
}
__attribute__((used)) void *realloc_saved(void *ptr, size_t size, const caller_frame *frame) {
    return realloc_called(ptr, size, frame, RETURN_ADDRESS(frame));
}
ALLOCATOR_ENTRY(free, "%rsi");
ALLOCATOR_ENTRY(malloc, "%rsi");
ALLOCATOR_ENTRY(calloc, "%rdx");
ALLOCATOR_ENTRY(realloc, "%rdx");
#endif

EXPORTED void *reallocarray(void *ptr, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, count * size);
}

static bool valid_alignment(size_t alignment) {
    return alignment != 0 && (alignment & (alignment - 1)) == 0;
}

/* The aligned allocators: memalign's rules, recorded. */
static void *aligned_block(size_t alignment, size_t size, const char *site) {
    fs_tracker *t = recording();
    return t ? allocated(t, size, alignment, site, site) : unrecorded(__libc_memalign(alignment, size));
}

EXPORTED int posix_memalign(void **out, size_t alignment, size_t size) {
    if (!valid_alignment(alignment) || alignment % sizeof(void *) != 0) {
        return EINVAL;
    }
    int kept = errno;
    void *ptr = aligned_block(alignment, size, SITE);
    errno = kept;
    if (!ptr) {
        return ENOMEM;
    }
    *out = ptr;
    return 0;
}

EXPORTED void *aligned_alloc(size_t alignment, size_t size) {
    if (!valid_alignment(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned_block(alignment, size, SITE);
}

EXPORTED void *memalign(size_t alignment, size_t size) { return aligned_block(alignment, size, SITE); }

EXPORTED void *valloc(size_t size) { return aligned_block((size_t)sysconf(_SC_PAGESIZE), size, SITE); }

EXPORTED void *pvalloc(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned_block(page, (size + page - 1) & ~(page - 1), SITE);
}

/* The usable size of a block of ours is what was asked: the byte after a
 * guarded block is already out of bounds, and after a slab block is its
 * canary. */
EXPORTED size_t malloc_usable_size(void *ptr) {
    if (ours(ptr)) {
        return our_size(ptr);
    }
    return unrecorded_usable_size(ptr);
}

/* ---- C++'s operator new and delete --------------------------------------------- */

/*
 * The C++ library's operator new calls malloc: without these, every block
 * a C++ program makes would be named by the library's operator new, and a
 * `delete` of a block `new[]` made would pass unseen. Each call's site
 * carries its form (ffiscope.h), and the tracker holds a release's form
 * against its block's. The mangled names are the Itanium C++ ABI's, where
 * size_t is `unsigned long` (m): every 64-bit Linux target.
 */
#if UINTPTR_MAX == UINT64_MAX
typedef void *(*cxx_new)(size_t size);
typedef void *(*cxx_aligned_new)(size_t size, size_t alignment);

/* The C++ library's own operator new of that name, looked up once. */
static void *cxx_library_new(const char *name, _Atomic(void *) *kept) {
    void *found = atomic_load_explicit(kept, memory_order_acquire);
    if (!found) {
        KEEP_ERRNO(found = dlsym(RTLD_NEXT, name));
        atomic_store_explicit(kept, found, memory_order_release);
    }
    return found;
}

/* A block for a new expression: recorded with its form, or glibc's where
 * nothing records. NULL when memory ran out. */
static void *new_block(size_t size, size_t alignment, unsigned form, const char *return_address) {
    fs_tracker *t = recording();
    if (t) {
        return allocated(t, size, alignment, with_form(return_address, form), return_address);
    }
    return unrecorded(alignment > SLOT_ALIGNMENT ? __libc_memalign(alignment, size) : __libc_malloc(size));
}

/* A throwing operator new whose block could not be made passes the size
 * on to the C++ library's, which runs the new-handler and throws
 * std::bad_alloc as the program expects (a C function cannot throw). */
#define THROWING_NEW(symbol, form)                                                     \
    EXPORTED void *symbol(size_t size) {                                               \
        void *ptr = new_block(size, 0, form, SITE);                                    \
        static _Atomic(void *) library;                                                \
        cxx_new next;                                                                  \
        if (!ptr && (next = (cxx_new)cxx_library_new(#symbol, &library))) {            \
            ptr = next(size);                                                          \
        }                                                                              \
        return ptr;                                                                    \
    }
#define THROWING_ALIGNED_NEW(symbol, form)                                             \
    EXPORTED void *symbol(size_t size, size_t alignment) {                             \
        void *ptr = new_block(size, alignment, form, SITE);                            \
        static _Atomic(void *) library;                                                \
        cxx_aligned_new next;                                                          \
        if (!ptr && (next = (cxx_aligned_new)cxx_library_new(#symbol, &library))) {    \
            ptr = next(size, alignment);                                               \
        }                                                                              \
        return ptr;                                                                    \
    }
THROWING_NEW(_Znwm, FS_FORM_NEW)
THROWING_NEW(_Znam, FS_FORM_NEW_ARRAY)
THROWING_ALIGNED_NEW(_ZnwmSt11align_val_t, FS_FORM_NEW)
THROWING_ALIGNED_NEW(_ZnamSt11align_val_t, FS_FORM_NEW_ARRAY)

/* The nothrow forms: NULL when memory ran out. */
EXPORTED void *_ZnwmRKSt9nothrow_t(size_t size, const void *nothrow) {
    (void)nothrow;
    return new_block(size, 0, FS_FORM_NEW, SITE);
}
EXPORTED void *_ZnamRKSt9nothrow_t(size_t size, const void *nothrow) {
    (void)nothrow;
    return new_block(size, 0, FS_FORM_NEW_ARRAY, SITE);
}
EXPORTED void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t alignment, const void *nothrow) {
    (void)nothrow;
    return new_block(size, alignment, FS_FORM_NEW, SITE);
}
EXPORTED void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t alignment, const void *nothrow) {
    (void)nothrow;
    return new_block(size, alignment, FS_FORM_NEW_ARRAY, SITE);
}

#define UNUSED __attribute__((unused))

/* Every delete is free with its form: the sized and aligned ones' extra
 * arguments change nothing about which block goes. */
#define DELETE(symbol, form, ...)                                  \
    EXPORTED void symbol(void *ptr, ##__VA_ARGS__) {              \
        free_called(ptr, NULL, with_form(SITE, form));             \
    }
DELETE(_ZdlPv, FS_FORM_NEW)
DELETE(_ZdaPv, FS_FORM_NEW_ARRAY)
DELETE(_ZdlPvm, FS_FORM_NEW, UNUSED size_t size)
DELETE(_ZdaPvm, FS_FORM_NEW_ARRAY, UNUSED size_t size)
DELETE(_ZdlPvSt11align_val_t, FS_FORM_NEW, UNUSED size_t alignment)
DELETE(_ZdaPvSt11align_val_t, FS_FORM_NEW_ARRAY, UNUSED size_t alignment)
DELETE(_ZdlPvmSt11align_val_t, FS_FORM_NEW, UNUSED size_t size, UNUSED size_t alignment)
DELETE(_ZdaPvmSt11align_val_t, FS_FORM_NEW_ARRAY, UNUSED size_t size, UNUSED size_t alignment)
DELETE(_ZdlPvRKSt9nothrow_t, FS_FORM_NEW, UNUSED const void *nothrow)
DELETE(_ZdaPvRKSt9nothrow_t, FS_FORM_NEW_ARRAY, UNUSED const void *nothrow)
DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, FS_FORM_NEW, UNUSED size_t alignment, UNUSED const void *nothrow)
DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, FS_FORM_NEW_ARRAY, UNUSED size_t alignment, UNUSED const void *nothrow)
#endif

/* ---- threads ------------------------------------------------------------------ */

/* What a thread the program starts was to run. */
typedef struct thread_start {
    void *(*routine)(void *);
    void *argument;
} thread_start;

static pthread_key_t signal_stack_key;
static pthread_once_t signal_stack_key_once = PTHREAD_ONCE_INIT;

/* A thread the program started ends: glibc runs this after the thread's
 * own TLS destructors (Rust's, C++'s `thread_local`), which may still
 * free its blocks. */
static void thread_ends(void *unused) {
    (void)unused;
    forget_thread();
    signal_stack_take_back();
}

static void create_signal_stack_key(void) {
    pthread_key_create(&signal_stack_key, thread_ends);
}

/* A thread the program started: a signal stack before its own code runs,
 * given back, and the thread no longer a root of the leak check, when it ends. */
static void *thread_begins(void *opaque) {
    thread_start start = *(thread_start *)opaque;
    __libc_free(opaque);
    signal_stack_give();
    static char given;
    pthread_setspecific(signal_stack_key, &given); /* not NULL: the destructor runs */
    return start.routine(start.argument);
}

EXPORTED int pthread_create(pthread_t *thread, const pthread_attr_t *attributes,
                            void *(*routine)(void *), void *argument) {
    static int (*libc_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!libc_pthread_create) {
        libc_pthread_create = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                       void *))dlsym(RTLD_NEXT, "pthread_create");
        if (!libc_pthread_create) {
            return EAGAIN;
        }
    }
    bool recorded = !inside && atomic_load_explicit(&recorder, memory_order_acquire);
    thread_start *start = recorded ? __libc_malloc(sizeof *start) : NULL;
    if (!start) {
        return libc_pthread_create(thread, attributes, routine, argument);
    }
    pthread_once(&signal_stack_key_once, create_signal_stack_key);
    *start = (thread_start){.routine = routine, .argument = argument};
    int result = libc_pthread_create(thread, attributes, thread_begins, start);
    if (result != 0) {
        __libc_free(start);
    }
    return result;
}

/* ---- unloading a library ------------------------------------------------- */

/* The stack walker keeps each return address's unwind rules: a library
 * unloaded takes its addresses with it. */
EXPORTED int dlclose(void *handle) {
    static int (*libc_dlclose)(void *);
    if (!libc_dlclose) {
        libc_dlclose = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
        if (!libc_dlclose) {
            return -1;
        }
    }
    int result = libc_dlclose(handle);
    unwind_forget();
    return result;
}

/* ---- leaving through _exit -------------------------------------------------- */

/* _exit runs no exit handler, so this library's own (finish_recording)
 * never runs: the leak check is made here, as memcheck makes it, with the
 * caller's stack and registers among the roots (a forked worker leaves
 * this way, holding its blocks in its frames, and a Python multiprocessing
 * worker always does). Only the process that records does this: a vfork
 * child shares its memory and its tracker, and must not end its parent's
 * recording. Where the check cannot be made safely, the channel says only
 * that every event is in the rings: in a signal handler that interrupted
 * this library (whose locks its thread may hold), or one on an alternate
 * stack too small for it. */
static _Noreturn void exit_group_now(int status) {
    for (;;) {
        syscall(SYS_exit_group, status);
        syscall(SYS_exit, status);
    }
}

/* One thread's leak check as it leaves: the first to call _exit or _Exit
 * (the same thread again, from inside the check, is `inside`). */
static _Atomic bool leaving_checked;
/* The registers of that thread's caller as it called, read before any of
 * them is reused. */
static ucontext_t leaving_registers;
static _Thread_local int leaving_status;

/* Whether this thread leaves with a leak check; if not, and the program
 * records here, the channel says every event is in the rings. */
__attribute__((noinline)) static bool checks_as_it_leaves(void) {
    fs_tracker *t = atomic_load_explicit(&recorder, memory_order_acquire);
    if (!t || !channel || atomic_load_explicit(&channel->owner_pid, memory_order_relaxed) != (int32_t)getpid()) {
        return false;
    }
    if (inside || !signal_stack_roomy()) {
        uint32_t recording = FS_RECORD_RECORDING;
        atomic_compare_exchange_strong(&channel->state, &recording, FS_RECORD_HANDED_OVER);
        return false;
    }
    if (atomic_exchange(&leaving_checked, true)) {
        /* Another thread is leaving, its check under way: the process ends
         * when that ends, with its status (either is _exit's to give). */
        for (;;) {
            pause();
        }
    }
    return true;
}

/* `caller_stack`: where the caller's frame begins, read from there up on
 * a machine whose saved context this does not know where to find the
 * stack pointer in. */
__attribute__((noinline)) static _Noreturn void leave_checked(uintptr_t caller_stack) {
    fs_tracker *t = atomic_load_explicit(&recorder, memory_order_acquire);
    if (t) {
        uintptr_t exit_frame = context_stack_pointer(&leaving_registers);
        uintptr_t kept[CONTEXT_CALLEE_SAVED_MOST];
        size_t kept_count = context_callee_saved(&leaving_registers, kept);
        reach_roots leaving = {
            .stack_from = exit_frame ? exit_frame : caller_stack,
            .registers = kept,
            .registers_bytes = kept_count * sizeof *kept,
        };
        finish_with_leak_check(t, FS_RECORD_LEFT_CHECKED, &leaving);
    }
    exit_group_now(leaving_status);
}

/* The stack is read from _exit's own frame, as getcontext saw it, up:
 * what _exit's prologue saved of the caller's registers (to keep the
 * status's place across its calls) is there, and nothing else of this
 * library's; its deeper frames, whose slots may still hold what its own
 * earlier calls left there, are not read. Of the registers, those a call
 * keeps for its caller are as the caller left them, or saved in that
 * frame; the others it may have left anything in (a copy's last address). */
EXPORTED _Noreturn void _exit(int status) {
    leaving_status = status;
    if (!checks_as_it_leaves()) {
        exit_group_now(leaving_status);
    }
    getcontext(&leaving_registers);
    leave_checked((uintptr_t)__builtin_dwarf_cfa());
}

/* The same function, as glibc has it. */
EXPORTED _Noreturn void _Exit(int status) __attribute__((alias("_exit")));

/* ---- children -------------------------------------------------------------- */

extern pid_t __waitpid(pid_t pid, int *status, int options);

static bool is_crash(int signal) {
    return signal == SIGSEGV || signal == SIGBUS || signal == SIGILL || signal == SIGFPE ||
           signal == SIGABRT || signal == SIGSYS || signal == SIGTRAP;
}

/* A child the program reaped that died of a signal: one that crashed (not
 * one stopped by SIGTERM or SIGPIPE) is a worker that died under it. */
static void note_child(pid_t pid, int status, const char *return_address) {
    fs_tracker *t = recording();
    if (!t || pid <= 0 || !WIFSIGNALED(status)) {
        return;
    }
    if (is_crash(WTERMSIG(status))) {
        KEEP_ERRNO(tracker_report(t, FS_EVENT_CHILD_CRASH, (uintptr_t)pid, 0, 0,
                                  (size_t)WTERMSIG(status),
                                  stacks_site(return_address, return_address, FS_RECORD_STACK_FRAMES), NULL));
    } else {
        /* No finding: the program killed it, or let it be killed. A
         * followed process that was is told by it. */
        KEEP_ERRNO(tracker_note(t, FS_EVENT_CHILD_KILLED, (uintptr_t)pid, (size_t)WTERMSIG(status)));
    }
}

EXPORTED pid_t waitpid(pid_t pid, int *status, int options) {
    int seen = 0;
    pid_t result = __waitpid(pid, &seen, options);
    if (status) {
        *status = seen;
    }
    note_child(result, seen, SITE);
    return result;
}

EXPORTED pid_t wait(int *status) {
    int seen = 0;
    pid_t result = __waitpid(-1, &seen, 0);
    if (status) {
        *status = seen;
    }
    note_child(result, seen, SITE);
    return result;
}

EXPORTED pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage) {
    static pid_t (*next)(pid_t, int *, int, struct rusage *);
    if (!next) {
        next = (pid_t(*)(pid_t, int *, int, struct rusage *))dlsym(RTLD_NEXT, "wait4");
    }
    int seen = 0;
    pid_t result = next ? next(pid, &seen, options, usage) : -1;
    if (status) {
        *status = seen;
    }
    note_child(result, seen, SITE);
    return result;
}
