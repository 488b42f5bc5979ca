/*
 * reach.c — at exit, the live blocks the program can still reach, as
 * LeakSanitizer and memcheck decide it: a block is reachable when a word
 * in the program's globals (every module's writable segments), in the
 * exiting thread's static TLS, in memory the program mapped for itself
 * (mappings.c), in a block glibc made before the recording began
 * (unrecorded.c), in a block a forked copy inherited from the process it
 * was forked from, or in a block reachable so,
 * points into it. What nothing points to is lost: a leak. A block reached
 * only along a chain with a pointer into a block's middle is told apart,
 * as memcheck's "possibly lost": a pointer past a header keeps it, but so
 * would a stale one into a block that lost its start. Three such pointers
 * are as good as a start, as memcheck's default heuristics take them:
 * past a `new[]` array's count, past a 64-bit length (`length64`), and to
 * a C++ object's second base, whose vtable pointer it points at
 * (`multipleinheritance`). A block kept to the end on purpose (a cache in
 * a static, the main thread's handle in its TLS) is not lost. The
 * exiting thread's stack is not a root at exit: `main` has returned, and
 * what its frames held is below the stack pointer, stale. A program
 * leaving through `_exit`, or calling exit, from inside its frames leaves
 * them on the stack, so there the stack from the caller's frame up is
 * one, and the caller's registers as it called, as memcheck reads them.
 *
 * The interposer's own globals are not roots: they point at the tracker,
 * whose tables name every block. The tracker's memory comes from mmap and
 * is never scanned. Other threads that made allocations are roots too:
 * their stacks and TLS (the mapping their thread pointer is in, and the
 * main thread's stack, a mapping apart, when another thread exits; as far
 * as they are in memory), for a thread still ending (a scoped thread runs its
 * TLS destructors after `scope` returns) or still running holds its
 * blocks; a thread that ended is not (interpose.c). They are not stopped:
 * one may free a block while it is read, so each range is read under a
 * fault guard, and a fault skips its rest.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "reach.h"

#include "../tracker_shard.h"
#include "fault_guard.h"
#include "mappings.h"
#include "unrecorded.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A lost block whose reach is being followed: not reached by itself. */
enum { LEADING = REACH_KEPT_INTERIOR + 1 };

/* A pending block's entry: its index, shifted, and whether it was reached
 * through a block's middle then (it may be reached by its start later,
 * and pending again: a block is read at most twice). */
enum { PENDING_INTERIOR = 1 };

typedef struct scan {
    fs_block *blocks; /* sorted by address */
    size_t count;
    uint8_t *reached; /* per block: 0 lost, or the enum reach_state it was reached in */
    uint8_t mark;     /* what a block reached now is marked */
    uint32_t *pending; /* blocks reached whose words are yet to be read, as PENDING entries */
    size_t pending_count;
    bool starts_only; /* only a word that is a block's start reaches it */
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

/* The loaded modules' read-only data (where vtables are: RELRO, or a
 * read-only segment that is not code) and their code, each sorted by
 * start: read once per check, before any word is. */
enum { MODULE_RANGES_KEPT = 1024 };
typedef struct address_range {
    uintptr_t start;
    uintptr_t end;
} address_range;
typedef struct module_ranges {
    address_range data[MODULE_RANGES_KEPT];
    size_t data_count;
    address_range code[MODULE_RANGES_KEPT];
    size_t code_count;
} module_ranges;
static module_ranges modules;

static void keep_range(address_range *ranges, size_t *count, uintptr_t start, uintptr_t end) {
    if (*count < MODULE_RANGES_KEPT) {
        ranges[(*count)++] = (address_range){start, end};
    }
}

static int note_module_ranges(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    module_ranges *m = context;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        uintptr_t end = start + segment->p_memsz;
        bool load = segment->p_type == PT_LOAD;
        if (segment->p_type == PT_GNU_RELRO || (load && !(segment->p_flags & (PF_W | PF_X)))) {
            keep_range(m->data, &m->data_count, start, end);
        } else if (load && (segment->p_flags & PF_X)) {
            keep_range(m->code, &m->code_count, start, end);
        }
    }
    return 0;
}

static int by_range_start(const void *a, const void *b) {
    uintptr_t x = ((const address_range *)a)->start;
    uintptr_t y = ((const address_range *)b)->start;
    return (x > y) - (x < y);
}

static void read_module_ranges(void) {
    modules.data_count = modules.code_count = 0;
    dl_iterate_phdr(note_module_ranges, &modules);
    qsort(modules.data, modules.data_count, sizeof *modules.data, by_range_start);
    qsort(modules.code, modules.code_count, sizeof *modules.code, by_range_start);
}

/* Whether `address` lies in one of `ranges` (sorted by start, apart). */
static bool within(const address_range *ranges, size_t count, uint64_t address) {
    size_t low = 0;
    size_t high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (ranges[middle].start <= address) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low > 0 && address < ranges[low - 1].end;
}

/* Whether `address` looks like a vtable's, as memcheck judges it: aligned,
 * in a module's read-only data, and the first of up to 20 words there that
 * are not null, two at least, all point into code. */
static bool looks_like_a_vtable(uint64_t address) {
    enum { WORDS_LOOKED_AT = 20 };
    if (address % sizeof(uint64_t) != 0 || !within(modules.data, modules.data_count, address)) {
        return false;
    }
    unsigned functions = 0;
    for (unsigned i = 0; i < WORDS_LOOKED_AT && functions < 2; i++) {
        uint64_t at = address + i * sizeof(uint64_t);
        if (!within(modules.data, modules.data_count, at + sizeof(uint64_t) - 1)) {
            break;
        }
        uint64_t word = *(const uint64_t *)(uintptr_t)at;
        if (word == 0) {
            continue;
        }
        if (!within(modules.code, modules.code_count, word)) {
            return false;
        }
        functions++;
    }
    return functions >= 2;
}

/* Whether `word`, inside block `b` past its start, is as good as its
 * start, as memcheck's heuristics take it: just past a `new[]` array's
 * element count (a count that divides the rest), or just past a 64-bit
 * length that is the rest's; or at a vtable pointer inside a block that
 * begins with one (a C++ object seen as its second base). Read under the
 * same fault guard as the word that points into the block. */
static bool as_good_as_its_start(const fs_block *b, uint64_t word) {
    if (b->size < sizeof(uint64_t)) {
        return false;
    }
    uint64_t first = *(const uint64_t *)(uintptr_t)b->address;
    if (word == b->address + sizeof(uint64_t)) {
        /* A length of the rest is one count that divides it. */
        uint64_t rest = b->size - sizeof(uint64_t);
        if (first > 0 && rest % first == 0) {
            return true;
        }
    }
    return word % sizeof(uint64_t) == 0 && word + sizeof(uint64_t) <= b->address + b->size &&
           looks_like_a_vtable(first) && looks_like_a_vtable(*(const uint64_t *)(uintptr_t)word);
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
        if (found < 0) {
            continue;
        }
        const fs_block *b = &s->blocks[found];
        bool by_start = word == b->address;
        if (s->starts_only && !by_start) {
            continue;
        }
        /* From the roots, a chain with a pointer into a middle makes a
         * weaker claim; a start reached later makes the stronger one. */
        uint8_t mark = s->mark;
        if (mark == REACH_KEPT && !by_start && !as_good_as_its_start(b, word)) {
            mark = REACH_KEPT_INTERIOR;
        }
        uint8_t before = s->reached[found];
        if (before == 0 || (before == REACH_KEPT_INTERIOR && mark == REACH_KEPT)) {
            s->reached[found] = mark;
            uint32_t entry = (uint32_t)found << 1 | (mark == REACH_KEPT_INTERIOR ? PENDING_INTERIOR : 0);
            s->pending[s->pending_count++] = entry;
        }
    }
}

typedef struct {
    scan *s;
    uintptr_t start;
    uintptr_t end;
} range;

static void read_range(void *context) {
    const range *r = context;
    scan_words(r->s, r->start, r->end);
}

/* scan_words, but a range that faults (freed meanwhile) is given up. */
static void scan_range(scan *s, uintptr_t start, uintptr_t end) {
    range r = {.s = s, .start = start, .end = end};
    (void)fault_guard_run(read_range, &r);
}

static void scan_block(scan *s, const fs_block *b) {
    scan_range(s, (uintptr_t)b->address, (uintptr_t)(b->address + b->size));
}

/* Reads the words of every block reached and not yet read. From the
 * roots, what a block reaches is reached as the block was; a block
 * pending as reached through a middle, and reached by its start since,
 * is read once, by its start's entry. */
static void drain_pending(scan *s) {
    uint8_t chain = s->mark;
    while (s->pending_count > 0) {
        uint32_t entry = s->pending[--s->pending_count];
        uint32_t index = entry >> 1;
        if (chain == REACH_KEPT) {
            if ((entry & PENDING_INTERIOR) && s->reached[index] == REACH_KEPT) {
                continue;
            }
            s->mark = s->reached[index];
        }
        scan_block(s, &s->blocks[index]);
    }
    s->mark = chain;
}

static uintptr_t own_base;

static int scan_module(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    /* Not this library's globals: they point at the tracker. The C
     * library's are roots: it keeps what setlocale and stdio made, by
     * their starts. Its allocator's bins point at free chunks, whose
     * headers lie in the last bytes of the live block before them: from
     * its globals only a block's start reaches the block, or a lost block
     * just before a freed one would count as reachable. */
    if (info->dlpi_addr == own_base) {
        return 0;
    }
    scan *s = context;
    s->starts_only = info->dlpi_name && strstr(info->dlpi_name, "/libc.so");
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && (segment->p_flags & PF_W)) {
            uintptr_t start = info->dlpi_addr + segment->p_vaddr;
            scan_range(s, start, start + segment->p_memsz);
        }
    }
    s->starts_only = false;
    return 0;
}

static int by_value(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a;
    uintptr_t y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

/* Whether one of `sorted` (count of them) lies in [start, end). */
static bool holds_one_of(uintptr_t start, uintptr_t end, const uintptr_t *sorted, size_t count) {
    size_t low = 0;
    size_t high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (sorted[middle] < start) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low < count && sorted[low] < end;
}

/* Calls `visit` for each mapping in /proc/self/maps that holds one of the
 * addresses `sorted`: one read of the file, however many threads. */
static void visit_mappings_holding(scan *s, const uintptr_t *sorted, size_t count,
                                   void (*visit)(scan *s, uintptr_t start, uintptr_t end)) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    char buffer[8192];
    size_t kept = 0;
    for (;;) {
        ssize_t got = read(fd, buffer + kept, sizeof buffer - 1 - kept);
        if (got <= 0) {
            break;
        }
        kept += (size_t)got;
        buffer[kept] = '\0';
        char *line = buffer;
        char *newline;
        while ((newline = strchr(line, '\n'))) {
            char *rest;
            uintptr_t from = (uintptr_t)strtoull(line, &rest, 16);
            uintptr_t to = (uintptr_t)strtoull(rest + 1, NULL, 16);
            if (holds_one_of(from, to, sorted, count)) {
                visit(s, from, to);
            }
            line = newline + 1;
        }
        kept = (size_t)(buffer + kept - line);
        memmove(buffer, line, kept);
    }
    close(fd);
}

/* The exiting thread's pointer, and how far its static TLS reaches on
 * either side of it (the loader's figure; 0 if it gives none). */
static uintptr_t exiting_thread;
static size_t exiting_tls_size;
/* Where the exiting thread's stack is a root from (0: it is not), and
 * below which none of it is read (reach_roots's `checking_frame`). */
static uintptr_t exiting_stack_from;
static uintptr_t exiting_stack_floor;

/* Reads the pages of [start, end) that are in memory, a page at a time (a
 * page that faults is given up alone): never-touched pages of a large
 * reservation are not brought in. mincore is asked a bounded stretch at a
 * time, so the scratch it needs does not grow with the range. */
static void scan_resident(scan *s, uintptr_t start, uintptr_t end) {
    enum { STRETCH_PAGES = 4096 };
    unsigned char resident[STRETCH_PAGES];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* mincore asks of whole pages; only [start, end) of them is read. */
    uintptr_t first = start;
    start &= ~(uintptr_t)(page - 1);
    while (start < end) {
        size_t pages = (end - start + page - 1) / page;
        pages = pages < STRETCH_PAGES ? pages : STRETCH_PAGES;
        if (mincore((void *)start, pages * page, resident) == 0) {
            for (size_t p = 0; p < pages; p++) {
                if (resident[p] & 1) {
                    uintptr_t from = start + p * page;
                    scan_range(s, from > first ? from : first, from + page < end ? from + page : end);
                }
            }
        }
        start += pages * page;
    }
}

/* A thread's stack and TLS: glibc keeps them, with its control block, in
 * the one mapping its thread pointer is in. The exiting thread's stack is
 * elsewhere (and not a root); of its mapping only its static TLS is read,
 * since the loader may keep other things beside it. */
static void scan_thread_area(scan *s, uintptr_t start, uintptr_t end) {
    if (exiting_thread >= start && exiting_thread < end) {
        size_t size = exiting_tls_size;
        if (size == 0) {
            return;
        }
        uintptr_t from = exiting_thread - start > size ? exiting_thread - size : start;
        uintptr_t to = end - exiting_thread > size ? exiting_thread + size : end;
        /* The loader's figure counts room kept for libraries loaded later,
         * and a thread glibc started has its stack just below its TLS:
         * the window may reach into the stack, where the check's own frames
         * are, and the stale slots below them. */
        if (exiting_stack_floor > from && exiting_stack_floor < to) {
            from = exiting_stack_floor;
        }
        start = from;
        end = to;
    }
    scan_resident(s, start, end);
}

/* Memory the program mapped for itself (mappings.c): an interpreter's
 * object arenas hold the pointers to its larger blocks. */
static void scan_mapping(void *context, uintptr_t start, uintptr_t end) { scan_resident(context, start, end); }

/* A block glibc made while nothing recorded: a library's constructor runs
 * before the recording begins, and what it made (`_config = new
 * Configuration`) may hold the program's blocks. Read whole; a lost one
 * among them hides what it points to, as a root would. */
static void scan_unrecorded(void *context, uintptr_t start, uintptr_t end) { scan_range(context, start, end); }

/* The exiting thread's live stack: from `exiting_stack_from` to the top
 * of the mapping holding it (a stack grows down). */
static void scan_exiting_stack(scan *s, uintptr_t start, uintptr_t end) {
    (void)start;
    scan_resident(s, exiting_stack_from, end);
}

/* Every thread's area: the exiting one's static TLS (and its stack from
 * `exiting_stack_from`) and the stacks and TLS of `threads`: the mappings
 * their thread pointers are in, and those their stacks are in (the main
 * thread's, when another is the one exiting). */
static void scan_threads(scan *s, const reach_thread *threads, size_t thread_count) {
    typedef void (*static_info_fn)(size_t *size, size_t *align);
    static_info_fn info = (static_info_fn)dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    size_t align = 0;
    exiting_tls_size = 0;
    if (info) {
        info(&exiting_tls_size, &align);
    }
    exiting_thread = (uintptr_t)__builtin_thread_pointer();
    size_t bytes = (2 * thread_count + 1) * sizeof(uintptr_t);
    uintptr_t *sorted = scratch(bytes);
    if (!sorted) {
        return;
    }
    /* A thread that ended is 0 in `threads`: not a root. */
    size_t live = 0;
    for (size_t i = 0; i < thread_count; i++) {
        uintptr_t thread = __atomic_load_n(&threads[i].pointer, __ATOMIC_ACQUIRE);
        if (thread != 0) {
            sorted[live++] = thread;
            if (thread != exiting_thread) {
                sorted[live++] = threads[i].stack;
            }
        }
    }
    sorted[live++] = exiting_thread;
    qsort(sorted, live, sizeof *sorted, by_value);
    visit_mappings_holding(s, sorted, live, scan_thread_area);
    munmap(sorted, bytes);
    if (exiting_stack_from) {
        visit_mappings_holding(s, &exiting_stack_from, 1, scan_exiting_stack);
    }
}

bool reach_live_blocks(fs_tracker *t, void (*note)(fs_tracker *t, const fs_block *block, enum reach_state state),
                       const reach_roots *roots) {
    exiting_stack_from = roots->stack_from;
    exiting_stack_floor = roots->stack_from ? roots->stack_from : roots->checking_frame;
    Dl_info self;
    if (dladdr((void *)&reach_live_blocks, &self)) {
        own_base = (uintptr_t)self.dli_fbase;
    }
    size_t count = fs_live_blocks(t, NULL, 0);
    if (count == 0) {
        return true;
    }
    count += count / 8 + 64; /* blocks allocated meanwhile, by other threads */
    if (count > UINT32_MAX >> 1) {
        return false; /* more than a pending entry can name */
    }
    /* Each block pending at most twice: through a middle, then by its start. */
    size_t pending_bytes = 2 * count * sizeof(uint32_t);
    scan s = {.blocks = scratch(count * sizeof(fs_block)), .reached = scratch(count),
              .pending = scratch(pending_bytes), .mark = REACH_KEPT};
    bool ready = s.blocks && s.reached && s.pending;
    if (ready) {
        s.count = fs_live_blocks(t, s.blocks, count);
        s.count = s.count < count ? s.count : count;
        qsort(s.blocks, s.count, sizeof *s.blocks, by_address);
        read_module_ranges();
        dl_iterate_phdr(scan_module, &s);
        scan_threads(&s, roots->threads, roots->thread_count);
        if (roots->registers) {
            uintptr_t registers = (uintptr_t)roots->registers;
            scan_range(&s, registers, registers + roots->registers_bytes);
        }
        mappings_visit(scan_mapping, &s);
        unrecorded_visit(scan_unrecorded, &s);
        if (roots->inherited_blocks) {
            roots->inherited_blocks(scan_unrecorded, &s);
        }
        drain_pending(&s);
        for (size_t i = 0; i < s.count; i++) {
            if (s.reached[i]) {
                note(t, &s.blocks[i], (enum reach_state)s.reached[i]);
            }
        }
        /* Among the lost, those that go with another (memcheck's
         * "indirectly lost"): each lost block nothing lost has reached yet
         * leads, and what it reaches goes with it; itself never does, so
         * a block that points into itself (a string's inline buffer) is
         * a leak of its own, and a cycle of lost blocks is one leak, its
         * first, as memcheck counts it. A leader a later one reaches goes
         * with that one. Every lost block is read once. */
        s.mark = REACH_LOST_WITH;
        for (size_t i = 0; i < s.count; i++) {
            if (s.reached[i] == 0) {
                s.reached[i] = LEADING;
                scan_block(&s, &s.blocks[i]);
                drain_pending(&s);
                s.reached[i] = 0;
            }
        }
        for (size_t i = 0; i < s.count; i++) {
            if (s.reached[i] == REACH_LOST_WITH) {
                note(t, &s.blocks[i], REACH_LOST_WITH);
            }
        }
    }
    if (s.blocks) munmap(s.blocks, count * sizeof(fs_block));
    if (s.reached) munmap(s.reached, count);
    if (s.pending) munmap(s.pending, pending_bytes);
    return ready;
}
