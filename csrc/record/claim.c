/*
 * claim.c — which channel a process records into; see claim.h.
 */
#include "claim.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Descriptors FFISCOPE_RECORD_FOLLOW may list that are looked at: ffiscope
 * lists far fewer; a longer list is not ffiscope's. */
#define FOLLOWED_AT_MOST 1024u

/* The region behind descriptor `fd`, mapped, when its header describes a
 * channel of that size; NULL otherwise. */
static fs_record_header *map_channel(int fd, size_t *bytes) {
    struct stat about;
    if (fd < 0 || fstat(fd, &about) != 0 || (size_t)about.st_size <= FS_RECORD_CONTROLS_OFFSET) {
        return NULL;
    }
    void *region = mmap(NULL, (size_t)about.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (region == MAP_FAILED) {
        return NULL;
    }
    if (!fs_record_fits(region, (size_t)about.st_size)) {
        munmap(region, (size_t)about.st_size);
        return NULL;
    }
    *bytes = (size_t)about.st_size;
    return region;
}

/* The channel ffiscope holds as descriptor `fd`: this process's own copy
 * of it, or, where a program between closed the descriptors it did not
 * know (Python's subprocess does, by default), ffiscope's own, opened
 * again through /proc (FFISCOPE_RECORD_FROM is its pid). */
static fs_record_header *map_listed(int fd, size_t *bytes) {
    fs_record_header *mapped = map_channel(fd, bytes);
    const char *from = getenv("FFISCOPE_RECORD_FROM");
    if (mapped || !from) {
        return mapped;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd/%d", strtol(from, NULL, 10), fd);
    int reopened = open(path, O_RDWR | O_CLOEXEC);
    if (reopened < 0) {
        return NULL;
    }
    mapped = map_channel(reopened, bytes);
    close(reopened); /* the mapping holds the memory */
    return mapped;
}

/* Whether this process records into `h`: no process had claimed it (and
 * `may_claim` lets it), or this one had (the same process after an exec,
 * which takes it over: the program it was is gone, and its modules with it). */
static bool claim(fs_record_header *h, bool may_claim, bool *took_over) {
    int32_t me = (int32_t)getpid();
    int32_t owner = 0;
    if (!may_claim) {
        *took_over = atomic_load(&h->owner_pid) == me;
        return *took_over;
    }
    if (atomic_compare_exchange_strong(&h->owner_pid, &owner, me)) {
        *took_over = false;
        return true;
    }
    *took_over = owner == me;
    return *took_over;
}

/* Which program this process runs, read once: its path, and its command
 * line as the kernel keeps it (each argument ended by a NUL, so the first
 * is the name it was started by: `as`, where its program is
 * /usr/bin/x86_64-linux-gnu-as). */
typedef struct own_identity {
    char path[FS_RECORD_PATH_BYTES]; /* "?" when it cannot be read */
    char arguments[FS_RECORD_COMMAND_BYTES];
    size_t arguments_length; /* bytes read, cut short; arguments[length] is a NUL */
} own_identity;

static void read_identity(own_identity *me) {
    ssize_t length = readlink("/proc/self/exe", me->path, sizeof me->path - 1);
    if (length <= 0) {
        length = 1;
        me->path[0] = '?';
    }
    me->path[length] = '\0';
    me->arguments_length = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t read_bytes = read(fd, me->arguments, sizeof me->arguments - 1);
        me->arguments_length = read_bytes > 0 ? (size_t)read_bytes : 0;
        close(fd);
    }
    me->arguments[me->arguments_length] = '\0';
}

/* Writes which program records here (record_channel.h's sequence: odd while
 * it writes, even once whole): its path, and its arguments joined by spaces. */
static void write_program(fs_record_header *h, const own_identity *me) {
    uint64_t sequence = atomic_load_explicit(&h->program_sequence, memory_order_relaxed);
    sequence += sequence & 1u; /* a writer that died mid-write left it odd */
    atomic_store_explicit(&h->program_sequence, sequence + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    memcpy(h->program, me->path, strlen(me->path) + 1);
    /* The arguments end in NULs; the last one's is the end. */
    size_t length = me->arguments_length;
    while (length > 0 && me->arguments[length - 1] == '\0') {
        length--;
    }
    for (size_t i = 0; i < length; i++) {
        h->command[i] = me->arguments[i] == '\0' ? ' ' : me->arguments[i];
    }
    h->command[length] = '\0';
    atomic_store_explicit(&h->program_sequence, sequence + 2, memory_order_release);
}

/* Whether `text` or its file name (after the last '/') matches `pattern`. */
static bool matches(const char *pattern, const char *text) {
    const char *slash = strrchr(text, '/');
    return text[0] && (fnmatch(pattern, text, 0) == 0 || (slash && fnmatch(pattern, slash + 1, 0) == 0));
}

/* Whether this process's program is one FFISCOPE_RECORD_FOLLOW_SKIP names:
 * shell patterns separated by commas, each matched against the program's
 * path and the name it was started by, and against their file names. */
static bool skipped(const own_identity *me) {
    const char *patterns = getenv("FFISCOPE_RECORD_FOLLOW_SKIP");
    if (!patterns) {
        return false;
    }
    char pattern[FS_RECORD_PATH_BYTES];
    while (*patterns) {
        size_t length = strcspn(patterns, ",");
        if (length > 0 && length < sizeof pattern) {
            memcpy(pattern, patterns, length);
            pattern[length] = '\0';
            /* `arguments` starts with argv[0], ended by its own NUL. */
            if (matches(pattern, me->path) || matches(pattern, me->arguments)) {
                return true;
            }
        }
        patterns += length + (patterns[length] == ',');
    }
    return false;
}

/* This process was started by the recorded one and records nothing:
 * counted, by its program, so that the report says what ran unrecorded. */
static void count_started_unrecorded(fs_record_header *h, const char *path, bool was_skipped) {
    atomic_fetch_add_explicit(&h->started_unrecorded, 1, memory_order_relaxed);
    if (was_skipped) {
        atomic_fetch_add_explicit(&h->started_skipped, 1, memory_order_relaxed);
    }
    uint64_t claimed = atomic_load_explicit(&h->started_count, memory_order_acquire);
    for (uint64_t i = 0; i < claimed && i < FS_RECORD_STARTED; i++) {
        fs_record_started *entry = &h->started[i];
        if (atomic_load_explicit(&entry->written, memory_order_acquire) &&
            strncmp(entry->path, path, sizeof entry->path) == 0) {
            atomic_fetch_add_explicit(&entry->count, 1, memory_order_relaxed);
            return;
        }
    }
    uint64_t slot = atomic_fetch_add_explicit(&h->started_count, 1, memory_order_acq_rel);
    if (slot >= FS_RECORD_STARTED) {
        return; /* the table is full: the total counts it */
    }
    fs_record_started *entry = &h->started[slot];
    memcpy(entry->path, path, strlen(path) + 1);
    atomic_store_explicit(&entry->count, 1, memory_order_relaxed);
    atomic_store_explicit(&entry->written, 1, memory_order_release);
}

/* The first channel FFISCOPE_RECORD_FOLLOW lists that this process had
 * claimed (before an exec), or with `may_claim`, the first free one. */
static claimed_channel claim_followed(bool may_claim) {
    claimed_channel none = {0};
    const char *list = getenv("FFISCOPE_RECORD_FOLLOW");
    for (unsigned looked = 0; list && *list && looked < FOLLOWED_AT_MOST; looked++) {
        char *end = NULL;
        long fd = strtol(list, &end, 10);
        if (end == list || fd < 0 || fd > INT32_MAX) {
            return none;
        }
        claimed_channel candidate = {0};
        candidate.header = map_listed((int)fd, &candidate.bytes);
        if (candidate.header && claim(candidate.header, may_claim, &candidate.took_over)) {
            return candidate;
        }
        if (candidate.header) {
            munmap(candidate.header, candidate.bytes);
        }
        list = *end == ',' ? end + 1 : end;
    }
    return none;
}

claimed_channel claim_forked(int32_t parent) {
    claimed_channel chosen = claim_followed(true);
    if (chosen.header) {
        own_identity me;
        read_identity(&me);
        atomic_store_explicit(&chosen.header->forked_from, parent, memory_order_relaxed);
        write_program(chosen.header, &me); /* publishes forked_from with the command */
    }
    return chosen;
}

/* The recording's first channel, the one FFISCOPE_RECORD_FD names, mapped;
 * NULL when there is none. */
static fs_record_header *map_first(size_t *bytes) {
    const char *fd_text = getenv("FFISCOPE_RECORD_FD");
    return fd_text ? map_listed(atoi(fd_text), bytes) : NULL;
}

void count_forked_unrecorded(void) {
    size_t bytes = 0;
    fs_record_header *first = map_first(&bytes);
    if (!first) {
        return;
    }
    atomic_fetch_add_explicit(&first->forked_unrecorded, 1, memory_order_relaxed);
    int32_t me = (int32_t)getpid();
    for (size_t i = 0; i < FS_RECORD_FORKED_PIDS; i++) {
        int32_t empty = 0;
        if (atomic_compare_exchange_strong(&first->forked_pids[i], &empty, me)) {
            break;
        }
    }
    munmap(first, bytes);
}

/* This process was counted as a forked copy that ran unrecorded, and now
 * execs: it is the program it runs, counted (or followed) as that. */
static void take_back_fork_count(fs_record_header *first) {
    int32_t me = (int32_t)getpid();
    for (size_t i = 0; i < FS_RECORD_FORKED_PIDS; i++) {
        int32_t counted = me;
        if (atomic_compare_exchange_strong(&first->forked_pids[i], &counted, 0)) {
            atomic_fetch_sub_explicit(&first->forked_unrecorded, 1, memory_order_relaxed);
            return;
        }
    }
}

claimed_channel claim_channel(void) {
    claimed_channel none = {0};
    claimed_channel first = {0};
    first.header = map_first(&first.bytes);
    if (!first.header) {
        return none; /* not recorded, or not a channel */
    }
    take_back_fork_count(first.header);
    own_identity me;
    read_identity(&me);
    claimed_channel chosen = first;
    if (!claim(first.header, true, &chosen.took_over)) {
        /* Another process records (this one was started by it). */
        bool was_skipped = skipped(&me);
        /* Its own first, whichever channels were made free since it took it. */
        chosen = claim_followed(false);
        if (!chosen.header && !was_skipped) {
            chosen = claim_followed(true);
        }
        if (chosen.header && was_skipped && atomic_load(&chosen.header->forked_from) != 0) {
            /* A forked copy that claimed a channel execs a program not to
             * follow (a shell's child running a skipped compiler): that
             * program is not recorded, and the channel goes back. */
            atomic_store_explicit(&chosen.header->state, FS_RECORD_GIVEN_BACK, memory_order_release);
            munmap(chosen.header, chosen.bytes);
            chosen = none;
        }
        if (!chosen.header) {
            count_started_unrecorded(first.header, me.path, was_skipped);
        }
        munmap(first.header, first.bytes);
    }
    if (chosen.header) {
        /* A forked copy that execs is the program it runs now. */
        atomic_store_explicit(&chosen.header->forked_from, 0, memory_order_relaxed);
        write_program(chosen.header, &me);
    }
    return chosen;
}
