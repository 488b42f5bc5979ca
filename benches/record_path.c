/*
 * record_path.c — the recording path alone, in one thread, no channel:
 * what the preloaded library does for a small block (tracker_allocate and
 * tracker_release, from the tracker's slabs: mode `slabs`), or around
 * glibc's malloc and free for a large one (tracker_adopt, tracker_release),
 * with the drain ffiscope does.
 *
 *   cc -O2 -Icsrc/include -Icsrc benches/record_path.c csrc/tracker.c \
 *      csrc/tracker_drain.c csrc/tracker_poison.c csrc/tracker_sites.c csrc/tracker_slabs.c \
 *      -pthread -o /tmp/record_path
 *   /tmp/record_path raw|slabs|drained|undrained|many|many-raw
 *
 * raw, slabs, drained, undrained: 64 live blocks over a window, as
 * benches/record_heavy.c makes them; the best of 60 rounds of 100,000
 * pairs: glibc alone; from the slabs, drained every 2,048 pairs; from
 * glibc, tracked and drained every 2,048 pairs; tracked and
 * drained after the timed round. many, many-raw: 4,000,000 blocks allocated
 * in a row, then freed in a scrambled order, tracked and drained every
 * 2,048, or glibc alone.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ffiscope.h"
#include "tracker_shard.h"

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);

static const fs_allocator glibc = {__libc_malloc, __libc_free};
static fs_event drained[4096];

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void drain(fs_tracker *t) {
    while (fs_drain(t, drained, 4096) == 4096) {
    }
}

static const char *const ALLOC_SITE = (const char *)0x5678;
static const char *const FREE_SITE = (const char *)0x1234;

static void window(fs_tracker *t, const char *mode) {
    bool tracked = strcmp(mode, "raw") != 0;
    bool slabs = strcmp(mode, "slabs") == 0;
    bool drain_inside = slabs || strcmp(mode, "drained") == 0;
    enum { PAIRS = 100000, ROUNDS = 60 };
    void *blocks[64] = {0};
    double best = 1e9;
    long i = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double start = seconds();
        for (long end = i + PAIRS; i < end; i++) {
            size_t k = (size_t)(i * 2654435761u) % 64;
            if (blocks[k] && tracked) {
                tracker_release(t, blocks[k], FREE_SITE);
            } else if (blocks[k]) {
                __libc_free(blocks[k]);
            }
            size_t size = 16 + (size_t)(i % 256);
            volatile char *block = slabs ? tracker_allocate(t, size, ALLOC_SITE) : __libc_malloc(size);
            if (tracked && !slabs) {
                tracker_adopt(t, (void *)block, size, ALLOC_SITE);
            }
            block[0] = (char)i;
            blocks[k] = (void *)block;
            if (drain_inside && (i & 2047) == 2047) {
                drain(t);
            }
        }
        double ns = (seconds() - start) / PAIRS * 1e9;
        best = ns < best ? ns : best;
        drain(t);
    }
    printf("%s: best %.1f ns a pair\n", mode, best);
}

static void many(fs_tracker *t, bool tracked) {
    enum { BLOCKS = 4000000 };
    void **blocks = __libc_malloc(BLOCKS * sizeof *blocks);
    double start = seconds();
    for (long i = 0; i < BLOCKS; i++) {
        size_t size = 16 + (size_t)(i * 7 % 90);
        char *block = __libc_malloc(size);
        if (tracked) {
            tracker_adopt(t, block, size, ALLOC_SITE);
        }
        block[0] = 1;
        blocks[i] = block;
        if (tracked && (i & 2047) == 2047) {
            drain(t);
        }
    }
    double allocating = seconds() - start;
    start = seconds();
    for (long j = 0; j < BLOCKS; j++) {
        long i = (long)((unsigned long)j * 2654435761ul % BLOCKS);
        if (tracked) {
            tracker_release(t, blocks[i], FREE_SITE);
        } else {
            __libc_free(blocks[i]);
        }
        if (tracked && (j & 2047) == 2047) {
            drain(t);
        }
    }
    double freeing = seconds() - start;
    __libc_free(blocks);
    printf("%s: %.1f ns an allocation, %.1f ns a free\n", tracked ? "many" : "many-raw",
           allocating / BLOCKS * 1e9, freeing / BLOCKS * 1e9);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "drained";
    fs_tracker *t = tracker_new_bare(&glibc, 1u << 18, strcmp(mode, "slabs") == 0, NULL);
    if (!t) {
        fprintf(stderr, "record_path: no tracker\n");
        return 1;
    }
    if (strcmp(mode, "many") == 0 || strcmp(mode, "many-raw") == 0) {
        many(t, strcmp(mode, "many") == 0);
    } else if (strcmp(mode, "raw") == 0 || strcmp(mode, "slabs") == 0 || strcmp(mode, "drained") == 0 ||
               strcmp(mode, "undrained") == 0) {
        window(t, mode);
    } else {
        fprintf(stderr, "usage: record_path raw|slabs|drained|undrained|many|many-raw\n");
        return 2;
    }
    return 0;
}
