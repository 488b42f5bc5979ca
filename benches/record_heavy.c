#include <stdlib.h>
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) { struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    long n = argc > 1 ? atol(argv[1]) : 5000000;
    void *keep[64] = {0};
    unsigned long sum = 0;
    for (long i = 0; i < n; i++) {
        size_t k = (size_t)(i * 2654435761u) % 64;
        free(keep[k]);
        volatile char *p = malloc(16 + (i % 256));
        p[0] = (char)i;
        sum += (unsigned long)p[0];
        keep[k] = (void *)p;
    }
    for (int k = 0; k < 64; k++) free(keep[k]);
    clock_gettime(CLOCK_MONOTONIC, &b); fprintf(stderr, "program %.3f s\n", (b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)*1e-9); printf("%lu\n", sum);
    return 0;
}
