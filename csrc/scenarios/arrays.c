/*
 * arrays.c — C returns a dynamic array that Rust views as a slice.
 */
#include "lesson_alloc.h"

/* [step:create_array] */
/* n squares; the caller releases them with free_array. */
int32_t *create_array(size_t n) {
    int32_t *values = malloc(n * sizeof *values);
    for (size_t i = 0; values && i < n; i++) {
        values[i] = (int32_t)(i * i);
    }
    return values;
}
/* [/step] */

/* [step:free_array] */
void free_array(int32_t *values) { free(values); }
/* [/step] */
