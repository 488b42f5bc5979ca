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

#include <string.h>

/* Maps ticks onto the monotonic clock by interpolating between two points
 * sampled together: the tracker's creation and the moment of a drain. The
 * slope is computed once per drain as a 32.32 fixed-point factor, so each
 * event costs a multiply rather than a 128-bit division. */
typedef struct tick_scale {
    uint64_t ticks_at_start;
    uint64_t ns_at_start;
    unsigned __int128 ns_per_tick_q32;
} tick_scale;

static tick_scale tick_scale_now(uint64_t ticks_at_start, uint64_t ns_at_start) {
    uint64_t ns_now = fs_now_ns();
    uint64_t ticks_now = event_ticks();
    tick_scale scale = {.ticks_at_start = ticks_at_start, .ns_at_start = ns_at_start};
    if (!TICKS_ARE_NS && ticks_now > ticks_at_start && ns_now > ns_at_start) {
        scale.ns_per_tick_q32 =
            ((unsigned __int128)(ns_now - ns_at_start) << 32) / (ticks_now - ticks_at_start);
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

/* Takes the ring's thread from every mark at or before `position`. */
static void follow_thread_marks(ring_control *control, ring_reader *reader, uint64_t position) {
    uint64_t read = atomic_load_explicit(&control->marks_read, memory_order_relaxed);
    while (read < reader->marks_visible && control->thread_marks[read % THREAD_MARKS].position <= position) {
        reader->thread = control->thread_marks[read % THREAD_MARKS].thread;
        read++;
    }
    atomic_store_explicit(&control->marks_read, read, memory_order_release);
}

/* What the reader keeps at hand for every event of one drain. */
typedef struct reader {
    ring_merge *merge;
    tick_scale scale;
    uint64_t next_seq;
    const char **first_sites; /* the names of ids below SITE_CHUNK */
} reader;

static inline const char *reader_site(const reader *rd, uint32_t id) {
    return id < SITE_CHUNK ? rd->first_sites[id] : site_name(rd->merge->sites, id);
}

/*
 * Where a drain puts its events: named (`named`, fs_drain's) or with their
 * sites as ids (`ids`, a recording's reader). Exactly one is set, and each
 * drain passes its own as a constant to the always-inlined merge below, so
 * each gets a copy of it that writes only its own form.
 */
typedef struct event_sink {
    fs_event *named;
    fs_id_event *ids;
} event_sink;

/* The fields both forms share, from the record at `r` (and its extension). */
#define WRITE_COMMON(out, rd, v, r, packed, extension)                                  \
    do {                                                                                 \
        (out)->seq = (rd)->next_seq++;                                                   \
        (out)->time_ns = ticks_to_ns(&(rd)->scale, (r)->ticks);                          \
        (out)->address = (r)->address;                                                   \
        (out)->domain = (uint8_t)(((packed) >> RECORD_DOMAIN_SHIFT) & 1);                \
        (out)->kind = (uint8_t)((packed) >> RECORD_KIND_SHIFT);                          \
        (out)->reserved = 0;                                                             \
        if (extension) {                                                                 \
            (out)->related_address = (extension)->related_address;                       \
            (out)->related_size = (extension)->related_size;                             \
            (out)->size = (extension)->size;                                             \
            (out)->thread = (extension)->thread;                                         \
        } else {                                                                         \
            (out)->related_address = 0;                                                  \
            (out)->related_size = 0;                                                     \
            (out)->size = (packed) & RECORD_SIZE_MASK;                                   \
            (out)->thread = (v)->reader->thread;                                         \
        }                                                                                \
    } while (0)

/* Copies the event at `position` into the sink's slot `index` and moves past it. */
static inline __attribute__((always_inline)) void take_event(reader *rd, ring_view *v,
                                                             uint64_t *position, event_sink sink,
                                                             size_t index) {
    if (atomic_load_explicit(&v->control->marks_read, memory_order_relaxed) != v->reader->marks_visible) {
        follow_thread_marks(v->control, v->reader, *position);
    }
    const record *r = record_at(v, *position);
    /* The ring was written long enough ago to have left the near caches. */
    __builtin_prefetch(record_at(v, *position + 64));
    uint64_t packed = r->packed;
    const record_extension *extension =
        packed & RECORD_EXTENDED ? &v->slots[(*position + 1) & v->mask].extension : NULL;
    if (sink.named) {
        fs_event *out = &sink.named[index];
        WRITE_COMMON(out, rd, v, r, packed, extension);
        out->site = reader_site(rd, r->site);
        out->related_site = reader_site(rd, r->related_site);
    } else {
        fs_id_event *out = &sink.ids[index];
        WRITE_COMMON(out, rd, v, r, packed, extension);
        out->site = r->site;
        out->related_site = r->related_site;
    }
    *position += extension ? 2 : 1;
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
    if (pending_count == 1) {
        /* One ring has events: nothing to order against. The view and the
         * end are copied where the stores of the events cannot reach them,
         * so they are not read again for every event. */
        unsigned i = pending[0];
        ring_view v = views[i];
        uint64_t end = v.reader->second_snapshot;
        uint64_t at = position[i];
        while (taken < max_events && at != end) {
            take_event(rd, &v, &at, out, taken++);
        }
        position[i] = at;
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
            if (position[i] >= v->reader->first_snapshot) {
                *held_back = true;
                break;
            }
            do {
                take_event(rd, v, &position[i], out, taken++);
            } while (taken < max_events && position[i] < v->reader->first_snapshot &&
                     record_at(v, position[i])->ticks <= runner_up_ticks);
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
        event_sink rest = {.named = out.named ? out.named + taken : NULL,
                           .ids = out.ids ? out.ids + taken : NULL};
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
    return merge_drain(merge, (event_sink){.named = out}, max_events);
}

size_t ring_merge_drain_ids(ring_merge *merge, fs_id_event *out, size_t max_events) {
    return merge_drain(merge, (event_sink){.ids = out}, max_events);
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
