/*
 * buffers.c — a C resource with open/fill/close, released by a Rust guard.
 */

#include <string.h>

#include "lesson_alloc.h"

/* [step:buffer_open] */
void *buffer_open(size_t capacity) { return calloc(capacity, 1); }
/* [/step] */

/* [step:buffer_fill] */
/* -1 when the input is not acceptable (it contains a '!'). */
int buffer_fill(void *buffer, size_t capacity, const char *input) {
    if (strchr(input, '!')) {
        return -1;
    }
    size_t n = strlen(input);
    memcpy(buffer, input, n < capacity ? n : capacity);
    return 0;
}
/* [/step] */

/* [step:buffer_close] */
void buffer_close(void *buffer) { free(buffer); }
/* [/step] */
