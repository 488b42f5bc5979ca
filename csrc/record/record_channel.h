/*
 * record_channel.h — the shared memory between a recorded program and
 * ffiscope: the program's threads write their events into rings here, one
 * per tracker shard (tracker_shard.h's records and ring controls), and
 * ffiscope reads and merges them in place (csrc/record_reader.c): no thread
 * of the program forwards them. src/ffi/record_channel.rs mirrors the
 * layout; the sizes are checked on both sides.
 *
 * The region: a header; `max_rings` ring controls; `max_rings` rings of
 * `ring_capacity` 32-byte slots; the site table (a site id's name, read by
 * ffiscope); the table of call stacks. The sites are the return addresses
 * of the program's allocation calls, numbers to be symbolized by the reader
 * with the module table, never pointers to follow; or, with the tag bit
 * set, the number of a stack in the table, whose first frame is that
 * return address (or a faulting instruction).
 *
 * One process records into a channel, the first to claim it. With
 * `record --follow-children` ffiscope makes more channels, and a process
 * the recorded one started claims the first of them still free, in the
 * order FFISCOPE_RECORD_FOLLOW lists their descriptors. Once that process
 * writes no more there (its state says it handed over its last event or
 * gave the channel back, or it is gone) and ffiscope has read it all,
 * ffiscope makes the channel new (owner_pid -1 meanwhile) and free again.
 */
#ifndef FFISCOPE_RECORD_CHANNEL_H
#define FFISCOPE_RECORD_CHANNEL_H

#include "ffiscope.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FS_RECORD_MAGIC 0x44524F4345525346ull /* "FSRECORD" */
#define FS_RECORD_VERSION 11u
#define FS_RECORD_MODULES 512u
#define FS_RECORD_PATH_BYTES 232u
/* The most rings a region may hold (the tracker's shards). */
#define FS_RECORD_MAX_RINGS 256u
#define FS_RECORD_RING_CONTROL_BYTES 384u /* sizeof(ring_control) */
#define FS_RECORD_SLOT_BYTES 32u          /* sizeof(slot) */
#define FS_RECORD_SITE_CHUNK 4096u        /* SITE_CHUNK: the site table grows by so many */

#define FS_RECORD_STACK_FRAMES 32u
/* The recorded process's command line kept, NUL-terminated (cut short). */
#define FS_RECORD_COMMAND_BYTES 256u
/* Programs started by the recorded one named in the header, at most. */
#define FS_RECORD_STARTED 16u
/* Forked copies that ran unrecorded named by pid in the header, at most. */
#define FS_RECORD_FORKED_PIDS 64u
/* The functions the recorder replaces that a recording says, at its start,
 * the program's calls reach elsewhere (FS_EVENT_ALLOCATOR_ELSEWHERE: bit i
 * for the i-th); src/ffi/record_channel.rs names them in this order. */
#define FS_RECORD_REPLACED_NAMES \
    "malloc", "free", "calloc", "realloc", "posix_memalign", "aligned_alloc", "memalign", "_Znwm", "_ZdlPv"
#define FS_RECORD_REPLACED_COUNT 9u
/* A site with this bit set is a stack's number, not an address. */
#define FS_RECORD_STACK_TAG (1ull << 63)
/* An allocator call's site, with this bit set: the entry of the function
 * that a call through a pointer went to, and that reached the allocator
 * by a tail call (caller.h). */
#define FS_RECORD_TAIL_CALLED_TAG (1ull << 62)
/* An allocator call's site, with this bit set: a return address after a
 * call through a pointer that did not go to the allocator, to a function
 * not known, which reached it by a tail call. */
#define FS_RECORD_CALLEE_UNKNOWN_TAG (1ull << 61)

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

/* A program the recorded one started (a child that exec'd it with the
 * library still preloaded), which records nothing: one process records.
 * Claimed by `started_count`, its path written, then published by
 * `written`; two processes of one program starting at once may claim an
 * entry each, which the reader adds together. */
typedef struct fs_record_started {
    _Atomic uint64_t count;   /* processes of it started */
    _Atomic uint64_t written; /* 1 once `path` is whole */
    char path[FS_RECORD_PATH_BYTES];
} fs_record_started;

enum fs_record_state {
    FS_RECORD_STARTING = 0,
    FS_RECORD_RECORDING = 1, /* the program is running and recorded */
    FS_RECORD_FINISHED = 2,  /* the program is exiting: every event is in the rings */
    FS_RECORD_HANDED_OVER = 3, /* it left through _exit where its leaks could not be
                                  looked for: every event is in the rings, no leak check */
    FS_RECORD_GIVEN_BACK = 4,  /* a forked copy exec'd a program not to follow: its events
                                  are in the rings, and ffiscope may hand the channel out
                                  again once it has read them */
    FS_RECORD_LEFT_CHECKED = 5, /* it left through _exit: every event is in the rings,
                                   its leak check with them, made as it left */
    FS_RECORD_FINISHED_IN_FRAMES = 6, /* it called exit from inside its frames (not by
                                         returning from main): every event is in the rings,
                                         its leak check with them, those frames among the roots */
};

/* What `modules_read` says when ffiscope has read `count` modules of image
 * `image` (count < 2^16: FS_RECORD_MODULES is far below). */
#define FS_RECORD_MODULES_READ(image, count) (((uint64_t)(image) << 16) | (uint64_t)(count))

typedef struct fs_record_header {
    uint64_t magic;
    uint64_t version;
    /* Set by ffiscope before the program starts: */
    uint64_t ring_capacity;  /* slots in each ring, a power of two */
    uint64_t max_rings;      /* rings the region holds, at most FS_RECORD_MAX_RINGS */
    uint64_t site_capacity;  /* entries of the site table, a multiple of FS_RECORD_SITE_CHUNK */
    uint64_t stack_capacity; /* entries of the stack table */
    _Atomic int32_t owner_pid; /* the one process that records (the first to claim it) */
    _Atomic uint32_t state;
    _Atomic uint64_t ring_count;     /* rings the program has taken, each before its first event */
    _Atomic uint64_t ticks_at_start; /* the event clock and the monotonic ns, */
    _Atomic uint64_t ns_at_start;    /* sampled together when the tracker was made */
    _Atomic uint64_t module_count;   /* entries of `modules` written and published */
    _Atomic uint64_t image;          /* bumped when the recorded process execs another program */
    _Atomic uint64_t guarded;        /* 1: blocks are guarded (record --guard) */
    _Atomic uint64_t unguarded;      /* blocks the guard had no room for, given unguarded */
    _Atomic uint64_t stack_count;    /* entries claimed by the program */
    _Atomic uint64_t stacks_dropped; /* stacks the table had no room for (named by their first frame) */
    _Atomic uint64_t mappings_unread; /* the program's own mappings the leak check could not read */
    /* Set by ffiscope: the modules it has read, as FS_RECORD_MODULES_READ(image, count). */
    _Atomic uint64_t modules_read;
    fs_record_module modules[FS_RECORD_MODULES];
    _Atomic uint64_t started_unrecorded; /* processes the recorded one started, which ran unrecorded */
    _Atomic uint64_t started_count;      /* entries of `started` claimed (may pass FS_RECORD_STARTED) */
    _Atomic uint64_t started_skipped;    /* of `started_unrecorded`, those FFISCOPE_RECORD_FOLLOW_SKIP named */
    fs_record_started started[FS_RECORD_STARTED];
    /* Which program records here, written by the process when it claims
     * the channel and again when it execs another: odd while it writes,
     * even once `program` and `command` are whole. */
    _Atomic uint64_t program_sequence;
    char program[FS_RECORD_PATH_BYTES];    /* /proc/self/exe */
    char command[FS_RECORD_COMMAND_BYTES]; /* its arguments, space-separated */
    /* A forked copy of a recorded process, which runs on without an exec
     * (a worker of a pool, a server's child): counted in the first
     * channel when it records nothing (no channel free for it, or
     * --guard); with --follow-children it claims a channel as a program
     * started does, and says there whose copy it is until it execs. */
    _Atomic uint64_t forked_unrecorded;
    _Atomic int64_t forked_from; /* the pid it was forked from; 0: a program started */
    /* The pids counted in forked_unrecorded, as far as there is room: one
     * that execs after all is the program it runs, and takes its count back. */
    _Atomic int32_t forked_pids[FS_RECORD_FORKED_PIDS];
} fs_record_header;

#if UINTPTR_MAX == UINT64_MAX && !defined(__cplusplus)
#define FS_RECORD_MODULE_BYTES 256u
#define FS_RECORD_HEADER_BYTES 135976u
_Static_assert(sizeof(fs_record_module) == FS_RECORD_MODULE_BYTES, "update src/ffi/record_channel.rs");
_Static_assert(sizeof(fs_record_stack) == 264u, "update src/ffi/record_channel.rs");
_Static_assert(sizeof(fs_record_started) == 248u, "update src/ffi/record_channel.rs");
_Static_assert(sizeof(fs_record_header) == FS_RECORD_HEADER_BYTES, "update src/ffi/record_channel.rs");
#endif

/* Where each part begins: the controls at the first 64-byte boundary after
 * the header, the rings at the first page after the controls, the site and
 * stack tables each at the first 64-byte boundary after the part before. */
#define FS_RECORD_ALIGN(offset, to) (((size_t)(offset) + (to)-1u) & ~((size_t)(to)-1u))
#define FS_RECORD_CONTROLS_OFFSET FS_RECORD_ALIGN(sizeof(fs_record_header), 64u)

static inline size_t fs_record_rings_offset(const fs_record_header *h) {
    return FS_RECORD_ALIGN(FS_RECORD_CONTROLS_OFFSET + h->max_rings * FS_RECORD_RING_CONTROL_BYTES, 4096u);
}

static inline size_t fs_record_sites_offset(const fs_record_header *h) {
    return FS_RECORD_ALIGN(fs_record_rings_offset(h) + h->max_rings * h->ring_capacity * FS_RECORD_SLOT_BYTES, 64u);
}

static inline size_t fs_record_stacks_offset(const fs_record_header *h) {
    return FS_RECORD_ALIGN(fs_record_sites_offset(h) + h->site_capacity * sizeof(uint64_t), 64u);
}

static inline size_t fs_record_bytes(const fs_record_header *h) {
    return fs_record_stacks_offset(h) + h->stack_capacity * sizeof(fs_record_stack);
}

/* Whether a region of `bytes` is a channel its header describes: the
 * program's library and ffiscope's reader each check before they trust it. */
static inline bool fs_record_fits(const fs_record_header *h, size_t bytes) {
    return bytes >= sizeof *h && h->magic == FS_RECORD_MAGIC && h->version == FS_RECORD_VERSION &&
           h->max_rings > 0 && h->max_rings <= FS_RECORD_MAX_RINGS && h->ring_capacity >= 2 &&
           (h->ring_capacity & (h->ring_capacity - 1)) == 0 && h->site_capacity % FS_RECORD_SITE_CHUNK == 0 &&
           fs_record_bytes(h) <= bytes;
}

/* ---- ffiscope's side (csrc/record_reader.c) ------------------------------ */

typedef struct fs_record_reader fs_record_reader;
struct fs_id_event; /* tracker_shard.h */

/* A reader of the region at `region`, `bytes` long; NULL when the header
 * does not describe a region of that size. */
fs_record_reader *fs_record_reader_new(void *region, size_t bytes);
void fs_record_reader_free(fs_record_reader *reader);
/* Up to max_events of the program's events, merged in order from its
 * rings, their sites ids into the region's site table. */
size_t fs_record_drain(fs_record_reader *reader, struct fs_id_event *out, size_t max_events);
/* Events the program's rings had no room for. */
uint64_t fs_record_dropped(const fs_record_reader *reader);

#endif
