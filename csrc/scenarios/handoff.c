/*
 * handoff.c — C that takes ownership of a Rust object and must give it back
 * exactly once, through the destroy callback Rust handed over with it; and C
 * that shares a reference-counted Rust object and drops its reference.
 */

#include <stdlib.h>

#include "lesson_alloc.h"

/* [step:holder_adopt] */
struct holder {
    void *object;
    destroy_fn destroy;
};

/* C now owns `object` and will call `destroy` on it exactly once. */
struct holder *holder_adopt(void *object, destroy_fn destroy) {
    struct holder *h = malloc(sizeof *h);
    if (h) {
        h->object = object;
        h->destroy = destroy;
    }
    return h;
}
/* [/step] */

/* [step:holder_release] */
void holder_release(struct holder *h) {
    h->destroy(h->object);
    free(h);
}
/* [/step] */

/* [step:holder_release@destroy-twice] */
/* Wrong: a second destroy of an object that no longer exists. */
void holder_release_twice(struct holder *h) {
    h->destroy(h->object);
    h->destroy(h->object);
    free(h);
}
/* [/step] */

/* [step:holder_release@never-destroyed] */
/* Wrong: drops the holder and forgets the object it owned. */
void holder_forget(struct holder *h) { free(h); }
/* [/step] */

/* [step:shared_keep] */
struct shared_ref {
    const void *object;
    release_fn release;
};

/* C keeps one counted reference to `object` until shared_drop. */
struct shared_ref *shared_keep(const void *object, release_fn release) {
    struct shared_ref *r = malloc(sizeof *r);
    if (r) {
        r->object = object;
        r->release = release;
    }
    return r;
}
/* [/step] */

/* [step:shared_drop] */
void shared_drop(struct shared_ref *r) {
    r->release(r->object);
    free(r);
}
/* [/step] */

/* The one function here that must reach the C library's allocator untracked:
 * the lesson is what glibc does to a double free with nobody in the way. */
#undef malloc
#undef free

/* [step:holder_release@double-free-unprotected] */
/* Wrong, and with no tracker in the way: glibc aborts the process. */
void unprotected_double_free(void) {
    char *block = malloc(32);
    /* Through a volatile, so the compiler can neither drop the unused block
     * nor see the second free coming. */
    char *volatile again = block;
    free(block);
    free(again); /* [crash] */
}
/* [/step] */
