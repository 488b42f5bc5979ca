/*
 * strings.c — C that receives strings from Rust: reads them, greets with
 * them, and (in a broken variant) frees one that it does not own. Every read
 * asks the tracker first, so a freed pointer is reported instead of read.
 */
#include "ffiscope.h"

#include <stdio.h>
#include <string.h>

/* [step:read_rust_string] */
/* Borrows `text` for the call; the caller keeps ownership. */
size_t read_rust_string(const char *text) {
    if (!fs_check_access(text, 1, "read_rust_string")) {
        return 0;
    }
    return strlen(text);
}
/* [/step] */

/* [step:c_frees_rust_string] */
/* Wrong: this string came from Rust's allocator, not from malloc. */
void c_frees_rust_string(char *text) { fs_free(text, "c_frees_rust_string"); }
/* [/step] */

/* [step:greet] */
/* Writes "Hello, <name>!" into out. Returns -1 if name is not readable. */
int greet(const char *name, char *out, size_t capacity) {
    if (!fs_check_access(name, 1, "greet")) {
        return -1;
    }
    return snprintf(out, capacity, "Hello, %s!", name);
}
/* [/step] */
