/*
 * arena.c — many small allocations inside one block, released at once;
 * against the same items allocated one by one.
 */

#include <stdalign.h>

#include "lesson_alloc.h"

/* [step:arena_new] */
struct arena {
    size_t used;
    size_t capacity;
    alignas(16) unsigned char bytes[];
};

struct arena *arena_new(size_t capacity) {
    struct arena *a = malloc(sizeof *a + capacity);
    if (a) {
        a->used = 0;
        a->capacity = capacity;
    }
    return a;
}
/* [/step] */

/* [step:arena_alloc] */
/* Bumps a pointer: no allocator call, nothing to free one by one. */
void *arena_alloc(struct arena *a, size_t n) {
    size_t start = (a->used + 15) & ~(size_t)15;
    if (start + n > a->capacity) {
        return NULL;
    }
    a->used = start + n;
    return a->bytes + start;
}
/* [/step] */

/* [step:arena_free] */
void arena_free(struct arena *a) { free(a); }
/* [/step] */

/* [step:item_alloc] */
void *item_alloc(size_t n) { return malloc(n); }
/* [/step] */

/* [step:item_free] */
void item_free(void *item) { free(item); }
/* [/step] */
