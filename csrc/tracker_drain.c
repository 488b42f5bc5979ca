/*
 * tracker_drain.c — the reader: merges rings into one stream: a tracker's
 * shards' (fs_drain), or a recorded program's, read by ffiscope from the
 * memory they share (csrc/record_reader.c).
 *
 * Within a ring events are in order. Between rings, what must never be seen
 * out of order is an event and something that happened before it on another
 * thread: a free of address X on thread A, then, after the block went back
 * to the C library, an allocation at X on thread B. Both orderings that
 * matter carry a clock order too (the later event stamped its tick after the
 * earlier one was published), so the reader merges by tick, and hands out an
 * event only once everything that happened before it is visible:
 *
 *   1. read every ring's published head (the first snapshot), then
 *   2. read them all again (the second snapshot).
 *
 * An event inside the first snapshot was published before step 1 read it, so
 * anything that happened before it was published before step 2 and lies
 * inside the second. The merge walks the second snapshot in tick order and
 * stops at the first event outside the first one: everything it handed out
 * had all its predecessors visible, and handed out before it.
 */
#include "tracker_shard.h"

#include <stddef.h>
#include <string.h>

/* Maps ticks onto the monotonic clock by interpolating between two points
 * sampled together: the tracker's creation and the moment of a drain. The
 * slope is computed once per drain as a 32.32 fixed-point factor, so each
 * event costs a multiply rather than a 128-bit division. */
typedef struct tick_scale {
    uint64_t ticks_at_start;
    uint64_t ns_at_start;
    uint64_t ns_per_tick_q32; /* 32.32: a tick is far below 2^32 ns */
} tick_scale;

static tick_scale tick_scale_now(uint64_t ticks_at_start, uint64_t ns_at_start) {
    uint64_t ns_now = fs_now_ns();
    uint64_t ticks_now = event_ticks();
    tick_scale scale = {.ticks_at_start = ticks_at_start, .ns_at_start = ns_at_start};
    if (!TICKS_ARE_NS && ticks_now > ticks_at_start && ns_now > ns_at_start) {
        unsigned __int128 q32 =
            ((unsigned __int128)(ns_now - ns_at_start) << 32) / (ticks_now - ticks_at_start);
        scale.ns_per_tick_q32 = q32 > UINT64_MAX ? UINT64_MAX : (uint64_t)q32;
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
    unsigned __int128 elapsed =
        (unsigned __int128)(ticks - scale->ticks_at_start) * scale->ns_per_tick_q32;
    return scale->ns_at_start + (uint64_t)(elapsed >> 32);
}

static const record *record_at(const ring_view *v, uint64_t position) {
    return &v->slots[position & v->mask].event;
}

/* The position of the ring's next mark still to follow (UINT64_MAX if none). */
static uint64_t next_thread_mark(const ring_control *control, const ring_reader *reader) {
    uint64_t read = atomic_load_explicit(&control->marks_read, memory_order_relaxed);
    return read < reader->marks_visible ? control->thread_marks[read % THREAD_MARKS].position : UINT64_MAX;
}

/* Takes the ring's thread from every mark at or before `position`, and
 * returns the position of the next one. */
static uint64_t follow_thread_marks(ring_control *control, ring_reader *reader, uint64_t position) {
    uint64_t read = atomic_load_explicit(&control->marks_read, memory_order_relaxed);
    while (read < reader->marks_visible && control->thread_marks[read % THREAD_MARKS].position <= position) {
        reader->thread = control->thread_marks[read % THREAD_MARKS].thread;
        read++;
    }
    atomic_store_explicit(&control->marks_read, read, memory_order_release);
    return next_thread_mark(control, reader);
}

/* What the reader keeps for one drain. */
typedef struct reader {
    ring_merge *merge;
    tick_scale scale;
    uint64_t next_seq;
    const char **first_sites; /* the names of ids below SITE_CHUNK */
} reader;

static inline const char *site_of(const char **first_sites, const site_registry *sites, uint32_t id) {
    return id < SITE_CHUNK ? first_sites[id] : site_name(sites, id);
}

/*
 * Where a drain puts its events: named (fs_drain's) or with their sites as
 * ids (a recording's reader). Each drain passes its own `named` as a
 * constant to the always-inlined merge below, so each gets a copy of it
 * that writes only its own form.
 */
typedef struct event_sink {
    bool named;
    fs_event *events;
    fs_id_event *id_events;
} event_sink;

/*
 * Both forms end with the thread, domain, kind and reserved (0). The
 * record's top two bytes are its domain and kind, in that order, so on a
 * little-endian machine one shift and one 8-byte store write all four.
 */
#define EVENT_TAIL_FOLLOWS_THREAD(type)                                                              \
    (offsetof(type, domain) == offsetof(type, thread) + 4 &&                                         \
     offsetof(type, kind) == offsetof(type, thread) + 5 &&                                           \
     offsetof(type, reserved) == offsetof(type, thread) + 6 && sizeof(type) == offsetof(type, thread) + 8)
_Static_assert(EVENT_TAIL_FOLLOWS_THREAD(fs_event), "fs_event's tail is written as one word");
_Static_assert(EVENT_TAIL_FOLLOWS_THREAD(fs_id_event), "fs_id_event's tail is written as one word");

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WRITE_TAIL(out, thread_id, packed)                                                           \
    do {                                                                                             \
        uint64_t tail = (uint64_t)(thread_id) | (((packed) >> RECORD_DOMAIN_SHIFT) << 32);            \
        memcpy((unsigned char *)(out) + offsetof(__typeof__(*(out)), thread), &tail, sizeof tail);  \
    } while (0)
#else
#define WRITE_TAIL(out, thread_id, packed)                                                           \
    do {                                                                                             \
        (out)->thread = (thread_id);                                                                 \
        (out)->domain = (uint8_t)((packed) >> RECORD_DOMAIN_SHIFT);                                  \
        (out)->kind = (uint8_t)((packed) >> RECORD_KIND_SHIFT);                                      \
        (out)->reserved = 0;                                                                         \
    } while (0)
#endif

/* The fields both forms share, from the record at `r` (and its extension). */
#define WRITE_COMMON(out, seq, scale, r, packed, extension, thread_id)                 \
    do {                                                                                 \
        (out)->seq = (seq);                                                              \
        (out)->time_ns = ticks_to_ns(&(scale), (r)->ticks);                              \
        (out)->address = (r)->address;                                                   \
        if (extension) {                                                                 \
            (out)->related_address = (extension)->related_address;                       \
            (out)->related_size = (extension)->related_size;                             \
            (out)->size = (extension)->size;                                             \
        } else {                                                                         \
            (out)->related_address = 0;                                                  \
            (out)->related_size = 0;                                                     \
            (out)->size = (packed) & RECORD_SIZE_MASK;                                   \
        }                                                                                \
        WRITE_TAIL(out, (extension) ? (extension)->thread : (thread_id), packed);        \
    } while (0)

/*
 * Hands out one ring's events from *position, into the sink from slot
 * `index`, while they lie before `stop` (a ring position) and, when
 * `bounded`, their tick is at most `last_ticks`. Returns the sink index past
 * the last one. The state every event needs is copied into locals first,
 * where the stores of the events cannot reach it, and the events are taken
 * in spans that one thread wrote (up to the ring's next thread mark), so
 * the inner loop has few enough values to keep them all in registers.
 */
static inline __attribute__((always_inline)) size_t take_run(reader *rd, const ring_view *view,
                                                             uint64_t *position, uint64_t stop,
                                                             bool bounded, uint64_t last_ticks,
                                                             event_sink sink, size_t index) {
    const slot *slots = view->slots;
    const uint64_t mask = view->mask;
    const tick_scale scale = rd->scale;
    const char **first_sites = rd->first_sites;
    const site_registry *sites = rd->merge->sites;
    uint64_t seq = rd->next_seq;
    uint64_t at = *position;
    while (at < stop) {
        uint64_t next_mark = next_thread_mark(view->control, view->reader);
        if (at >= next_mark) {
            next_mark = follow_thread_marks(view->control, view->reader, at);
        }
        const uint32_t thread = view->reader->thread;
        /* A mark lies at an event's first slot, so no event spans it. */
        const uint64_t span_end = next_mark < stop ? next_mark : stop;
        while (at < span_end) {
            const record *r = &slots[at & mask].event;
            if (bounded && r->ticks > last_ticks) {
                stop = at; /* ends both loops */
                break;
            }
            /* The ring was written long enough ago to have left the near caches. */
            __builtin_prefetch(&slots[(at + 64) & mask]);
            uint64_t packed = r->packed;
            const record_extension *extension =
                packed & RECORD_EXTENDED ? &slots[(at + 1) & mask].extension : NULL;
            if (sink.named) {
                fs_event *out = &sink.events[index];
                WRITE_COMMON(out, seq, scale, r, packed, extension, thread);
                out->site = site_of(first_sites, sites, r->site);
                out->related_site = site_of(first_sites, sites, r->related_site);
            } else {
                fs_id_event *out = &sink.id_events[index];
                WRITE_COMMON(out, seq, scale, r, packed, extension, thread);
                out->site = r->site;
                out->related_site = r->related_site;
            }
            seq++;
            index++;
            at += extension ? 2 : 1;
        }
    }
    rd->next_seq = seq;
    *position = at;
    return index;
}

/* take_run for each sink, bounded by a tick or not, out of line: inside the
 * merge its loop had too few registers and read its state back from the
 * stack on every event. */
#define TAKE_RUN_VARIANT(name, is_named, is_bounded)                                                 \
    static __attribute__((noinline)) size_t name(reader *rd, const ring_view *view, uint64_t *position, \
                                                 uint64_t stop, uint64_t last_ticks, event_sink sink,  \
                                                 size_t index) {                                       \
        sink.named = is_named;                                                                         \
        return take_run(rd, view, position, stop, is_bounded, last_ticks, sink, index);                \
    }
TAKE_RUN_VARIANT(take_named_run, true, false)
TAKE_RUN_VARIANT(take_named_run_to_tick, true, true)
TAKE_RUN_VARIANT(take_id_run, false, false)
TAKE_RUN_VARIANT(take_id_run_to_tick, false, true)

static inline __attribute__((always_inline)) size_t take_run_into(reader *rd, const ring_view *view,
                                                                  uint64_t *position, uint64_t stop,
                                                                  uint64_t last_ticks, event_sink sink,
                                                                  size_t index) {
    if (last_ticks == UINT64_MAX) {
        return sink.named ? take_named_run(rd, view, position, stop, last_ticks, sink, index)
                          : take_id_run(rd, view, position, stop, last_ticks, sink, index);
    }
    return sink.named ? take_named_run_to_tick(rd, view, position, stop, last_ticks, sink, index)
                      : take_id_run_to_tick(rd, view, position, stop, last_ticks, sink, index);
}

/* One merge over a pair of snapshots. Returns how many events it handed
 * out; sets *held_back when it stopped at an event outside the first
 * snapshot (the next round will take it). */
static inline __attribute__((always_inline)) size_t merge_round(reader *rd, event_sink out,
                                                                size_t max_events, bool *held_back) {
    ring_merge *m = rd->merge;
    ring_view *views = m->views;
    size_t count = m->count < MAX_SHARDS ? m->count : MAX_SHARDS;
    uint64_t position[MAX_SHARDS];
    unsigned pending[MAX_SHARDS];
    size_t pending_count = 0;
    for (size_t i = 0; i < count; i++) {
        views[i].reader->first_snapshot =
            atomic_load_explicit(&views[i].control->published, memory_order_acquire);
    }
    for (size_t i = 0; i < count; i++) {
        ring_view *v = &views[i];
        ring_reader *state = v->reader;
        state->second_snapshot = atomic_load_explicit(&v->control->published, memory_order_acquire);
        /* Marks for the events up to the snapshot were written before it. */
        state->marks_visible = atomic_load_explicit(&v->control->marks_written, memory_order_acquire);
        position[i] = atomic_load_explicit(&v->control->tail, memory_order_relaxed);
        if (position[i] != state->second_snapshot) {
            pending[pending_count++] = (unsigned)i;
        }
    }
    size_t taken = 0;
    *held_back = false;
    /* Every event takes at least one slot, so a run that stops `max_events`
     * slots on cannot hand out more than that; one that hands out fewer
     * (extended events) leaves the rest to the next round. */
    if (pending_count == 1) {
        /* One ring has events: nothing to order against. */
        unsigned i = pending[0];
        uint64_t end = views[i].reader->second_snapshot;
        uint64_t stop = end - position[i] > max_events ? position[i] + max_events : end;
        taken = take_run_into(rd, &views[i], &position[i], stop, UINT64_MAX, out, 0);
    } else {
        while (taken < max_events && pending_count > 0) {
            /* The ring with the earliest next event, and the next-earliest
             * tick of any other: the first ring's events up to that tick
             * go out as one run (stamps repeat under the fast clock). */
            size_t earliest = 0;
            uint64_t earliest_ticks = record_at(&views[pending[0]], position[pending[0]])->ticks;
            uint64_t runner_up_ticks = UINT64_MAX;
            for (size_t p = 1; p < pending_count; p++) {
                uint64_t ticks = record_at(&views[pending[p]], position[pending[p]])->ticks;
                if (ticks < earliest_ticks) {
                    runner_up_ticks = earliest_ticks;
                    earliest = p;
                    earliest_ticks = ticks;
                } else if (ticks < runner_up_ticks) {
                    runner_up_ticks = ticks;
                }
            }
            unsigned i = pending[earliest];
            ring_view *v = &views[i];
            uint64_t first_end = v->reader->first_snapshot;
            if (position[i] >= first_end) {
                *held_back = true;
                break;
            }
            uint64_t stop = first_end - position[i] > max_events - taken ? position[i] + (max_events - taken)
                                                                          : first_end;
            taken = take_run_into(rd, v, &position[i], stop, runner_up_ticks, out, taken);
            if (position[i] == v->reader->second_snapshot) {
                pending[earliest] = pending[--pending_count];
            }
        }
    }
    for (size_t i = 0; i < count; i++) {
        /* Frees the slots for the producer. */
        atomic_store_explicit(&views[i].control->tail, position[i], memory_order_release);
    }
    return taken;
}

static inline __attribute__((always_inline)) size_t merge_drain(ring_merge *merge, event_sink out,
                                                                size_t max_events) {
    reader rd = {
        .merge = merge,
        .scale = tick_scale_now(merge->ticks_at_start, merge->ns_at_start),
        .next_seq = merge->next_seq,
        .first_sites = out.named ? atomic_load_explicit(&merge->sites->chunks[0], memory_order_acquire)
                                 : NULL,
    };
    size_t taken = 0;
    unsigned idle_rounds = 0;
    while (taken < max_events) {
        bool held_back;
        event_sink rest = {.named = out.named,
                           .events = out.named ? out.events + taken : NULL,
                           .id_events = out.named ? NULL : out.id_events + taken};
        size_t round = merge_round(&rd, rest, max_events - taken, &held_back);
        taken += round;
        /* A held-back event lies inside the next round's first snapshot, so
         * the next round normally makes progress; the bound only guards
         * against producers that keep stamping behind one another. */
        if (round == 0 && (!held_back || ++idle_rounds > 8)) {
            break;
        }
    }
    merge->next_seq = rd.next_seq;
    return taken;
}

size_t ring_merge_drain(ring_merge *merge, fs_event *out, size_t max_events) {
    return merge_drain(merge, (event_sink){.named = true, .events = out}, max_events);
}

size_t ring_merge_drain_ids(ring_merge *merge, fs_id_event *out, size_t max_events) {
    return merge_drain(merge, (event_sink){.named = false, .id_events = out}, max_events);
}

size_t fs_drain(fs_tracker *t, fs_event *out, size_t max_events) {
    size_t shard_count = atomic_load_explicit(&t->shard_count, memory_order_acquire);
    ring_view views[MAX_SHARDS];
    for (size_t i = 0; i < shard_count; i++) {
        shard *s = t->shards[i];
        views[i] = (ring_view){.control = s->control, .slots = s->ring, .mask = s->ring_mask,
                               .reader = &s->reader};
    }
    ring_merge merge = {
        .views = views,
        .count = shard_count,
        .ticks_at_start = t->ticks_at_start,
        .ns_at_start = t->ns_at_start,
        .sites = &t->sites,
        .next_seq = t->next_seq,
    };
    size_t taken = ring_merge_drain(&merge, out, max_events);
    t->next_seq = merge.next_seq;
    return taken;
}

size_t fs_ring_capacity(fs_tracker *t) { return t->ring_capacity; }

size_t fs_tracker_shards(fs_tracker *t) {
    return atomic_load_explicit(&t->shard_count, memory_order_acquire);
}
