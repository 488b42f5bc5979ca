/*
 * alignment.c — C fills a packed struct whose fields sit at offsets 0, 1, 5
 * (13 bytes in all). A Rust mirror must say `#[repr(C, packed)]` to read it.
 */

#include <string.h>

#include "lesson_alloc.h"

/* [step:packed_data_new] */
#pragma pack(push, 1)
struct packed_data {
    uint8_t flag;       /* offset 0 */
    uint32_t value;     /* offset 1 */
    uint64_t timestamp; /* offset 5; 13 bytes in all */
};
#pragma pack(pop)

struct packed_data *packed_data_new(void) {
    struct packed_data *data = malloc(sizeof *data);
    if (data) {
        data->flag = 1;
        data->value = 0xDEADBEEFu;
        data->timestamp = 1700000000123ull;
    }
    return data;
}
/* [/step] */

size_t packed_data_size(void) { return sizeof(struct packed_data); }

/* [step:packed_data_free] */
void packed_data_free(struct packed_data *data) { free(data); }
/* [/step] */
