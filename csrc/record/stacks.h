/*
 * stacks.h — call stacks for the channel's stack table (stacks.c). Only
 * the interposer uses it.
 */
#ifndef FFISCOPE_RECORD_STACKS_H
#define FFISCOPE_RECORD_STACKS_H

#include "record_channel.h"

#include <stdbool.h>
#include <stddef.h>

/* Points the table at the channel's; false when its bookkeeping cannot be had.
 * Called again in a forked child that records into a channel of its own. */
bool stacks_start(fs_record_header *channel, fs_record_stack *table);

/* The stack above `return_address`: `first` (the return address, or a
 * site caller.h tagged for it), the return address itself where `first`
 * names the function a call went to, then its callers as walked from here,
 * at most `max_frames` in all. Returned as a site: the tagged number of
 * the stack in the table (identical stacks share one), or `first` itself
 * when the table is full. */
const char *stacks_site(const char *first, const char *return_address, size_t max_frames);

/* As stacks_site, from a signal handler: `first` may be the instruction
 * the signal stopped, and the stack is taken with the C library's
 * backtrace, which follows the signal's frame. */
const char *stacks_site_in_handler(const char *first, size_t max_frames);

#endif
