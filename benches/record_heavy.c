/*
 * record_heavy.c — a malloc-heavy program for the recording benchmarks.
 *
 *   record_heavy PAIRS [PAIRS_PER_MS]
 *
 * Makes PAIRS malloc+free pairs of 16-271 bytes over a window of 64 live
 * blocks, flat out, or PAIRS_PER_MS of them each millisecond (500 a
 * millisecond is a million events a second). Prints its own run time on
 * stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long pairs = argc > 1 ? atol(argv[1]) : 5000000;
    long per_ms = argc > 2 ? atol(argv[2]) : 0;
    void *window[64] = {0};
    unsigned long sum = 0;
    double start = seconds();
    for (long i = 0; i < pairs; i++) {
        size_t k = (size_t)(i * 2654435761u) % 64;
        free(window[k]);
        volatile char *block = malloc(16 + (size_t)(i % 256));
        block[0] = (char)i;
        sum += (unsigned long)block[0];
        window[k] = (void *)block;
        if (per_ms > 0 && i % per_ms == per_ms - 1) {
            /* Keep to the rate: wait for this millisecond's end. */
            double due = start + (double)(i / per_ms + 1) * 1e-3;
            while (seconds() < due) {
            }
        }
    }
    for (int k = 0; k < 64; k++) {
        free(window[k]);
    }
    fprintf(stderr, "program %.3f s\n", seconds() - start);
    printf("%lu\n", sum);
    return 0;
}
