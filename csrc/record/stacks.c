/*
 * stacks.c — the channel's table of call stacks. A stack is walked with
 * the functions' unwind rules (unwind.c, so code without frame pointers
 * unwinds too), or taken with the C library's backtrace where that walk
 * gives up and in a signal handler; then cut to start at the frame that
 * matters, interned so that identical stacks share one entry, and named
 * to ffiscope by its number with FS_RECORD_STACK_TAG set, in place of a
 * site's address.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "stacks.h"

#include "fault_guard.h"
#include "unwind.h"

#include <execinfo.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

static fs_record_header *channel;
static fs_record_stack *table;
/* Interning: open addressing from a stack's hash to its number + 1. */
static uint32_t *index_slots;
static size_t index_capacity;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

bool stacks_start(fs_record_header *header, fs_record_stack *stacks) {
    index_capacity = 1;
    while (index_capacity < header->stack_capacity * 2) {
        index_capacity <<= 1;
    }
    void *slots = mmap(NULL, index_capacity * sizeof *index_slots, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slots == MAP_FAILED || header->stack_capacity == 0) {
        return false;
    }
    index_slots = slots;
    /* Anew in a forked child: a thread the fork left behind may have held it. */
    pthread_mutex_init(&lock, NULL);
    channel = header;
    table = stacks;
    return true;
}

static uint64_t hash_frames(const uint64_t *frames, size_t depth) {
    uint64_t hash = 0xcbf29ce484222325ull ^ depth;
    for (size_t i = 0; i < depth; i++) {
        hash = (hash ^ frames[i]) * 0x100000001b3ull;
        hash ^= hash >> 29;
    }
    return hash;
}

/* The number of the stack in the table, added if new; -1 when full. */
static int64_t intern(const uint64_t *frames, size_t depth) {
    uint64_t hash = hash_frames(frames, depth);
    int64_t found = -1;
    pthread_mutex_lock(&lock);
    for (size_t i = hash & (index_capacity - 1);; i = (i + 1) & (index_capacity - 1)) {
        uint32_t slot = index_slots[i];
        if (slot == 0) {
            uint64_t number = atomic_load_explicit(&channel->stack_count, memory_order_relaxed);
            if (number >= channel->stack_capacity) {
                atomic_fetch_add_explicit(&channel->stacks_dropped, 1, memory_order_relaxed);
                break;
            }
            fs_record_stack *entry = &table[number];
            memcpy(entry->frames, frames, depth * sizeof *frames);
            atomic_store_explicit(&entry->depth, depth, memory_order_release);
            atomic_store_explicit(&channel->stack_count, number + 1, memory_order_relaxed);
            index_slots[i] = (uint32_t)number + 1;
            found = (int64_t)number;
            break;
        }
        const fs_record_stack *entry = &table[slot - 1];
        uint64_t entry_depth = atomic_load_explicit(&entry->depth, memory_order_relaxed);
        if (entry_depth == depth && memcmp(entry->frames, frames, depth * sizeof *frames) == 0) {
            found = (int64_t)slot - 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

typedef struct {
    void **frames;
    int max;
    int count;
} stack_walk;

/* Walks this thread's stack by its unwind rules. Under a fault guard:
 * rules that describe a frame wrongly must not crash the program, only
 * send the walk to backtrace. */
static void walk_here(void *context) {
    stack_walk *walk = context;
    walk->count = unwind_stack(walk->frames, walk->max);
}

/* The stack above `return_address`, topped by `first`, as a site (stacks.h).
 * `in_handler`: taken in a signal handler, whose signal frame the walker
 * does not follow. */
static const char *site_of_stack(const char *first, const char *return_address, size_t max_frames,
                                 bool in_handler) {
    if (!table || max_frames == 0) {
        return first;
    }
    if (max_frames > FS_RECORD_STACK_FRAMES) {
        max_frames = FS_RECORD_STACK_FRAMES;
    }
    /* The frames above `first` are this library's (and a signal's). */
    void *taken[FS_RECORD_STACK_FRAMES + 16];
    int wanted = (int)max_frames + 16;
    stack_walk walk = {.frames = taken, .max = wanted, .count = -1};
    int count = !in_handler && fault_guard_run(walk_here, &walk) ? walk.count : -1;
    if (count < 0) {
        count = backtrace(taken, wanted);
    }
    uint64_t frames[FS_RECORD_STACK_FRAMES];
    size_t depth = 0;
    frames[depth++] = (uint64_t)(uintptr_t)first;
    uint64_t untagged = (uint64_t)(uintptr_t)first & ~(FS_RECORD_TAIL_CALLED_TAG | FS_RECORD_CALLEE_UNKNOWN_TAG);
    if (untagged != (uint64_t)(uintptr_t)return_address && depth < max_frames) {
        frames[depth++] = (uint64_t)(uintptr_t)return_address;
    }
    int at = 0;
    /* A fault's instruction is named one byte past it, as a return address
     * is; the unwinder may say either. */
    while (at < count && (uintptr_t)taken[at] + 1 - (uintptr_t)return_address > 2) {
        at++;
    }
    for (at++; at < count && depth < max_frames; at++) {
        frames[depth++] = (uint64_t)(uintptr_t)taken[at];
    }
    int64_t number = intern(frames, depth);
    return number < 0 ? first : (const char *)(uintptr_t)(FS_RECORD_STACK_TAG | (uint64_t)number);
}

const char *stacks_site(const char *first, const char *return_address, size_t max_frames) {
    return site_of_stack(first, return_address, max_frames, false);
}

const char *stacks_site_in_handler(const char *first, size_t max_frames) {
    return site_of_stack(first, first, max_frames, true);
}
