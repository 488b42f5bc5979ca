/*
 * lesson_alloc.h — the last include of each lesson's C half. The lessons'
 * code calls malloc, calloc and free, as learners' code does; these macros
 * route each call through the tracker, naming it after the function that
 * made it, so a block's site is the function that allocated it.
 */
#ifndef FFISCOPE_LESSON_ALLOC_H
#define FFISCOPE_LESSON_ALLOC_H

#include "ffiscope.h"

#include <stdlib.h>

#define malloc(size) fs_malloc((size), __func__)
#define calloc(count, size) fs_calloc((count), (size), __func__)
#define free(ptr) fs_free((ptr), __func__)

#endif
