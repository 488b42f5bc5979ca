/*
 * ffiscope.h — the one header Rust binds to.
 *
 * The tracker: every allocation made by instrumented C code goes through
 * fs_malloc/fs_calloc/fs_realloc/fs_free/fs_strdup, which keep a tail canary
 * after each block, a record of every live block (small blocks in slabs the
 * tracker owns, larger ones from a backing allocator), a quarantine of
 * poisoned freed blocks and an event stream. Frees that would corrupt the
 * heap (double, invalid, foreign) are detected, reported and refused.
 *
 * Each thread allocates into the tracker bound to it (fs_tracker_bind); a
 * thread with none bound uses a process-wide default tracker. Inside a
 * tracker each thread works in a shard of its own (its own event ring, live
 * table, quarantine and counts), so threads do not contend; a free of
 * another thread's block reaches into that thread's shard.
 *
 * A site names the function that allocates or frees. It is either a string
 * with static storage duration (a literal) or an id made by FS_SITE_ID, whose
 * names the caller keeps; the tracker never reads a site, it only stores it.
 */
#ifndef FFISCOPE_H
#define FFISCOPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fs_tracker fs_tracker;

/* Sites below this value are ids, not strings: the lowest pages of a Linux
 * process are never mapped, so no string lives there. */
#define FS_SITE_ID_LIMIT 4096u
#define FS_SITE_ID(n) ((const char *)(uintptr_t)(n))
#define FS_SITE_IS_ID(site) ((uintptr_t)(site) < FS_SITE_ID_LIMIT)

/*
 * How a block was made, and so how it must be released: C++'s `new` pairs
 * with `delete`, `new[]` with `delete[]`, malloc with free. A recording
 * says a call's form in its site, in the bits from FS_SITE_FORM_SHIFT up
 * (no x86-64 or AArch64 address reaches them), so a string or an id is
 * always malloc's. A release whose site's form is not its block's is a
 * mismatched free.
 */
enum fs_form {
    FS_FORM_MALLOC = 0,
    FS_FORM_NEW = 1,
    FS_FORM_NEW_ARRAY = 2,
};
#define FS_SITE_FORM_SHIFT 59u
#define FS_SITE_FORM_MASK 3u
#define FS_SITE_FORM(site) ((unsigned)(((uint64_t)(uintptr_t)(site) >> FS_SITE_FORM_SHIFT) & FS_SITE_FORM_MASK))

/* Which allocator owns a block. */
enum fs_domain {
    FS_DOMAIN_C = 0,    /* fs_malloc and friends */
    FS_DOMAIN_RUST = 1, /* the Rust global allocator, inside a scope */
};

enum fs_event_kind {
    FS_EVENT_ALLOC = 0,
    FS_EVENT_FREE = 1,
    FS_EVENT_REALLOC = 2, /* address/size: new block; related_*: old block */
    FS_EVENT_REACHABLE = 3, /* a recording's exit: this live block is still reachable */
    FS_EVENT_IMAGE = 4,     /* a recorded process exec'd: address is its new image's number */
    FS_EVENT_LOST_WITH = 5, /* a recording's exit: this lost block is reachable only from lost ones */
    FS_EVENT_CHILD_KILLED = 6, /* a child the recorded program reaped died of a signal that is no
                                  fault (SIGTERM, SIGKILL): address its pid; size the signal */
    FS_EVENT_ALLOCATOR_ELSEWHERE = 7, /* a recording's start: functions the recorder replaces that
                                         the program's calls reach elsewhere (its own malloc):
                                         address the first one's code; size a mask of
                                         FS_RECORD_REPLACED_NAMES (record_channel.h) */
    FS_EVENT_REACHABLE_INTERIOR = 8, /* a recording's exit: this live block is reachable only
                                        through a pointer into a block's middle */
    /* Anomalies: the operation was refused or the damage is reported. */
    FS_EVENT_DOUBLE_FREE = 16,
    FS_EVENT_INVALID_FREE = 17,   /* never allocated, an interior pointer (related_address:
                                     the block, before it), or just before a live block
                                     (related_address: the block, after it) */
    FS_EVENT_FOREIGN_FREE = 18,   /* a block of the other allocator */
    FS_EVENT_HEAP_OVERFLOW = 19,  /* related_size: bytes written past the end */
    FS_EVENT_USE_AFTER_FREE = 20, /* related_size: offset of the access */
    /* Found by a recording (csrc/record/): */
    FS_EVENT_CRASH = 21,       /* address: the faulting address; related_size: the signal;
                                  size: its cause, when known (record_channel.h) */
    FS_EVENT_CHILD_CRASH = 22, /* address: the child's pid; related_size: its signal */
    FS_EVENT_MISMATCHED_FREE = 23, /* released by a form (enum fs_form) other than the one
                                      that made it; related_size: the block's form, and the
                                      release's form times 256. The block was released. */
};

/*
 * One record of the event stream. For anomalies, `site` is where the bad
 * operation happened and `related_site` is who allocated the block (or, for
 * a double free, who freed it first); related_address is the block's start.
 */
typedef struct fs_event {
    uint64_t seq;
    uint64_t time_ns;
    uint64_t address;
    uint64_t size;
    uint64_t related_address;
    uint64_t related_size;
    const char *site;
    const char *related_site;
    uint32_t thread;
    uint8_t domain;
    uint8_t kind;
    uint16_t reserved;
} fs_event;

/* Checked on both sides of the boundary (a _Static_assert here and a const
 * assert in src/ffi/sys.rs), so the two definitions cannot drift apart. */
#if UINTPTR_MAX == UINT64_MAX && !defined(__cplusplus)
#define FS_EVENT_BYTES 72u
_Static_assert(sizeof(fs_event) == FS_EVENT_BYTES, "fs_event changed: update src/ffi/sys.rs");
#endif

/* Where the tracker gets the memory for the blocks it hands out. A recorder
 * that interposes malloc passes the real allocator here, so the tracker never
 * calls back into itself. The tracker's own bookkeeping comes from mmap. */
typedef struct fs_allocator {
    void *(*allocate)(size_t size);
    void (*release)(void *ptr);
} fs_allocator;

typedef struct fs_config {
    size_t ring_capacity;         /* event slots per thread; rounded up to a power of two */
    size_t quarantine_max_bytes;  /* freed C blocks held back, per thread */
    size_t quarantine_max_blocks; /* the same, counted in blocks (at least one is held) */
    const fs_allocator *backing;  /* NULL: the tracker's own slabs for blocks up to
                                     16,368 bytes, the C library's malloc above; set:
                                     this allocator for every block */
} fs_config;

/* Counts kept by the tracker itself, per domain: the ground truth. */
typedef struct fs_heap_counts {
    uint64_t allocations;
    uint64_t frees;
    uint64_t reallocs;
    uint64_t live_blocks;
    uint64_t live_bytes;
} fs_heap_counts;

typedef struct fs_counts {
    fs_heap_counts heap[2]; /* indexed by enum fs_domain */
    uint64_t anomalies;
    uint64_t events_recorded;
    uint64_t events_dropped;
} fs_counts;

#if UINTPTR_MAX == UINT64_MAX && !defined(__cplusplus)
#define FS_COUNTS_BYTES 104u
_Static_assert(sizeof(fs_counts) == FS_COUNTS_BYTES, "fs_counts changed: update src/ffi/sys.rs");
#endif

/* A live block, as listed by fs_live_blocks. */
typedef struct fs_block {
    uint64_t address;
    uint64_t size;
    uint64_t seq; /* allocation order: the clock tick of its allocation event
                     (equal for allocations that shared a fast-clock stamp) */
    const char *site;
    uint8_t domain;
} fs_block;

#if UINTPTR_MAX == UINT64_MAX && !defined(__cplusplus)
#define FS_BLOCK_BYTES 40u
#define FS_CONFIG_BYTES 32u
_Static_assert(sizeof(fs_block) == FS_BLOCK_BYTES, "fs_block changed: update src/ffi/sys.rs");
_Static_assert(sizeof(fs_config) == FS_CONFIG_BYTES, "fs_config changed: update src/ffi/sys.rs");
#endif

/* Lifetime. A NULL config takes the defaults. */
fs_tracker *fs_tracker_new(const fs_config *config);
/* Releases every live and quarantined C block and the tracker itself. */
void fs_tracker_destroy(fs_tracker *tracker);
/* Binds a tracker to the calling thread; returns the one bound before. */
fs_tracker *fs_tracker_bind(fs_tracker *tracker);
fs_tracker *fs_tracker_current(void);

/* call_log.c: the lessons' C functions that threads bound to `t` enter, once
 * each, from start to stop. Start returns 0 if every log is in use. */
int fs_call_log_start(fs_tracker *t);
size_t fs_call_log_stop(fs_tracker *t, void **out, size_t capacity);

/* Allocation, into the calling thread's tracker. */
void *fs_malloc(size_t size, const char *site);
void *fs_calloc(size_t count, size_t size, const char *site);
void *fs_realloc(void *ptr, size_t size, const char *site);
void fs_free(void *ptr, const char *site);
char *fs_strdup(const char *text, const char *site);

/* 1 if ptr is the start of a live C block of the calling thread's tracker. */
int fs_is_live(const void *ptr);
/* Whether ptr is a block, of either heap, that this tracker saw freed. Reports nothing. */
int fs_was_freed(const void *ptr);
/*
 * Asks before reading or writing `len` bytes at ptr. Returns 1 when the
 * access is allowed; 0 when it touches a freed block (a use_after_free
 * anomaly is recorded) or is NULL. Memory the tracker does not know (stack,
 * static) is allowed.
 */
int fs_check_access(const void *ptr, size_t len, const char *site);
/* Checks every canary and every quarantined block; returns new anomalies. */
size_t fs_check_all(fs_tracker *tracker);

/* The Rust heap, reported by the global allocator inside a scope. */
void fs_rust_alloc(fs_tracker *tracker, void *ptr, size_t size, const char *site);

/* What fs_rust_free found. */
enum fs_rust_free_result {
    FS_RUST_FREE_UNKNOWN = -1, /* allocated outside any scope: release it, nothing recorded */
    FS_RUST_FREE_REFUSED = 0,  /* a live C block: an anomaly is reported; do not release it */
    FS_RUST_FREE_RECORDED = 1, /* a live Rust block, now recorded as freed: release it */
};
int fs_rust_free(fs_tracker *tracker, void *ptr, const char *site);
/* 1 if ptr is a live Rust block of this tracker. */
int fs_rust_is_live(fs_tracker *tracker, const void *ptr);
/* Records an anomaly found outside the allocator (e.g. a second destroy). */
void fs_report(fs_tracker *tracker, uint8_t kind, uint8_t domain, const void *ptr,
               size_t size, const char *site, const char *related_site);

/*
 * Reading. One reader at a time drains; any thread may produce. The reader
 * merges the threads' rings by clock tick and numbers the events as it goes
 * (seq is dense from 0). A block's allocation always comes before its free,
 * and a free before a later allocation at the same address, even when they
 * happen on different threads: an event is handed out only once everything
 * that happened before it is visible to the reader.
 */
size_t fs_drain(fs_tracker *tracker, fs_event *out, size_t max_events);
fs_counts fs_tracker_counts(fs_tracker *tracker);
/* Copies up to max live blocks into out; returns how many there are. */
size_t fs_live_blocks(fs_tracker *tracker, fs_block *out, size_t max_blocks);
size_t fs_ring_capacity(fs_tracker *tracker); /* slots per thread's ring */
/* Shards made so far: at most the number of threads that used the tracker
 * at the same time, since a thread that exits leaves its shard to the next. */
size_t fs_tracker_shards(fs_tracker *tracker);
uint64_t fs_now_ns(void);

/* Demonstration functions behind the Tracker tab (demo.c). */
void *demo_allocate_block(size_t size);
void demo_free_block(void *ptr);
void demo_leak_block(size_t size);
void demo_overflow(size_t size, size_t past_end);
void demo_write_after_free(size_t size);

/* Timed loops for the tracker benchmark (bench_loops.c): `count` pairs of
 * allocate-then-free of `size` bytes, raw or through the tracker. */
void fs_bench_raw_pairs(size_t count, size_t size);
void fs_bench_tracked_pairs(size_t count, size_t size);

/* ---- The C halves of the lessons (csrc/scenarios/) ---- */

/* messages.c: c-string-ownership */
char *create_message(void);
void free_message(char *message);

/* strings.c: cstring-into-raw, dangling-cstring */
size_t read_rust_string(const char *text);
void c_frees_rust_string(char *text);
int greet(const char *name, char *out, size_t capacity);

/* handoff.c: ownership-handoff */
typedef void (*destroy_fn)(void *object);
typedef void (*release_fn)(const void *object);
struct holder;
struct shared_ref;
struct holder *holder_adopt(void *object, destroy_fn destroy);
void holder_release(struct holder *h);
void holder_release_twice(struct holder *h);
void holder_forget(struct holder *h);
void unprotected_double_free(void);
struct shared_ref *shared_keep(const void *object, release_fn release);
void shared_drop(struct shared_ref *r);

/* alignment.c: alignment */
struct packed_data;
struct packed_data *packed_data_new(void);
size_t packed_data_size(void);
void packed_data_free(struct packed_data *data);

/* bounds.c: null-and-bounds */
char *make_buffer(size_t capacity);
void copy_bounded(char *dst, size_t capacity, const char *src);
void copy_unbounded(char *dst, const char *src);
void free_buffer(char *buffer);
const char *lookup_user_name(int id);
size_t name_length(const char *name);

/* arrays.c: array-to-slice */
int32_t *create_array(size_t n);
void free_array(int32_t *values);

/* buffers.c: raii-release */
void *buffer_open(size_t capacity);
int buffer_fill(void *buffer, size_t capacity, const char *input);
void buffer_close(void *buffer);

/* arena.c: arena-release */
struct arena;
struct arena *arena_new(size_t capacity);
void *arena_alloc(struct arena *a, size_t n);
void arena_free(struct arena *a);
void *item_alloc(size_t n);
void item_free(void *item);

/* counter.c: threads-shared-resource */
struct counter;
struct counter *counter_new(void);
void counter_add_unsynchronised(struct counter *c, long times);
void counter_add_lock_step(struct counter *c, long times, int threads);
void counter_add_locked(struct counter *c, long times);
void counter_add_atomic(struct counter *c, long times);
long counter_value(struct counter *c);
void counter_free(struct counter *c);

/* callbacks.c: panic-at-boundary */
typedef int (*fs_item_fn)(int item);
int process_items(const int *items, size_t count, fs_item_fn callback);

/* requests.c: leak-hunt */
int handle_request(int id, int leaky);

/* service.c: service-survives */
#define FS_REPLY_CAPACITY 256
struct fs_request {
    char method[16];
    char path[128];
};
typedef int (*fs_request_handler)(void *service, const char *method, const char *path);
struct worker;
void parse_request(const char *line, struct fs_request *out);
int serve_request(const char *line, fs_request_handler handler, void *service);
struct worker *worker_start(void);
int worker_ask(struct worker *w, const char *line, const char **reply);
int worker_pid(const struct worker *w);
int worker_exit_signal(const struct worker *w);
void worker_end(struct worker *w);
void worker_stop(struct worker *w);

/* types.c: type-mapping */
typedef struct c_type_info {
    const char *name;
    size_t size;
    size_t align;
} c_type_info;
size_t c_type_table(const c_type_info **out);
int c_char_is_signed(void);

/* ---- Layout exhibits (layouts.c) ---- */

/* One member as the compiler placed it. For a bitfield, offset and size cover
 * the bytes its bits touch, and bit_offset counts from the start of the type. */
typedef struct fs_field_info {
    const char *name;
    const char *type;
    size_t offset;
    size_t size;
    size_t align; /* the member type's own alignment */
    uint32_t bit_offset;
    uint32_t bit_width; /* 0: not a bitfield */
} fs_field_info;

typedef struct fs_layout_info {
    const char *name;
    const char *kind; /* "struct" or "union" */
    size_t size;
    size_t align;
    const fs_field_info *fields;
    size_t field_count;
} fs_layout_info;

size_t fs_layout_table(const fs_layout_info **out);
size_t fs_layout_sample(const char *name, unsigned char *out, size_t capacity);

#ifdef __cplusplus
}
#endif
#endif
