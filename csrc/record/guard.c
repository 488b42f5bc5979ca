/*
 * guard.c — `ffiscope record --guard`: every block on pages of its own, its
 * end against a page nobody may touch, and its pages taken away when it is
 * freed. An overflow or a use after free then faults at the very access,
 * reads as well as writes, in a program never built for it. The fault
 * handler (interpose.c) asks guard_explain_fault whose block it was; the
 * page is opened, the access goes on and the program runs on, reported
 * once per block, as GWP-ASan's recoverable mode does.
 *
 * Layout: one reserved region; a span is a block's data pages followed by
 * one guard page. The block ends at its last page's end, rounded down to
 * its alignment (natural_alignment), so a read or write one byte
 * past the end reaches the guard page, or the few bytes of slack before it,
 * which hold a pattern checked at free.
 *
 * Costs, said plainly: two system calls per malloc and free and a page of
 * memory per live block. Each live block splits the region's mapping in
 * two, so live guarded blocks are kept under the kernel's map count limit;
 * beyond it, and past the region's end, blocks come unguarded (the caller
 * counts them).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard.h"

#include "ffiscope.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION_BYTES (16ull << 30)
/* Spans up to this many data pages are reused after quarantine; longer
 * ones are not (their memory is returned, their addresses are not). */
#define REUSED_PAGES 16u
/* Freed spans held inaccessible before reuse. */
#define QUARANTINE_SPANS 8192u
#define SLACK_BYTE 0xFB

enum span_state { SPAN_UNUSED = 0, SPAN_LIVE, SPAN_QUARANTINED, SPAN_FREE };

typedef struct span {
    uintptr_t block;
    size_t size;
    uint32_t first_page; /* data pages; the guard page follows them */
    uint32_t pages;
    uint32_t next; /* free list or quarantine link (0: none) */
    uint8_t state;
    bool reported;   /* a fault was explained and its page opened */
    const char *alloc_site;
} span;

static struct {
    pthread_mutex_t lock;
    uintptr_t base;
    size_t page;
    uint32_t page_count;
    uint32_t next_page; /* the bump frontier */
    uint32_t *owner;    /* per page: the span it belongs to (0: none) */
    span *spans;        /* index 0 unused */
    uint32_t span_count;
    uint32_t span_capacity;
    uint32_t free_spans[REUSED_PAGES + 1];
    uint32_t quarantine_head, quarantine_tail, quarantined;
    uint32_t live, live_limit;
    size_t floor; /* the least alignment a block gets */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *reserve(size_t bytes, int protection) {
    void *region = mmap(NULL, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return region == MAP_FAILED ? NULL : region;
}

/* Each live block adds two mappings (its data and its guard page); the rest
 * of the limit is left to the program. */
static uint32_t live_limit(void) {
    unsigned long limit = 65530;
    FILE *file = fopen("/proc/sys/vm/max_map_count", "r");
    if (file) {
        if (fscanf(file, "%lu", &limit) != 1) {
            limit = 65530;
        }
        fclose(file);
    }
    return limit > 16384 ? (uint32_t)((limit - 16384) / 2) : 1024;
}

bool guard_start(size_t alignment_floor) {
    bool power_of_two = alignment_floor && !(alignment_floor & (alignment_floor - 1));
    pool.floor = power_of_two && alignment_floor <= 16 ? alignment_floor : 16;
    pool.page = (size_t)sysconf(_SC_PAGESIZE);
    pool.page_count = (uint32_t)(REGION_BYTES / pool.page);
    pool.span_capacity = pool.page_count / 2;
    void *region = reserve(REGION_BYTES, PROT_NONE);
    pool.owner = reserve((size_t)pool.page_count * sizeof *pool.owner, PROT_READ | PROT_WRITE);
    pool.spans = reserve((size_t)pool.span_capacity * sizeof *pool.spans, PROT_READ | PROT_WRITE);
    if (!region || !pool.owner || !pool.spans) {
        return false;
    }
    pool.base = (uintptr_t)region;
    pool.live_limit = live_limit();
    return true;
}

bool guard_owns(const void *ptr) {
    uintptr_t address = (uintptr_t)ptr;
    return pool.base && address >= pool.base && address - pool.base < REGION_BYTES;
}

static uintptr_t page_address(uint32_t page) { return pool.base + (uintptr_t)page * pool.page; }

static span *span_at(uintptr_t address) {
    uint32_t index = pool.owner[(address - pool.base) / pool.page];
    return index ? &pool.spans[index] : NULL;
}

/* A span of `pages` data pages (and its guard page), from the free list of
 * its length or the frontier; 0 when the region has no room. */
static uint32_t take_span(uint32_t pages) {
    if (pages <= REUSED_PAGES && pool.free_spans[pages]) {
        uint32_t index = pool.free_spans[pages];
        pool.free_spans[pages] = pool.spans[index].next;
        return index;
    }
    if (pool.span_count + 1 >= pool.span_capacity || pool.page_count - pool.next_page < pages + 1) {
        return 0;
    }
    uint32_t index = ++pool.span_count;
    span *s = &pool.spans[index];
    s->first_page = pool.next_page;
    s->pages = pages;
    pool.next_page += pages + 1;
    for (uint32_t p = s->first_page; p <= s->first_page + pages; p++) {
        pool.owner[p] = index;
    }
    return index;
}

static void give_back_span(uint32_t index) {
    span *s = &pool.spans[index];
    s->state = SPAN_FREE;
    if (s->pages <= REUSED_PAGES) {
        s->next = pool.free_spans[s->pages];
        pool.free_spans[s->pages] = index;
    }
}

/* The alignment a block of `size` bytes gets: that of the largest type
 * whose arrays it could hold, but at least the floor and never above 16
 * (malloc's own promise). With a floor of 16 (the default, glibc's
 * promise for every block), a program that counts on malloc's alignment
 * (Rust's allocator, tag bits in pointers) still runs, and a 13-byte block
 * has 3 bytes of slack whose reads go unseen; with 1, every byte past the
 * end faults, as with Electric Fence's EF_ALIGNMENT=1. */
static size_t natural_alignment(size_t size) {
    size_t lowest = size & (~size + 1);
    size_t wanted = lowest < pool.floor ? pool.floor : lowest;
    return wanted < 16 ? wanted : 16;
}

/* Makes a span's pages (data and guard) inaccessible and empty again. */
static void close_span(const span *s) {
    void *data = (void *)page_address(s->first_page);
    size_t bytes = (size_t)(s->pages + 1) * pool.page;
    mprotect(data, bytes, PROT_NONE);
    madvise(data, bytes, MADV_DONTNEED);
}

void *guard_allocate(size_t size, size_t alignment, const char *site) {
    if (!pool.base || alignment > pool.page || size > REGION_BYTES / 4) {
        return NULL;
    }
    size_t asked = size ? size : 1;
    size_t align = natural_alignment(asked);
    if (alignment > align) {
        align = alignment;
    }
    size_t footprint = (asked + align - 1) & ~(align - 1);
    uint32_t pages = (uint32_t)((footprint + pool.page - 1) / pool.page);
    pthread_mutex_lock(&pool.lock);
    uint32_t index = pool.live < pool.live_limit ? take_span(pages) : 0;
    if (!index) {
        pthread_mutex_unlock(&pool.lock);
        return NULL;
    }
    span *s = &pool.spans[index];
    if (s->reported) {
        close_span(s); /* a fault after its eviction opened it: its guard page too */
    }
    uintptr_t data = page_address(s->first_page);
    if (mprotect((void *)data, (size_t)pages * pool.page, PROT_READ | PROT_WRITE) != 0) {
        give_back_span(index);
        pthread_mutex_unlock(&pool.lock);
        return NULL;
    }
    uintptr_t end = data + (size_t)pages * pool.page;
    s->block = end - footprint;
    s->size = size;
    s->state = SPAN_LIVE;
    s->reported = false;
    s->alloc_site = site;
    pool.live++;
    pthread_mutex_unlock(&pool.lock);
    /* The pages are fresh (or were given back with MADV_DONTNEED): zero,
     * but for the slack, which carries the pattern. */
    for (uintptr_t at = s->block + size; at < end; at++) {
        *(unsigned char *)at = SLACK_BYTE;
    }
    return (void *)s->block;
}

size_t guard_size(const void *ptr) {
    span *s = span_at((uintptr_t)ptr);
    return s && s->state == SPAN_LIVE ? s->size : 0;
}

bool guard_release(void *ptr, guard_finding *damage) {
    span *s = span_at((uintptr_t)ptr);
    if (!s || s->state != SPAN_LIVE || s->block != (uintptr_t)ptr) {
        return false;
    }
    uintptr_t end = page_address(s->first_page + s->pages);
    uintptr_t first_damaged = 0;
    for (uintptr_t at = s->block + s->size; at < end && !first_damaged; at++) {
        if (*(unsigned char *)at != SLACK_BYTE) {
            first_damaged = at;
        }
    }
    pthread_mutex_lock(&pool.lock);
    close_span(s);
    s->state = SPAN_QUARANTINED;
    s->reported = false;
    s->next = 0;
    uint32_t index = (uint32_t)(s - pool.spans);
    if (pool.quarantine_tail) {
        pool.spans[pool.quarantine_tail].next = index;
    } else {
        pool.quarantine_head = index;
    }
    pool.quarantine_tail = index;
    pool.live--;
    if (++pool.quarantined > QUARANTINE_SPANS) {
        uint32_t oldest = pool.quarantine_head;
        pool.quarantine_head = pool.spans[oldest].next;
        if (!pool.quarantine_head) {
            pool.quarantine_tail = 0;
        }
        pool.quarantined--;
        if (pool.spans[oldest].reported) {
            close_span(&pool.spans[oldest]);
        }
        give_back_span(oldest);
    }
    pthread_mutex_unlock(&pool.lock);
    if (!first_damaged) {
        return false;
    }
    *damage = (guard_finding){.kind = FS_EVENT_HEAP_OVERFLOW, .address = first_damaged,
                              .block = (uintptr_t)ptr, .size = s->size,
                              .detail = first_damaged - (uintptr_t)ptr - s->size + 1,
                              .alloc_site = s->alloc_site};
    return true;
}

bool guard_explain_fault(uintptr_t address, guard_finding *finding) {
    if (!guard_owns((const void *)address)) {
        return false;
    }
    pthread_mutex_lock(&pool.lock);
    span *s = span_at(address);
    bool explained = s && s->state != SPAN_UNUSED && !s->reported;
    if (explained) {
        uintptr_t guard_page = page_address(s->first_page + s->pages);
        bool past_end = s->state == SPAN_LIVE && address >= guard_page;
        *finding = (guard_finding){.address = address, .block = s->block, .size = s->size,
                                   .alloc_site = s->alloc_site};
        if (past_end) {
            finding->kind = FS_EVENT_HEAP_OVERFLOW;
            finding->detail = address - s->block - s->size + 1;
            mprotect((void *)guard_page, pool.page, PROT_READ | PROT_WRITE);
        } else {
            finding->kind = FS_EVENT_USE_AFTER_FREE;
            /* A word-at-a-time reader (strlen) may fault a little before the block. */
            finding->detail = address > s->block ? address - s->block : 0;
            mprotect((void *)page_address(s->first_page), (size_t)(s->pages + 1) * pool.page,
                     PROT_READ | PROT_WRITE);
        }
        s->reported = true;
    }
    pthread_mutex_unlock(&pool.lock);
    return explained;
}
