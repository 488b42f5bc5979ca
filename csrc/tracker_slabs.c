/*
 * tracker_slabs.c — the memory the tracker hands out for small C blocks.
 *
 * One address range per tracker, reserved up front (16 GiB of address
 * space, committed only as slots are first written), is cut into 64 KiB
 * slabs. A shard takes a slab for one size class and from then on is its
 * only user: every slot of the slab is handed out, freed and reused under
 * that shard's lock, and its events go into that shard's ring. A slot's
 * bookkeeping lives beside the slab, not in it, so a freed block's bytes
 * hold nothing but poison.
 *
 * Size classes: strides of 16 to 128 bytes in steps of 16, then four per
 * doubling up to 16 KiB; a block needs its size plus the 16-byte canary.
 */
#include "tracker_shard.h"

#include <sys/mman.h>

static const uint32_t class_stride[SLAB_CLASSES] = {
    16,   32,   48,   64,   80,   96,   112,  128,   160,   192,   224,   256,
    320,  384,  448,  512,  640,  768,  896,  1024,  1280,  1536,  1792,  2048,
    2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384,
};

static size_t meta_bytes(size_t slots) {
    size_t bytes = slots * sizeof(slot_meta);
    return (bytes + 4095) & ~(size_t)4095;
}

bool tracker_region_reserve(fs_tracker *t) {
    /* Halved until the system agrees: a strict overcommit policy or an
     * address-space limit grants less. */
    for (size_t bytes = REGION_MAX_BYTES; bytes >= REGION_MIN_BYTES; bytes /= 2) {
        void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) {
            continue;
        }
        size_t slabs = bytes >> SLAB_SHIFT;
        slab *table = tracker_internal_alloc(slabs * sizeof(slab));
        if (!table) {
            munmap(base, bytes);
            continue;
        }
        t->region_base = (uintptr_t)base;
        t->region_slabs = slabs;
        t->slab_table = table;
        return true;
    }
    return false;
}

void tracker_region_release(fs_tracker *t) {
    if (!t->region_slabs) {
        return;
    }
    size_t used = atomic_load_explicit(&t->region_used, memory_order_acquire);
    for (size_t i = 0; i < used && i < t->region_slabs; i++) {
        slab *b = &t->slab_table[i];
        if (b->meta) {
            tracker_internal_free(b->meta, meta_bytes(b->slot_count));
        }
    }
    munmap((void *)t->region_base, t->region_slabs << SLAB_SHIFT);
    tracker_internal_free(t->slab_table, t->region_slabs * sizeof(slab));
    t->region_slabs = 0;
}

/* A new slab of class c for shard s, or NULL when the region is used up. */
static slab *slab_new(fs_tracker *t, shard *s, unsigned c) {
    size_t index = atomic_load_explicit(&t->region_used, memory_order_relaxed);
    do {
        if (index >= t->region_slabs) {
            return NULL;
        }
    } while (!atomic_compare_exchange_weak_explicit(&t->region_used, &index, index + 1,
                                                    memory_order_acq_rel, memory_order_relaxed));
    slab *b = &t->slab_table[index];
    uint32_t stride = class_stride[c];
    uint32_t slots = (uint32_t)(SLAB_BYTES / stride);
    b->meta = tracker_internal_alloc(meta_bytes(slots));
    if (!b->meta) {
        return NULL; /* the slab stays unused; its addresses stay unknown */
    }
    b->base = t->region_base + (index << SLAB_SHIFT);
    b->stride = stride;
    b->reciprocal = (uint32_t)((((uint64_t)1 << 32) + stride - 1) / stride);
    b->slot_count = (uint16_t)slots;
    b->size_class = (uint8_t)c;
    b->next_in_shard = s->slabs;
    s->slabs = b;
    /* Published last: slab_of sees a slab whole or not at all. */
    atomic_store_explicit(&b->owner, s, memory_order_release);
    return b;
}

slab *tracker_slab_refill(fs_tracker *t, shard *s, unsigned c) {
    slab *b = s->partial[c];
    if (b) {
        s->partial[c] = b->next_partial;
        b->partial = false;
    } else {
        b = slab_new(t, s, c);
    }
    if (b) {
        s->current[c] = b;
    }
    return b;
}

void tracker_slab_file_partial(slab *b) {
    shard *s = slab_owner(b);
    unsigned c = b->size_class;
    b->next_partial = s->partial[c];
    s->partial[c] = b;
    b->partial = true;
}
