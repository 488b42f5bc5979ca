/*
 * tracker_shard.h — the tracker's private state, shared by tracker.c (the
 * allocator and its checks) and tracker_drain.c (the reader).
 *
 * A tracker is a set of shards, one per thread that uses it. A shard owns an
 * event ring, a live-block table, a history of recent frees, a quarantine and
 * counts, all guarded by one spinlock. The owning thread takes that lock on
 * every operation; it stays in the owner's cache, so it costs a couple of
 * nanoseconds. Anyone else takes it only to reach one of the shard's blocks
 * (a free from another thread) or to answer a query.
 *
 * Every change to a block happens under the lock of the shard that holds it,
 * and its event goes into that shard's ring. So within a ring a block's
 * allocation always precedes its free; the reader only has to order events
 * between rings (see tracker_drain.c).
 */
#ifndef FFISCOPE_TRACKER_SHARD_H
#define FFISCOPE_TRACKER_SHARD_H

#include "ffiscope.h"

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MAX_SHARDS 256u
#define HISTORY_PER_SHARD 1024u
#define CANARY_BYTES 16u
#define CANARY_BYTE 0xCBu
#define POISON_BYTE 0xDDu
#define HEADER_MAGIC 0xF5C0FFEE5EEDF00Dull
#define FREED_MAGIC 0xF5DEADBEEFF4EE0Dull
#define INITIAL_TABLE_CAPACITY 128u

#define DEFAULT_RING_CAPACITY (1u << 16)
#define DEFAULT_QUARANTINE_BYTES (4u << 20)
#define DEFAULT_QUARANTINE_BLOCKS 4096u

enum { ENTRY_OVERFLOW_REPORTED = 1 };

/* In front of every C block. 16 bytes keep the user pointer max_align_t
 * aligned; the registry, not the header, is the authority on a block. */
typedef struct header {
    uint64_t magic;
    uint64_t size;
} header;

#define HEADER_BYTES sizeof(header)
_Static_assert(sizeof(header) % alignof(max_align_t) == 0,
               "the user pointer must keep max_align_t alignment");

typedef struct entry {
    uintptr_t address; /* 0: empty slot */
    size_t size;
    const char *site;
    uint64_t alloc_ticks;
    uint8_t domain;
    uint8_t flags;
} entry;

typedef struct table {
    entry *slots;
    size_t capacity; /* a power of two */
    size_t count;
} table;

typedef struct freed_record {
    uintptr_t address;
    size_t size;
    const char *alloc_site;
    const char *free_site;
    uint64_t free_ticks;
    uint8_t domain;
} freed_record;

typedef struct quarantined {
    uintptr_t address;
    size_t size;
    const char *alloc_site;
    const char *free_site;
    bool reported;
} quarantined;

/* One ring slot. Realloc and anomalies take a second slot for the related
 * block (`extension`); `slots` says how many the event occupies. */
typedef struct record {
    uint64_t ticks;
    uint64_t address;
    uint64_t size;
    const char *site;
    const char *related_site;
    uint32_t thread;
    uint8_t kind;
    uint8_t domain;
    uint8_t slots;
    uint8_t unused;
} record;

typedef union slot {
    record event;
    struct {
        uint64_t related_address;
        uint64_t related_size;
    } extension;
} slot;

typedef struct shard {
    /* Written on every operation, under the lock: the owner's cache line(s). */
    alignas(64) atomic_int lock;
    uint64_t head;        /* next ring position to write */
    uint64_t cached_tail; /* the reader's tail, as last read */
    uint64_t last_ticks;  /* keeps the ring's stamps non-decreasing */
    uint64_t stamp_epoch; /* the heartbeat epoch when last_ticks was read */
    unsigned stamps_reused;
    _Atomic uint64_t published; /* head, released to the reader */
    slot *ring;
    uint64_t ring_mask;
    table live;
    fs_heap_counts counts[2];
    uint64_t events_recorded;
    uint64_t events_dropped;
    _Atomic uint64_t rust_live; /* live Rust blocks, readable without the lock */
    quarantined *quarantine;    /* circular, quarantine_mask + 1 slots */
    size_t quarantine_mask;
    size_t quarantine_head;
    size_t quarantine_len;
    size_t quarantine_bytes;
    unsigned history_next;
    freed_record history[HISTORY_PER_SHARD];

    /* The reader's line: its position, and two snapshots of `published`. */
    alignas(64) _Atomic uint64_t tail;
    uint64_t first_snapshot;
    uint64_t second_snapshot;

    /* Who uses the shard; changed only under the tracker's shards_lock. */
    struct thread_record *owner;
    uint64_t owner_token;
} shard;

struct fs_tracker {
    uint64_t id; /* unique for the life of the process */
    void *(*allocate)(size_t);
    void (*release)(void *);
    uint64_t ticks_at_start; /* event clock and monotonic ns, sampled */
    uint64_t ns_at_start;    /* together when the tracker was made */
    size_t ring_capacity;
    size_t quarantine_max_blocks;
    size_t quarantine_max_bytes;
    alignas(64) _Atomic uint64_t anomalies;
    alignas(64) pthread_mutex_t shards_lock;
    _Atomic size_t shard_count;
    shard *shards[MAX_SHARDS];
    uint64_t next_seq; /* only the reader touches it */
};

static inline void shard_lock(shard *s) {
    for (unsigned spins = 0;; spins++) {
        if (!atomic_exchange_explicit(&s->lock, 1, memory_order_acquire)) {
            return;
        }
        /* Two cores: a holder that was preempted will not finish while we spin. */
        if (spins > 64) {
            sched_yield();
        }
    }
}

static inline void shard_unlock(shard *s) {
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/*
 * The event clock. Reading CLOCK_MONOTONIC costs about 25 ns; on x86-64 the
 * time-stamp counter costs about 10 ns and is synchronised across cores
 * (constant_tsc, nonstop_tsc). Events carry ticks, and the reader turns them
 * into nanoseconds once per drained event.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t event_ticks(void) { return __rdtsc(); }
#define TICKS_ARE_NS 0
#else
static inline uint64_t event_ticks(void) { return fs_now_ns(); }
#define TICKS_ARE_NS 1
#endif

/* Bumped once a millisecond by the tracker's heartbeat thread: a free may
 * reuse its ring's last stamp while the epoch has not moved (stamp_free in
 * tracker.c), so its time is never more than about 1 ms early. */
extern _Atomic uint64_t fs_clock_epoch;

#endif
