/*
 * bench_loops.c — the loops the tracker benchmark times, written in C so the
 * tracked and the raw allocator are measured the same way: the same loop,
 * the same compiler, one write per block, and a barrier that stops the
 * compiler from eliding a malloc/free pair.
 */
#include "ffiscope.h"

#include <stdlib.h>

static inline void keep(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

void fs_bench_raw_pairs(size_t count, size_t size) {
    for (size_t i = 0; i < count; i++) {
        unsigned char *block = malloc(size);
        block[0] = (unsigned char)i;
        keep(block);
        free(block);
    }
}

void fs_bench_tracked_pairs(size_t count, size_t size) {
    for (size_t i = 0; i < count; i++) {
        unsigned char *block = fs_malloc(size, "bench");
        block[0] = (unsigned char)i;
        keep(block);
        fs_free(block, "bench");
    }
}
