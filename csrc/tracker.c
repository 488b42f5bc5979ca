/*
 * tracker.c — the instrumented allocator behind fs_malloc and friends.
 *
 * Layout of a C block:  [header 16 B][user bytes ...][canary 16 B]
 *
 * Each thread works in its own shard (tracker_shard.h): the fast path takes
 * the shard's lock, which no other thread wants, writes one event into the
 * shard's ring and touches nothing shared. A block that is not in the
 * caller's shard (freed by another thread) is looked up in the others, under
 * their locks; so are the anomalies' details and every query. The fast path
 * calls no malloc-family function except the backing allocator for the block
 * itself: the tracker's own tables, rings and quarantines come from mmap.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tracker_shard.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static _Thread_local fs_tracker *bound_tracker;
static _Thread_local uint32_t cached_thread_id;
static fs_tracker *default_tracker;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t next_tracker_id = 1;
_Atomic uint64_t fs_clock_epoch;
static pthread_once_t heartbeat_once = PTHREAD_ONCE_INIT;

/* ---- memory for the tracker's own state ------------------------------- */

/* Zeroed, page-granular, and never from malloc: the tracker must not call
 * into an allocator that may be the one it is recording. */
static void *internal_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void internal_free(void *p, size_t bytes) {
    if (p) {
        munmap(p, bytes);
    }
}

/* ---- small helpers ---------------------------------------------------- */

static void *heartbeat(void *unused) {
    (void)unused;
    const struct timespec millisecond = {.tv_nsec = 1000000};
    for (;;) {
        nanosleep(&millisecond, NULL);
        atomic_fetch_add_explicit(&fs_clock_epoch, 1, memory_order_relaxed);
    }
    return NULL;
}

/* One thread per process, started with the first tracker. If it cannot be
 * started the epoch never moves, and frees fall back on the 15-event bound. */
static void start_heartbeat(void) {
    pthread_attr_t attributes;
    pthread_t thread;
    if (pthread_attr_init(&attributes) != 0) {
        return;
    }
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 64 * 1024);
    if (pthread_create(&thread, &attributes, heartbeat, NULL) == 0) {
        pthread_setname_np(thread, "ffiscope-clock");
    }
    pthread_attr_destroy(&attributes);
}

uint64_t fs_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
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

static size_t round_up_pow2(size_t n) {
    size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

/* ---- threads and their shards ----------------------------------------- */

/*
 * A thread is known by a record that outlives it: when the thread exits, the
 * record's token is cleared and the record is reused by a later thread with a
 * new token. A shard whose owner's token no longer matches belongs to a
 * thread that is gone and is adopted by the next thread that needs one, so a
 * program that keeps starting short threads keeps a few shards, not one per
 * thread.
 */
typedef struct thread_record {
    _Atomic uint64_t token; /* 0 while the record is free */
    struct thread_record *next_free;
} thread_record;

#define RECORDS_PER_CHUNK (4096u / sizeof(thread_record))

static pthread_mutex_t records_lock = PTHREAD_MUTEX_INITIALIZER;
static thread_record *free_records;
static _Atomic uint64_t next_thread_token = 1;
static pthread_key_t record_key;
static pthread_once_t record_key_once = PTHREAD_ONCE_INIT;
static _Thread_local thread_record *my_record;

/* The calling thread's shard for one tracker: the fast path's only lookup. */
static _Thread_local struct {
    fs_tracker *tracker;
    uint64_t tracker_id; /* a tracker made later at the same address is another one */
    shard *shard;
} shard_cache;

static void thread_exited(void *value) {
    thread_record *record = value;
    atomic_store_explicit(&record->token, 0, memory_order_release);
    pthread_mutex_lock(&records_lock);
    record->next_free = free_records;
    free_records = record;
    pthread_mutex_unlock(&records_lock);
    my_record = NULL;
    shard_cache.tracker = NULL;
}

static void create_record_key(void) { pthread_key_create(&record_key, thread_exited); }

static thread_record *current_record(void) {
    if (my_record) {
        return my_record;
    }
    pthread_once(&record_key_once, create_record_key);
    pthread_mutex_lock(&records_lock);
    if (!free_records) {
        thread_record *chunk = internal_alloc(RECORDS_PER_CHUNK * sizeof(thread_record));
        for (size_t i = 0; chunk && i < RECORDS_PER_CHUNK; i++) {
            chunk[i].next_free = free_records;
            free_records = &chunk[i];
        }
    }
    thread_record *record = free_records;
    if (record) {
        free_records = record->next_free;
    }
    pthread_mutex_unlock(&records_lock);
    if (record) {
        atomic_store_explicit(&record->token,
                              atomic_fetch_add_explicit(&next_thread_token, 1, memory_order_relaxed),
                              memory_order_release);
        pthread_setspecific(record_key, record);
        my_record = record;
    }
    return record;
}

static size_t ring_bytes(const fs_tracker *t) { return t->ring_capacity * sizeof(slot); }

static size_t quarantine_bytes_of(const shard *s) {
    return (s->quarantine_mask + 1) * sizeof(quarantined);
}

static bool table_grow(table *tab);

static shard *shard_new(fs_tracker *t) {
    shard *s = internal_alloc(sizeof(shard));
    if (!s) {
        return NULL;
    }
    s->ring = internal_alloc(ring_bytes(t));
    s->ring_mask = t->ring_capacity - 1;
    s->quarantine_mask = round_up_pow2(t->quarantine_max_blocks) - 1;
    s->quarantine = internal_alloc(quarantine_bytes_of(s));
    if (!s->ring || !s->quarantine || !table_grow(&s->live)) {
        internal_free(s->ring, ring_bytes(t));
        internal_free(s->quarantine, quarantine_bytes_of(s));
        internal_free(s, sizeof(shard));
        return NULL;
    }
    return s;
}

static bool owned_by(const shard *s, const thread_record *record, uint64_t token) {
    return s->owner == record && s->owner_token == token;
}

static bool abandoned(const shard *s) {
    return !s->owner || atomic_load_explicit(&s->owner->token, memory_order_acquire) != s->owner_token;
}

/* The slow path of shard_of: find, adopt or make the caller's shard. When
 * MAX_SHARDS threads are alive at once, later ones share shards, which is
 * correct (every shard is guarded by its lock) but slower. */
static shard *shard_acquire(fs_tracker *t) {
    thread_record *me = current_record();
    uint64_t token = me ? atomic_load_explicit(&me->token, memory_order_relaxed) : 0;
    pthread_mutex_lock(&t->shards_lock);
    size_t count = atomic_load_explicit(&t->shard_count, memory_order_relaxed);
    shard *chosen = NULL;
    for (size_t i = 0; me && !chosen && i < count; i++) {
        if (owned_by(t->shards[i], me, token)) {
            chosen = t->shards[i];
        }
    }
    for (size_t i = 0; me && !chosen && i < count; i++) {
        if (abandoned(t->shards[i])) {
            chosen = t->shards[i];
        }
    }
    if (me && !chosen && count < MAX_SHARDS) {
        chosen = shard_new(t);
        if (chosen) {
            t->shards[count] = chosen;
            atomic_store_explicit(&t->shard_count, count + 1, memory_order_release);
        }
    }
    if (chosen) {
        chosen->owner = me;
        chosen->owner_token = token;
    } else {
        chosen = t->shards[token % count];
    }
    pthread_mutex_unlock(&t->shards_lock);
    shard_cache.tracker = t;
    shard_cache.tracker_id = t->id;
    shard_cache.shard = chosen;
    return chosen;
}

static inline shard *shard_of(fs_tracker *t) {
    if (shard_cache.tracker == t && shard_cache.tracker_id == t->id) {
        return shard_cache.shard;
    }
    return shard_acquire(t);
}

static size_t shard_count_of(fs_tracker *t) {
    return atomic_load_explicit(&t->shard_count, memory_order_acquire);
}

/* ---- the event ring (the caller holds the shard's lock) ---------------- */

/* A tick read from the clock for the next event, never behind the ring's
 * last one nor behind `at_least`. Allocations, reallocs and anomalies take
 * these. */
static inline uint64_t stamp(shard *s, uint64_t at_least) {
    uint64_t now = event_ticks();
    if (now < at_least) {
        now = at_least;
    }
    if (now < s->last_ticks) {
        now = s->last_ticks;
    }
    s->last_ticks = now;
    s->stamp_epoch = atomic_load_explicit(&fs_clock_epoch, memory_order_relaxed);
    s->stamps_reused = 0;
    return now;
}

/*
 * The fast clock, for frees. Reading the time-stamp counter costs about as
 * much as a whole malloc+free pair, so a free reuses its ring's last stamp
 * while the heartbeat epoch has not moved, at most 15 times in a row. Its
 * time is then early by at most about a millisecond, never late, and the
 * merge's order is kept: what must follow a free (an allocation at the same
 * address, on any thread) reads the clock after the free happened, and what
 * must precede it (the block's allocation) is in the same ring, at or below
 * the reused stamp (`at_least`).
 */
static inline uint64_t stamp_free(shard *s, uint64_t at_least) {
    if (s->stamps_reused < 15 && s->last_ticks >= at_least &&
        s->stamp_epoch == atomic_load_explicit(&fs_clock_epoch, memory_order_relaxed)) {
        s->stamps_reused++;
        return s->last_ticks;
    }
    return stamp(s, at_least);
}

/* Room for `slots` slots at the head, or NULL after counting a drop. */
static inline slot *ring_claim(shard *s, unsigned slots) {
    uint64_t capacity = s->ring_mask + 1;
    if (s->head + slots - s->cached_tail > capacity) {
        s->cached_tail = atomic_load_explicit(&s->tail, memory_order_acquire);
        if (s->head + slots - s->cached_tail > capacity) {
            s->events_dropped++;
            return NULL;
        }
    }
    return &s->ring[s->head & s->ring_mask];
}

static inline void ring_publish(shard *s, unsigned slots) {
    s->head += slots;
    s->events_recorded++;
    atomic_store_explicit(&s->published, s->head, memory_order_release);
}

/* Writes and publishes an event of `slots` slots; the second, if any, holds
 * the related block. Counts a drop when the ring has no room. */
static inline void emit_slots(shard *s, unsigned slots, uint64_t ticks, uint8_t kind,
                              uint8_t domain, uintptr_t address, size_t size,
                              uintptr_t related_address, size_t related_size, const char *site,
                              const char *related_site) {
    slot *target = ring_claim(s, slots);
    if (!target) {
        return;
    }
    target->event = (record){
        .ticks = ticks,
        .address = address,
        .size = size,
        .site = site,
        .related_site = related_site,
        .thread = thread_id(),
        .kind = kind,
        .domain = domain,
        .slots = (uint8_t)slots,
    };
    if (slots == 2) {
        slot *extension = &s->ring[(s->head + 1) & s->ring_mask];
        extension->extension.related_address = related_address;
        extension->extension.related_size = related_size;
    }
    ring_publish(s, slots);
}

static inline void emit(shard *s, uint64_t ticks, uint8_t kind, uint8_t domain, uintptr_t address,
                        size_t size, const char *site, const char *related_site) {
    emit_slots(s, 1, ticks, kind, domain, address, size, 0, 0, site, related_site);
}

/* An event with a related block: realloc (the old block) and anomalies. */
static void emit_related(shard *s, uint64_t ticks, uint8_t kind, uint8_t domain, uintptr_t address,
                         size_t size, uintptr_t related_address, size_t related_size,
                         const char *site, const char *related_site) {
    emit_slots(s, 2, ticks, kind, domain, address, size, related_address, related_size, site,
               related_site);
}

static void emit_anomaly(fs_tracker *t, shard *s, uint8_t kind, uint8_t domain, uintptr_t address,
                         size_t size, uintptr_t block, size_t detail, const char *site,
                         const char *related_site) {
    atomic_fetch_add_explicit(&t->anomalies, 1, memory_order_relaxed);
    emit_related(s, stamp(s, 0), kind, domain, address, size, block, detail, site, related_site);
}

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

/* Claims the empty slot where `address` goes (the caller fills it in). */
static entry *table_claim(table *tab, uintptr_t address) {
    size_t i = home_slot(tab, address);
    while (tab->slots[i].address != 0) {
        i = (i + 1) & (tab->capacity - 1);
    }
    tab->count++;
    return &tab->slots[i];
}

static void table_place(table *tab, const entry *item) { *table_claim(tab, item->address) = *item; }

static bool table_grow(table *tab) {
    size_t capacity = tab->capacity ? tab->capacity * 2 : INITIAL_TABLE_CAPACITY;
    entry *slots = internal_alloc(capacity * sizeof(entry));
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
    internal_free(old.slots, old.capacity * sizeof(entry));
    return true;
}

/* Room for one more key, growing the table when it is half full. */
static bool table_reserve(table *tab) {
    return (tab->count + 1) * 2 <= tab->capacity || table_grow(tab);
}

/* Inserts a new key; the caller has checked that it is absent. */
static bool table_insert(table *tab, const entry *item) {
    if (!table_reserve(tab)) {
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

/* ---- canary and poison ------------------------------------------------- */

static const uint64_t CANARY_WORD = 0x0101010101010101ull * CANARY_BYTE;
static const uint64_t POISON_WORD = 0x0101010101010101ull * POISON_BYTE;

static header *header_of(uintptr_t user) { return (header *)(user - HEADER_BYTES); }

static inline void canary_write(uintptr_t user, size_t size) {
    unsigned char *canary = (unsigned char *)user + size;
    memcpy(canary, &CANARY_WORD, sizeof CANARY_WORD);
    memcpy(canary + 8, &CANARY_WORD, sizeof CANARY_WORD);
}

/* How far past the end a write reached (1 = the first byte past the end),
 * or 0 when the canary is intact. Two word compares in the common case. */
static inline size_t canary_damage(uintptr_t user, size_t size) {
    const unsigned char *canary = (const unsigned char *)user + size;
    uint64_t low, high;
    memcpy(&low, canary, sizeof low);
    memcpy(&high, canary + 8, sizeof high);
    if (((low ^ CANARY_WORD) | (high ^ CANARY_WORD)) == 0) {
        return 0;
    }
    size_t reach = 0;
    for (size_t i = 0; i < CANARY_BYTES; i++) {
        if (canary[i] != CANARY_BYTE) {
            reach = i + 1;
        }
    }
    return reach;
}

/* Poisons a freed block. Small blocks take a few word stores; they may run
 * up to 7 bytes into the canary, which has been checked already and is
 * tracker memory. */
static inline void poison_fill(uintptr_t user, size_t size) {
    unsigned char *bytes = (unsigned char *)user;
    if (size <= 32) {
        for (size_t i = 0; i < size; i += sizeof POISON_WORD) {
            memcpy(bytes + i, &POISON_WORD, sizeof POISON_WORD);
        }
    } else {
        memset(bytes, POISON_BYTE, size);
    }
}

/* Offset of the first byte of a quarantined block that was written after
 * the free, or SIZE_MAX when the poison is intact. */
static size_t poison_damage(uintptr_t user, size_t size) {
    const unsigned char *bytes = (const unsigned char *)user;
    size_t i = 0;
#if defined(__SSE2__)
    /* Sixteen bytes a compare, four compares a step (blocks are 16-aligned). */
    const __m128i poison = _mm_set1_epi8((char)POISON_BYTE);
    for (; i + 64 <= size; i += 64) {
        __m128i a = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i)), poison);
        __m128i b = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i + 16)), poison);
        __m128i c = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i + 32)), poison);
        __m128i d = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i + 48)), poison);
        __m128i any = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) != 0xFFFF) {
            break;
        }
    }
#endif
    for (; i + sizeof(uint64_t) <= size; i += sizeof(uint64_t)) {
        uint64_t word;
        memcpy(&word, bytes + i, sizeof word);
        if (word != POISON_WORD) {
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

/* ---- history and quarantine (the caller holds the shard's lock) -------- */

static void history_push(shard *s, uintptr_t address, size_t size, const char *alloc_site,
                         const char *free_site, uint8_t domain, uint64_t ticks) {
    s->history[s->history_next++ % HISTORY_PER_SHARD] = (freed_record){
        .address = address,
        .size = size,
        .alloc_site = alloc_site,
        .free_site = free_site,
        .free_ticks = ticks,
        .domain = domain,
    };
}

/* The most recent free of exactly this address in this shard, if remembered. */
static const freed_record *history_find(const shard *s, uintptr_t address) {
    for (unsigned back = 1; back <= HISTORY_PER_SHARD; back++) {
        const freed_record *r = &s->history[(s->history_next - back) % HISTORY_PER_SHARD];
        if (r->address == address) {
            return r;
        }
    }
    return NULL;
}

static quarantined *quarantine_at(shard *s, size_t i) {
    return &s->quarantine[(s->quarantine_head + i) & s->quarantine_mask];
}

static void release_quarantined(fs_tracker *t, shard *s, quarantined *q) {
    size_t offset = poison_damage(q->address, q->size);
    if (offset != SIZE_MAX && !q->reported) {
        emit_anomaly(t, s, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, q->address + offset, q->size,
                     q->address, offset, q->free_site, q->alloc_site);
    }
    t->release(header_of(q->address));
}

static void quarantine_push(fs_tracker *t, shard *s, uintptr_t user, size_t size,
                            const char *alloc_site, const char *free_site) {
    header_of(user)->magic = FREED_MAGIC;
    poison_fill(user, size);
    while (s->quarantine_len > 0 && (s->quarantine_len >= t->quarantine_max_blocks ||
                                     s->quarantine_bytes + size > t->quarantine_max_bytes)) {
        quarantined *oldest = quarantine_at(s, 0);
        s->quarantine_bytes -= oldest->size;
        release_quarantined(t, s, oldest);
        s->quarantine_head = (s->quarantine_head + 1) & s->quarantine_mask;
        s->quarantine_len--;
    }
    *quarantine_at(s, s->quarantine_len) = (quarantined){
        .address = user,
        .size = size,
        .alloc_site = alloc_site,
        .free_site = free_site,
        .reported = false,
    };
    s->quarantine_len++;
    s->quarantine_bytes += size;
}

static quarantined *quarantine_containing(shard *s, uintptr_t address) {
    for (size_t i = 0; i < s->quarantine_len; i++) {
        quarantined *q = quarantine_at(s, i);
        if (address >= q->address && address < q->address + (q->size ? q->size : 1)) {
            return q;
        }
    }
    return NULL;
}

/* ---- lifetime --------------------------------------------------------- */

static void *libc_allocate(size_t size) { return malloc(size); }
static void libc_release(void *ptr) { free(ptr); }

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
        chosen.backing = config->backing;
    }
    if (chosen.ring_capacity > ((size_t)1 << 40)) {
        return NULL;
    }
    pthread_once(&heartbeat_once, start_heartbeat);
    fs_tracker *t = internal_alloc(sizeof(fs_tracker));
    if (!t) {
        return NULL;
    }
    t->id = atomic_fetch_add_explicit(&next_tracker_id, 1, memory_order_relaxed);
    t->allocate = chosen.backing ? chosen.backing->allocate : libc_allocate;
    t->release = chosen.backing ? chosen.backing->release : libc_release;
    t->ns_at_start = fs_now_ns();
    t->ticks_at_start = event_ticks();
    /* Two slots at least, so an event with a related block always fits. */
    t->ring_capacity = round_up_pow2(chosen.ring_capacity < 2 ? 2 : chosen.ring_capacity);
    /* Every shard holds back at least one block, so a fresh free is always caught. */
    t->quarantine_max_blocks = chosen.quarantine_max_blocks ? chosen.quarantine_max_blocks : 1;
    t->quarantine_max_bytes = chosen.quarantine_max_bytes;
    pthread_mutex_init(&t->shards_lock, NULL);
    /* A first shard, so that there is always one to share. */
    t->shards[0] = shard_new(t);
    if (!t->shards[0]) {
        pthread_mutex_destroy(&t->shards_lock);
        internal_free(t, sizeof(fs_tracker));
        return NULL;
    }
    atomic_store_explicit(&t->shard_count, 1, memory_order_release);
    return t;
}

void fs_tracker_destroy(fs_tracker *t) {
    if (!t) {
        return;
    }
    if (bound_tracker == t) {
        bound_tracker = NULL;
    }
    if (shard_cache.tracker == t) {
        shard_cache.tracker = NULL;
    }
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address != 0 && e->domain == FS_DOMAIN_C) {
                t->release(header_of(e->address));
            }
        }
        for (size_t j = 0; j < s->quarantine_len; j++) {
            t->release(header_of(quarantine_at(s, j)->address));
        }
        internal_free(s->live.slots, s->live.capacity * sizeof(entry));
        internal_free(s->quarantine, quarantine_bytes_of(s));
        internal_free(s->ring, ring_bytes(t));
        internal_free(s, sizeof(shard));
    }
    pthread_mutex_destroy(&t->shards_lock);
    internal_free(t, sizeof(fs_tracker));
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

/* ---- finding a block in any shard --------------------------------------- */

typedef enum lookup {
    NOT_FOUND,
    TAKEN,        /* found in the wanted domain and removed from its table */
    OTHER_DOMAIN, /* found, but owned by the other allocator: left alone */
} lookup;

/*
 * Looks for the live block starting at `address` in every shard but `skip`.
 * If it belongs to `domain`, removes it and returns with its shard locked
 * (*owner), for the caller to finish the free there; otherwise copies it out.
 */
static lookup take_from_any_shard(fs_tracker *t, const shard *skip, uintptr_t address,
                                  uint8_t domain, entry *found, shard **owner) {
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        if (s == skip) {
            continue;
        }
        shard_lock(s);
        entry *e = table_find(&s->live, address);
        if (e) {
            *found = *e;
            if (e->domain != domain) {
                shard_unlock(s);
                return OTHER_DOMAIN;
            }
            table_remove(&s->live, e);
            *owner = s;
            return TAKEN;
        }
        shard_unlock(s);
    }
    return NOT_FOUND;
}

/* The live block of any shard that contains address (not at its start). */
static bool live_block_containing(fs_tracker *t, uintptr_t address, entry *found) {
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address != 0 && address > e->address && address < e->address + e->size) {
                *found = *e;
                shard_unlock(s);
                return true;
            }
        }
        shard_unlock(s);
    }
    return false;
}

/* The latest free of exactly `address` in any shard's history, or, for C
 * blocks still held back, in any quarantine. */
static bool freed_before(fs_tracker *t, uintptr_t address, freed_record *found) {
    bool any = false;
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        const freed_record *r = history_find(s, address);
        if (r && (!any || r->free_ticks > found->free_ticks)) {
            *found = *r;
            any = true;
        }
        if (!r) {
            for (size_t j = 0; j < s->quarantine_len; j++) {
                quarantined *q = quarantine_at(s, j);
                if (q->address == address && !any) {
                    *found = (freed_record){.address = address, .size = q->size,
                                            .alloc_site = q->alloc_site,
                                            .free_site = q->free_site, .domain = FS_DOMAIN_C};
                    any = true;
                }
            }
        }
        shard_unlock(s);
    }
    return any;
}

/*
 * Why `address` cannot be freed by `site`: it is not a live block of the
 * freeing domain. Reports the anomaly into the caller's shard. Holds no lock.
 */
static void report_bad_free(fs_tracker *t, uintptr_t address, const char *site,
                            uint8_t freeing_domain) {
    shard *own = shard_of(t);
    freed_record previous;
    entry block;
    if (freed_before(t, address, &previous)) {
        shard_lock(own);
        emit_anomaly(t, own, FS_EVENT_DOUBLE_FREE, previous.domain, address, previous.size, address,
                     0, site, previous.free_site);
        shard_unlock(own);
    } else if (live_block_containing(t, address, &block)) {
        shard_lock(own);
        emit_anomaly(t, own, FS_EVENT_INVALID_FREE, block.domain, address, block.size,
                     block.address, address - block.address, site, block.site);
        shard_unlock(own);
    } else {
        shard_lock(own);
        emit_anomaly(t, own, FS_EVENT_INVALID_FREE, freeing_domain, address, 0, 0, 0, site, NULL);
        shard_unlock(own);
    }
}

static void report_foreign_free(fs_tracker *t, const entry *block, const char *site) {
    shard *own = shard_of(t);
    shard_lock(own);
    emit_anomaly(t, own, FS_EVENT_FOREIGN_FREE, block->domain, block->address, block->size,
                 block->address, 0, site, block->site);
    shard_unlock(own);
}

/* ---- allocation ------------------------------------------------------- */

/* The largest block whose header and canary still fit in a size_t. */
#define MAX_BLOCK_BYTES (SIZE_MAX - HEADER_BYTES - CANARY_BYTES)

static uintptr_t new_block(fs_tracker *t, size_t size) {
    header *h = t->allocate(HEADER_BYTES + size + CANARY_BYTES);
    if (!h) {
        return 0;
    }
    *h = (header){.magic = HEADER_MAGIC, .size = size};
    uintptr_t user = (uintptr_t)(h + 1);
    canary_write(user, size);
    return user;
}

static void *allocate_in(fs_tracker *t, size_t size, const char *site) {
    if (!t || size > MAX_BLOCK_BYTES) {
        return NULL;
    }
    uintptr_t user = new_block(t, size);
    if (!user) {
        return NULL;
    }
    shard *s = shard_of(t);
    shard_lock(s);
    uint64_t ticks = stamp(s, 0);
    if (!table_reserve(&s->live)) {
        shard_unlock(s);
        t->release(header_of(user));
        return NULL;
    }
    /* Field by field into the slot: an entry built on the stack and copied
     * whole is read back with wide loads the narrow stores cannot forward
     * to, a stall of about 3 ns on every allocation. */
    entry *item = table_claim(&s->live, user);
    item->address = user;
    item->size = size;
    item->site = site;
    item->alloc_ticks = ticks;
    item->domain = FS_DOMAIN_C;
    item->flags = 0;
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    counts->allocations++;
    counts->live_blocks++;
    counts->live_bytes += size;
    emit(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_C, user, size, site, NULL);
    shard_unlock(s);
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

/*
 * Finishes releasing a C block already removed from shard s's table, under
 * s's lock: counts, canary check, the event (a free; a realloc emits its own),
 * history and quarantine. Returns the tick it stamped.
 */
static uint64_t release_c_block(fs_tracker *t, shard *s, const entry *block, const char *site,
                                bool is_free) {
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    if (is_free) {
        counts->frees++;
    }
    counts->live_blocks--;
    counts->live_bytes -= block->size;
    size_t reach = canary_damage(block->address, block->size);
    if (reach && !(block->flags & ENTRY_OVERFLOW_REPORTED)) {
        emit_anomaly(t, s, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C,
                     block->address + block->size + reach - 1, block->size, block->address, reach,
                     site, block->site);
    }
    uint64_t ticks = stamp_free(s, block->alloc_ticks);
    if (is_free) {
        emit(s, ticks, FS_EVENT_FREE, FS_DOMAIN_C, block->address, block->size, site, block->site);
    }
    history_push(s, block->address, block->size, block->site, site, FS_DOMAIN_C, ticks);
    quarantine_push(t, s, block->address, block->size, block->site, site);
    return ticks;
}

/* Removes the live C block at `user` from whichever shard holds it and
 * returns with that shard locked in *owner; or reports why it cannot be
 * released (foreign, double, invalid) and returns false, holding no lock. */
static bool take_c_block(fs_tracker *t, shard *own, uintptr_t user, const char *site,
                         entry *block, shard **owner) {
    shard_lock(own);
    entry *e = table_find(&own->live, user);
    if (e) {
        *block = *e;
        if (e->domain == FS_DOMAIN_C) {
            table_remove(&own->live, e);
            *owner = own;
            return true;
        }
        shard_unlock(own);
        report_foreign_free(t, block, site);
        return false;
    }
    shard_unlock(own);
    switch (take_from_any_shard(t, own, user, FS_DOMAIN_C, block, owner)) {
    case TAKEN:
        return true;
    case OTHER_DOMAIN:
        report_foreign_free(t, block, site);
        return false;
    case NOT_FOUND:
        break;
    }
    report_bad_free(t, user, site, FS_DOMAIN_C);
    return false;
}

void fs_free(void *ptr, const char *site) {
    fs_tracker *t = fs_tracker_current();
    if (!ptr || !t) {
        return;
    }
    entry block;
    shard *owner;
    if (take_c_block(t, shard_of(t), (uintptr_t)ptr, site, &block, &owner)) {
        release_c_block(t, owner, &block, site, true);
        shard_unlock(owner);
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
    if (!t || size > MAX_BLOCK_BYTES) {
        return NULL;
    }
    /* Always move, as a sanitizer does, so a stale pointer to the old block is caught. */
    uintptr_t new_user = new_block(t, size);
    if (!new_user) {
        return NULL;
    }
    shard *s = shard_of(t);
    entry old;
    shard *old_owner;
    if (!take_c_block(t, s, (uintptr_t)ptr, site, &old, &old_owner)) {
        t->release(header_of(new_user));
        return NULL;
    }
    memcpy((void *)new_user, ptr, old.size < size ? old.size : size);
    uint64_t released_at = release_c_block(t, old_owner, &old, site, false);
    if (s != old_owner) {
        shard_unlock(old_owner);
        shard_lock(s);
    }
    uint64_t ticks = stamp(s, released_at + 1);
    entry item = {.address = new_user, .size = size, .site = site, .alloc_ticks = ticks,
                  .domain = FS_DOMAIN_C};
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    if (!table_insert(&s->live, &item)) {
        /* The old block is already gone; report it freed rather than lose it. */
        counts->frees++;
        emit(s, ticks, FS_EVENT_FREE, FS_DOMAIN_C, old.address, old.size, site, old.site);
        shard_unlock(s);
        t->release(header_of(new_user));
        return NULL;
    }
    counts->reallocs++;
    counts->live_blocks++;
    counts->live_bytes += size;
    emit_related(s, ticks, FS_EVENT_REALLOC, FS_DOMAIN_C, new_user, size, old.address, old.size,
                 site, old.site);
    shard_unlock(s);
    return (void *)new_user;
}

/* ---- checks ----------------------------------------------------------- */

/* Copies the live block that starts at `address`, from any shard. */
static bool find_live(fs_tracker *t, uintptr_t address, entry *found) {
    shard *own = shard_of(t);
    size_t count = shard_count_of(t);
    for (size_t i = 0; i <= count; i++) {
        /* The caller's own shard first: that is where its blocks are. */
        shard *s = i == 0 ? own : t->shards[i - 1];
        if (i > 0 && s == own) {
            continue;
        }
        shard_lock(s);
        entry *e = table_find(&s->live, address);
        if (e) {
            *found = *e;
        }
        shard_unlock(s);
        if (e) {
            return true;
        }
    }
    return false;
}

int fs_is_live(const void *ptr) {
    fs_tracker *t = fs_tracker_current();
    entry block;
    return t && ptr && find_live(t, (uintptr_t)ptr, &block) && block.domain == FS_DOMAIN_C;
}

int fs_was_freed(const void *ptr) {
    fs_tracker *t = fs_tracker_current();
    freed_record previous;
    return t && ptr && freed_before(t, (uintptr_t)ptr, &previous);
}

/* Reports an anomaly found by a check into the caller's shard. */
static void report_access(fs_tracker *t, uint8_t kind, uint8_t domain, uintptr_t address,
                          size_t size, uintptr_t block, size_t detail, const char *site,
                          const char *related_site) {
    shard *own = shard_of(t);
    shard_lock(own);
    emit_anomaly(t, own, kind, domain, address, size, block, detail, site, related_site);
    shard_unlock(own);
}

static bool quarantined_containing(fs_tracker *t, uintptr_t address, quarantined *found) {
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        quarantined *q = quarantine_containing(s, address);
        if (q) {
            *found = *q;
        }
        shard_unlock(s);
        if (q) {
            return true;
        }
    }
    return false;
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
    entry block;
    if (find_live(t, address, &block)) {
        if (len > block.size) {
            report_access(t, FS_EVENT_HEAP_OVERFLOW, block.domain, address + block.size, block.size,
                          address, len - block.size, site, block.site);
            return 0;
        }
        return 1;
    }
    freed_record previous;
    if (freed_before(t, address, &previous)) {
        report_access(t, FS_EVENT_USE_AFTER_FREE, previous.domain, address, previous.size, address,
                      0, site, previous.alloc_site);
        return 0;
    }
    if (live_block_containing(t, address, &block)) {
        size_t offset = address - block.address;
        if (len > block.size - offset) {
            report_access(t, FS_EVENT_HEAP_OVERFLOW, block.domain, address, block.size,
                          block.address, len - (block.size - offset), site, block.site);
            return 0;
        }
        return 1;
    }
    quarantined held;
    if (quarantined_containing(t, address, &held)) {
        report_access(t, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, address, held.size, held.address,
                      address - held.address, site, held.alloc_site);
        return 0;
    }
    return 1;
}

/* Damage found in a shard is reported into that shard's ring, under the lock
 * already held: whoever holds a shard's lock may write its ring. */
size_t fs_check_all(fs_tracker *t) {
    size_t found = 0;
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address == 0 || e->domain != FS_DOMAIN_C ||
                (e->flags & ENTRY_OVERFLOW_REPORTED)) {
                continue;
            }
            size_t reach = canary_damage(e->address, e->size);
            if (reach) {
                e->flags |= ENTRY_OVERFLOW_REPORTED;
                emit_anomaly(t, s, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C,
                             e->address + e->size + reach - 1, e->size, e->address, reach,
                             "canary check", e->site);
                found++;
            }
        }
        for (size_t j = 0; j < s->quarantine_len; j++) {
            quarantined *q = quarantine_at(s, j);
            if (q->reported) {
                continue;
            }
            size_t offset = poison_damage(q->address, q->size);
            if (offset != SIZE_MAX) {
                q->reported = true;
                emit_anomaly(t, s, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, q->address + offset,
                             q->size, q->address, offset, q->free_site, q->alloc_site);
                found++;
            }
        }
        shard_unlock(s);
    }
    return found;
}

/* ---- the Rust heap ---------------------------------------------------- */

/* Closes the record of a Rust block that was freed outside any scope and
 * whose address the allocator has handed out again. Under s's lock. */
static void close_stale(shard *s, const entry *stale, const char *site) {
    fs_heap_counts *counts = &s->counts[stale->domain];
    counts->frees++;
    counts->live_blocks--;
    counts->live_bytes -= stale->size;
    if (stale->domain == FS_DOMAIN_RUST) {
        atomic_fetch_sub_explicit(&s->rust_live, 1, memory_order_relaxed);
    }
    emit(s, stamp_free(s, stale->alloc_ticks), FS_EVENT_FREE, stale->domain, stale->address,
         stale->size, site, stale->site);
}

void fs_rust_alloc(fs_tracker *t, void *ptr, size_t size, const char *site) {
    uintptr_t address = (uintptr_t)ptr;
    shard *s = shard_of(t);
    /* A stale record in another thread's shard: only shards holding Rust
     * blocks can have one, which keeps this off the common path. */
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *other = t->shards[i];
        if (other == s || atomic_load_explicit(&other->rust_live, memory_order_relaxed) == 0) {
            continue;
        }
        shard_lock(other);
        entry *stale = table_find(&other->live, address);
        if (stale && stale->domain == FS_DOMAIN_RUST) {
            entry copy = *stale;
            table_remove(&other->live, stale);
            close_stale(other, &copy, site);
        }
        shard_unlock(other);
    }
    shard_lock(s);
    entry *stale = table_find(&s->live, address);
    if (stale) {
        entry copy = *stale;
        table_remove(&s->live, stale);
        close_stale(s, &copy, site);
    }
    uint64_t ticks = stamp(s, 0);
    entry item = {.address = address, .size = size, .site = site, .alloc_ticks = ticks,
                  .domain = FS_DOMAIN_RUST};
    if (table_insert(&s->live, &item)) {
        fs_heap_counts *counts = &s->counts[FS_DOMAIN_RUST];
        counts->allocations++;
        counts->live_blocks++;
        counts->live_bytes += size;
        atomic_fetch_add_explicit(&s->rust_live, 1, memory_order_relaxed);
        emit(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_RUST, address, size, site, NULL);
    }
    shard_unlock(s);
}

int fs_rust_free(fs_tracker *t, void *ptr, const char *site) {
    uintptr_t address = (uintptr_t)ptr;
    shard *s = shard_of(t);
    shard *owner = s;
    entry block;
    shard_lock(s);
    entry *e = table_find(&s->live, address);
    lookup found;
    if (e) {
        block = *e;
        found = e->domain == FS_DOMAIN_RUST ? TAKEN : OTHER_DOMAIN;
        if (found == TAKEN) {
            table_remove(&s->live, e);
        } else {
            shard_unlock(s);
        }
    } else {
        shard_unlock(s);
        found = take_from_any_shard(t, s, address, FS_DOMAIN_RUST, &block, &owner);
    }
    if (found == NOT_FOUND) {
        return FS_RUST_FREE_UNKNOWN;
    }
    if (found == OTHER_DOMAIN) {
        report_foreign_free(t, &block, site);
        return FS_RUST_FREE_REFUSED;
    }
    fs_heap_counts *counts = &owner->counts[FS_DOMAIN_RUST];
    counts->frees++;
    counts->live_blocks--;
    counts->live_bytes -= block.size;
    atomic_fetch_sub_explicit(&owner->rust_live, 1, memory_order_relaxed);
    uint64_t ticks = stamp_free(owner, block.alloc_ticks);
    emit(owner, ticks, FS_EVENT_FREE, FS_DOMAIN_RUST, address, block.size, site, block.site);
    history_push(owner, address, block.size, block.site, site, FS_DOMAIN_RUST, ticks);
    shard_unlock(owner);
    return FS_RUST_FREE_RECORDED;
}

int fs_rust_is_live(fs_tracker *t, const void *ptr) {
    entry block;
    return find_live(t, (uintptr_t)ptr, &block) && block.domain == FS_DOMAIN_RUST;
}

void fs_report(fs_tracker *t, uint8_t kind, uint8_t domain, const void *ptr, size_t size,
               const char *site, const char *related_site) {
    report_access(t, kind, domain, (uintptr_t)ptr, size, (uintptr_t)ptr, 0, site, related_site);
}

/* ---- reading ---------------------------------------------------------- */

fs_counts fs_tracker_counts(fs_tracker *t) {
    fs_counts total;
    memset(&total, 0, sizeof total);
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        for (unsigned d = 0; d < 2; d++) {
            /* Shard counts may wrap individually (a block allocated in one
             * shard and reallocated into another); their unsigned sum is exact. */
            total.heap[d].allocations += s->counts[d].allocations;
            total.heap[d].frees += s->counts[d].frees;
            total.heap[d].reallocs += s->counts[d].reallocs;
            total.heap[d].live_blocks += s->counts[d].live_blocks;
            total.heap[d].live_bytes += s->counts[d].live_bytes;
        }
        total.events_recorded += s->events_recorded;
        total.events_dropped += s->events_dropped;
        shard_unlock(s);
    }
    total.anomalies = atomic_load_explicit(&t->anomalies, memory_order_relaxed);
    return total;
}

size_t fs_live_blocks(fs_tracker *t, fs_block *out, size_t max_blocks) {
    size_t total = 0;
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address == 0) {
                continue;
            }
            if (total < max_blocks) {
                out[total] = (fs_block){.address = e->address, .size = e->size,
                                        .seq = e->alloc_ticks, .site = e->site,
                                        .domain = e->domain};
            }
            total++;
        }
        shard_unlock(s);
    }
    return total;
}
