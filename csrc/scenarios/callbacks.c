/*
 * callbacks.c — C that calls back into Rust for each item and cleans up
 * after itself when the callback reports an error.
 */
#include "lesson_alloc.h"

/* [step:process_items] */
/* Returns 0, or -1 after releasing its scratch memory if a callback failed. */
int process_items(const int *items, size_t count, fs_item_fn callback) {
    int *scratch = malloc(count * sizeof *scratch);
    if (!scratch) {
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (callback(items[i]) != 0) { /* [crash] */
            free(scratch);
            return -1;
        }
        scratch[i] = items[i];
    }
    free(scratch);
    return 0;
}
/* [/step] */
