/*
 * record_reader.c — ffiscope's side of a recording: merges the recorded
 * program's rings, in the memory they share (record/record_channel.h),
 * into one stream of events, as fs_drain does a tracker's own. The program
 * writes its rings and its site table; this reads both and moves each
 * ring's tail. Nothing here trusts a count the program wrote beyond the
 * region's bounds.
 */
#include "record/record_channel.h"
#include "tracker_shard.h"

#include <stdlib.h>

_Static_assert(sizeof(ring_control) == FS_RECORD_RING_CONTROL_BYTES, "the channel's ring control");
_Static_assert(sizeof(slot) == FS_RECORD_SLOT_BYTES, "the channel's ring slot");
_Static_assert(SITE_CHUNK == FS_RECORD_SITE_CHUNK, "the channel's site table");

struct fs_record_reader {
    fs_record_header *header;
    ring_view views[FS_RECORD_MAX_RINGS];
    ring_reader readers[FS_RECORD_MAX_RINGS];
    uint64_t next_seq;
};

fs_record_reader *fs_record_reader_new(void *region, size_t bytes) {
    fs_record_header *h = region;
    if (!h || !fs_record_fits(h, bytes)) {
        return NULL;
    }
    fs_record_reader *reader = calloc(1, sizeof *reader);
    if (!reader) {
        return NULL;
    }
    reader->header = h;
    char *base = region;
    ring_control *controls = (ring_control *)(void *)(base + FS_RECORD_CONTROLS_OFFSET);
    const slot *rings = (const slot *)(void *)(base + fs_record_rings_offset(h));
    for (size_t i = 0; i < h->max_rings; i++) {
        reader->views[i] = (ring_view){.control = &controls[i],
                                       .slots = rings + i * h->ring_capacity,
                                       .mask = h->ring_capacity - 1,
                                       .reader = &reader->readers[i]};
    }
    return reader;
}

void fs_record_reader_free(fs_record_reader *reader) { free(reader); }

size_t fs_record_drain(fs_record_reader *reader, fs_id_event *out, size_t max_events) {
    fs_record_header *h = reader->header;
    uint64_t rings = atomic_load_explicit(&h->ring_count, memory_order_acquire);
    ring_merge merge = {
        .views = reader->views,
        .count = rings < h->max_rings ? rings : h->max_rings,
        .ticks_at_start = atomic_load_explicit(&h->ticks_at_start, memory_order_relaxed),
        .ns_at_start = atomic_load_explicit(&h->ns_at_start, memory_order_relaxed),
        .next_seq = reader->next_seq,
    };
    size_t taken = ring_merge_drain_ids(&merge, out, max_events);
    reader->next_seq = merge.next_seq;
    return taken;
}

uint64_t fs_record_dropped(const fs_record_reader *reader) {
    uint64_t dropped = 0;
    for (size_t i = 0; i < reader->header->max_rings; i++) {
        dropped += atomic_load_explicit(&reader->views[i].control->dropped, memory_order_relaxed);
    }
    return dropped;
}
