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
/* The frees of table blocks a shard remembers: 1,024 sets of 4. */
#define HISTORY_SETS 1024u
#define HISTORY_WAYS 4u
#define CANARY_BYTES 16u
#define CANARY_BYTE 0xCBu
#define POISON_BYTE 0xDDu
#define POISON_WORD (UINT64_C(0x0101010101010101) * POISON_BYTE)
#define HEADER_MAGIC 0xF5C0FFEE5EEDF00Dull
#define FREED_MAGIC 0xF5DEADBEEFF4EE0Dull
#define INITIAL_TABLE_CAPACITY 128u

#define DEFAULT_RING_CAPACITY (1u << 16)
#define DEFAULT_QUARANTINE_BYTES (4u << 20)
#define DEFAULT_QUARANTINE_BLOCKS 4096u

/* A live block's flags: its overflow was reported; the form (enum fs_form)
 * that made it, in two bits from ENTRY_FORM_SHIFT. */
enum { ENTRY_OVERFLOW_REPORTED = 1, ENTRY_FORM_SHIFT = 1, ENTRY_FORM_BITS = FS_SITE_FORM_MASK << ENTRY_FORM_SHIFT };

/* The flags a block made at `site` starts with: its form. */
static inline uint8_t form_flags(const char *site) {
    return (uint8_t)(FS_SITE_FORM(site) << ENTRY_FORM_SHIFT);
}

/* ---- sites ------------------------------------------------------------- */

/*
 * Events, table entries and slots name their sites by a 32-bit id, so an
 * event fits in 32 bytes: the ring's memory traffic, written by the program
 * and read back by the reader, is most of what an event costs. Each shard
 * keeps a small cache from site pointer to id; a miss takes the registry's
 * lock. Id 0 is the NULL site. The reader turns ids back into pointers.
 */
#define SITE_CHUNK_BITS 12u
#define SITE_CHUNK (1u << SITE_CHUNK_BITS)
#define MAX_SITE_CHUNKS 4096u /* 16,777,216 distinct sites per tracker */
#define SITE_CACHE_SLOTS 64u

typedef struct site_cache_entry {
    const char *site;
    uint32_t id;
} site_cache_entry;

typedef struct site_registry {
    pthread_mutex_t lock;
    uint32_t count;         /* ids handed out, 0 included */
    uintptr_t *keys;        /* pointer -> id, open addressing; 0 is empty */
    uint32_t *values;
    size_t capacity;        /* a power of two */
    _Atomic(const char **) chunks[MAX_SITE_CHUNKS]; /* id -> pointer */
    /* When set, the chunks are this table's (a recording's, in memory
     * shared with ffiscope), and ids stop at its capacity. */
    const char **flat;
    size_t flat_capacity; /* a multiple of SITE_CHUNK */
} site_registry;

/* ---- slabs -------------------------------------------------------------- */

/*
 * Small C blocks live in slabs the tracker owns: 64 KiB pieces of one
 * address range reserved per tracker, each cut into slots of one size
 * class and owned by one shard. A block's slab, slot and state are found
 * from its address by arithmetic: no hash table, no header in front of the
 * block, no backing allocator call, and a pointer the tracker never made is
 * recognised without being read. Larger blocks, and every block when the
 * caller supplies a backing allocator, go to the backing allocator and the
 * live table as before.
 *
 * A slot: [user bytes][canary 16 B][slack up to the class's stride].
 */
#define SLAB_SHIFT 16u
#define SLAB_BYTES ((size_t)1 << SLAB_SHIFT)
#define SLAB_CLASSES 36u
#define MAX_SLAB_STRIDE 16384u
#define MAX_SLAB_BLOCK (MAX_SLAB_STRIDE - CANARY_BYTES)
#define REGION_MAX_BYTES ((size_t)1 << 34) /* 16 GiB of address space, reserved */
#define REGION_MIN_BYTES ((size_t)1 << 26)

enum slot_state { SLOT_UNUSED = 0, SLOT_RESERVED, SLOT_LIVE, SLOT_QUARANTINED, SLOT_FREE };

typedef struct slot_meta {
    uint64_t alloc_ticks;
    uint32_t size;      /* user bytes */
    uint32_t site;      /* who allocated */
    uint32_t free_site; /* who freed, once freed */
    uint16_t next_free; /* index + 1 of the next free slot; 0 ends the list */
    uint8_t state;
    uint8_t flags;
} slot_meta;

typedef struct slab {
    _Atomic(struct shard *) owner; /* NULL: not handed out yet; then never changes */
    slot_meta *meta;
    uintptr_t base;
    uint32_t stride;
    uint32_t reciprocal; /* ceil(2^32 / stride): slot index by multiply */
    uint16_t slot_count;
    uint16_t fresh;     /* slots from here on were never handed out */
    uint16_t free_head; /* index + 1 of the first free slot */
    uint16_t in_use;    /* reserved, live and quarantined slots */
    uint8_t size_class;
    bool partial;             /* on its shard's list of slabs with free slots */
    struct slab *next_partial;
    struct slab *next_in_shard;
} slab;

/* ---- blocks from the backing allocator ---------------------------------- */

/* In front of every block from the backing allocator. 16 bytes keep the
 * user pointer max_align_t aligned; the table, not the header, is the
 * authority on a block. */
typedef struct header {
    uint64_t magic;
    uint64_t size;
} header;

#define HEADER_BYTES sizeof(header)
_Static_assert(sizeof(header) % alignof(max_align_t) == 0,
               "the user pointer must keep max_align_t alignment");

/* A live block in a table: C blocks from the backing allocator, and Rust blocks. */
typedef struct entry {
    uintptr_t address; /* 0: empty slot */
    size_t size;
    uint64_t alloc_ticks;
    uint32_t site;
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
    uint64_t free_ticks;
    uint32_t alloc_site;
    uint32_t free_site;
    uint8_t domain;
} freed_record;

/*
 * One set of a shard's free history: the latest frees of up to four
 * addresses that hash alike, two cache lines. A set keeps one entry per
 * address (a block freed and allocated again and again takes one way, not
 * all of them) and gives its oldest entry to a new address, so a free is
 * remembered however many other blocks are freed after it, unless four
 * later frees of other addresses land in its set.
 */
#define HISTORY_DOMAIN_BIT (UINT64_C(1) << 63)
typedef struct freed_set {
    alignas(64) uintptr_t address[HISTORY_WAYS];
    uint64_t free_ticks[HISTORY_WAYS];
    uint64_t size_and_domain[HISTORY_WAYS]; /* the domain in HISTORY_DOMAIN_BIT */
    uint32_t alloc_site[HISTORY_WAYS];
    uint32_t free_site[HISTORY_WAYS];
} freed_set;

/* A freed C block held back, with all that checking it needs, for a slab
 * slot as for a backing block: the slot's bookkeeping is not read when it
 * leaves. */
typedef struct quarantined {
    uintptr_t address;
    size_t size;
    uint32_t alloc_site;
    uint32_t free_site;
    bool reported; /* a write after free in it was reported */
} quarantined;

/* ---- the event ring ------------------------------------------------------ */

/*
 * One ring slot, 32 bytes. An event whose related block, full size or
 * thread must be said takes a second slot (`extension`). Every other event
 * was made by the ring's thread; when that changes (a shard adopted by a
 * new thread) the shard notes the ring position and the new thread in a
 * short list of its own (`thread_marks`), so the ring's capacity is all
 * events.
 */
#define RECORD_SIZE_BITS 47u
#define RECORD_SIZE_MASK ((UINT64_C(1) << RECORD_SIZE_BITS) - 1)
#define RECORD_EXTENDED (UINT64_C(1) << 47)
/* The domain and kind bytes, in the order a drained event keeps them
 * (after its thread), so the reader moves both with one shift. */
#define RECORD_DOMAIN_SHIFT 48u
#define RECORD_KIND_SHIFT 56u
#define THREAD_MARKS 16u

typedef struct record {
    uint64_t ticks;
    uint64_t address;
    uint64_t packed; /* size:47, extended:1, domain:8, kind:8 */
    uint32_t site;
    uint32_t related_site;
} record;

typedef struct record_extension {
    uint64_t related_address;
    uint64_t related_size;
    uint64_t size;
    uint32_t thread;
    uint32_t unused;
} record_extension;

/* From ring position `position` on, the ring's events are `thread`'s. */
typedef struct thread_mark {
    uint64_t position;
    uint32_t thread;
} thread_mark;

typedef union slot {
    record event;
    record_extension extension;
} slot;

_Static_assert(sizeof(slot) == 32, "a ring slot is 32 bytes");

/*
 * What a ring's writer and its reader share besides the slots: a line the
 * writer stores to, one the reader stores to. In a recording it lives, with
 * the slots, in memory shared with ffiscope, which reads the rings there
 * (record_channel.h); so its layout is fixed.
 */
typedef struct ring_control {
    alignas(64) _Atomic uint64_t published; /* positions written, released to the reader */
    _Atomic uint64_t marks_written;          /* thread marks written */
    _Atomic uint64_t dropped;                /* events the ring had no room for */
    /* Changes of the ring's thread, written under the shard's lock. */
    thread_mark thread_marks[THREAD_MARKS];
    alignas(64) _Atomic uint64_t tail;       /* positions read, by the reader */
    _Atomic uint64_t marks_read;
} ring_control;

#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(ring_control) == 384, "update record_channel.h and src/ffi/record_channel.rs");
#endif

/* The reader's own state for one ring: two snapshots of `published`, the
 * marks visible with the second, and the thread of the events it reads. */
typedef struct ring_reader {
    uint64_t first_snapshot;
    uint64_t second_snapshot;
    uint64_t marks_visible;
    uint32_t thread;
} ring_reader;

/* One ring as the merge sees it. */
typedef struct ring_view {
    ring_control *control;
    const slot *slots;
    uint64_t mask; /* capacity - 1 */
    ring_reader *reader;
} ring_view;

/* A merge of rings into one stream of events (tracker_drain.c). */
typedef struct ring_merge {
    ring_view *views;
    size_t count;
    uint64_t ticks_at_start; /* a tick count and the monotonic ns */
    uint64_t ns_at_start;    /* sampled together, for the scale */
    const site_registry *sites; /* names the sites of fs_events; unused for ids */
    uint64_t next_seq;          /* the number the next event is given */
} ring_merge;

/*
 * An event as the merge hands it to a recording's reader: an fs_event with
 * its sites left as ids into the site table (0: none), which the reader
 * names itself, once per id. One cache line, where an fs_event takes 72
 * bytes and two loads of the table to name.
 */
typedef struct fs_id_event {
    uint64_t seq;
    uint64_t time_ns;
    uint64_t address;
    uint64_t size;
    uint64_t related_address;
    uint64_t related_size;
    uint32_t site;
    uint32_t related_site;
    uint32_t thread;
    uint8_t domain;
    uint8_t kind;
    uint16_t reserved;
} fs_id_event;

_Static_assert(sizeof(fs_id_event) == 64, "fs_id_event changed: update src/ffi/sys.rs");

/* Hands out up to max_events events of the rings, in order: named, or with
 * their sites as ids. */
size_t ring_merge_drain(ring_merge *merge, fs_event *out, size_t max_events);
size_t ring_merge_drain_ids(ring_merge *merge, fs_id_event *out, size_t max_events);

/* Where a recorded program's rings and site names live (csrc/record/):
 * memory shared with ffiscope. */
typedef struct tracker_sharing {
    /* The control and slots (ring_capacity of them) of ring `index`; false
     * when there is none for it. */
    bool (*ring)(size_t index, ring_control **control, slot **slots);
    const char **sites;
    size_t site_capacity; /* a multiple of SITE_CHUNK */
} tracker_sharing;

/* The most events in a row that may reuse their ring's last clock stamp
 * (the fast clock, tracker.c). A read of the clock costs about 10 ns; at
 * one in 64 events it is a few tenths of a nanosecond an event, and the
 * 1 ms heartbeat bounds how early a stamp can be whatever the count. */
#define STAMPS_REUSED_MAX 63u

typedef struct shard {
    /* Written on every operation, under the lock: the owner's cache line(s). */
    alignas(64) atomic_int lock;
    uint64_t head;        /* next ring position to write */
    uint64_t cached_tail; /* the reader's tail, as last read */
    uint64_t last_ticks;  /* keeps the ring's stamps non-decreasing */
    uint64_t stamp_epoch; /* the heartbeat epoch when last_ticks was read */
    unsigned stamps_reused; /* in a row, up to STAMPS_REUSED_MAX */
    bool patient;          /* a full ring waits a while for the reader (recording) */
    bool reader_away;      /* the reader let a patient wait run out: no more waiting until it reads */
    uint32_t ring_thread;  /* the thread the ring's records belong to */
    uint32_t owner_thread; /* the thread that owns the shard now */
    ring_control *control; /* shared with the reader */
    slot *ring;
    uint64_t ring_mask;
    table live;
    fs_heap_counts counts[2];
    uint64_t events_recorded;
    _Atomic uint64_t rust_live; /* live Rust blocks, readable without the lock */
    quarantined *quarantine;    /* circular, quarantine_mask + 1 slots */
    size_t quarantine_mask;
    size_t quarantine_head;
    size_t quarantine_len;
    size_t quarantine_bytes;
    slab *current[SLAB_CLASSES]; /* where the next block of each class comes from */
    slab *partial[SLAB_CLASSES]; /* other slabs with free slots */
    slab *slabs;                 /* every slab the shard owns */
    site_cache_entry site_cache[SITE_CACHE_SLOTS];
    freed_set history[HISTORY_SETS];

    /* The in-process reader's state for this shard's ring (fs_drain). */
    alignas(64) ring_reader reader;
    /* `control` for a ring in the tracker's own memory. */
    ring_control own_control;

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
    /* The slab region; region_slabs is 0 when blocks all come from `allocate`. */
    uintptr_t region_base;
    size_t region_slabs;
    slab *slab_table; /* one per SLAB_BYTES of the region */
    alignas(64) _Atomic size_t region_used; /* slabs handed out */
    alignas(64) _Atomic uint64_t anomalies;
    alignas(64) pthread_mutex_t shards_lock;
    _Atomic size_t shard_count;
    shard *shards[MAX_SHARDS];
    uint64_t next_seq; /* only the reader touches it */
    site_registry sites;
    /* Recording a program without guarding it: blocks from `allocate` carry
     * no header or canary and are released at once, not quarantined. */
    bool bare;
    /* A recording's rings and site names, in memory shared with ffiscope;
     * NULL: the tracker's own memory. */
    const tracker_sharing *sharing;
};

/* Takes the shard's lock if it is free, without waiting. */
static inline bool shard_try_lock(shard *s) {
    return !atomic_exchange_explicit(&s->lock, 1, memory_order_acquire);
}

static inline void shard_lock(shard *s) {
    for (unsigned spins = 0;; spins++) {
        if (shard_try_lock(s)) {
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

/* Bumped once a millisecond by the tracker's heartbeat thread: an event may
 * reuse its ring's last stamp while the epoch has not moved (stamp_fast in
 * tracker.c), so its time is never more than about 1 ms early. */
extern _Atomic uint64_t fs_clock_epoch;

/* ---- shared between the tracker's files ---------------------------------- */

/* Zeroed, page-granular memory from mmap, never from malloc (tracker.c). */
void *tracker_internal_alloc(size_t bytes);
void tracker_internal_free(void *p, size_t bytes);

/* Recording a program (tracker.c, for csrc/record/interpose.c). A bare
 * tracker's blocks carry no header and are not quarantined; with `slabs`,
 * blocks up to MAX_SLAB_BLOCK come from its slabs (with their canary, and
 * each slot's state deciding a double or invalid free exactly), larger and
 * over-aligned ones from `backing`. */
fs_tracker *tracker_new_bare(const fs_allocator *backing, size_t ring_capacity, bool slabs,
                             const tracker_sharing *sharing);
/* Whether ptr lies in the tracker's slab region (its block live or not). */
bool tracker_region_holds(const fs_tracker *t, const void *ptr);
/* The size of the live slab block at ptr; 0 for any other pointer. */
size_t tracker_block_size(fs_tracker *t, const void *ptr);
void *tracker_allocate(fs_tracker *t, size_t size, const char *site);
void *tracker_reallocate(fs_tracker *t, void *ptr, size_t size, const char *site);
/* Records a block the caller allocated itself (an aligned one). */
void tracker_adopt(fs_tracker *t, void *ptr, size_t size, const char *site);

/* What tracker_release did with a pointer. */
enum release_result {
    RELEASE_DONE,    /* a live block: recorded as freed and released */
    RELEASE_REFUSED, /* a double free: reported, left alone */
    RELEASE_UNKNOWN, /* not a block it holds nor one it remembers freeing: the caller's */
};
int tracker_release(fs_tracker *t, void *ptr, const char *site);
/* Reports the free of a pointer the tracker does not know, and that the
 * caller knows no allocator made: an invalid free (inside a block it holds:
 * named with the block), for the caller to refuse. */
void tracker_refuse_free(fs_tracker *t, void *ptr, const char *site);
/* An anomaly the recorder found itself (a guarded block's fault): `site`
 * where it happened, `related_site` who allocated the block. */
void tracker_report(fs_tracker *t, uint8_t kind, uintptr_t address, size_t size, uintptr_t block,
                    size_t detail, const char *site, const char *related_site);
/* An event about a block that is neither an allocation nor an anomaly
 * (FS_EVENT_REACHABLE). */
void tracker_note(fs_tracker *t, uint8_t kind, uintptr_t address, size_t size);
/* Whether ptr is a live block the tracker holds. */
bool tracker_knows(fs_tracker *t, const void *ptr);
/* Before a fork: takes every lock of the tracker, so that the child's copy
 * of it is whole (no other thread was halfway through a change); false,
 * holding none, when one stayed taken for about a second. */
bool tracker_hold_for_fork(fs_tracker *t);
/* After the fork, in the parent and in the child: gives them back. */
void tracker_let_go_after_fork(fs_tracker *t);
/* In a forked child, a block of the tracker it was forked from, freed
 * there: its slot says so, or it leaves its table (a block from the
 * backing allocator, for the caller to release there), with no event (the
 * tracker's rings are its parent's); *size is the block's. */
enum disowned { DISOWNED_NONE, DISOWNED_SLOT, DISOWNED_TABLE };
enum disowned tracker_disown(fs_tracker *t, const void *ptr, size_t *size);
/* In a forked child: whether ptr starts a live C block of the tracker it
 * was forked from, and its size. */
bool tracker_live_size(fs_tracker *t, const void *ptr, size_t *size);

/* Sites (tracker_sites.c); `flat` may be NULL (see site_registry). */
bool tracker_sites_init(site_registry *sites, const char **flat, size_t flat_capacity);
void tracker_sites_destroy(site_registry *sites);
uint32_t tracker_site_id_slow(site_registry *sites, site_cache_entry *cached, const char *site);

/* Where shard s's cache keeps `site`'s id, if it keeps it. */
static inline site_cache_entry *site_cache_entry_of(shard *s, const char *site) {
    return &s->site_cache[((uintptr_t)site * UINT64_C(0x9E3779B97F4A7C15)) >> 58];
}

/* The id of `site` in *id when shard s's cache has it at hand (no site is
 * id 0): false otherwise. Under s's lock. */
static inline bool site_id_cached(shard *s, const char *site, uint32_t *id) {
    if (!site) {
        *id = 0;
        return true;
    }
    site_cache_entry *cached = site_cache_entry_of(s, site);
    *id = cached->id;
    return cached->site == site;
}

/* The id of `site`, under the lock of shard s, whose cache it uses. */
static inline uint32_t site_id(fs_tracker *t, shard *s, const char *site) {
    uint32_t id;
    if (site_id_cached(s, site, &id)) {
        return id;
    }
    return tracker_site_id_slow(&t->sites, site_cache_entry_of(s, site), site);
}

/* The site an id stands for. An id reaches the reader through a ring, whose
 * release store follows the registry's store of the name. */
static inline const char *site_name(const site_registry *sites, uint32_t id) {
    const char **chunk =
        atomic_load_explicit(&sites->chunks[id >> SITE_CHUNK_BITS], memory_order_acquire);
    return chunk ? chunk[id & (SITE_CHUNK - 1)] : NULL;
}

/* The poison check (tracker_poison.c): the offset of the first byte of a
 * freed block's `size` bytes at `user` (16-aligned) that is not poison, or
 * SIZE_MAX; tracker_poison_init picks the scan for this CPU, once, before
 * the first tracker is made. */
void tracker_poison_init(void);
size_t tracker_poison_scan(uintptr_t user, size_t size);

/* Slabs (tracker_slabs.c). */
bool tracker_region_reserve(fs_tracker *t);
void tracker_region_release(fs_tracker *t);
/* A slot of a slab, found by address or handed out. */
typedef struct slot_ref {
    slab *slab; /* NULL: none */
    uint32_t index;
} slot_ref;

/* Makes another slab of class c current for shard s: one with free slots,
 * or a new one; NULL when the region is used up. */
slab *tracker_slab_refill(fs_tracker *t, shard *s, unsigned c);
/* Files slab b, which has a free slot again and is not current, among its
 * owner's partial slabs. */
void tracker_slab_file_partial(slab *b);

/* The handed-out slab holding `address`, or NULL: outside the region, or in
 * a part of it no shard has taken. Reads only the tracker's own tables. */
static inline slab *slab_of(const fs_tracker *t, uintptr_t address) {
    uintptr_t offset = address - t->region_base;
    if (offset >= (uintptr_t)t->region_slabs << SLAB_SHIFT) {
        return NULL;
    }
    slab *b = &t->slab_table[offset >> SLAB_SHIFT];
    /* A slab is set up before its owner is stored, with release. */
    return atomic_load_explicit(&b->owner, memory_order_acquire) ? b : NULL;
}

/* The shard that owns a slab slab_of returned. */
static inline struct shard *slab_owner(slab *b) {
    return atomic_load_explicit(&b->owner, memory_order_relaxed);
}

/* The slot containing `address` (which may point inside it). */
static inline uint32_t slot_index(const slab *b, uintptr_t address) {
    return (uint32_t)(((uint64_t)(address - b->base) * b->reciprocal) >> 32);
}

static inline uintptr_t slot_address(const slab *b, uint32_t index) {
    return b->base + (uintptr_t)index * b->stride;
}

/* The smallest size class whose stride holds `bytes` (at most
 * MAX_SLAB_STRIDE): strides of 16 to 128 bytes in steps of 16, then four
 * per doubling (class_stride in tracker_slabs.c). */
static inline unsigned slab_class_of(size_t bytes) {
    if (bytes <= 128) {
        return bytes == 0 ? 0 : (unsigned)((bytes - 1) >> 4);
    }
    size_t n = bytes - 1;
    unsigned top = 63u - (unsigned)__builtin_clzll(n);
    return 8u + (top - 7u) * 4u + (unsigned)((n >> (top - 2u)) & 3u);
}

/* The two steps of every slab block's life, in line in the tracker's
 * allocation and free (a call each was a tenth of a recorded pair's
 * instructions); a slab running out, or back to a free slot, goes out of
 * line. */

/* Whether slab b (a shard's current slab of a class, or NULL) has a free slot. */
static inline bool slab_has_a_slot(const slab *b) {
    return b && (b->free_head != 0 || b->fresh != b->slot_count);
}

/* A slot of slab b, which has one (slab_has_a_slot), reserved as below. */
static inline slot_ref slab_take_slot(slab *b, size_t size) {
    uint32_t index;
    if (b->free_head) {
        /* The most recently released slot first: its memory is warm. */
        index = b->free_head - 1u;
        b->free_head = b->meta[index].next_free;
    } else {
        index = b->fresh++;
    }
    b->in_use++;
    slot_meta *m = &b->meta[index];
    m->size = (uint32_t)size;
    m->state = SLOT_RESERVED;
    m->flags = 0;
    return (slot_ref){.slab = b, .index = index};
}

/* A slot for `size` bytes (at most MAX_SLAB_BLOCK) from shard s's slabs,
 * RESERVED and its size set; no slab when the region is used up. Under s's
 * lock. */
static inline slot_ref tracker_slab_reserve(fs_tracker *t, shard *s, size_t size) {
    unsigned c = slab_class_of(size + CANARY_BYTES);
    slab *b = s->current[c];
    if (!slab_has_a_slot(b)) {
        b = tracker_slab_refill(t, s, c);
        if (!b) {
            return (slot_ref){.slab = NULL};
        }
    }
    return slab_take_slot(b, size);
}

/* Puts a slot back on its slab's free list as `state` (SLOT_FREE after a
 * quarantine, SLOT_UNUSED for a reservation never handed out), leaving
 * the slab where it is filed. Under the owner's lock. */
static inline void slab_put_back_unfiled(slab *b, uint32_t index, uint8_t state) {
    slot_meta *m = &b->meta[index];
    m->state = state;
    m->next_free = b->free_head;
    b->free_head = (uint16_t)(index + 1u);
    b->in_use--;
}

/* Whether slab b, given a slot back, is where its owner looks for one
 * already: its class's current slab, or filed among the partial ones. */
static inline bool slab_is_found(slab *b) {
    return slab_owner(b)->current[b->size_class] == b || b->partial;
}

/* As slab_put_back_unfiled, and files the slab among its owner's partial
 * ones if it is not found otherwise. */
static inline void tracker_slab_put_back(slab *b, uint32_t index, uint8_t state) {
    slab_put_back_unfiled(b, index, state);
    if (!slab_is_found(b)) {
        tracker_slab_file_partial(b);
    }
}

#endif
