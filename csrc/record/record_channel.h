/*
 * record_channel.h — the shared memory between a recorded program and
 * ffiscope: one writer in the program (the interposer's forwarding thread),
 * one reader in ffiscope. src/ffi/record_channel.rs mirrors it; the sizes
 * are checked on both sides.
 *
 * The region is a header, then `capacity` fs_event records in a ring, then
 * a table of call stacks. The events' sites are the return addresses of
 * the program's allocation calls, numbers to be symbolized by the reader
 * with the module table, never pointers to follow; or, with the tag bit
 * set, the number of a stack in the table, whose first frame is that
 * return address (or a faulting instruction).
 */
#ifndef FFISCOPE_RECORD_CHANNEL_H
#define FFISCOPE_RECORD_CHANNEL_H

#include "ffiscope.h"

#include <stdatomic.h>
#include <stdint.h>

#define FS_RECORD_MAGIC 0x44524F4345525346ull /* "FSRECORD" */
#define FS_RECORD_VERSION 2u
#define FS_RECORD_MODULES 512u
#define FS_RECORD_PATH_BYTES 232u

#define FS_RECORD_STACK_FRAMES 32u
/* A site with this bit set is a stack's number, not an address. */
#define FS_RECORD_STACK_TAG (1ull << 63)

/* A crash event's size: why the program crashed, when it is known. */
#define FS_RECORD_CRASH_STACK_OVERFLOW 1u /* the stack ran into its guard page */

/* One call stack, innermost frame first; written once, then published by
 * its depth (0 until then). */
typedef struct fs_record_stack {
    _Atomic uint64_t depth;
    uint64_t frames[FS_RECORD_STACK_FRAMES];
} fs_record_stack;

/* One executable segment of a loaded module: an address in [start, end)
 * is at file address (address - bias) in `path`. */
typedef struct fs_record_module {
    uint64_t start;
    uint64_t end;
    uint64_t bias;
    char path[FS_RECORD_PATH_BYTES];
} fs_record_module;

enum fs_record_state {
    FS_RECORD_STARTING = 0,
    FS_RECORD_RECORDING = 1, /* the program is running and recorded */
    FS_RECORD_FINISHED = 2,  /* the program is exiting: every event is in the ring */
    FS_RECORD_HANDED_OVER = 3, /* it left through _exit: every event is in the ring,
                                  but no exit handler (and no leak check) ran */
};

typedef struct fs_record_header {
    uint64_t magic;
    uint64_t version;
    uint64_t capacity; /* events in the ring, a power of two */
    _Atomic int32_t owner_pid; /* the one process that records (the first to claim it) */
    _Atomic uint32_t state;
    _Atomic uint64_t head;            /* events written, by the program */
    _Atomic uint64_t tail;            /* events read, by ffiscope */
    _Atomic uint64_t dropped;         /* events the ring had no room for */
    _Atomic uint64_t tracker_dropped; /* events the tracker's own rings dropped */
    _Atomic uint64_t module_count;    /* entries of `modules` written and published */
    _Atomic uint64_t image;           /* bumped when the recorded process execs another program */
    _Atomic uint64_t guarded;         /* 1: blocks are guarded (record --guard) */
    _Atomic uint64_t unguarded;       /* blocks the guard had no room for, given unguarded */
    uint64_t stack_capacity;          /* entries of the stack table, set by ffiscope */
    _Atomic uint64_t stack_count;     /* entries claimed by the program */
    _Atomic uint64_t stacks_dropped;  /* stacks the table had no room for (named by their first frame) */
    fs_record_module modules[FS_RECORD_MODULES];
} fs_record_header;

#if UINTPTR_MAX == UINT64_MAX && !defined(__cplusplus)
#define FS_RECORD_MODULE_BYTES 256u
#define FS_RECORD_HEADER_BYTES 131192u
_Static_assert(sizeof(fs_record_module) == FS_RECORD_MODULE_BYTES, "update src/ffi/record_channel.rs");
_Static_assert(sizeof(fs_record_stack) == 264u, "update src/ffi/record_channel.rs");
_Static_assert(sizeof(fs_record_header) == FS_RECORD_HEADER_BYTES, "update src/ffi/record_channel.rs");
#endif

/* The events start at the first 64-byte boundary after the header; the
 * stack table at the first one after the events. */
#define FS_RECORD_EVENTS_OFFSET ((sizeof(fs_record_header) + 63u) & ~(size_t)63u)
#define FS_RECORD_STACKS_OFFSET(capacity) \
    ((FS_RECORD_EVENTS_OFFSET + (size_t)(capacity) * sizeof(fs_event) + 63u) & ~(size_t)63u)

#endif
