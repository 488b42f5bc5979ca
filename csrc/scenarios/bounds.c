/*
 * bounds.c — copying into a fixed buffer with and without a bound, and a
 * lookup that returns NULL for an unknown id.
 */

#include <string.h>

#include "lesson_alloc.h"

/* [step:make_buffer] */
char *make_buffer(size_t capacity) { return calloc(capacity, 1); }
/* [/step] */

/* [step:copy_into] */
/* Copies at most capacity - 1 bytes and always terminates. */
void copy_bounded(char *dst, size_t capacity, const char *src) {
    if (capacity == 0) {
        return;
    }
    strncpy(dst, src, capacity - 1);
    dst[capacity - 1] = '\0';
}
/* [/step] */

/* [step:copy_into@overflow] */
/* Wrong: strcpy copies until the terminator, whatever the buffer holds. */
void copy_unbounded(char *dst, const char *src) { strcpy(dst, src); }
/* [/step] */

/* [step:free_buffer] */
void free_buffer(char *buffer) { free(buffer); }
/* [/step] */

/* [step:lookup_user_name] */
/* NULL when there is no such user. */
const char *lookup_user_name(int id) {
    static const char *const names[] = {"ada", "grace", "linus"};
    return id >= 0 && id < 3 ? names[id] : NULL;
}

size_t name_length(const char *name) { return strlen(name); } /* [crash] */
/* [/step] */
