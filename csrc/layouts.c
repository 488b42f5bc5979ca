/*
 * layouts.c — the layout exhibits as this C compiler lays them out. Every
 * number in the tables comes from offsetof, sizeof and __alignof__; the
 * bit positions of bitfields come from the compiled code itself (set one
 * field to all ones in a zeroed instance and see which bits light up).
 * Each exhibit can also be allocated and filled with known values, so the
 * inspector shows the real bytes.
 */
#include "ffiscope.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>

/* ---- the exhibits ---------------------------------------------------- */

/* [decl:Example] */
struct example {
    char a;
    int64_t b;
};
/* [/decl] */

/* [decl:PackedData] */
struct packed_data_natural {
    uint8_t flag;
    uint32_t value;
    uint64_t timestamp;
};
/* [/decl] */

/* [decl:PackedData (packed)] */
#pragma pack(push, 1)
struct packed_data_packed {
    uint8_t flag;
    uint32_t value;
    uint64_t timestamp;
};
#pragma pack(pop)
/* [/decl] */

/* [decl:OverAligned] */
struct over_aligned {
    uint32_t id;
    float weights[3];
} __attribute__((aligned(16)));
/* [/decl] */

/* [decl:Nested] */
struct point {
    int16_t x;
    int16_t y;
};

struct nested {
    uint8_t tag;
    struct point origin;
    double scale;
    uint16_t samples[3];
};
/* [/decl] */

/* [decl:Number] */
union number {
    uint32_t as_u32;
    float as_f32;
    uint8_t bytes[8];
};
/* [/decl] */

/* [decl:Flags] */
struct flags {
    uint8_t kind;
    unsigned int ready : 1;
    unsigned int priority : 3;
    unsigned int retries : 4;
    uint16_t code;
};
/* [/decl] */

/* [decl:Message] */
struct message {
    uint32_t length;
    uint16_t type;
    char data[];
};
/* [/decl] */

/* The order a careless declaration has; rustc would reorder it, C never does. */
/* [decl:Reorderable] */
struct reorderable {
    uint8_t a;
    uint64_t b;
    uint16_t c;
    uint32_t d;
};
/* [/decl] */

/* glibc declares it packed on x86-64: 12 bytes, data at 4. */
typedef struct epoll_event epoll_event_t;
/* [decl:epoll_event (unpacked)] */
struct epoll_event_unpacked {
    uint32_t events;
    uint64_t data;
};
/* [/decl] */

/* ---- the tables -------------------------------------------------------- */

#define FIELD(T, m, ty)                                                                        \
    {#m, #ty, offsetof(T, m), sizeof(((T *)0)->m), __alignof__(__typeof__(((T *)0)->m)), 0, 0}
#define LAYOUT(label, kind, T, fields)                                                         \
    {label, kind, sizeof(T), __alignof__(T), fields, sizeof(fields) / sizeof(fields[0])}

static const fs_field_info EXAMPLE[] = {FIELD(struct example, a, char), FIELD(struct example, b, int64_t)};
static const fs_field_info PACKED_NATURAL[] = {
    FIELD(struct packed_data_natural, flag, uint8_t),
    FIELD(struct packed_data_natural, value, uint32_t),
    FIELD(struct packed_data_natural, timestamp, uint64_t),
};
static const fs_field_info PACKED_PACKED[] = {
    FIELD(struct packed_data_packed, flag, uint8_t),
    FIELD(struct packed_data_packed, value, uint32_t),
    FIELD(struct packed_data_packed, timestamp, uint64_t),
};
static const fs_field_info OVER_ALIGNED[] = {
    FIELD(struct over_aligned, id, uint32_t),
    FIELD(struct over_aligned, weights, float[3]),
};
static const fs_field_info NESTED[] = {
    FIELD(struct nested, tag, uint8_t),
    FIELD(struct nested, origin, struct point),
    FIELD(struct nested, scale, double),
    FIELD(struct nested, samples, uint16_t[3]),
};
static const fs_field_info NUMBER[] = {
    FIELD(union number, as_u32, uint32_t),
    FIELD(union number, as_f32, float),
    FIELD(union number, bytes, uint8_t[8]),
};
/* Bitfields: offset, size and alignment of the storage unit; the bits are filled in below. */
static fs_field_info FLAGS[] = {
    FIELD(struct flags, kind, uint8_t),
    {"ready", "unsigned int", 0, 0, __alignof__(unsigned int), 0, 1},
    {"priority", "unsigned int", 0, 0, __alignof__(unsigned int), 0, 3},
    {"retries", "unsigned int", 0, 0, __alignof__(unsigned int), 0, 4},
    FIELD(struct flags, code, uint16_t),
};
static const fs_field_info MESSAGE[] = {
    FIELD(struct message, length, uint32_t),
    FIELD(struct message, type, uint16_t),
    {"data", "char[]", offsetof(struct message, data), 0, __alignof__(char), 0, 0},
};
static const fs_field_info REORDERABLE[] = {
    FIELD(struct reorderable, a, uint8_t),
    FIELD(struct reorderable, b, uint64_t),
    FIELD(struct reorderable, c, uint16_t),
    FIELD(struct reorderable, d, uint32_t),
};
static const fs_field_info EPOLL_EVENT[] = {
    FIELD(epoll_event_t, events, uint32_t),
    FIELD(epoll_event_t, data, epoll_data_t),
};
static const fs_field_info EPOLL_UNPACKED[] = {
    FIELD(struct epoll_event_unpacked, events, uint32_t),
    FIELD(struct epoll_event_unpacked, data, uint64_t),
};
static const fs_field_info SOCKADDR_IN[] = {
    FIELD(struct sockaddr_in, sin_family, sa_family_t),
    FIELD(struct sockaddr_in, sin_port, in_port_t),
    FIELD(struct sockaddr_in, sin_addr, struct in_addr),
    FIELD(struct sockaddr_in, sin_zero, unsigned char[8]),
};
static const fs_field_info TIMEVAL[] = {
    FIELD(struct timeval, tv_sec, time_t),
    FIELD(struct timeval, tv_usec, suseconds_t),
};

static const fs_layout_info LAYOUTS[] = {
    LAYOUT("Example", "struct", struct example, EXAMPLE),
    LAYOUT("PackedData", "struct", struct packed_data_natural, PACKED_NATURAL),
    LAYOUT("PackedData (packed)", "struct", struct packed_data_packed, PACKED_PACKED),
    LAYOUT("OverAligned", "struct", struct over_aligned, OVER_ALIGNED),
    LAYOUT("Nested", "struct", struct nested, NESTED),
    LAYOUT("Number", "union", union number, NUMBER),
    LAYOUT("Flags", "struct", struct flags, FLAGS),
    LAYOUT("Message", "struct", struct message, MESSAGE),
    LAYOUT("Reorderable", "struct", struct reorderable, REORDERABLE),
    LAYOUT("epoll_event", "struct", epoll_event_t, EPOLL_EVENT),
    LAYOUT("epoll_event (unpacked)", "struct", struct epoll_event_unpacked, EPOLL_UNPACKED),
    LAYOUT("sockaddr_in", "struct", struct sockaddr_in, SOCKADDR_IN),
    LAYOUT("timeval", "struct", struct timeval, TIMEVAL),
};

/* Finds where the compiler put a bitfield: the bits that change when only
 * that field is set to all ones. */
static void locate_bits(fs_field_info *field, struct flags *probe) {
    const unsigned char *bytes = (const unsigned char *)probe;
    uint32_t first = UINT32_MAX;
    uint32_t last = 0;
    for (uint32_t bit = 0; bit < 8 * sizeof *probe; bit++) {
        if (bytes[bit / 8] & (1u << (bit % 8))) {
            first = first == UINT32_MAX ? bit : first;
            last = bit;
        }
    }
    field->bit_offset = first;
    field->bit_width = last - first + 1;
    field->offset = first / 8;
    field->size = (last / 8) - (first / 8) + 1;
}

static void locate_flag_bits(void) {
    struct flags probe;
    memset(&probe, 0, sizeof probe);
    probe.ready = 1;
    locate_bits(&FLAGS[1], &probe);
    memset(&probe, 0, sizeof probe);
    probe.priority = 7;
    locate_bits(&FLAGS[2], &probe);
    memset(&probe, 0, sizeof probe);
    probe.retries = 15;
    locate_bits(&FLAGS[3], &probe);
}

size_t fs_layout_table(const fs_layout_info **out) {
    static pthread_once_t located = PTHREAD_ONCE_INIT;
    pthread_once(&located, locate_flag_bits);
    *out = LAYOUTS;
    return sizeof LAYOUTS / sizeof LAYOUTS[0];
}

/* ---- instances with known values --------------------------------------- */

/* Allocates an instance of the named exhibit through the tracker, fills it
 * with known values, copies its bytes out and frees it. Returns the size, or
 * 0 for a name without a sample. Padding is left as the allocator gave it,
 * zeroed first so the bytes are reproducible. */
size_t fs_layout_sample(const char *name, unsigned char *out, size_t capacity) {
    size_t size = 0;
    void *instance = NULL;
/* A zeroed T from the tracker, filled by FILL (which names it `it`). */
#define SAMPLE(T, FILL)                                                                            \
    do {                                                                                           \
        T *it = fs_calloc(1, sizeof *it, "layout_sample");                                         \
        if (it) {                                                                                  \
            FILL;                                                                                  \
        }                                                                                          \
        instance = it;                                                                             \
        size = sizeof *it;                                                                         \
    } while (0)
#define PACKED_DATA_VALUES it->flag = 1; it->value = 0xDEADBEEFu; it->timestamp = 1700000000123ull
    if (strcmp(name, "Example") == 0) {
        SAMPLE(struct example, it->a = 'A'; it->b = 0x1122334455667788LL);
    } else if (strcmp(name, "PackedData") == 0) {
        SAMPLE(struct packed_data_natural, PACKED_DATA_VALUES);
    } else if (strcmp(name, "PackedData (packed)") == 0) {
        SAMPLE(struct packed_data_packed, PACKED_DATA_VALUES);
    } else if (strcmp(name, "Reorderable") == 0) {
        SAMPLE(struct reorderable, it->a = 0xAA; it->b = 0xBBBBBBBBBBBBBBBBull; it->c = 0xCCCC; it->d = 0xDDDDDDDDu);
    } else if (strcmp(name, "epoll_event") == 0) {
        SAMPLE(epoll_event_t, it->events = EPOLLIN | EPOLLOUT; it->data.u64 = 0x0102030405060708ull);
    } else if (strcmp(name, "Number") == 0) {
        /* One member written; every member reads the same bytes. */
        SAMPLE(union number, it->as_f32 = 1.5f);
    } else if (strcmp(name, "Flags") == 0) {
        /* Every bitfield at its largest, so each one's bits show in the byte they share. */
        SAMPLE(struct flags, it->kind = 2; it->ready = 1; it->priority = 5; it->retries = 9; it->code = 0x0BAD);
    } else if (strcmp(name, "sockaddr_in") == 0) {
        /* Port 8080 and 127.0.0.1 in network byte order: the bytes read 1f 90 and 7f 00 00 01. */
        SAMPLE(struct sockaddr_in, it->sin_family = AF_INET; it->sin_port = htons(8080);
               it->sin_addr.s_addr = htonl(INADDR_LOOPBACK));
    }
#undef PACKED_DATA_VALUES
#undef SAMPLE
    if (!instance) {
        return 0;
    }
    memcpy(out, instance, size < capacity ? size : capacity);
    fs_free(instance, "layout_sample");
    return size;
}
