/*
 * guard.h — the pages `ffiscope record --guard` puts under every block
 * (guard.c). Only the interposer uses it.
 */
#ifndef FFISCOPE_RECORD_GUARD_H
#define FFISCOPE_RECORD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reserves the guarded region; blocks get at least `alignment_floor` (a
 * power of two up to 16; 8 when it is not). False when the system would
 * not give the region. */
bool guard_start(size_t alignment_floor);

/* A block of `size` bytes (aligned to `alignment`, or to what its size
 * needs) on pages of its own whose end touches an inaccessible page; NULL
 * when the region is full, the alignment is above a page or the system
 * refuses, and the caller then takes an unguarded block. Always zeroed. */
void *guard_allocate(size_t size, size_t alignment, const char *site);

/* Whether ptr is in the guarded region (guard_allocate's, live or not). */
bool guard_owns(const void *ptr);

/* The size a live guarded block was asked for. */
size_t guard_size(const void *ptr);

/* What a guarded block showed on its way out or when touched wrongly. */
typedef struct guard_finding {
    uint8_t kind;          /* FS_EVENT_HEAP_OVERFLOW or FS_EVENT_USE_AFTER_FREE */
    uintptr_t address;     /* the byte touched (or the first damaged byte) */
    uintptr_t block;       /* the block's start */
    size_t size;           /* the block's size */
    size_t detail;         /* overflow: bytes past the end; use after free: offset */
    const char *alloc_site;
} guard_finding;

/* Takes the block's pages away and holds them in quarantine, so a later
 * access faults. True, with `damage` filled in, when the bytes between
 * the block's end and its page's end were written. */
bool guard_release(void *ptr, guard_finding *damage);

/* Whether a fault at `address` is a guarded block's: then `finding` says
 * whose, and the page is opened so the access can go on (each block is
 * reported once). False for any other fault. */
bool guard_explain_fault(uintptr_t address, guard_finding *finding);

#endif
