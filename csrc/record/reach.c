/*
 * reach.c — at exit, the live blocks the program can still reach, as
 * LeakSanitizer and memcheck decide it: a block is reachable when a word
 * in the program's globals (every module's writable segments), in the
 * exiting thread's static TLS, or in a block reachable so,
 * points into it. What nothing points to is lost: a leak. A block kept to
 * the end on purpose (a cache in a static, the main thread's handle in
 * its TLS) is not. The exiting thread's stack is not a root: `main` has
 * returned, and what its frames held is below the stack pointer, stale.
 *
 * The interposer's own globals are not roots: they point at the tracker,
 * whose tables name every block. The tracker's memory comes from mmap and
 * is never scanned. Other threads still running at exit are not stopped,
 * and their stacks are not scanned.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "reach.h"

#include "../tracker_shard.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct scan {
    fs_block *blocks; /* sorted by address */
    size_t count;
    uint8_t *reached;
    uint32_t *pending; /* blocks reached whose words are yet to be read */
    size_t pending_count;
} scan;

static void *scratch(size_t bytes) {
    void *memory = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return memory == MAP_FAILED ? NULL : memory;
}

static int by_address(const void *a, const void *b) {
    uint64_t x = ((const fs_block *)a)->address;
    uint64_t y = ((const fs_block *)b)->address;
    return (x > y) - (x < y);
}

/* The block holding `address` (its start or any byte inside), or -1. */
static int64_t block_holding(const scan *s, uint64_t address) {
    size_t low = 0;
    size_t high = s->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (s->blocks[middle].address <= address) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    if (low == 0) {
        return -1;
    }
    const fs_block *b = &s->blocks[low - 1];
    uint64_t size = b->size ? b->size : 1;
    return address - b->address < size ? (int64_t)(low - 1) : -1;
}

static void scan_words(scan *s, uintptr_t start, uintptr_t end) {
    uint64_t lowest = s->blocks[0].address;
    uint64_t highest = s->blocks[s->count - 1].address + s->blocks[s->count - 1].size;
    start = (start + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    for (uintptr_t at = start; at + sizeof(uintptr_t) <= end; at += sizeof(uintptr_t)) {
        uint64_t word = *(const uintptr_t *)at;
        if (word < lowest || word >= highest) {
            continue;
        }
        int64_t found = block_holding(s, word);
        if (found >= 0 && !s->reached[found]) {
            s->reached[found] = 1;
            s->pending[s->pending_count++] = (uint32_t)found;
        }
    }
}

static uintptr_t own_base;

static int scan_module(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    /* Not this library's globals: they point at the tracker. The C
     * library's are roots: it keeps what setlocale and stdio made. (Its
     * allocator's bins point at free chunks, whose headers may lie in the
     * last bytes of a live block: a few such blocks may count as
     * reachable, never the other way round.) */
    if (info->dlpi_addr == own_base) {
        return 0;
    }
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && (segment->p_flags & PF_W)) {
            uintptr_t start = info->dlpi_addr + segment->p_vaddr;
            scan_words(context, start, start + segment->p_memsz);
        }
    }
    return 0;
}

/* The mapping that holds `address`, from /proc/self/maps; false if none. */
static bool mapping_of(uintptr_t address, uintptr_t *start, uintptr_t *end) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    char buffer[8192];
    size_t kept = 0;
    bool found = false;
    for (;;) {
        ssize_t got = read(fd, buffer + kept, sizeof buffer - 1 - kept);
        if (got <= 0) {
            break;
        }
        kept += (size_t)got;
        buffer[kept] = '\0';
        char *line = buffer;
        char *newline;
        while (!found && (newline = strchr(line, '\n'))) {
            char *rest;
            uintptr_t from = (uintptr_t)strtoull(line, &rest, 16);
            uintptr_t to = (uintptr_t)strtoull(rest + 1, NULL, 16);
            if (address >= from && address < to) {
                *start = from;
                *end = to;
                found = true;
            }
            line = newline + 1;
        }
        if (found) {
            break;
        }
        kept = (size_t)(buffer + kept - line);
        memmove(buffer, line, kept);
    }
    close(fd);
    return found;
}

/* The exiting thread's static TLS: around the thread pointer, as wide as
 * the loader says it is, within the mapping that holds it. */
static void scan_static_tls(scan *s) {
    typedef void (*static_info_fn)(size_t *size, size_t *align);
    static_info_fn info = (static_info_fn)dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    uintptr_t thread = (uintptr_t)__builtin_thread_pointer();
    size_t size = 0;
    size_t align = 0;
    if (info) {
        info(&size, &align);
    }
    uintptr_t start;
    uintptr_t end;
    if (size == 0 || !mapping_of(thread, &start, &end)) {
        return;
    }
    uintptr_t from = thread - start > size ? thread - size : start;
    uintptr_t to = end - thread > size ? thread + size : end;
    scan_words(s, from, to);
}

bool reach_live_blocks(fs_tracker *t, void (*reached)(fs_tracker *t, const fs_block *block)) {
    Dl_info self;
    if (dladdr((void *)&reach_live_blocks, &self)) {
        own_base = (uintptr_t)self.dli_fbase;
    }
    size_t count = fs_live_blocks(t, NULL, 0);
    if (count == 0) {
        return true;
    }
    count += count / 8 + 64; /* blocks allocated meanwhile, by other threads */
    scan s = {.blocks = scratch(count * sizeof(fs_block)), .reached = scratch(count),
              .pending = scratch(count * sizeof(uint32_t))};
    bool ready = s.blocks && s.reached && s.pending;
    if (ready) {
        s.count = fs_live_blocks(t, s.blocks, count);
        s.count = s.count < count ? s.count : count;
        qsort(s.blocks, s.count, sizeof *s.blocks, by_address);
        dl_iterate_phdr(scan_module, &s);
        scan_static_tls(&s);
        while (s.pending_count > 0) {
            const fs_block *b = &s.blocks[s.pending[--s.pending_count]];
            scan_words(&s, (uintptr_t)b->address, (uintptr_t)(b->address + b->size));
        }
        for (size_t i = 0; i < s.count; i++) {
            if (s.reached[i]) {
                reached(t, &s.blocks[i]);
            }
        }
    }
    if (s.blocks) munmap(s.blocks, count * sizeof(fs_block));
    if (s.reached) munmap(s.reached, count);
    if (s.pending) munmap(s.pending, count * sizeof(uint32_t));
    return ready;
}
