/*
 * lesson_alloc.h — the last include of each lesson's C half. The lessons'
 * code calls malloc, calloc and free, as learners' code does; these macros
 * route each call through the tracker, naming it after the function that
 * made it, so a block's site is the function that allocated it. The
 * examples build the same files with FFISCOPE_PLAIN_ALLOC: no routing.
 */
#ifndef FFISCOPE_LESSON_ALLOC_H
#define FFISCOPE_LESSON_ALLOC_H

#include "ffiscope.h"

#include <stdlib.h>

#ifdef FFISCOPE_PLAIN_ALLOC
/* Built for examples/, as a learner builds it: the C library's own malloc
 * and free, and reads that nothing checks. */
#define fs_check_access(ptr, len, site) ((void)(site), 1)
#else
#define malloc(size) fs_malloc((size), __func__)
#define calloc(count, size) fs_calloc((count), (size), __func__)
#define free(ptr) fs_free((ptr), __func__)
#endif

#endif
