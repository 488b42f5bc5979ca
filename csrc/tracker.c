/*
 * tracker.c — the instrumented allocator behind fs_malloc and friends.
 *
 * Layout of a C block:  [header 48 B][user bytes ...][canary 16 B]
 * The registry is split into stripes by address hash, each with its own lock,
 * live-block table, freed-block history and quarantine, so threads that
 * allocate different blocks rarely meet. Events go to a bounded lock-free
 * ring (one slot per position, each slot carries the turn it expects), so a
 * producer never waits for the reader: when the ring is full the event is
 * counted as dropped instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ffiscope.h"

#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define STRIPE_COUNT 64u
#define HISTORY_PER_STRIPE 32u
#define CANARY_BYTES 16u
#define CANARY_BYTE 0xCBu
#define POISON_BYTE 0xDDu
#define HEADER_MAGIC 0xF5C0FFEE5EEDF00Dull
#define FREED_MAGIC 0xF5DEADBEEFF4EE0Dull
#define INITIAL_TABLE_CAPACITY 64u

#define DEFAULT_RING_CAPACITY (1u << 16)
#define DEFAULT_QUARANTINE_BYTES (4u << 20)
#define DEFAULT_QUARANTINE_BLOCKS 4096u

enum { ENTRY_OVERFLOW_REPORTED = 1 };

typedef struct header {
    uint64_t magic;
    uint64_t size;
    const char *site;
    uint64_t seq;
    fs_tracker *tracker;
    uint32_t domain;
    uint32_t flags;
} header;

#define HEADER_BYTES sizeof(header)
_Static_assert(sizeof(header) % alignof(max_align_t) == 0,
               "the user pointer must keep max_align_t alignment");

typedef struct entry {
    uintptr_t address; /* 0: empty slot */
    size_t size;
    const char *site;
    uint64_t seq;
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
    uint8_t domain;
} freed_record;

typedef struct quarantined {
    uintptr_t address;
    size_t size;
    const char *alloc_site;
    const char *free_site;
    bool reported;
} quarantined;

typedef struct stripe {
    alignas(64) atomic_int lock;
    table live;
    freed_record history[HISTORY_PER_STRIPE];
    unsigned history_next;
    quarantined *quarantine; /* circular, quarantine_capacity slots */
    size_t quarantine_head;
    size_t quarantine_len;
    size_t quarantine_bytes;
    fs_heap_counts counts[2];
} stripe;

/* One ring position. Aligned to cache lines so that two producers writing
 * neighbouring positions do not fight over one line. */
typedef struct slot {
    alignas(64) _Atomic uint64_t turn;
    fs_event event;
} slot;

struct fs_tracker {
    stripe stripes[STRIPE_COUNT];
    alignas(64) _Atomic uint64_t ring_head;
    alignas(64) _Atomic uint64_t dropped;
    _Atomic uint64_t anomalies;
    alignas(64) uint64_t ring_tail; /* only the reader touches it */
    uint64_t ticks_at_start;        /* event clock and monotonic ns, sampled */
    uint64_t ns_at_start;           /* together when the tracker was made */
    slot *ring;
    size_t ring_mask;
    size_t quarantine_capacity;        /* per stripe, blocks */
    size_t quarantine_max_bytes;       /* per stripe */
};

static _Thread_local fs_tracker *bound_tracker;
static _Thread_local uint32_t cached_thread_id;
static fs_tracker *default_tracker;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

/* ---- small helpers ---------------------------------------------------- */

uint64_t fs_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/*
 * The event clock. Reading CLOCK_MONOTONIC costs about 25 ns, twice per
 * allocate/free pair; on x86-64 the time-stamp counter costs about 10 ns.
 * Events carry ticks, and the reader turns them into nanoseconds (see
 * ticks_to_ns), so the conversion is paid once per drained event instead of
 * on the allocation path.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static uint64_t event_ticks(void) { return __rdtsc(); }
#define TICKS_ARE_NS 0
#else
static uint64_t event_ticks(void) { return fs_now_ns(); }
#define TICKS_ARE_NS 1
#endif

/* Maps ticks onto the monotonic clock by interpolating between two points
 * sampled together: the tracker's creation and the moment of a drain. The
 * slope is computed once per drain as a 32.32 fixed-point factor, so each
 * event costs a multiply rather than a 128-bit division. */
typedef struct tick_scale {
    uint64_t ticks_at_start;
    uint64_t ns_at_start;
    unsigned __int128 ns_per_tick_q32;
} tick_scale;

static tick_scale tick_scale_now(const fs_tracker *t) {
    uint64_t ns_now = fs_now_ns();
    uint64_t ticks_now = event_ticks();
    tick_scale scale = {.ticks_at_start = t->ticks_at_start, .ns_at_start = t->ns_at_start};
    if (!TICKS_ARE_NS && ticks_now > t->ticks_at_start && ns_now > t->ns_at_start) {
        scale.ns_per_tick_q32 = ((unsigned __int128)(ns_now - t->ns_at_start) << 32) /
                                (ticks_now - t->ticks_at_start);
    }
    return scale;
}

static uint64_t ticks_to_ns(const tick_scale *scale, uint64_t ticks) {
    if (TICKS_ARE_NS) {
        return ticks;
    }
    if (ticks <= scale->ticks_at_start) {
        return scale->ns_at_start;
    }
    unsigned __int128 elapsed = (unsigned __int128)(ticks - scale->ticks_at_start) * scale->ns_per_tick_q32;
    return scale->ns_at_start + (uint64_t)(elapsed >> 32);
}

static uint32_t thread_id(void) {
    if (cached_thread_id == 0) {
        cached_thread_id = (uint32_t)syscall(SYS_gettid);
    }
    return cached_thread_id;
}

static uint64_t mix(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    key ^= key >> 33;
    return key;
}

static stripe *stripe_for(fs_tracker *t, uintptr_t address) {
    return &t->stripes[mix(address) >> 58];
}

static void lock(stripe *s) {
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

static void unlock(stripe *s) { atomic_store_explicit(&s->lock, 0, memory_order_release); }

static size_t round_up_pow2(size_t n) {
    size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

/* ---- the event ring --------------------------------------------------- */

/* Appends an event; returns its position, or UINT64_MAX if the ring was full. */
static uint64_t emit(fs_tracker *t, fs_event *event) {
    event->time_ns = event_ticks();
    event->thread = thread_id();
    uint64_t pos = atomic_load_explicit(&t->ring_head, memory_order_relaxed);
    slot *target;
    for (;;) {
        target = &t->ring[pos & t->ring_mask];
        uint64_t turn = atomic_load_explicit(&target->turn, memory_order_acquire);
        int64_t lag = (int64_t)(turn - pos);
        if (lag == 0) {
            if (atomic_compare_exchange_weak_explicit(&t->ring_head, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                break;
            }
        } else if (lag < 0) {
            /* The reader has not freed this slot yet: the ring is full. */
            atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
            return UINT64_MAX;
        } else {
            pos = atomic_load_explicit(&t->ring_head, memory_order_relaxed);
        }
    }
    event->seq = pos;
    target->event = *event;
    atomic_store_explicit(&target->turn, pos + 1, memory_order_release);
    return pos;
}

static void emit_anomaly(fs_tracker *t, uint8_t kind, uint8_t domain, uintptr_t address,
                         size_t size, uintptr_t block, size_t detail, const char *site,
                         const char *related_site) {
    atomic_fetch_add_explicit(&t->anomalies, 1, memory_order_relaxed);
    fs_event event = {
        .address = address,
        .size = size,
        .related_address = block,
        .related_size = detail,
        .site = site,
        .related_site = related_site,
        .domain = domain,
        .kind = kind,
    };
    emit(t, &event);
}

size_t fs_drain(fs_tracker *t, fs_event *out, size_t max_events) {
    size_t taken = 0;
    size_t capacity = t->ring_mask + 1;
    tick_scale scale = tick_scale_now(t);
    while (taken < max_events) {
        slot *source = &t->ring[t->ring_tail & t->ring_mask];
        uint64_t turn = atomic_load_explicit(&source->turn, memory_order_acquire);
        if (turn != t->ring_tail + 1) {
            break; /* empty, or the producer of this slot is still writing */
        }
        out[taken] = source->event;
        out[taken].time_ns = ticks_to_ns(&scale, out[taken].time_ns);
        taken++;
        atomic_store_explicit(&source->turn, t->ring_tail + capacity, memory_order_release);
        t->ring_tail++;
    }
    return taken;
}

size_t fs_ring_capacity(fs_tracker *t) { return t->ring_mask + 1; }

/* ---- the live-block table (linear probing, backward-shift deletion) --- */

static size_t home_slot(const table *tab, uintptr_t address) {
    return (size_t)mix(address) & (tab->capacity - 1);
}

static entry *table_find(table *tab, uintptr_t address) {
    for (size_t i = home_slot(tab, address);; i = (i + 1) & (tab->capacity - 1)) {
        entry *e = &tab->slots[i];
        if (e->address == address) {
            return e;
        }
        if (e->address == 0) {
            return NULL;
        }
    }
}

static void table_place(table *tab, const entry *item) {
    size_t i = home_slot(tab, item->address);
    while (tab->slots[i].address != 0) {
        i = (i + 1) & (tab->capacity - 1);
    }
    tab->slots[i] = *item;
    tab->count++;
}

static bool table_grow(table *tab) {
    size_t capacity = tab->capacity ? tab->capacity * 2 : INITIAL_TABLE_CAPACITY;
    entry *slots = calloc(capacity, sizeof(entry));
    if (!slots) {
        return false;
    }
    table old = *tab;
    tab->slots = slots;
    tab->capacity = capacity;
    tab->count = 0;
    for (size_t i = 0; i < old.capacity; i++) {
        if (old.slots[i].address != 0) {
            table_place(tab, &old.slots[i]);
        }
    }
    free(old.slots);
    return true;
}

/* Inserts a new key; the caller has checked that it is absent. */
static bool table_insert(table *tab, const entry *item) {
    if ((tab->count + 1) * 2 > tab->capacity && !table_grow(tab)) {
        return false;
    }
    table_place(tab, item);
    return true;
}

static void table_remove(table *tab, entry *removed) {
    size_t mask = tab->capacity - 1;
    size_t hole = (size_t)(removed - tab->slots);
    for (size_t i = (hole + 1) & mask; tab->slots[i].address != 0; i = (i + 1) & mask) {
        size_t home = home_slot(tab, tab->slots[i].address);
        /* Move back any entry whose probe path crosses the hole. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            tab->slots[hole] = tab->slots[i];
            hole = i;
        }
    }
    tab->slots[hole].address = 0;
    tab->count--;
}

/* ---- history and quarantine ------------------------------------------- */

static void history_push(stripe *s, uintptr_t address, size_t size, const char *alloc_site,
                         const char *free_site, uint8_t domain) {
    s->history[s->history_next++ % HISTORY_PER_STRIPE] = (freed_record){
        .address = address,
        .size = size,
        .alloc_site = alloc_site,
        .free_site = free_site,
        .domain = domain,
    };
}

/* The most recent free of exactly this address, if still remembered. */
static const freed_record *history_find(const stripe *s, uintptr_t address) {
    for (unsigned back = 1; back <= HISTORY_PER_STRIPE; back++) {
        const freed_record *r = &s->history[(s->history_next - back) % HISTORY_PER_STRIPE];
        if (r->address == address) {
            return r;
        }
    }
    return NULL;
}

static header *header_of(uintptr_t user) { return (header *)(user - HEADER_BYTES); }

/* Offset of the first byte past `size` that no longer holds the canary,
 * reported as how far past the end the write reached (1 = the first byte). */
static size_t canary_damage(uintptr_t user, size_t size) {
    const unsigned char *canary = (const unsigned char *)user + size;
    size_t reach = 0;
    for (size_t i = 0; i < CANARY_BYTES; i++) {
        if (canary[i] != CANARY_BYTE) {
            reach = i + 1;
        }
    }
    return reach;
}

/* Offset of the first byte of a quarantined block that was written after
 * the free, or SIZE_MAX when the poison is intact. */
static size_t poison_damage(uintptr_t user, size_t size) {
    const unsigned char *bytes = (const unsigned char *)user;
    const uint64_t poison_word = 0x0101010101010101ull * POISON_BYTE;
    size_t i = 0;
    /* A word at a time (the block is max_align_t aligned), then locate the byte. */
    for (; i + sizeof(uint64_t) <= size; i += sizeof(uint64_t)) {
        uint64_t word;
        memcpy(&word, bytes + i, sizeof word);
        if (word != poison_word) {
            break;
        }
    }
    for (; i < size; i++) {
        if (bytes[i] != POISON_BYTE) {
            return i;
        }
    }
    return SIZE_MAX;
}

static void release_quarantined(fs_tracker *t, quarantined *q) {
    size_t offset = poison_damage(q->address, q->size);
    if (offset != SIZE_MAX && !q->reported) {
        emit_anomaly(t, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, q->address + offset, q->size,
                     q->address, offset, q->free_site, q->alloc_site);
    }
    free(header_of(q->address));
}

static void quarantine_push(fs_tracker *t, stripe *s, uintptr_t user, size_t size,
                            const char *alloc_site, const char *free_site) {
    header_of(user)->magic = FREED_MAGIC;
    memset((void *)user, POISON_BYTE, size);
    while (s->quarantine_len > 0 &&
           (s->quarantine_len == t->quarantine_capacity ||
            s->quarantine_bytes + size > t->quarantine_max_bytes)) {
        quarantined *oldest = &s->quarantine[s->quarantine_head];
        s->quarantine_bytes -= oldest->size;
        release_quarantined(t, oldest);
        s->quarantine_head = (s->quarantine_head + 1) % t->quarantine_capacity;
        s->quarantine_len--;
    }
    size_t tail = (s->quarantine_head + s->quarantine_len) % t->quarantine_capacity;
    s->quarantine[tail] = (quarantined){
        .address = user,
        .size = size,
        .alloc_site = alloc_site,
        .free_site = free_site,
        .reported = false,
    };
    s->quarantine_len++;
    s->quarantine_bytes += size;
}

static quarantined *quarantine_containing(fs_tracker *t, stripe *s, uintptr_t address) {
    for (size_t i = 0; i < s->quarantine_len; i++) {
        quarantined *q = &s->quarantine[(s->quarantine_head + i) % t->quarantine_capacity];
        if (address >= q->address && address < q->address + (q->size ? q->size : 1)) {
            return q;
        }
    }
    return NULL;
}

/* ---- lifetime --------------------------------------------------------- */

fs_tracker *fs_tracker_new(const fs_config *config) {
    fs_config chosen = {
        .ring_capacity = DEFAULT_RING_CAPACITY,
        .quarantine_max_bytes = DEFAULT_QUARANTINE_BYTES,
        .quarantine_max_blocks = DEFAULT_QUARANTINE_BLOCKS,
    };
    if (config) {
        if (config->ring_capacity) chosen.ring_capacity = config->ring_capacity;
        chosen.quarantine_max_bytes = config->quarantine_max_bytes;
        chosen.quarantine_max_blocks = config->quarantine_max_blocks;
    }
    fs_tracker *t = aligned_alloc(alignof(fs_tracker), sizeof(fs_tracker));
    if (!t) {
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->ns_at_start = fs_now_ns();
    t->ticks_at_start = event_ticks();
    size_t capacity = round_up_pow2(chosen.ring_capacity);
    t->ring = aligned_alloc(alignof(slot), capacity * sizeof(slot));
    t->ring_mask = capacity - 1;
    /* Every stripe holds back at least one block, so a fresh free is always caught. */
    t->quarantine_capacity = chosen.quarantine_max_blocks / STRIPE_COUNT + 1;
    t->quarantine_max_bytes = chosen.quarantine_max_bytes / STRIPE_COUNT;
    bool ok = t->ring != NULL;
    for (size_t i = 0; ok && i < capacity; i++) {
        atomic_init(&t->ring[i].turn, i);
    }
    for (unsigned i = 0; ok && i < STRIPE_COUNT; i++) {
        stripe *s = &t->stripes[i];
        atomic_init(&s->lock, 0);
        s->quarantine = calloc(t->quarantine_capacity, sizeof(quarantined));
        ok = s->quarantine != NULL && table_grow(&s->live);
    }
    if (!ok) {
        fs_tracker_destroy(t);
        return NULL;
    }
    return t;
}

void fs_tracker_destroy(fs_tracker *t) {
    if (!t) {
        return;
    }
    if (bound_tracker == t) {
        bound_tracker = NULL;
    }
    for (unsigned i = 0; i < STRIPE_COUNT; i++) {
        stripe *s = &t->stripes[i];
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address != 0 && e->domain == FS_DOMAIN_C) {
                free(header_of(e->address));
            }
        }
        for (size_t j = 0; s->quarantine && j < s->quarantine_len; j++) {
            free(header_of(s->quarantine[(s->quarantine_head + j) % t->quarantine_capacity].address));
        }
        free(s->live.slots);
        free(s->quarantine);
    }
    free(t->ring);
    free(t);
}

static void create_default_tracker(void) { default_tracker = fs_tracker_new(NULL); }

fs_tracker *fs_tracker_bind(fs_tracker *t) {
    fs_tracker *previous = bound_tracker;
    bound_tracker = t;
    return previous;
}

fs_tracker *fs_tracker_current(void) {
    if (bound_tracker) {
        return bound_tracker;
    }
    pthread_once(&default_once, create_default_tracker);
    return default_tracker;
}

/* ---- allocation ------------------------------------------------------- */

static void *allocate_in(fs_tracker *t, size_t size, const char *site) {
    if (!t || size > SIZE_MAX - HEADER_BYTES - CANARY_BYTES) {
        return NULL;
    }
    header *h = malloc(HEADER_BYTES + size + CANARY_BYTES);
    if (!h) {
        return NULL;
    }
    *h = (header){
        .magic = HEADER_MAGIC,
        .size = size,
        .site = site,
        .tracker = t,
        .domain = FS_DOMAIN_C,
    };
    uintptr_t user = (uintptr_t)(h + 1);
    memset((void *)(user + size), CANARY_BYTE, CANARY_BYTES);
    entry item = {.address = user, .size = size, .site = site, .domain = FS_DOMAIN_C};
    stripe *s = stripe_for(t, user);
    lock(s);
    if (!table_insert(&s->live, &item)) {
        unlock(s);
        free(h);
        return NULL;
    }
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    counts->allocations++;
    counts->live_blocks++;
    counts->live_bytes += size;
    fs_event event = {.address = user, .size = size, .site = site, .domain = FS_DOMAIN_C,
                      .kind = FS_EVENT_ALLOC};
    /* The block's sequence number is its allocation event's position in the
     * stream (UINT64_MAX if that event was dropped). */
    h->seq = emit(t, &event);
    table_find(&s->live, user)->seq = h->seq;
    unlock(s);
    return (void *)user;
}

void *fs_malloc(size_t size, const char *site) {
    return allocate_in(fs_tracker_current(), size, site);
}

void *fs_calloc(size_t count, size_t size, const char *site) {
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    void *p = fs_malloc(count * size, site);
    if (p) {
        memset(p, 0, count * size);
    }
    return p;
}

char *fs_strdup(const char *text, const char *site) {
    if (!text) {
        return NULL;
    }
    size_t bytes = strlen(text) + 1;
    char *copy = fs_malloc(bytes, site);
    if (copy) {
        memcpy(copy, text, bytes);
    }
    return copy;
}

/* Finds the live block of any stripe that contains address. Copies it out. */
static bool live_block_containing(fs_tracker *t, uintptr_t address, entry *found) {
    for (unsigned i = 0; i < STRIPE_COUNT; i++) {
        stripe *s = &t->stripes[i];
        lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address != 0 && address > e->address && address < e->address + e->size) {
                *found = *e;
                unlock(s);
                return true;
            }
        }
        unlock(s);
    }
    return false;
}

/*
 * Why `address` cannot be freed by `site`: it is not a live block of `domain`.
 * Reports the anomaly. The caller holds no lock.
 */
static void report_bad_free(fs_tracker *t, uintptr_t address, const char *site,
                            uint8_t freeing_domain) {
    stripe *s = stripe_for(t, address);
    lock(s);
    entry *e = table_find(&s->live, address);
    if (e) {
        /* Live, but owned by the other allocator. */
        entry copy = *e;
        unlock(s);
        emit_anomaly(t, FS_EVENT_FOREIGN_FREE, copy.domain, address, copy.size, address, 0, site,
                     copy.site);
        return;
    }
    const freed_record *previous = history_find(s, address);
    if (previous) {
        freed_record copy = *previous;
        unlock(s);
        emit_anomaly(t, FS_EVENT_DOUBLE_FREE, copy.domain, address, copy.size, address, 0, site,
                     copy.free_site);
        return;
    }
    unlock(s);
    entry block;
    if (live_block_containing(t, address, &block)) {
        emit_anomaly(t, FS_EVENT_INVALID_FREE, block.domain, address, block.size, block.address,
                     address - block.address, site, block.site);
        return;
    }
    emit_anomaly(t, FS_EVENT_INVALID_FREE, freeing_domain, address, 0, 0, 0, site, NULL);
}

/* Removes a live C block under its stripe lock, checks its canary, records the
 * free and quarantines it. Returns false (touching nothing) if not live C. */
static bool release_live_c_block(fs_tracker *t, stripe *s, uintptr_t user, const char *site,
                                 uint8_t event_kind, fs_event *event) {
    entry *e = table_find(&s->live, user);
    if (!e || e->domain != FS_DOMAIN_C) {
        return false;
    }
    entry block = *e;
    table_remove(&s->live, e);
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    if (event_kind == FS_EVENT_FREE) {
        counts->frees++;
    }
    counts->live_blocks--;
    counts->live_bytes -= block.size;
    size_t reach = canary_damage(user, block.size);
    if (reach && !(block.flags & ENTRY_OVERFLOW_REPORTED)) {
        emit_anomaly(t, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C, user + block.size + reach - 1,
                     block.size, user, reach, site, block.site);
    }
    if (event) {
        event->related_site = block.site;
        emit(t, event);
    }
    history_push(s, user, block.size, block.site, site, FS_DOMAIN_C);
    quarantine_push(t, s, user, block.size, block.site, site);
    return true;
}

void fs_free(void *ptr, const char *site) {
    if (!ptr) {
        return;
    }
    fs_tracker *t = fs_tracker_current();
    uintptr_t user = (uintptr_t)ptr;
    stripe *s = stripe_for(t, user);
    lock(s);
    entry *e = table_find(&s->live, user);
    fs_event event = {.address = user, .size = e ? e->size : 0, .site = site,
                      .domain = FS_DOMAIN_C, .kind = FS_EVENT_FREE};
    bool released = release_live_c_block(t, s, user, site, FS_EVENT_FREE, &event);
    unlock(s);
    if (!released) {
        report_bad_free(t, user, site, FS_DOMAIN_C);
    }
}

void *fs_realloc(void *ptr, size_t size, const char *site) {
    if (!ptr) {
        return fs_malloc(size, site);
    }
    if (size == 0) {
        fs_free(ptr, site);
        return NULL;
    }
    fs_tracker *t = fs_tracker_current();
    if (size > SIZE_MAX - HEADER_BYTES - CANARY_BYTES) {
        return NULL;
    }
    /* Always move, as a sanitizer does, so a stale pointer to the old block is caught. */
    header *h = malloc(HEADER_BYTES + size + CANARY_BYTES);
    if (!h) {
        return NULL;
    }
    uintptr_t old_user = (uintptr_t)ptr;
    uintptr_t new_user = (uintptr_t)(h + 1);
    stripe *old_stripe = stripe_for(t, old_user);
    lock(old_stripe);
    entry *old = table_find(&old_stripe->live, old_user);
    if (!old || old->domain != FS_DOMAIN_C) {
        unlock(old_stripe);
        free(h);
        report_bad_free(t, old_user, site, FS_DOMAIN_C);
        return NULL;
    }
    size_t old_size = old->size;
    const char *old_site = old->site;
    *h = (header){.magic = HEADER_MAGIC, .size = size, .site = site, .tracker = t,
                  .domain = FS_DOMAIN_C};
    memcpy((void *)new_user, ptr, old_size < size ? old_size : size);
    memset((void *)(new_user + size), CANARY_BYTE, CANARY_BYTES);
    release_live_c_block(t, old_stripe, old_user, site, FS_EVENT_REALLOC, NULL);
    unlock(old_stripe);

    stripe *new_stripe = stripe_for(t, new_user);
    entry item = {.address = new_user, .size = size, .site = site, .domain = FS_DOMAIN_C};
    lock(new_stripe);
    fs_heap_counts *counts = &new_stripe->counts[FS_DOMAIN_C];
    if (!table_insert(&new_stripe->live, &item)) {
        /* The old block is already gone; report it freed rather than lose it. */
        counts->frees++;
        unlock(new_stripe);
        free(h);
        fs_event gone = {.address = old_user, .size = old_size, .site = site,
                         .related_site = old_site, .domain = FS_DOMAIN_C, .kind = FS_EVENT_FREE};
        emit(t, &gone);
        return NULL;
    }
    counts->reallocs++;
    counts->live_blocks++;
    counts->live_bytes += size;
    fs_event event = {.address = new_user, .size = size, .related_address = old_user,
                      .related_size = old_size, .site = site, .related_site = old_site,
                      .domain = FS_DOMAIN_C, .kind = FS_EVENT_REALLOC};
    h->seq = emit(t, &event);
    table_find(&new_stripe->live, new_user)->seq = h->seq;
    unlock(new_stripe);
    return (void *)new_user;
}

/* ---- checks ----------------------------------------------------------- */

int fs_is_live(const void *ptr) {
    fs_tracker *t = fs_tracker_current();
    uintptr_t address = (uintptr_t)ptr;
    if (!t || !ptr) {
        return 0;
    }
    stripe *s = stripe_for(t, address);
    lock(s);
    entry *e = table_find(&s->live, address);
    int live = e && e->domain == FS_DOMAIN_C;
    unlock(s);
    return live;
}

int fs_check_access(const void *ptr, size_t len, const char *site) {
    fs_tracker *t = fs_tracker_current();
    uintptr_t address = (uintptr_t)ptr;
    if (!ptr) {
        return 0;
    }
    if (!t) {
        return 1;
    }
    stripe *s = stripe_for(t, address);
    lock(s);
    entry *e = table_find(&s->live, address);
    if (e) {
        entry block = *e;
        unlock(s);
        if (len > block.size) {
            emit_anomaly(t, FS_EVENT_HEAP_OVERFLOW, block.domain, address + block.size, block.size,
                         address, len - block.size, site, block.site);
            return 0;
        }
        return 1;
    }
    const freed_record *previous = history_find(s, address);
    if (previous) {
        freed_record copy = *previous;
        unlock(s);
        emit_anomaly(t, FS_EVENT_USE_AFTER_FREE, copy.domain, address, copy.size, address, 0,
                     site, copy.alloc_site);
        return 0;
    }
    unlock(s);
    entry block;
    if (live_block_containing(t, address, &block)) {
        size_t offset = address - block.address;
        if (len > block.size - offset) {
            emit_anomaly(t, FS_EVENT_HEAP_OVERFLOW, block.domain, address, block.size,
                         block.address, len - (block.size - offset), site, block.site);
            return 0;
        }
        return 1;
    }
    for (unsigned i = 0; i < STRIPE_COUNT; i++) {
        stripe *other = &t->stripes[i];
        lock(other);
        quarantined *q = quarantine_containing(t, other, address);
        if (q) {
            quarantined copy = *q;
            unlock(other);
            emit_anomaly(t, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, address, copy.size,
                         copy.address, address - copy.address, site, copy.alloc_site);
            return 0;
        }
        unlock(other);
    }
    return 1;
}

size_t fs_check_all(fs_tracker *t) {
    size_t found = 0;
    for (unsigned i = 0; i < STRIPE_COUNT; i++) {
        stripe *s = &t->stripes[i];
        lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address == 0 || e->domain != FS_DOMAIN_C ||
                (e->flags & ENTRY_OVERFLOW_REPORTED)) {
                continue;
            }
            size_t reach = canary_damage(e->address, e->size);
            if (reach) {
                e->flags |= ENTRY_OVERFLOW_REPORTED;
                emit_anomaly(t, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C, e->address + e->size + reach - 1,
                             e->size, e->address, reach, "canary check", e->site);
                found++;
            }
        }
        for (size_t j = 0; j < s->quarantine_len; j++) {
            quarantined *q = &s->quarantine[(s->quarantine_head + j) % t->quarantine_capacity];
            if (q->reported) {
                continue;
            }
            size_t offset = poison_damage(q->address, q->size);
            if (offset != SIZE_MAX) {
                q->reported = true;
                emit_anomaly(t, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, q->address + offset, q->size,
                             q->address, offset, q->free_site, q->alloc_site);
                found++;
            }
        }
        unlock(s);
    }
    return found;
}

/* ---- the Rust heap ---------------------------------------------------- */

void fs_rust_alloc(fs_tracker *t, void *ptr, size_t size, const char *site) {
    uintptr_t address = (uintptr_t)ptr;
    stripe *s = stripe_for(t, address);
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_RUST];
    lock(s);
    entry *stale = table_find(&s->live, address);
    if (stale) {
        /* Freed outside any scope and handed out again: close the old record. */
        fs_event gone = {.address = address, .size = stale->size, .site = site,
                         .related_site = stale->site, .domain = stale->domain,
                         .kind = FS_EVENT_FREE};
        s->counts[stale->domain].frees++;
        s->counts[stale->domain].live_blocks--;
        s->counts[stale->domain].live_bytes -= stale->size;
        table_remove(&s->live, stale);
        emit(t, &gone);
    }
    entry item = {.address = address, .size = size, .site = site, .domain = FS_DOMAIN_RUST};
    if (table_insert(&s->live, &item)) {
        counts->allocations++;
        counts->live_blocks++;
        counts->live_bytes += size;
        fs_event event = {.address = address, .size = size, .site = site,
                          .domain = FS_DOMAIN_RUST, .kind = FS_EVENT_ALLOC};
        table_find(&s->live, address)->seq = emit(t, &event);
    }
    unlock(s);
}

int fs_rust_free(fs_tracker *t, void *ptr, const char *site) {
    uintptr_t address = (uintptr_t)ptr;
    stripe *s = stripe_for(t, address);
    lock(s);
    entry *e = table_find(&s->live, address);
    if (!e) {
        unlock(s);
        return -1; /* allocated outside any scope: not ours to judge */
    }
    if (e->domain != FS_DOMAIN_RUST) {
        entry copy = *e;
        unlock(s);
        emit_anomaly(t, FS_EVENT_FOREIGN_FREE, copy.domain, address, copy.size, address, 0, site,
                     copy.site);
        return 0;
    }
    entry block = *e;
    table_remove(&s->live, e);
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_RUST];
    counts->frees++;
    counts->live_blocks--;
    counts->live_bytes -= block.size;
    fs_event event = {.address = address, .size = block.size, .site = site,
                      .related_site = block.site, .domain = FS_DOMAIN_RUST,
                      .kind = FS_EVENT_FREE};
    emit(t, &event);
    history_push(s, address, block.size, block.site, site, FS_DOMAIN_RUST);
    unlock(s);
    return 1;
}

int fs_rust_is_live(fs_tracker *t, const void *ptr) {
    uintptr_t address = (uintptr_t)ptr;
    stripe *s = stripe_for(t, address);
    lock(s);
    entry *e = table_find(&s->live, address);
    int live = e && e->domain == FS_DOMAIN_RUST;
    unlock(s);
    return live;
}

void fs_report(fs_tracker *t, uint8_t kind, uint8_t domain, const void *ptr, size_t size,
               const char *site, const char *related_site) {
    emit_anomaly(t, kind, domain, (uintptr_t)ptr, size, (uintptr_t)ptr, 0, site, related_site);
}

/* ---- reading ---------------------------------------------------------- */

fs_counts fs_tracker_counts(fs_tracker *t) {
    fs_counts total;
    memset(&total, 0, sizeof total);
    for (unsigned i = 0; i < STRIPE_COUNT; i++) {
        stripe *s = &t->stripes[i];
        lock(s);
        for (unsigned d = 0; d < 2; d++) {
            /* Stripe counts may wrap individually (a realloc moves a block
             * between stripes); their unsigned sum is exact. */
            total.heap[d].allocations += s->counts[d].allocations;
            total.heap[d].frees += s->counts[d].frees;
            total.heap[d].reallocs += s->counts[d].reallocs;
            total.heap[d].live_blocks += s->counts[d].live_blocks;
            total.heap[d].live_bytes += s->counts[d].live_bytes;
        }
        unlock(s);
    }
    total.anomalies = atomic_load_explicit(&t->anomalies, memory_order_relaxed);
    total.events_recorded = atomic_load_explicit(&t->ring_head, memory_order_relaxed);
    total.events_dropped = atomic_load_explicit(&t->dropped, memory_order_relaxed);
    return total;
}

size_t fs_live_blocks(fs_tracker *t, fs_block *out, size_t max_blocks) {
    size_t total = 0;
    for (unsigned i = 0; i < STRIPE_COUNT; i++) {
        stripe *s = &t->stripes[i];
        lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address == 0) {
                continue;
            }
            if (total < max_blocks) {
                out[total] = (fs_block){.address = e->address, .size = e->size, .seq = e->seq,
                                        .site = e->site, .domain = e->domain};
            }
            total++;
        }
        unlock(s);
    }
    return total;
}
