/*
 * unrecorded.c — a set of the addresses glibc handed out while nothing
 * recorded: the loader's and the C library's start-up, constructors that
 * ran before the interposer's, and the recorder's own threads and tables.
 * They are few (at most about ten for ls, git, perl, python3 and sqlite3,
 * most of them the C library's) and made rarely, so one
 * lock and one fixed table in .bss (committed only as it is touched) do;
 * the tracker's hot path never comes here.
 *
 * Open addressing with linear probing and backward-shift deletion, so a
 * program that frees and allocates unrecorded blocks for a long time does
 * not fill the table with tombstones. Past half full it stops taking new
 * addresses and says it is no longer complete.
 */
#include "unrecorded.h"

#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SLOT_BITS 15
#define SLOTS (1u << SLOT_BITS)
#define MOST (SLOTS / 2)

static uintptr_t slots[SLOTS];
static size_t count;
static _Atomic bool overflowed; /* once: the set can no longer tell */
static _Atomic bool stopped;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void acquire(void) {
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
    }
}

static void release(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

static size_t home(uintptr_t address) {
    return (size_t)(((uint64_t)address * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - SLOT_BITS));
}

void unrecorded_stop(void) { atomic_store_explicit(&stopped, true, memory_order_release); }

void unrecorded_add(void *ptr) {
    if (!ptr || atomic_load_explicit(&stopped, memory_order_acquire)) {
        return;
    }
    uintptr_t address = (uintptr_t)ptr;
    acquire();
    if (count >= MOST) {
        atomic_store_explicit(&overflowed, true, memory_order_relaxed);
    } else {
        size_t i = home(address);
        while (slots[i] != 0 && slots[i] != address) {
            i = (i + 1) & (SLOTS - 1);
        }
        if (slots[i] == 0) {
            slots[i] = address;
            count++;
        }
    }
    release();
}

bool unrecorded_take(void *ptr) {
    uintptr_t address = (uintptr_t)ptr;
    if (address == 0 || atomic_load_explicit(&stopped, memory_order_acquire)) {
        return false;
    }
    acquire();
    size_t i = home(address);
    while (slots[i] != 0 && slots[i] != address) {
        i = (i + 1) & (SLOTS - 1);
    }
    bool found = slots[i] == address;
    if (found) {
        /* Backward shift: each later entry of the run moves into the hole
         * unless its home lies cyclically after the hole. */
        size_t hole = i;
        for (size_t j = (i + 1) & (SLOTS - 1); slots[j] != 0; j = (j + 1) & (SLOTS - 1)) {
            size_t want = home(slots[j]);
            bool stays = hole <= j ? (hole < want && want <= j) : (hole < want || want <= j);
            if (!stays) {
                slots[hole] = slots[j];
                slots[j] = 0;
                hole = j;
            }
        }
        slots[hole] = 0;
        count--;
    }
    release();
    return found;
}

void unrecorded_cannot_tell(void) { atomic_store_explicit(&overflowed, true, memory_order_relaxed); }

void unrecorded_after_fork(void) {
    if (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
        unrecorded_cannot_tell();
    }
    release();
}

bool unrecorded_complete(void) {
    return !atomic_load_explicit(&stopped, memory_order_acquire) &&
           !atomic_load_explicit(&overflowed, memory_order_relaxed);
}

/* glibc's malloc_usable_size, looked up in the C library itself: RTLD_NEXT
 * would find the first library after this one to define it, and a program
 * linked with jemalloc or tcmalloc has theirs there, which faults on
 * glibc's blocks. Not under the set's lock: dlopen allocates. */
static size_t (*glibc_usable_size(void))(void *) {
    static _Atomic(size_t (*)(void *)) found;
    size_t (*measure)(void *) = atomic_load_explicit(&found, memory_order_acquire);
    if (!measure) {
        void *libc = dlopen(LIBC_SO, RTLD_NOLOAD | RTLD_LAZY); /* kept open: it never unloads */
        measure = libc ? (size_t(*)(void *))dlsym(libc, "malloc_usable_size") : NULL;
        atomic_store_explicit(&found, measure, memory_order_release);
    }
    return measure;
}

size_t unrecorded_usable_size(void *ptr) {
    size_t (*measure)(void *) = glibc_usable_size();
    return ptr && measure ? measure(ptr) : 0;
}

void unrecorded_visit(void (*visit)(void *context, uintptr_t start, uintptr_t end), void *context) {
    size_t (*measure)(void *) = glibc_usable_size();
    if (!measure) {
        return;
    }
    acquire();
    for (size_t i = 0; i < SLOTS; i++) {
        if (slots[i] != 0) {
            visit(context, slots[i], slots[i] + measure((void *)slots[i]));
        }
    }
    release();
}
