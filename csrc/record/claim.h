/*
 * claim.h — which channel a process records into (claim.c). The recorded
 * program claims the channel FFISCOPE_RECORD_FD names; a process it starts
 * finds that one taken, and with `record --follow-children` claims the
 * first free one of those FFISCOPE_RECORD_FOLLOW lists (unless its program
 * is one FFISCOPE_RECORD_FOLLOW_SKIP names), or else is counted, by its
 * program, as one that ran unrecorded. A process that execs another
 * program takes over the channel it had claimed, but a forked copy that
 * execs a skipped program gives its channel back. A forked copy claims a
 * channel at its first call (claim_forked), or is counted by its pid. A
 * descriptor a program between closed is opened again through ffiscope's
 * own, in /proc. Only the interposer uses it, from its constructor and a
 * forked copy's first call (nothing here allocates).
 */
#ifndef FFISCOPE_RECORD_CLAIM_H
#define FFISCOPE_RECORD_CLAIM_H

#include "record_channel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct claimed_channel {
    fs_record_header *header; /* NULL: this process records nothing */
    size_t bytes;             /* the mapping's length */
    bool took_over;           /* it had claimed the channel before an exec */
} claimed_channel;

/* Maps and claims this process's channel, and writes its program and
 * command line into it. */
claimed_channel claim_channel(void);

/* In a forked copy of a recorded process (`parent`), about to make its
 * first call: the first free channel of those FFISCOPE_RECORD_FOLLOW lists
 * (none without --follow-children), which then says whose copy it is. */
claimed_channel claim_forked(int32_t parent);
/* A forked copy that records nothing: counted in the first channel, by its
 * pid, which claim_channel takes back if the copy execs another program. */
void count_forked_unrecorded(void);

#endif
