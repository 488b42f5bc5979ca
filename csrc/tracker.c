/*
 * tracker.c — the instrumented allocator behind fs_malloc and friends.
 *
 * A small C block is a slot in one of the tracker's slabs (tracker_slabs.c):
 *     [user bytes ...][canary 16 B]
 * and its bookkeeping sits beside the slab, found from the address by
 * arithmetic. A larger block, or any block when the caller supplies a
 * backing allocator, comes from that allocator and is kept in a table:
 *     [header 16 B][user bytes ...][canary 16 B]
 *
 * Each thread works in its own shard (tracker_shard.h): the fast path takes
 * the shard's lock, which no other thread wants, writes one event into the
 * shard's ring and touches nothing shared. A block freed by another thread
 * is released in the shard that owns it, under that shard's lock, so all of
 * a block's events are in one ring. Anomalies' details and queries look in
 * every shard. The fast path calls no malloc-family function: the slabs,
 * tables, rings and quarantines come from mmap.
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
void *tracker_internal_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void tracker_internal_free(void *p, size_t bytes) {
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
 * started the epoch never moves, and the fast clock falls back on its
 * STAMPS_REUSED_MAX bound alone. */
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
        thread_record *chunk = tracker_internal_alloc(RECORDS_PER_CHUNK * sizeof(thread_record));
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

/* The ring of the shard with this index: the tracker's own memory, or a
 * recording's shared ring, which goes on from where its last writer (the
 * program this process was before an exec) left it. */
static bool ring_new(fs_tracker *t, shard *s, size_t index) {
    if (t->sharing) {
        if (!t->sharing->ring(index, &s->control, &s->ring)) {
            return false;
        }
        s->head = atomic_load_explicit(&s->control->published, memory_order_relaxed);
        s->cached_tail = atomic_load_explicit(&s->control->tail, memory_order_acquire);
        return true;
    }
    s->control = &s->own_control;
    s->ring = tracker_internal_alloc(ring_bytes(t));
    return s->ring != NULL;
}

static void ring_free(fs_tracker *t, shard *s) {
    if (!t->sharing) {
        tracker_internal_free(s->ring, ring_bytes(t));
    }
}

static shard *shard_new(fs_tracker *t, size_t index) {
    shard *s = tracker_internal_alloc(sizeof(shard));
    if (!s) {
        return NULL;
    }
    s->ring_mask = t->ring_capacity - 1;
    s->patient = t->bare;
    s->quarantine_mask = round_up_pow2(t->quarantine_max_blocks) - 1;
    s->quarantine = tracker_internal_alloc(quarantine_bytes_of(s));
    if (!ring_new(t, s, index) || !s->quarantine || !table_grow(&s->live)) {
        ring_free(t, s);
        tracker_internal_free(s->quarantine, quarantine_bytes_of(s));
        tracker_internal_free(s->live.slots, s->live.capacity * sizeof(entry));
        tracker_internal_free(s, sizeof(shard));
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
        chosen = shard_new(t, count);
        if (chosen) {
            t->shards[count] = chosen;
            atomic_store_explicit(&t->shard_count, count + 1, memory_order_release);
        }
    }
    if (chosen) {
        chosen->owner = me;
        chosen->owner_token = token;
        /* The ring announces its new thread with its next record (emit),
         * which reads the clock: the stamp the ring last read belongs to
         * the thread before (or to no thread, in a new ring), whose epoch
         * says nothing of when this one began. */
        shard_lock(chosen);
        chosen->owner_thread = thread_id();
        chosen->stamps_reused = STAMPS_REUSED_MAX;
        shard_unlock(chosen);
    } else {
        chosen = t->shards[token % count];
    }
    pthread_mutex_unlock(&t->shards_lock);
    shard_cache.tracker = t;
    shard_cache.tracker_id = t->id;
    shard_cache.shard = chosen;
    return chosen;
}

/* The calling thread's shard of t when it is at hand, else NULL. */
static inline shard *shard_cached(fs_tracker *t) {
    return shard_cache.tracker == t && shard_cache.tracker_id == t->id ? shard_cache.shard : NULL;
}

static inline shard *shard_of(fs_tracker *t) {
    shard *s = shard_cached(t);
    return s ? s : shard_acquire(t);
}

static size_t shard_count_of(fs_tracker *t) {
    return atomic_load_explicit(&t->shard_count, memory_order_acquire);
}

/* ---- the clock (the caller holds the shard's lock) ---------------------- */

/* A tick read from the clock for the next event, never behind the ring's
 * last one nor behind `at_least`. Events whose order against another ring
 * matters take these: blocks from the backing allocator (whose addresses
 * the C library may hand to another thread), reallocs and anomalies. */
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
 * The fast clock. Reading the time-stamp counter costs about as much as a
 * whole malloc+free pair, so an event may reuse its ring's last stamp while
 * the heartbeat epoch has not moved, at most STAMPS_REUSED_MAX times in a
 * row, and not the first event of a thread that has just taken the ring
 * (shard_acquire). Its time is then early by at most about a millisecond,
 * never late. Order is kept:
 * every event of a slab block is in its owner's ring, in the order it
 * happened; a free of a backing block is stamped at or after the block's
 * allocation (`at_least`), and what may follow it on another thread (an
 * allocation at the same address) reads the clock after it happened.
 */
static inline bool stamp_reusable(const shard *s, uint64_t at_least) {
    return s->stamps_reused < STAMPS_REUSED_MAX && s->last_ticks >= at_least &&
           s->stamp_epoch == atomic_load_explicit(&fs_clock_epoch, memory_order_relaxed);
}

/* The ring's last stamp again, when stamp_reusable says it may be. */
static inline uint64_t stamp_reuse(shard *s) {
    s->stamps_reused++;
    return s->last_ticks;
}

static inline uint64_t stamp_fast(shard *s, uint64_t at_least) {
    return stamp_reusable(s, at_least) ? stamp_reuse(s) : stamp(s, at_least);
}

/* ---- the event ring (the caller holds the shard's lock) ---------------- */

/* Waits up to about two seconds for the reader to make room: a recorded
 * program is slowed to the reader's pace rather than losing events, even
 * while the reader stops a moment (the model rehashing a million blocks
 * takes a good part of a second). A reader that makes no room in that time
 * is taken to be gone: the ring drops what does not fit, without waiting,
 * until it moves again. The reader takes no shard lock, so waiting under
 * one cannot stop it. */
#define PATIENCE_YIELDS 64u
#define PATIENCE_NAPS 40000u /* of 50 µs */

static bool wait_for_room(shard *s, unsigned slots) {
    uint64_t capacity = s->ring_mask + 1;
    const struct timespec pause = {.tv_nsec = 50000};
    for (unsigned waited = 0; waited < PATIENCE_YIELDS + PATIENCE_NAPS; waited++) {
        if (waited < PATIENCE_YIELDS) {
            sched_yield();
        } else {
            nanosleep(&pause, NULL);
        }
        s->cached_tail = atomic_load_explicit(&s->control->tail, memory_order_acquire);
        if (s->head + slots - s->cached_tail <= capacity) {
            return true;
        }
    }
    s->reader_away = true;
    return false;
}

/* Room for `slots` slots at the head, or NULL when the ring is full. */
static inline slot *ring_claim(shard *s, unsigned slots) {
    uint64_t capacity = s->ring_mask + 1;
    if (s->head + slots - s->cached_tail > capacity) {
        s->cached_tail = atomic_load_explicit(&s->control->tail, memory_order_acquire);
        if (s->head + slots - s->cached_tail > capacity &&
            !(s->patient && !s->reader_away && wait_for_room(s, slots))) {
            return NULL;
        }
        s->reader_away = false;
    }
    return &s->ring[s->head & s->ring_mask];
}

static inline void ring_publish(shard *s, unsigned slots) {
    s->head += slots;
    atomic_store_explicit(&s->control->published, s->head, memory_order_release);
}

/* Tells the reader that the ring's events from the next one on are
 * `thread`'s. With the list full (a reader that has not drained through
 * many adoptions), events keep saying their thread themselves. */
static void announce_thread(shard *s, uint32_t thread) {
    ring_control *control = s->control;
    uint64_t written = atomic_load_explicit(&control->marks_written, memory_order_relaxed);
    if (written - atomic_load_explicit(&control->marks_read, memory_order_acquire) >= THREAD_MARKS) {
        return;
    }
    control->thread_marks[written % THREAD_MARKS] = (thread_mark){.position = s->head, .thread = thread};
    atomic_store_explicit(&control->marks_written, written + 1, memory_order_release);
    s->ring_thread = thread;
}

/* Writes an event's first slot. Field by field: a record built on the
 * stack and copied whole is read back with wide loads the narrow stores
 * cannot forward to. */
static inline __attribute__((always_inline)) void write_record(record *target, uint64_t ticks, uint8_t kind,
                                                               uint8_t domain, uintptr_t address, size_t size,
                                                               uint32_t site, uint32_t related_site,
                                                               bool extended) {
    target->ticks = ticks;
    target->address = address;
    target->packed = (size & RECORD_SIZE_MASK) | ((uint64_t)kind << RECORD_KIND_SHIFT) |
                     ((uint64_t)domain << RECORD_DOMAIN_SHIFT) | (extended ? RECORD_EXTENDED : 0);
    target->site = site;
    target->related_site = related_site;
}

/* Writes and publishes one event. It takes a second slot when it has a
 * related block, a size past 47 bits or a thread other than the ring's. */
static __attribute__((noinline)) void emit_event(shard *s, uint64_t ticks, uint8_t kind, uint8_t domain,
                              uintptr_t address, size_t size, uint32_t site, uint32_t related_site,
                              bool related, uintptr_t related_address, size_t related_size) {
    uint32_t me = thread_id();
    if (me != s->ring_thread && me == s->owner_thread) {
        announce_thread(s, me);
    }
    bool extended = related || me != s->ring_thread || size > RECORD_SIZE_MASK;
    unsigned slots = extended ? 2 : 1;
    slot *target = ring_claim(s, slots);
    if (!target) {
        /* Read by the reader, written only here, under the shard's lock. */
        atomic_store_explicit(&s->control->dropped,
                              atomic_load_explicit(&s->control->dropped, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    write_record(&target->event, ticks, kind, domain, address, size, site, related_site, extended);
    if (extended) {
        record_extension *extension = &s->ring[(s->head + 1) & s->ring_mask].extension;
        extension->related_address = related_address;
        extension->related_size = related_size;
        extension->size = size;
        extension->thread = me;
        extension->unused = 0;
    }
    s->events_recorded++;
    ring_publish(s, slots);
}

/* Whether an event with no related block fits one slot of the ring,
 * written now by thread `me`, as nearly every allocation's and free's does. */
static inline bool fits_one_slot_now(const shard *s, uint32_t me, size_t size) {
    return me == s->ring_thread && size <= RECORD_SIZE_MASK &&
           s->head + 1 - s->cached_tail <= s->ring_mask + 1;
}

/* Whether the calling thread's next event in shard s, with no related
 * block, can be stamped and written with no call: a stamp to reuse, the
 * thread's id at hand and room in a ring it wrote last. */
static inline bool event_in_line_now(const shard *s, size_t size) {
    return stamp_reusable(s, 0) && cached_thread_id != 0 && fits_one_slot_now(s, cached_thread_id, size);
}

/* Writes and publishes an event that fits_one_slot_now. */
static inline __attribute__((always_inline)) void emit_in_one_slot(shard *s, uint64_t ticks, uint8_t kind,
                                                                   uint8_t domain, uintptr_t address,
                                                                   size_t size, uint32_t site,
                                                                   uint32_t related_site) {
    write_record(&s->ring[s->head & s->ring_mask].event, ticks, kind, domain, address, size, site,
                 related_site, false);
    s->events_recorded++;
    ring_publish(s, 1);
}

/* An event with no related block: in line when it fits one slot. */
static inline __attribute__((always_inline)) void emit(shard *s, uint64_t ticks, uint8_t kind,
                                                       uint8_t domain, uintptr_t address, size_t size,
                                                       uint32_t site, uint32_t related_site) {
    if (!fits_one_slot_now(s, thread_id(), size)) {
        emit_event(s, ticks, kind, domain, address, size, site, related_site, false, 0, 0);
        return;
    }
    emit_in_one_slot(s, ticks, kind, domain, address, size, site, related_site);
}

/* An anomaly: `site` is where it happened, `related_site` who allocated (or
 * first freed) the block at `block`; `detail` is the anomaly's number. */
static void emit_anomaly(fs_tracker *t, shard *s, uint8_t kind, uint8_t domain, uintptr_t address,
                         size_t size, uintptr_t block, size_t detail, uint32_t site,
                         uint32_t related_site) {
    atomic_fetch_add_explicit(&t->anomalies, 1, memory_order_relaxed);
    emit_event(s, stamp(s, 0), kind, domain, address, size, site, related_site, true, block,
               detail);
}

/* ---- the live-block table (linear probing, backward-shift deletion) --- */

/* A table past this many slots no longer fits the caches, and keeps
 * neighbouring blocks together. */
#define LOCAL_TABLE_SLOTS (1u << 16)

/*
 * Where an address's probe starts. A small table scatters every address.
 * A large one keeps the blocks of each 1 KiB window of the address space
 * within one stretch of 64 slots (2 KiB), each at its own place, and
 * scatters the windows: a program building a large structure allocates at
 * rising addresses, and scattering each of those blocks over a table of
 * millions costs a cache miss and a page walk per insert. The place within
 * the stretch is turned by the window's hash, so page-aligned blocks do not
 * all start at one. (The app's model does the same: src/track/address_map.rs.)
 */
static size_t home_slot(const table *tab, uintptr_t address) {
    if (tab->capacity < LOCAL_TABLE_SLOTS) {
        return (size_t)mix(address) & (tab->capacity - 1);
    }
    uint64_t granule = (uint64_t)address >> 4;
    uint64_t window = mix(granule >> 6);
    return (size_t)((window << 6) | ((granule ^ window) & 63)) & (tab->capacity - 1);
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
    entry *slots = tracker_internal_alloc(capacity * sizeof(entry));
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
    tracker_internal_free(old.slots, old.capacity * sizeof(entry));
    return true;
}

/* Claims the slot for a new key, growing the table when it is half full,
 * and sets only its address (the caller fills in the rest); NULL when the
 * table could not grow. The caller has checked that the key is absent. */
static entry *table_insert_slot(table *tab, uintptr_t address) {
    if ((tab->count + 1) * 2 > tab->capacity && !table_grow(tab)) {
        return NULL;
    }
    entry *slot = table_claim(tab, address);
    slot->address = address;
    return slot;
}

static bool table_insert(table *tab, const entry *item) {
    entry *slot = table_insert_slot(tab, item->address);
    if (slot) {
        *slot = *item;
    }
    return slot != NULL;
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

static header *header_of(uintptr_t user) { return (header *)(user - HEADER_BYTES); }

/* What the backing allocator returned for a block starting at `user`. */
static void *backing_of(const fs_tracker *t, uintptr_t user) {
    return t->bare ? (void *)user : (void *)header_of(user);
}

static inline void canary_write(uintptr_t user, size_t size) {
    unsigned char *canary = (unsigned char *)user + size;
    memcpy(canary, &CANARY_WORD, sizeof CANARY_WORD);
    memcpy(canary + 8, &CANARY_WORD, sizeof CANARY_WORD);
}

/* Whether a block's canary is intact: two word compares. */
static inline bool canary_intact(uintptr_t user, size_t size) {
    const unsigned char *canary = (const unsigned char *)user + size;
    uint64_t low, high;
    memcpy(&low, canary, sizeof low);
    memcpy(&high, canary + 8, sizeof high);
    return ((low ^ CANARY_WORD) | (high ^ CANARY_WORD)) == 0;
}

/* How far past the end a write reached (1 = the first byte past the end),
 * or 0 when the canary is intact. */
static inline size_t canary_damage(uintptr_t user, size_t size) {
    if (canary_intact(user, size)) {
        return 0;
    }
    const unsigned char *canary = (const unsigned char *)user + size;
    size_t reach = 0;
    for (size_t i = 0; i < CANARY_BYTES; i++) {
        if (canary[i] != CANARY_BYTE) {
            reach = i + 1;
        }
    }
    return reach;
}

/* Poisons a freed block. A block of up to 16 or 32 bytes takes two or
 * four word stores, with no loop: they may run up to 15 bytes into the
 * canary, which has been checked already and is tracker memory. */
static inline void poison_fill(uintptr_t user, size_t size) {
    unsigned char *bytes = (unsigned char *)user;
    const uint64_t poison = POISON_WORD;
    if (size <= 32) {
        memcpy(bytes, &poison, sizeof poison);
        memcpy(bytes + 8, &poison, sizeof poison);
        if (size > 16) {
            memcpy(bytes + 16, &poison, sizeof poison);
            memcpy(bytes + 24, &poison, sizeof poison);
        }
    } else {
        memset(bytes, POISON_BYTE, size);
    }
}

/* The bytes of a block of 0 to 16 bytes in its first and second word: the
 * ones small_poison_intact compares. A table, as two loads cost less than
 * working the masks out from the size on every free. */
static const uint64_t small_block_masks[17][2] = {
    {UINT64_C(0x0000000000000000), UINT64_C(0x0000000000000000)}, /*  0 */
    {UINT64_C(0x00000000000000ff), UINT64_C(0x0000000000000000)}, /*  1 */
    {UINT64_C(0x000000000000ffff), UINT64_C(0x0000000000000000)}, /*  2 */
    {UINT64_C(0x0000000000ffffff), UINT64_C(0x0000000000000000)}, /*  3 */
    {UINT64_C(0x00000000ffffffff), UINT64_C(0x0000000000000000)}, /*  4 */
    {UINT64_C(0x000000ffffffffff), UINT64_C(0x0000000000000000)}, /*  5 */
    {UINT64_C(0x0000ffffffffffff), UINT64_C(0x0000000000000000)}, /*  6 */
    {UINT64_C(0x00ffffffffffffff), UINT64_C(0x0000000000000000)}, /*  7 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x0000000000000000)}, /*  8 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x00000000000000ff)}, /*  9 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x000000000000ffff)}, /* 10 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x0000000000ffffff)}, /* 11 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x00000000ffffffff)}, /* 12 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x000000ffffffffff)}, /* 13 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x0000ffffffffffff)}, /* 14 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x00ffffffffffffff)}, /* 15 */
    {UINT64_C(0xffffffffffffffff), UINT64_C(0xffffffffffffffff)}, /* 16 */
};

/* Whether a freed block of up to 16 bytes still holds its poison: two word
 * compares, as poison_fill wrote them (it may run into the canary). */
static inline bool small_poison_intact(uintptr_t user, size_t size) {
    const unsigned char *bytes = (const unsigned char *)user;
    uint64_t low, high;
    memcpy(&low, bytes, sizeof low);
    memcpy(&high, bytes + 8, sizeof high);
    const uint64_t *wanted = small_block_masks[size];
    return (((low ^ POISON_WORD) & wanted[0]) | ((high ^ POISON_WORD) & wanted[1])) == 0;
}

/* Offset of the first byte of a quarantined block that was written after
 * the free, or SIZE_MAX when the poison is intact. */
static inline size_t poison_damage(uintptr_t user, size_t size) {
    if (size <= 16 && small_poison_intact(user, size)) {
        return SIZE_MAX;
    }
    return tracker_poison_scan(user, size);
}

/* ---- history and quarantine (the caller holds the shard's lock) -------- */

/* Frees of blocks in tables; a slab slot remembers its own last free. */
static size_t history_set_of(uintptr_t address) { return mix(address) & (HISTORY_SETS - 1); }

static void history_push(shard *s, uintptr_t address, size_t size, uint32_t alloc_site,
                         uint32_t free_site, uint8_t domain, uint64_t ticks) {
    freed_set *set = &s->history[history_set_of(address)];
    unsigned way = 0;
    for (unsigned i = 0; i < HISTORY_WAYS; i++) {
        if (set->address[i] == address) {
            way = i;
            break;
        }
        if (set->free_ticks[i] < set->free_ticks[way]) {
            way = i; /* the oldest so far, or an empty way (tick 0) */
        }
    }
    set->address[way] = address;
    set->free_ticks[way] = ticks;
    set->size_and_domain[way] = size | (domain == FS_DOMAIN_RUST ? HISTORY_DOMAIN_BIT : 0);
    set->alloc_site[way] = alloc_site;
    set->free_site[way] = free_site;
}

/* The most recent free of exactly this address in this shard, if remembered. */
static bool history_find(const shard *s, uintptr_t address, freed_record *found) {
    const freed_set *set = &s->history[history_set_of(address)];
    for (unsigned i = 0; i < HISTORY_WAYS; i++) {
        if (set->address[i] == address && address != 0) {
            uint64_t size = set->size_and_domain[i];
            *found = (freed_record){
                .address = address,
                .size = size & ~HISTORY_DOMAIN_BIT,
                .free_ticks = set->free_ticks[i],
                .alloc_site = set->alloc_site[i],
                .free_site = set->free_site[i],
                .domain = (size & HISTORY_DOMAIN_BIT) ? FS_DOMAIN_RUST : FS_DOMAIN_C,
            };
            return true;
        }
    }
    return false;
}

static quarantined *quarantine_at(shard *s, size_t i) {
    return &s->quarantine[(s->quarantine_head + i) & s->quarantine_mask];
}

/* A write after free found at `offset` in a quarantined block. */
static __attribute__((noinline)) void report_poison_damage(fs_tracker *t, shard *s, quarantined *q,
                                                           size_t offset) {
    q->reported = true;
    emit_anomaly(t, s, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, q->address + offset, q->size,
                 q->address, offset, q->free_site, q->alloc_site);
}

/* Checks a quarantined block's poison and reports the first byte written
 * after its free, once: its entry remembers, for a slab slot as for a
 * backing block. Returns whether it reported. */
static inline __attribute__((always_inline)) bool check_quarantined(fs_tracker *t, shard *s,
                                                                    quarantined *q) {
    /* The poison first: intact, as nearly always, the flag is not read. */
    size_t offset = poison_damage(q->address, q->size);
    if (offset == SIZE_MAX || q->reported) {
        return false;
    }
    report_poison_damage(t, s, q, offset);
    return true;
}

/* Gives a backing block leaving the quarantine back to its allocator, checked. */
static __attribute__((noinline)) void release_quarantined_block(fs_tracker *t, shard *s,
                                                                quarantined *q) {
    check_quarantined(t, s, q);
    t->release(backing_of(t, q->address));
}

/*
 * Checks a block leaving the quarantine and gives it back: a slab slot to
 * its slab's free list (inline: it is every small free's work), any other
 * block to the backing allocator. The entry holds all the check needs, so
 * a slot's bookkeeping, last touched at its free long ago, is only stored
 * to, without waiting for it to be fetched.
 */
static inline __attribute__((always_inline)) void release_quarantined(fs_tracker *t, shard *s,
                                                                      quarantined *q) {
    slab *b = slab_of(t, q->address);
    if (!b) {
        release_quarantined_block(t, s, q);
        return;
    }
    check_quarantined(t, s, q);
    tracker_slab_put_back(b, slot_index(b, q->address), SLOT_FREE);
}

/* Forgets the oldest entry, whose block has been given back. */
static inline void quarantine_drop_oldest(shard *s, const quarantined *oldest) {
    s->quarantine_bytes -= oldest->size;
    s->quarantine_head = (s->quarantine_head + 1) & s->quarantine_mask;
    s->quarantine_len--;
}

/* Holds back a poisoned block (there is room: the caller let the oldest go). */
static inline void quarantine_append(shard *s, uintptr_t user, size_t size, uint32_t alloc_site,
                                     uint32_t free_site) {
    quarantined *q = quarantine_at(s, s->quarantine_len);
    q->address = user;
    q->size = size;
    q->alloc_site = alloc_site;
    q->free_site = free_site;
    q->reported = false;
    s->quarantine_len++;
    s->quarantine_bytes += size;
}

/* Poisons a freed C block and holds it back, letting the oldest go when
 * the quarantine is full (in line: it is every small free's work). The
 * entry keeps the block's size, so a slot leaving needs no bookkeeping. */
static inline __attribute__((always_inline)) void quarantine_push(fs_tracker *t, shard *s,
                                                                  uintptr_t user, size_t size,
                                                                  uint32_t alloc_site,
                                                                  uint32_t free_site) {
    poison_fill(user, size);
    while (s->quarantine_len > 0 && (s->quarantine_len >= t->quarantine_max_blocks ||
                                     s->quarantine_bytes + size > t->quarantine_max_bytes)) {
        quarantined *oldest = quarantine_at(s, 0);
        release_quarantined(t, s, oldest);
        quarantine_drop_oldest(s, oldest);
    }
    quarantine_append(s, user, size, alloc_site, free_site);
}

/* A quarantined backing block containing address (slab slots are found by
 * arithmetic instead). */
static quarantined *quarantine_containing(fs_tracker *t, shard *s, uintptr_t address) {
    for (size_t i = 0; i < s->quarantine_len; i++) {
        quarantined *q = quarantine_at(s, i);
        if (address >= q->address && address < q->address + (q->size ? q->size : 1) &&
            !slab_of(t, q->address)) {
            return q;
        }
    }
    return NULL;
}

/* ---- lifetime --------------------------------------------------------- */

static void *libc_allocate(size_t size) { return malloc(size); }
static void libc_release(void *ptr) { free(ptr); }

static fs_tracker *tracker_make(const fs_config *config, const tracker_sharing *sharing) {
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
    tracker_poison_init();
    fs_tracker *t = tracker_internal_alloc(sizeof(fs_tracker));
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
    /* Without slabs (a backing allocator was given, or no address space
     * could be reserved) every block comes from the backing allocator. */
    if (!chosen.backing) {
        tracker_region_reserve(t);
    }
    /* A first shard, so that there is always one to share. */
    t->sharing = sharing;
    bool named = tracker_sites_init(&t->sites, sharing ? sharing->sites : NULL,
                                    sharing ? sharing->site_capacity : 0);
    t->shards[0] = named ? shard_new(t, 0) : NULL;
    if (!t->shards[0]) {
        tracker_region_release(t);
        pthread_mutex_destroy(&t->shards_lock);
        tracker_internal_free(t, sizeof(fs_tracker));
        return NULL;
    }
    atomic_store_explicit(&t->shard_count, 1, memory_order_release);
    return t;
}

fs_tracker *fs_tracker_new(const fs_config *config) { return tracker_make(config, NULL); }

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
                t->release(backing_of(t, e->address));
            }
        }
        for (size_t j = 0; j < s->quarantine_len; j++) {
            uintptr_t address = quarantine_at(s, j)->address;
            if (!slab_of(t, address)) {
                t->release(backing_of(t, address));
            }
        }
        tracker_internal_free(s->live.slots, s->live.capacity * sizeof(entry));
        tracker_internal_free(s->quarantine, quarantine_bytes_of(s));
        ring_free(t, s);
        tracker_internal_free(s, sizeof(shard));
    }
    tracker_region_release(t);
    tracker_sites_destroy(&t->sites);
    pthread_mutex_destroy(&t->shards_lock);
    tracker_internal_free(t, sizeof(fs_tracker));
}

static void create_default_tracker(void) { default_tracker = fs_tracker_new(NULL); }

fs_tracker *fs_tracker_bind(fs_tracker *t) {
    fs_tracker *previous = bound_tracker;
    bound_tracker = t;
    return previous;
}

static fs_tracker *default_tracker_once(void) {
    pthread_once(&default_once, create_default_tracker);
    return default_tracker;
}

/* The calling thread's tracker, inlined into the allocation calls. */
static inline fs_tracker *current_tracker(void) {
    fs_tracker *bound = bound_tracker;
    return bound ? bound : default_tracker_once();
}

fs_tracker *fs_tracker_current(void) { return current_tracker(); }

/* ---- what is known about an address ------------------------------------- */

/*
 * A slab slot as seen under its owner's lock: whether the address is the
 * slot's start or inside its user bytes, and a copy of its bookkeeping.
 */
typedef struct slot_view {
    bool known;  /* the address is in a slot of a handed-out slab */
    bool at_start;
    bool inside; /* within the block's user bytes (or its start) */
    uintptr_t start;
    slot_meta meta;
} slot_view;

static slot_view view_slot(slab *b, uintptr_t address) {
    slot_view view = {.known = false};
    uint32_t index = slot_index(b, address);
    if (index >= b->slot_count) {
        return view; /* the slab's tail, past its last slot */
    }
    view.known = true;
    view.start = slot_address(b, index);
    view.meta = b->meta[index];
    view.at_start = address == view.start;
    view.inside = address - view.start < (view.meta.size ? view.meta.size : 1);
    return view;
}

static slot_view look_at_slot(slab *b, uintptr_t address) {
    shard *owner = slab_owner(b);
    shard_lock(owner);
    slot_view view = view_slot(b, address);
    shard_unlock(owner);
    return view;
}

static bool was_freed_slot(const slot_view *view) {
    return view->known && view->at_start &&
           (view->meta.state == SLOT_QUARANTINED || view->meta.state == SLOT_FREE);
}

typedef enum lookup {
    NOT_FOUND,
    TAKEN,        /* found in the wanted domain and removed from its table */
    OTHER_DOMAIN, /* found, but owned by the other allocator: left alone */
} lookup;

/*
 * Looks for the table block starting at `address` in every shard but
 * `skip`. If it belongs to `domain`, removes it and returns with its shard
 * locked (*owner), for the caller to finish the free there; otherwise
 * copies it out.
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

/* The table block of any shard that contains address (not at its start). */
static bool table_block_containing(fs_tracker *t, uintptr_t address, entry *found) {
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

/* The latest free of exactly `address` (not a slab slot) in any shard's
 * history, or, for C blocks still held back, in any quarantine. */
static bool freed_before(fs_tracker *t, uintptr_t address, freed_record *found) {
    bool any = false;
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        freed_record r;
        bool remembered = history_find(s, address, &r);
        if (remembered && (!any || r.free_ticks > found->free_ticks)) {
            *found = r;
            any = true;
        }
        if (!remembered) {
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

/* Copies the table block that starts at `address`, from any shard. */
static bool find_in_tables(fs_tracker *t, uintptr_t address, entry *found) {
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

/* ---- reporting (the caller holds no lock) -------------------------------- */

/* Reports an anomaly into the caller's own shard. `site` is the caller's;
 * `related_site` an id already made. */
static void report(fs_tracker *t, uint8_t kind, uint8_t domain, uintptr_t address, size_t size,
                   uintptr_t block, size_t detail, const char *site, uint32_t related_site) {
    shard *own = shard_of(t);
    shard_lock(own);
    emit_anomaly(t, own, kind, domain, address, size, block, detail, site_id(t, own, site),
                 related_site);
    shard_unlock(own);
}

/* A live block that starts a header's width after `address`: what a
 * library that keeps its own header before the blocks it hands out frees
 * when it is given a block it did not allocate (SQLite's sqlite3_free
 * frees 8 bytes before the pointer it gets). */
typedef struct block_after {
    uintptr_t start;
    size_t size;
    uint32_t site;
    uint8_t domain;
} block_after;

static const size_t HEADER_WIDTHS[] = {8, 16};

static bool live_block_just_after(fs_tracker *t, uintptr_t address, block_after *found) {
    for (size_t i = 0; i < sizeof HEADER_WIDTHS / sizeof HEADER_WIDTHS[0]; i++) {
        uintptr_t start = address + HEADER_WIDTHS[i];
        slab *b = slab_of(t, start);
        if (b) {
            slot_view view = look_at_slot(b, start);
            if (view.known && view.at_start && view.meta.state == SLOT_LIVE) {
                *found = (block_after){start, view.meta.size, view.meta.site, FS_DOMAIN_C};
                return true;
            }
            continue;
        }
        entry block;
        if (find_in_tables(t, start, &block)) {
            *found = (block_after){start, block.size, block.site, block.domain};
            return true;
        }
    }
    return false;
}

/* An address that is no block's, from `site`: just before a live block
 * (reported with that block, which starts after it), or nothing known. */
static void report_unknown_free(fs_tracker *t, uintptr_t address, const char *site,
                                uint8_t freeing_domain) {
    block_after next;
    if (live_block_just_after(t, address, &next)) {
        report(t, FS_EVENT_INVALID_FREE, next.domain, address, next.size, next.start,
               next.start - address, site, next.site);
    } else {
        report(t, FS_EVENT_INVALID_FREE, freeing_domain, address, 0, 0, 0, site, 0);
    }
}

/* Why the slab address cannot be freed by `site`. */
static void report_bad_slab_free(fs_tracker *t, const slot_view *view, uintptr_t address,
                                 const char *site, uint8_t freeing_domain) {
    if (was_freed_slot(view)) {
        report(t, FS_EVENT_DOUBLE_FREE, FS_DOMAIN_C, address, view->meta.size, address, 0, site,
               view->meta.free_site);
    } else if (view->known && view->meta.state == SLOT_LIVE && view->inside) {
        report(t, FS_EVENT_INVALID_FREE, FS_DOMAIN_C, address, view->meta.size, view->start,
               address - view->start, site, view->meta.site);
    } else {
        report_unknown_free(t, address, site, freeing_domain);
    }
}

/* Why `address`, in no slab, cannot be freed by `site`: it is not a live
 * block of the freeing domain. */
static void report_bad_free(fs_tracker *t, uintptr_t address, const char *site,
                            uint8_t freeing_domain) {
    freed_record previous;
    entry block;
    if (freed_before(t, address, &previous)) {
        report(t, FS_EVENT_DOUBLE_FREE, previous.domain, address, previous.size, address, 0, site,
               previous.free_site);
    } else if (table_block_containing(t, address, &block)) {
        report(t, FS_EVENT_INVALID_FREE, block.domain, address, block.size, block.address,
               address - block.address, site, block.site);
    } else {
        report_unknown_free(t, address, site, freeing_domain);
    }
}

static void report_foreign_free(fs_tracker *t, uint8_t domain, uintptr_t address, size_t size,
                                uint32_t allocated_by, const char *site) {
    report(t, FS_EVENT_FOREIGN_FREE, domain, address, size, address, 0, site, allocated_by);
}

/* ---- allocation ------------------------------------------------------- */

/* The largest block whose header and canary still fit in a size_t. */
#define MAX_BLOCK_BYTES (SIZE_MAX - HEADER_BYTES - CANARY_BYTES)

/* A block from the backing allocator, with its header and canary (none
 * for a bare tracker). */
static uintptr_t new_backing_block(fs_tracker *t, size_t size) {
    if (t->bare) {
        return (uintptr_t)t->allocate(size);
    }
    header *h = t->allocate(HEADER_BYTES + size + CANARY_BYTES);
    if (!h) {
        return 0;
    }
    h->magic = HEADER_MAGIC;
    h->size = size;
    uintptr_t user = (uintptr_t)(h + 1);
    canary_write(user, size);
    return user;
}

static bool fits_a_slab(const fs_tracker *t, size_t size) {
    return size <= MAX_SLAB_BLOCK && t->region_slabs != 0;
}

/* Makes a slot reserved for `size` bytes live, under its shard's lock, and
 * returns its address. It takes what the caller knows (the size, the
 * site's id) rather than reading it back from the slot's bookkeeping past
 * the canary's stores, which the compiler cannot tell apart. */
static inline __attribute__((always_inline)) uintptr_t slot_go_live(slot_ref slot, size_t size,
                                                                     uint32_t site, uint64_t ticks,
                                                                     uint8_t flags) {
    slot_meta *m = &slot.slab->meta[slot.index];
    uintptr_t user = slot_address(slot.slab, slot.index);
    canary_write(user, size);
    m->site = site;
    m->alloc_ticks = ticks;
    m->state = SLOT_LIVE;
    /* A slot is released with no flags: only a form needs storing. */
    if (flags) {
        m->flags = flags;
    }
    return user;
}

static void count_allocation(shard *s, uint8_t domain, size_t size) {
    fs_heap_counts *counts = &s->counts[domain];
    counts->allocations++;
    counts->live_blocks++;
    counts->live_bytes += size;
}

static inline __attribute__((always_inline)) void *allocate_in(fs_tracker *t, size_t size,
                                                                 const char *site) {
    if (!t || size > MAX_BLOCK_BYTES) {
        return NULL;
    }
    shard *s = shard_of(t);
    if (fits_a_slab(t, size)) {
        shard_lock(s);
        slot_ref slot = tracker_slab_reserve(t, s, size);
        if (slot.slab) {
            /* Every event of a slab block is in this ring: the fast clock. */
            uint64_t ticks = stamp_fast(s, 0);
            uint32_t site_number = site_id(t, s, site);
            uintptr_t user = slot_go_live(slot, size, site_number, ticks, form_flags(site));
            count_allocation(s, FS_DOMAIN_C, size);
            emit(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_C, user, size, site_number, 0);
            shard_unlock(s);
            return (void *)user;
        }
        shard_unlock(s); /* the region is used up: the backing allocator */
    }
    uintptr_t user = new_backing_block(t, size);
    if (!user) {
        return NULL;
    }
    shard_lock(s);
    uint64_t ticks = stamp(s, 0);
    entry item = {.address = user, .size = size, .alloc_ticks = ticks,
                  .site = site_id(t, s, site), .domain = FS_DOMAIN_C, .flags = form_flags(site)};
    if (!table_insert(&s->live, &item)) {
        shard_unlock(s);
        t->release(backing_of(t, user));
        return NULL;
    }
    count_allocation(s, FS_DOMAIN_C, size);
    emit(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_C, user, size, item.site, 0);
    shard_unlock(s);
    return (void *)user;
}

/*
 * The common allocation whole, with no call in it: the thread's shard at
 * hand and its lock free, a slot in the class's current slab, the site's id
 * cached, a stamp to reuse and room in a ring this thread wrote last. It
 * takes the steps allocate_in takes for a slab block. Anything else returns
 * NULL before it changes a thing, and allocate_in starts over. Without a
 * call, the compiler keeps this path to the registers a call may clobber,
 * instead of saving and restoring six others on every allocation.
 */
static inline __attribute__((always_inline)) void *allocate_without_a_call(fs_tracker *t, size_t size,
                                                                            const char *site,
                                                                            uint8_t flags) {
    shard *s;
    if (!t || !fits_a_slab(t, size) || !(s = shard_cached(t)) || !shard_try_lock(s)) {
        return NULL;
    }
    slab *b = s->current[slab_class_of(size + CANARY_BYTES)];
    uint32_t site_number;
    if (!slab_has_a_slot(b) || !site_id_cached(s, site, &site_number) || !event_in_line_now(s, size)) {
        shard_unlock(s);
        return NULL;
    }
    uint64_t ticks = stamp_reuse(s);
    uintptr_t user = slot_go_live(slab_take_slot(b, size), size, site_number, ticks, flags);
    count_allocation(s, FS_DOMAIN_C, size);
    emit_in_one_slot(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_C, user, size, site_number, 0);
    shard_unlock(s);
    return (void *)user;
}

static __attribute__((noinline)) void *allocate_in_full(fs_tracker *t, size_t size, const char *site) {
    return allocate_in(t, size, site);
}

/* fs_malloc's full path. It finds the tracker itself, so fs_malloc need
 * keep nothing across a call and ends in a jump. */
static __attribute__((noinline)) void *allocate_for_this_thread(size_t size, const char *site) {
    return allocate_in(current_tracker(), size, site);
}

void *fs_malloc(size_t size, const char *site) {
    void *user = allocate_without_a_call(bound_tracker, size, site, 0);
    return user ? user : allocate_for_this_thread(size, site);
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

/* ---- releasing a C block ------------------------------------------------ */

/* A live C block being released: a slab slot, or an entry already removed
 * from its shard's table. */
typedef struct taken_block {
    slot_ref slot; /* slot.slab is NULL for a table block */
    entry block;
} taken_block;

static void count_release(shard *s, size_t size, bool is_free) {
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    if (is_free) {
        counts->frees++;
    }
    counts->live_blocks--;
    counts->live_bytes -= size;
}

static void check_canary_on_release(fs_tracker *t, shard *s, const entry *block, uint32_t site) {
    size_t reach = canary_damage(block->address, block->size);
    if (reach && !(block->flags & ENTRY_OVERFLOW_REPORTED)) {
        emit_anomaly(t, s, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C,
                     block->address + block->size + reach - 1, block->size, block->address, reach,
                     site, block->site);
    }
}

/* Reports a release by a form other than the block's own (a C++ `delete`
 * of a block `new[]` made), under its owner's lock. The release goes on:
 * the block is the C library's either way. */
static void check_form_on_release(fs_tracker *t, shard *s, uintptr_t address, size_t size,
                                  uint8_t flags, const char *site, uint32_t alloc_site) {
    unsigned made_as = (flags & ENTRY_FORM_BITS) >> ENTRY_FORM_SHIFT;
    unsigned released_as = FS_SITE_FORM(site);
    if (made_as != released_as) {
        emit_anomaly(t, s, FS_EVENT_MISMATCHED_FREE, FS_DOMAIN_C, address, size, address,
                     made_as | released_as << 8, site_id(t, s, site), alloc_site);
    }
}

/*
 * Finishes releasing a taken C block under its owner's lock: counts, the
 * canary check, the event (a free; a realloc emits its own), then the
 * quarantine. Returns the tick it stamped.
 */
static uint64_t release_c_block(fs_tracker *t, shard *s, taken_block *taken, const char *site,
                                bool is_free) {
    entry *block = &taken->block;
    check_form_on_release(t, s, block->address, block->size, block->flags, site, block->site);
    uint32_t free_site = site_id(t, s, site);
    count_release(s, block->size, is_free);
    if (t->bare && !taken->slot.slab) {
        uint64_t ticks = stamp_fast(s, block->alloc_ticks);
        if (is_free) {
            emit(s, ticks, FS_EVENT_FREE, FS_DOMAIN_C, block->address, block->size, free_site,
                 block->site);
        }
        history_push(s, block->address, block->size, block->site, free_site, FS_DOMAIN_C, ticks);
        /* Released under the lock: the address cannot be handed out again,
         * and recorded by another thread, before this free is in the ring. */
        t->release((void *)block->address);
        return ticks;
    }
    check_canary_on_release(t, s, block, free_site);
    uint64_t ticks = stamp_fast(s, block->alloc_ticks);
    if (is_free) {
        emit(s, ticks, FS_EVENT_FREE, FS_DOMAIN_C, block->address, block->size, free_site,
             block->site);
    }
    if (taken->slot.slab) {
        slot_meta *m = &taken->slot.slab->meta[taken->slot.index];
        m->free_site = free_site;
        m->flags = 0;
        if (t->bare) {
            /* A recorded program's slot is handed out again at once, as
             * the C library would; it says it was freed, and by whom,
             * until then. */
            tracker_slab_put_back(taken->slot.slab, taken->slot.index, SLOT_FREE);
            return ticks;
        }
        m->state = SLOT_QUARANTINED;
    } else {
        history_push(s, block->address, block->size, block->site, free_site, FS_DOMAIN_C, ticks);
        header_of(block->address)->magic = FREED_MAGIC;
    }
    quarantine_push(t, s, block->address, block->size, block->site, free_site);
    return ticks;
}

/* Takes the live slab block at `user` and returns with its owner locked in
 * *owner; or reports why it cannot be released, holding no lock. */
static bool take_slab_block(fs_tracker *t, slab *b, uintptr_t user, const char *site,
                            taken_block *taken, shard **owner) {
    shard *o = slab_owner(b);
    shard_lock(o);
    slot_view view = view_slot(b, user);
    if (view.at_start && view.meta.state == SLOT_LIVE) {
        taken->slot = (slot_ref){.slab = b, .index = slot_index(b, user)};
        taken->block = (entry){.address = user, .size = view.meta.size,
                               .alloc_ticks = view.meta.alloc_ticks, .site = view.meta.site,
                               .domain = FS_DOMAIN_C, .flags = view.meta.flags};
        *owner = o;
        return true;
    }
    shard_unlock(o);
    report_bad_slab_free(t, &view, user, site, FS_DOMAIN_C);
    return false;
}

/* Takes the live C block at `user`, wherever it is, and returns with its
 * owner locked in *owner; or reports why it cannot be released (foreign,
 * double, invalid) and returns false, holding no lock. */
static bool take_c_block(fs_tracker *t, uintptr_t user, const char *site, taken_block *taken,
                         shard **owner) {
    slab *b = slab_of(t, user);
    if (b) {
        return take_slab_block(t, b, user, site, taken, owner);
    }
    taken->slot.slab = NULL;
    entry *block = &taken->block;
    shard *own = shard_of(t);
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
        report_foreign_free(t, block->domain, block->address, block->size, block->site, site);
        return false;
    }
    shard_unlock(own);
    switch (take_from_any_shard(t, own, user, FS_DOMAIN_C, block, owner)) {
    case TAKEN:
        return true;
    case OTHER_DOMAIN:
        report_foreign_free(t, block->domain, block->address, block->size, block->site, site);
        return false;
    case NOT_FOUND:
        break;
    }
    report_bad_free(t, user, site, FS_DOMAIN_C);
    return false;
}

/* The bookkeeping of the live block of slab b that starts at `user`, its
 * slot's index in *index; NULL when no live block starts there. Under the
 * slab owner's lock. */
static inline slot_meta *live_slot_starting_at(slab *b, uintptr_t user, uint32_t *index) {
    uint32_t i = slot_index(b, user);
    slot_meta *m = &b->meta[i < b->slot_count ? i : 0];
    *index = i;
    return i < b->slot_count && slot_address(b, i) == user && m->state == SLOT_LIVE ? m : NULL;
}

/* The common free: a live slab block at its start. Releases it under its
 * owner's lock and returns true; anything else returns false untouched. */
static inline __attribute__((always_inline)) bool free_live_slot(fs_tracker *t, slab *b,
                                                                  uintptr_t user, const char *site) {
    shard *o = slab_owner(b);
    shard_lock(o);
    uint32_t index;
    slot_meta *m = live_slot_starting_at(b, user, &index);
    if (!m) {
        shard_unlock(o);
        return false;
    }
    size_t size = m->size;
    check_form_on_release(t, o, user, size, m->flags, site, m->site);
    uint32_t free_site = site_id(t, o, site);
    count_release(o, size, true);
    size_t reach = canary_damage(user, size);
    if (reach && !(m->flags & ENTRY_OVERFLOW_REPORTED)) {
        emit_anomaly(t, o, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C, user + size + reach - 1, size,
                     user, reach, free_site, m->site);
    }
    emit(o, stamp_fast(o, 0), FS_EVENT_FREE, FS_DOMAIN_C, user, size, free_site, m->site);
    m->free_site = free_site;
    m->flags = 0;
    if (t->bare) {
        tracker_slab_put_back(b, index, SLOT_FREE);
    } else {
        m->state = SLOT_QUARANTINED;
        quarantine_push(t, o, user, size, m->site, free_site);
    }
    shard_unlock(o);
    return true;
}

static __attribute__((noinline)) void free_in_full(void *ptr, const char *site) {
    fs_tracker *t = current_tracker();
    if (!ptr || !t) {
        return;
    }
    slab *b = slab_of(t, (uintptr_t)ptr);
    if (b && free_live_slot(t, b, (uintptr_t)ptr, site)) {
        return;
    }
    taken_block taken;
    shard *owner;
    if (take_c_block(t, (uintptr_t)ptr, site, &taken, &owner)) {
        release_c_block(t, owner, &taken, site, true);
        shard_unlock(owner);
    }
}

/* The quarantine's step of a free, and the shard's unlock, out of line. */
static __attribute__((noinline)) void quarantine_and_unlock(fs_tracker *t, shard *s, uintptr_t user,
                                                            size_t size, uint32_t alloc_site,
                                                            uint32_t free_site) {
    quarantine_push(t, s, user, size, alloc_site, free_site);
    shard_unlock(s);
}

/*
 * Whether a block of up to 16 bytes can go into the quarantine without a
 * call: nothing need leave, or exactly one block, the oldest, and it is a
 * slab slot of up to 16 bytes, its poison intact, and its slab is found
 * without filing. Then *leaving is that block (NULL if none) and
 * *leaving_slab its slab.
 */
static inline bool quarantine_takes_in_line(fs_tracker *t, shard *s, size_t size,
                                            quarantined **leaving, slab **leaving_slab) {
    size_t len = s->quarantine_len;
    size_t bytes = s->quarantine_bytes;
    if (len == 0 || (len < t->quarantine_max_blocks && bytes + size <= t->quarantine_max_bytes)) {
        *leaving = NULL;
        return true;
    }
    quarantined *oldest = quarantine_at(s, 0);
    slab *b;
    bool one_is_enough = len - 1 < t->quarantine_max_blocks &&
                         bytes - oldest->size + size <= t->quarantine_max_bytes;
    if (!one_is_enough || oldest->size > 16 || !(b = slab_of(t, oldest->address)) ||
        !small_poison_intact(oldest->address, oldest->size) || !slab_is_found(b)) {
        return false;
    }
    *leaving = oldest;
    *leaving_slab = b;
    return true;
}

/*
 * The common free with no call in it, as allocate_without_a_call is for
 * allocation: a live slab block at its start, its owner's lock free, the
 * site's id cached, its canary intact, a stamp to reuse and room in a ring
 * this thread wrote last. It takes free_live_slot's steps. Anything else
 * goes to free_in_full untouched. A block of up to 16 bytes takes its
 * quarantine step in line too, when quarantine_takes_in_line says it may;
 * any other, after its event, goes to quarantine_and_unlock.
 */
void fs_free(void *ptr, const char *site) {
    fs_tracker *t = bound_tracker;
    uintptr_t user = (uintptr_t)ptr;
    slab *b;
    shard *o;
    if (!t || t->bare || !(b = slab_of(t, user)) || !shard_try_lock(o = slab_owner(b))) {
        free_in_full(ptr, site);
        return;
    }
    uint32_t index;
    slot_meta *m = live_slot_starting_at(b, user, &index);
    uint32_t free_site;
    if (!m || !site_id_cached(o, site, &free_site) || !canary_intact(user, m->size) ||
        !event_in_line_now(o, m->size)) {
        shard_unlock(o);
        free_in_full(ptr, site);
        return;
    }
    size_t size = m->size;
    uint32_t alloc_site = m->site;
    count_release(o, size, true);
    emit_in_one_slot(o, stamp_reuse(o), FS_EVENT_FREE, FS_DOMAIN_C, user, size, free_site, alloc_site);
    m->free_site = free_site;
    m->flags = 0;
    m->state = SLOT_QUARANTINED;
    quarantined *leaving;
    slab *leaving_slab = NULL;
    if (size > 16 || !quarantine_takes_in_line(t, o, size, &leaving, &leaving_slab)) {
        quarantine_and_unlock(t, o, user, size, alloc_site, free_site);
        return;
    }
    /* quarantine_push's steps, with at most one block leaving, checked already. */
    poison_fill(user, size);
    if (leaving) {
        slab_put_back_unfiled(leaving_slab, slot_index(leaving_slab, leaving->address), SLOT_FREE);
        quarantine_drop_oldest(o, leaving);
    }
    quarantine_append(o, user, size, alloc_site, free_site);
    shard_unlock(o);
}

/* ---- realloc ------------------------------------------------------------ */

/* The new block of a realloc, held until the old one is released. */
typedef struct reservation {
    uintptr_t user;
    slot_ref slot; /* slot.slab is NULL for a backing block */
} reservation;

static reservation reserve_block(fs_tracker *t, shard *s, size_t size) {
    if (fits_a_slab(t, size)) {
        shard_lock(s);
        slot_ref slot = tracker_slab_reserve(t, s, size);
        shard_unlock(s);
        if (slot.slab) {
            return (reservation){.user = slot_address(slot.slab, slot.index), .slot = slot};
        }
    }
    return (reservation){.user = new_backing_block(t, size), .slot = {.slab = NULL}};
}

static void cancel_reservation(fs_tracker *t, shard *s, const reservation *r) {
    if (r->slot.slab) {
        shard_lock(s);
        tracker_slab_put_back(r->slot.slab, r->slot.index, SLOT_UNUSED);
        shard_unlock(s);
    } else {
        t->release(backing_of(t, r->user));
    }
}

/* Makes the reserved block live under s's lock; false if the table is full. */
static bool commit_reservation(fs_tracker *t, shard *s, const reservation *r, size_t size,
                               const char *site, uint64_t ticks) {
    if (r->slot.slab) {
        slot_go_live(r->slot, size, site_id(t, s, site), ticks, form_flags(site));
        return true;
    }
    entry item = {.address = r->user, .size = size, .alloc_ticks = ticks,
                  .site = site_id(t, s, site), .domain = FS_DOMAIN_C, .flags = form_flags(site)};
    return table_insert(&s->live, &item);
}

static void *realloc_in(fs_tracker *t, void *ptr, size_t size, const char *site);

void *fs_realloc(void *ptr, size_t size, const char *site) {
    if (!ptr) {
        return fs_malloc(size, site);
    }
    if (size == 0) {
        fs_free(ptr, site);
        return NULL;
    }
    return realloc_in(current_tracker(), ptr, size, site);
}

/* A realloc of a live block to a non-zero size. */
static void *realloc_in(fs_tracker *t, void *ptr, size_t size, const char *site) {
    if (!t || size > MAX_BLOCK_BYTES) {
        return NULL;
    }
    /* Always move, as a sanitizer does, so a stale pointer to the old block is caught. */
    shard *s = shard_of(t);
    reservation fresh = reserve_block(t, s, size);
    if (!fresh.user) {
        return NULL;
    }
    taken_block old;
    shard *old_owner;
    if (!take_c_block(t, (uintptr_t)ptr, site, &old, &old_owner)) {
        cancel_reservation(t, s, &fresh);
        return NULL;
    }
    memcpy((void *)fresh.user, ptr, old.block.size < size ? old.block.size : size);
    uint64_t released_at = release_c_block(t, old_owner, &old, site, false);
    if (s != old_owner) {
        shard_unlock(old_owner);
        shard_lock(s);
    }
    /* After the old block's release, which may be in another ring. */
    uint64_t ticks = stamp(s, released_at + 1);
    fs_heap_counts *counts = &s->counts[FS_DOMAIN_C];
    if (!commit_reservation(t, s, &fresh, size, site, ticks)) {
        /* The old block is already gone; report it freed rather than lose it. */
        counts->frees++;
        emit(s, ticks, FS_EVENT_FREE, FS_DOMAIN_C, old.block.address, old.block.size,
             site_id(t, s, site), old.block.site);
        shard_unlock(s);
        t->release(backing_of(t, fresh.user));
        return NULL;
    }
    counts->reallocs++;
    counts->live_blocks++;
    counts->live_bytes += size;
    emit_event(s, ticks, FS_EVENT_REALLOC, FS_DOMAIN_C, fresh.user, size, site_id(t, s, site),
               old.block.site, true, old.block.address, old.block.size);
    shard_unlock(s);
    return (void *)fresh.user;
}

/* ---- checks ----------------------------------------------------------- */

int fs_is_live(const void *ptr) {
    fs_tracker *t = current_tracker();
    if (!t || !ptr) {
        return 0;
    }
    slab *b = slab_of(t, (uintptr_t)ptr);
    if (b) {
        slot_view view = look_at_slot(b, (uintptr_t)ptr);
        return view.at_start && view.meta.state == SLOT_LIVE;
    }
    entry block;
    return find_in_tables(t, (uintptr_t)ptr, &block) && block.domain == FS_DOMAIN_C;
}

int fs_was_freed(const void *ptr) {
    fs_tracker *t = current_tracker();
    if (!t || !ptr) {
        return 0;
    }
    slab *b = slab_of(t, (uintptr_t)ptr);
    if (b) {
        slot_view view = look_at_slot(b, (uintptr_t)ptr);
        return was_freed_slot(&view);
    }
    freed_record previous;
    return freed_before(t, (uintptr_t)ptr, &previous);
}

/* fs_check_access for an address in a slab: by arithmetic, under the lock. */
static int check_slab_access(fs_tracker *t, slab *b, uintptr_t address, size_t len,
                             const char *site) {
    slot_view view = look_at_slot(b, address);
    const slot_meta *m = &view.meta;
    if (!view.known || !view.inside) {
        return 1; /* slack between blocks: the tracker's, not the program's */
    }
    size_t offset = address - view.start;
    if (m->state == SLOT_LIVE) {
        if (len > m->size - offset) {
            report(t, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C, view.at_start ? address + m->size : address,
                   m->size, view.start, len - (m->size - offset), site, m->site);
            return 0;
        }
        return 1;
    }
    if (m->state == SLOT_QUARANTINED || (m->state == SLOT_FREE && view.at_start)) {
        report(t, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, address, m->size, view.start, offset, site,
               m->site);
        return 0;
    }
    return 1;
}

int fs_check_access(const void *ptr, size_t len, const char *site) {
    fs_tracker *t = current_tracker();
    uintptr_t address = (uintptr_t)ptr;
    if (!ptr) {
        return 0;
    }
    if (!t) {
        return 1;
    }
    slab *b = slab_of(t, address);
    if (b) {
        return check_slab_access(t, b, address, len, site);
    }
    entry block;
    if (find_in_tables(t, address, &block)) {
        if (len > block.size) {
            report(t, FS_EVENT_HEAP_OVERFLOW, block.domain, address + block.size, block.size,
                   address, len - block.size, site, block.site);
            return 0;
        }
        return 1;
    }
    freed_record previous;
    if (freed_before(t, address, &previous)) {
        report(t, FS_EVENT_USE_AFTER_FREE, previous.domain, address, previous.size, address, 0,
               site, previous.alloc_site);
        return 0;
    }
    if (table_block_containing(t, address, &block)) {
        size_t offset = address - block.address;
        if (len > block.size - offset) {
            report(t, FS_EVENT_HEAP_OVERFLOW, block.domain, address, block.size, block.address,
                   len - (block.size - offset), site, block.site);
            return 0;
        }
        return 1;
    }
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        quarantined *q = quarantine_containing(t, s, address);
        quarantined held = q ? *q : (quarantined){0};
        shard_unlock(s);
        if (q) {
            report(t, FS_EVENT_USE_AFTER_FREE, FS_DOMAIN_C, address, held.size, held.address,
                   address - held.address, site, held.alloc_site);
            return 0;
        }
    }
    return 1;
}

/* A canary found damaged while the block is live; reported once. */
static size_t check_live_canary(fs_tracker *t, shard *s, uintptr_t user, size_t size,
                                uint32_t alloc_site, uint8_t *flags) {
    if (*flags & ENTRY_OVERFLOW_REPORTED) {
        return 0;
    }
    size_t reach = canary_damage(user, size);
    if (!reach) {
        return 0;
    }
    *flags |= ENTRY_OVERFLOW_REPORTED;
    emit_anomaly(t, s, FS_EVENT_HEAP_OVERFLOW, FS_DOMAIN_C, user + size + reach - 1, size, user,
                 reach, site_id(t, s, "canary check"), alloc_site);
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
            if (e->address != 0 && e->domain == FS_DOMAIN_C) {
                found += check_live_canary(t, s, e->address, e->size, e->site, &e->flags);
            }
        }
        for (slab *b = s->slabs; b; b = b->next_in_shard) {
            for (uint32_t k = 0; k < b->fresh; k++) {
                slot_meta *m = &b->meta[k];
                if (m->state == SLOT_LIVE) {
                    found += check_live_canary(t, s, slot_address(b, k), m->size, m->site,
                                               &m->flags);
                }
            }
        }
        for (size_t j = 0; j < s->quarantine_len; j++) {
            if (check_quarantined(t, s, quarantine_at(s, j))) {
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
static void close_stale(shard *s, const entry *stale, uint32_t site) {
    fs_heap_counts *counts = &s->counts[stale->domain];
    counts->frees++;
    counts->live_blocks--;
    counts->live_bytes -= stale->size;
    if (stale->domain == FS_DOMAIN_RUST) {
        atomic_fetch_sub_explicit(&s->rust_live, 1, memory_order_relaxed);
    }
    emit(s, stamp_fast(s, stale->alloc_ticks), FS_EVENT_FREE, stale->domain, stale->address,
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
            close_stale(other, &copy, site_id(t, other, site));
        }
        shard_unlock(other);
    }
    shard_lock(s);
    uint32_t site_number = site_id(t, s, site);
    entry *stale = table_find(&s->live, address);
    if (stale) {
        entry copy = *stale;
        table_remove(&s->live, stale);
        close_stale(s, &copy, site_number);
    }
    /* Exact: the Rust allocator may hand this address to another thread. */
    uint64_t ticks = stamp(s, 0);
    entry item = {.address = address, .size = size, .alloc_ticks = ticks, .site = site_number,
                  .domain = FS_DOMAIN_RUST};
    if (table_insert(&s->live, &item)) {
        count_allocation(s, FS_DOMAIN_RUST, size);
        atomic_fetch_add_explicit(&s->rust_live, 1, memory_order_relaxed);
        emit(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_RUST, address, size, site_number, 0);
    }
    shard_unlock(s);
}

int fs_rust_free(fs_tracker *t, void *ptr, const char *site) {
    uintptr_t address = (uintptr_t)ptr;
    slab *b = slab_of(t, address);
    if (b) {
        /* Never a Rust block: releasing it with Rust's allocator would
         * hand the tracker's memory to the C library. */
        slot_view view = look_at_slot(b, address);
        if (view.at_start && view.meta.state == SLOT_LIVE) {
            report_foreign_free(t, FS_DOMAIN_C, address, view.meta.size, view.meta.site, site);
        } else {
            report_bad_slab_free(t, &view, address, site, FS_DOMAIN_RUST);
        }
        return FS_RUST_FREE_REFUSED;
    }
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
        report_foreign_free(t, block.domain, block.address, block.size, block.site, site);
        return FS_RUST_FREE_REFUSED;
    }
    fs_heap_counts *counts = &owner->counts[FS_DOMAIN_RUST];
    counts->frees++;
    counts->live_blocks--;
    counts->live_bytes -= block.size;
    atomic_fetch_sub_explicit(&owner->rust_live, 1, memory_order_relaxed);
    uint32_t free_site = site_id(t, owner, site);
    uint64_t ticks = stamp_fast(owner, block.alloc_ticks);
    emit(owner, ticks, FS_EVENT_FREE, FS_DOMAIN_RUST, address, block.size, free_site, block.site);
    history_push(owner, address, block.size, block.site, free_site, FS_DOMAIN_RUST, ticks);
    shard_unlock(owner);
    return FS_RUST_FREE_RECORDED;
}

int fs_rust_is_live(fs_tracker *t, const void *ptr) {
    entry block;
    return !slab_of(t, (uintptr_t)ptr) && find_in_tables(t, (uintptr_t)ptr, &block) &&
           block.domain == FS_DOMAIN_RUST;
}

void fs_report(fs_tracker *t, uint8_t kind, uint8_t domain, const void *ptr, size_t size,
               const char *site, const char *related_site) {
    shard *own = shard_of(t);
    shard_lock(own);
    emit_anomaly(t, own, kind, domain, (uintptr_t)ptr, size, (uintptr_t)ptr, 0,
                 site_id(t, own, site), site_id(t, own, related_site));
    shard_unlock(own);
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
        total.events_dropped += atomic_load_explicit(&s->control->dropped, memory_order_relaxed);
        shard_unlock(s);
    }
    total.anomalies = atomic_load_explicit(&t->anomalies, memory_order_relaxed);
    return total;
}

static void list_block(fs_block *out, size_t max_blocks, size_t *total, const fs_block *block) {
    if (*total < max_blocks) {
        out[*total] = *block;
    }
    (*total)++;
}

size_t fs_live_blocks(fs_tracker *t, fs_block *out, size_t max_blocks) {
    size_t total = 0;
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        for (size_t j = 0; j < s->live.capacity; j++) {
            entry *e = &s->live.slots[j];
            if (e->address != 0) {
                fs_block block = {.address = e->address, .size = e->size, .seq = e->alloc_ticks,
                                  .site = site_name(&t->sites, e->site), .domain = e->domain};
                list_block(out, max_blocks, &total, &block);
            }
        }
        for (slab *b = s->slabs; b; b = b->next_in_shard) {
            for (uint32_t k = 0; k < b->fresh; k++) {
                slot_meta *m = &b->meta[k];
                if (m->state == SLOT_LIVE) {
                    fs_block block = {.address = slot_address(b, k), .size = m->size,
                                      .seq = m->alloc_ticks, .site = site_name(&t->sites, m->site),
                                      .domain = FS_DOMAIN_C};
                    list_block(out, max_blocks, &total, &block);
                }
            }
        }
        shard_unlock(s);
    }
    return total;
}

/* ---- recording a program (csrc/record/interpose.c) ----------------------- */

fs_tracker *tracker_new_bare(const fs_allocator *backing, size_t ring_capacity, bool slabs,
                             const tracker_sharing *sharing) {
    fs_config config = {.ring_capacity = ring_capacity, .quarantine_max_blocks = 1,
                        .backing = backing};
    fs_tracker *t = tracker_make(&config, sharing);
    if (t) {
        t->bare = true;
        t->shards[0]->patient = true;
        if (slabs) {
            tracker_region_reserve(t); /* before any block: none is in a table yet */
        }
    }
    return t;
}

bool tracker_region_holds(const fs_tracker *t, const void *ptr) {
    return t && (uintptr_t)ptr - t->region_base < (uintptr_t)t->region_slabs << SLAB_SHIFT;
}

/* Whether `address` starts a live block of slab b; its size in *size. */
static bool live_slot_at(slab *b, uintptr_t address, size_t *size) {
    slot_view view = look_at_slot(b, address);
    *size = view.meta.size;
    return view.at_start && view.meta.state == SLOT_LIVE;
}

size_t tracker_block_size(fs_tracker *t, const void *ptr) {
    slab *b = t ? slab_of(t, (uintptr_t)ptr) : NULL;
    size_t size;
    return b && live_slot_at(b, (uintptr_t)ptr, &size) ? size : 0;
}

void *tracker_allocate(fs_tracker *t, size_t size, const char *site) {
    void *user = allocate_without_a_call(t, size, site, form_flags(site));
    return user ? user : allocate_in_full(t, size, site);
}

void *tracker_reallocate(fs_tracker *t, void *ptr, size_t size, const char *site) {
    return realloc_in(t, ptr, size, site);
}

/*
 * A block from the backing allocator may be one another thread freed a
 * moment ago, so its allocation reads the clock: its event must sort after
 * that free, which sits in another ring. While this shard is the only one,
 * no other ring exists to sort against, and the fast clock will do. Shards
 * are never removed, so once there are two, every later allocation reads
 * the clock; a free stamped before then is still earlier than any exact
 * stamp taken after it.
 */
static inline uint64_t stamp_adopted(fs_tracker *t, shard *s) {
    return shard_count_of(t) == 1 ? stamp_fast(s, 0) : stamp(s, 0);
}

void tracker_adopt(fs_tracker *t, void *ptr, size_t size, const char *site) {
    shard *s = shard_of(t);
    shard_lock(s);
    uint64_t ticks = stamp_adopted(t, s);
    uint32_t site_number = site_id(t, s, site);
    /* Filled in place: an entry built on the stack and copied whole is read
     * back with wide loads its narrow stores cannot forward to. */
    entry *item = table_insert_slot(&s->live, (uintptr_t)ptr);
    if (item) {
        item->size = size;
        item->alloc_ticks = ticks;
        item->site = site_number;
        item->domain = FS_DOMAIN_C;
        item->flags = form_flags(site);
        count_allocation(s, FS_DOMAIN_C, size);
        emit(s, ticks, FS_EVENT_ALLOC, FS_DOMAIN_C, (uintptr_t)ptr, size, site_number, 0);
    }
    shard_unlock(s);
}

int tracker_release(fs_tracker *t, void *ptr, const char *site) {
    uintptr_t address = (uintptr_t)ptr;
    slab *b = slab_of(t, address);
    if (b) {
        if (free_live_slot(t, b, address, site)) {
            return RELEASE_DONE;
        }
        /* Freed already, inside a block, or never handed out: the slot says which. */
        slot_view view = look_at_slot(b, address);
        report_bad_slab_free(t, &view, address, site, FS_DOMAIN_C);
        return RELEASE_REFUSED;
    }
    entry found;
    shard *owner;
    shard *own = shard_of(t);
    shard_lock(own);
    entry *e = table_find(&own->live, address);
    if (e) {
        taken_block taken = {.slot = {.slab = NULL}, .block = *e};
        table_remove(&own->live, e);
        release_c_block(t, own, &taken, site, true);
        shard_unlock(own);
        return RELEASE_DONE;
    }
    shard_unlock(own);
    if (take_from_any_shard(t, own, address, FS_DOMAIN_C, &found, &owner) == TAKEN) {
        taken_block taken = {.slot = {.slab = NULL}, .block = found};
        release_c_block(t, owner, &taken, site, true);
        shard_unlock(owner);
        return RELEASE_DONE;
    }
    freed_record previous;
    if (freed_before(t, address, &previous)) {
        report(t, FS_EVENT_DOUBLE_FREE, previous.domain, address, previous.size, address, 0, site,
               previous.free_site);
        return RELEASE_REFUSED;
    }
    return RELEASE_UNKNOWN;
}

void tracker_refuse_free(fs_tracker *t, void *ptr, const char *site) {
    report_bad_free(t, (uintptr_t)ptr, site, FS_DOMAIN_C);
}

void tracker_report(fs_tracker *t, uint8_t kind, uintptr_t address, size_t size, uintptr_t block,
                    size_t detail, const char *site, const char *related_site) {
    shard *own = shard_of(t);
    shard_lock(own);
    uint32_t related = site_id(t, own, related_site);
    shard_unlock(own);
    report(t, kind, FS_DOMAIN_C, address, size, block, detail, site, related);
}

void tracker_note(fs_tracker *t, uint8_t kind, uintptr_t address, size_t size) {
    shard *s = shard_of(t);
    shard_lock(s);
    emit(s, stamp(s, 0), kind, FS_DOMAIN_C, address, size, 0, 0);
    shard_unlock(s);
}

bool tracker_knows(fs_tracker *t, const void *ptr) {
    slab *b = slab_of(t, (uintptr_t)ptr);
    if (b) {
        size_t size;
        return live_slot_at(b, (uintptr_t)ptr, &size);
    }
    entry block;
    return find_in_tables(t, (uintptr_t)ptr, &block) && block.domain == FS_DOMAIN_C;
}

/* ---- a fork of a recorded program (csrc/record/interpose.c) -------------- */

/* Tries at a lock before a fork gives up: about a second of yields. A
 * thread holds its shard's lock for nanoseconds, or while its ring waits
 * for the reader, which reads on. */
#define FORK_PATIENCE 200000u

static bool try_patiently(bool (*take)(void *), void *lock) {
    for (unsigned tries = 0; tries < FORK_PATIENCE; tries++) {
        if (take(lock)) {
            return true;
        }
        sched_yield();
    }
    return false;
}

static bool take_shards_lock(void *lock) { return pthread_mutex_trylock(lock) == 0; }
static bool take_shard(void *s) { return shard_try_lock(s); }

bool tracker_hold_for_fork(fs_tracker *t) {
    if (!try_patiently(take_shards_lock, &t->shards_lock)) {
        return false;
    }
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        if (!try_patiently(take_shard, t->shards[i])) {
            while (i-- > 0) {
                shard_unlock(t->shards[i]);
            }
            pthread_mutex_unlock(&t->shards_lock);
            return false;
        }
    }
    return true;
}

void tracker_let_go_after_fork(fs_tracker *t) {
    size_t count = shard_count_of(t);
    for (size_t i = count; i-- > 0;) {
        shard_unlock(t->shards[i]);
    }
    pthread_mutex_unlock(&t->shards_lock);
}

/* Neither looks for the caller's own shard (shard_of): in a forked copy
 * that would give the tracker a shard whose ring is in the copy's channel. */

enum disowned tracker_disown(fs_tracker *t, const void *ptr, size_t *size) {
    uintptr_t address = (uintptr_t)ptr;
    slab *b = slab_of(t, address);
    if (b) {
        shard *owner = slab_owner(b);
        shard_lock(owner);
        slot_view view = view_slot(b, address);
        bool live = view.known && view.at_start && view.meta.state == SLOT_LIVE;
        if (live) {
            b->meta[slot_index(b, address)].state = SLOT_FREE;
            *size = view.meta.size;
        }
        shard_unlock(owner);
        return live ? DISOWNED_SLOT : DISOWNED_NONE;
    }
    entry found;
    shard *owner;
    if (take_from_any_shard(t, NULL, address, FS_DOMAIN_C, &found, &owner) != TAKEN) {
        return DISOWNED_NONE;
    }
    shard_unlock(owner);
    *size = found.size;
    return DISOWNED_TABLE;
}

bool tracker_live_size(fs_tracker *t, const void *ptr, size_t *size) {
    uintptr_t address = (uintptr_t)ptr;
    slab *b = slab_of(t, address);
    if (b) {
        return live_slot_at(b, address, size);
    }
    size_t count = shard_count_of(t);
    for (size_t i = 0; i < count; i++) {
        shard *s = t->shards[i];
        shard_lock(s);
        const entry *e = table_find(&s->live, address);
        bool held = e && e->domain == FS_DOMAIN_C;
        if (held) {
            *size = e->size;
        }
        shard_unlock(s);
        if (held) {
            return true;
        }
    }
    return false;
}
