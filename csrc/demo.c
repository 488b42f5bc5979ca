/*
 * demo.c — the C functions behind the Tracker tab's buttons. Each one does a
 * single, named thing to the heap so the tab can show what the tracker saw.
 */
#include "ffiscope.h"

#include <string.h>

void *demo_allocate_block(size_t size) {
    unsigned char *block = fs_malloc(size, "demo_allocate_block");
    if (block) {
        memset(block, 0xA5, size);
    }
    return block;
}

void demo_free_block(void *ptr) { fs_free(ptr, "demo_free_block"); }

/* Allocates `size` bytes and loses the pointer: a leak, from a site of its own. */
void demo_leak_block(size_t size) {
    unsigned char *block = fs_malloc(size, "demo_leak_block");
    if (block) {
        memset(block, 0x1E, size);
    }
}

/* Writes `past_end` bytes beyond a block of `size` bytes, then frees it:
 * the tail canary catches the write at the free. */
void demo_overflow(size_t size, size_t past_end) {
    unsigned char *block = fs_malloc(size, "demo_overflow");
    if (!block) {
        return;
    }
    /* Stays inside the 16-byte canary, so only tracker memory is written. */
    size_t reach = past_end > 16 ? 16 : past_end;
    memset(block, 'x', size + reach);
    fs_free(block, "demo_overflow");
}

/* Frees a block and then writes into it, as a stale pointer would. The block
 * sits poisoned in quarantine, so the write lands in memory the tracker still
 * owns and is found by fs_check_all. */
void demo_write_after_free(size_t size) {
    unsigned char *block = fs_malloc(size, "demo_write_after_free");
    if (!block) {
        return;
    }
    fs_free(block, "demo_write_after_free");
    block[size / 2] = 0x42;
}
