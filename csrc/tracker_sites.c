/*
 * tracker_sites.c — the registry that gives each site a 32-bit id.
 *
 * Sites are pointers (string literals, or small ids a recorder made); the
 * tracker never reads them. Events and slots store ids instead, which keeps
 * a ring record at 32 bytes. The pointer -> id map is only consulted when a
 * shard's cache misses, under the registry's lock; the id -> pointer chunks
 * are written once and never move, so the reader looks ids up without it.
 */
#include "tracker_shard.h"

#include <string.h>

static size_t home_of(const site_registry *sites, uintptr_t key) {
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (sites->capacity - 1);
}

static bool grow(site_registry *sites) {
    size_t capacity = sites->capacity ? sites->capacity * 2 : 1024;
    uintptr_t *keys = tracker_internal_alloc(capacity * sizeof *keys);
    uint32_t *values = tracker_internal_alloc(capacity * sizeof *values);
    if (!keys || !values) {
        tracker_internal_free(keys, capacity * sizeof *keys);
        tracker_internal_free(values, capacity * sizeof *values);
        return false;
    }
    site_registry old = {.keys = sites->keys, .values = sites->values, .capacity = sites->capacity};
    sites->keys = keys;
    sites->values = values;
    sites->capacity = capacity;
    for (size_t i = 0; i < old.capacity; i++) {
        if (old.keys[i]) {
            size_t j = home_of(sites, old.keys[i]);
            while (keys[j]) {
                j = (j + 1) & (capacity - 1);
            }
            keys[j] = old.keys[i];
            values[j] = old.values[i];
        }
    }
    tracker_internal_free(old.keys, old.capacity * sizeof *old.keys);
    tracker_internal_free(old.values, old.capacity * sizeof *old.values);
    return true;
}

/* Chunk `index` of a flat table, or NULL past its end. */
static const char **flat_chunk(const site_registry *sites, size_t index) {
    return (index + 1) * SITE_CHUNK <= sites->flat_capacity ? sites->flat + index * SITE_CHUNK : NULL;
}

/* The ids a flat table already names: a program this process was before
 * an exec named its sites there, and events of it the reader has not read
 * yet still name them, so its ids are not given out again. They run from
 * 1 without a gap (a site is never NULL), so the first empty entry ends
 * them. */
static uint32_t flat_ids_used(const site_registry *sites) {
    size_t low = 1;
    size_t high = sites->flat_capacity;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (sites->flat[middle]) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return (uint32_t)low;
}

bool tracker_sites_init(site_registry *sites, const char **flat, size_t flat_capacity) {
    pthread_mutex_init(&sites->lock, NULL);
    sites->count = 1; /* id 0 is the NULL site */
    sites->flat = flat;
    sites->flat_capacity = flat ? flat_capacity - flat_capacity % SITE_CHUNK : 0;
    if (flat && sites->flat_capacity > 0) {
        sites->count = flat_ids_used(sites);
    }
    const char **first = flat ? flat_chunk(sites, 0) : tracker_internal_alloc(SITE_CHUNK * sizeof *first);
    if (!first || !grow(sites)) {
        if (!flat) {
            tracker_internal_free(first, SITE_CHUNK * sizeof *first);
        }
        pthread_mutex_destroy(&sites->lock);
        return false;
    }
    atomic_store_explicit(&sites->chunks[0], first, memory_order_release);
    return true;
}

void tracker_sites_destroy(site_registry *sites) {
    for (size_t i = 0; i < MAX_SITE_CHUNKS && !sites->flat; i++) {
        const char **chunk = atomic_load_explicit(&sites->chunks[i], memory_order_relaxed);
        if (!chunk) {
            break;
        }
        tracker_internal_free((void *)chunk, SITE_CHUNK * sizeof *chunk);
    }
    tracker_internal_free(sites->keys, sites->capacity * sizeof *sites->keys);
    tracker_internal_free(sites->values, sites->capacity * sizeof *sites->values);
    pthread_mutex_destroy(&sites->lock);
}

/* Finds or makes the site's id and fills the cache entry. Past the last id
 * a site is recorded as NULL (id 0), so a program with more than 16 M
 * distinct sites still runs; its later sites go unnamed. */
uint32_t tracker_site_id_slow(site_registry *sites, site_cache_entry *cached, const char *site) {
    uintptr_t key = (uintptr_t)site;
    pthread_mutex_lock(&sites->lock);
    size_t i = home_of(sites, key);
    while (sites->keys[i] && sites->keys[i] != key) {
        i = (i + 1) & (sites->capacity - 1);
    }
    uint32_t id = 0;
    if (sites->keys[i] == key) {
        id = sites->values[i];
    } else if (sites->count < MAX_SITE_CHUNKS * SITE_CHUNK &&
               ((sites->count + 1) * 2 <= sites->capacity || grow(sites))) {
        uint32_t candidate = sites->count;
        _Atomic(const char **) *slot = &sites->chunks[candidate >> SITE_CHUNK_BITS];
        const char **chunk = atomic_load_explicit(slot, memory_order_relaxed);
        if (!chunk) {
            chunk = sites->flat ? flat_chunk(sites, candidate >> SITE_CHUNK_BITS)
                                : tracker_internal_alloc(SITE_CHUNK * sizeof *chunk);
        }
        if (chunk) {
            chunk[candidate & (SITE_CHUNK - 1)] = site;
            atomic_store_explicit(slot, chunk, memory_order_release);
            i = home_of(sites, key);
            while (sites->keys[i]) {
                i = (i + 1) & (sites->capacity - 1);
            }
            sites->keys[i] = key;
            sites->values[i] = candidate;
            sites->count++;
            id = candidate;
        }
    }
    pthread_mutex_unlock(&sites->lock);
    cached->site = site;
    cached->id = id;
    return id;
}
