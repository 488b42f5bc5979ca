/*
 * record_heavy.c — a malloc-heavy program for the recording benchmarks.
 *
 *   record_heavy PAIRS [PAIRS_PER_MS [WINDOW]]
 *
 * Makes PAIRS malloc+free pairs of 16-271 bytes over a window of WINDOW
 * live blocks (64 unless told), flat out, or PAIRS_PER_MS of them each
 * millisecond (500 a millisecond is a million events a second). Each
 * allocation frees the block in a scrambled place of the window, so with a
 * large window the program holds that many blocks, freed in no order.
 * Prints its own run time on stderr.
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
    size_t places = argc > 3 ? (size_t)atol(argv[3]) : 64;
    void **window = calloc(places ? places : 1, sizeof *window);
    if (window == NULL || places == 0) {
        fprintf(stderr, "record_heavy: no room for a window of %zu blocks\n", places);
        return 2;
    }
    unsigned long sum = 0;
    double start = seconds();
    for (long i = 0; i < pairs; i++) {
        size_t k = (size_t)(i * 2654435761u) % places;
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
    for (size_t k = 0; k < places; k++) {
        free(window[k]);
    }
    free(window);
    fprintf(stderr, "program %.3f s\n", seconds() - start);
    printf("%lu\n", sum);
    return 0;
}
