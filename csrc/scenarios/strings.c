/*
 * strings.c — C that receives strings from Rust: reads them, greets with
 * them, and (in a broken variant) frees one that it does not own. Every read
 * asks the tracker first, so a freed pointer is reported instead of read.
 */

#include <stdio.h>
#include <string.h>

#include "lesson_alloc.h"

/* Reads go through the tracker: a string it knows was freed reads as empty,
 * and the read is reported instead of made. */
static size_t checked_strlen(const char *text, const char *site) {
    return fs_check_access(text, 1, site) ? strlen(text) : 0;
}
#define strlen(text) checked_strlen((text), __func__)

/* [step:read_rust_string] */
/* Borrows `text` for the call; the caller keeps ownership. */
size_t read_rust_string(const char *text) { return strlen(text); }
/* [/step] */

/* [step:c_frees_rust_string] */
/* Wrong: this string came from Rust's allocator, not from malloc. */
void c_frees_rust_string(char *text) { free(text); }
/* [/step] */

/* [step:greet] */
/* Writes "Hello, <name>!" into out. */
int greet(const char *name, char *out, size_t capacity) {
    return snprintf(out, capacity, "Hello, %.*s!", (int)strlen(name), name);
}
/* [/step] */
