/*
 * counter.c — a counter that many threads increment: without
 * synchronisation, under a mutex, and with an atomic add. The unsynchronised
 * versions load and store with separate relaxed atomics, so the
 * demonstration has no undefined behaviour: each access is atomic, just not
 * the two together. The plain one races as the threads happen to run; the
 * lock-step one forces the worst interleaving, every thread loading before
 * any stores, so only one update per round survives.
 */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "lesson_alloc.h"

/* [step:counter_new] */
struct counter {
    pthread_mutex_t lock;
    _Atomic long value;
    _Atomic int arrived; /* the rendezvous between load and store */
    _Atomic int round;
};

struct counter *counter_new(void) {
    struct counter *c = malloc(sizeof *c);
    if (c) {
        pthread_mutex_init(&c->lock, NULL);
        atomic_init(&c->value, 0);
        atomic_init(&c->arrived, 0);
        atomic_init(&c->round, 0);
    }
    return c;
}
/* [/step] */

/* Long enough that another thread's load lands between our load and store.
 * Now and then it also yields there, so that the race is run on a busy
 * machine too: with one core free, a thread could otherwise do all its
 * increments inside one time slice, the threads one after another, and
 * lose nothing. Each thread yields at a pace of its own, taken from the
 * clock, as a real scheduler interrupts when it will: at one pace for all,
 * a loaded machine ran the threads in the same turns every time, and lost
 * the same number of updates on every run. */
static void widen_window(void) {
    static _Thread_local unsigned calls;
    static _Thread_local unsigned pace;
    if (pace == 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        pace = 192 + (unsigned)(now.tv_nsec % 128);
    }
    for (volatile int i = 0; i < 400; i++) {
    }
    if (++calls % pace == 0) {
        sched_yield();
    }
}

/* Waits until all `threads` have arrived for this round. */
static void wait_for_everyone(struct counter *c, int threads) {
    int round = atomic_load(&c->round);
    if (atomic_fetch_add(&c->arrived, 1) + 1 == threads) {
        atomic_store(&c->arrived, 0);
        atomic_fetch_add(&c->round, 1);
        return;
    }
    while (atomic_load(&c->round) == round) {
        sched_yield();
    }
}

/* [step:counter_add@unsynchronised] */
void counter_add_unsynchronised(struct counter *c, long times) {
    for (long i = 0; i < times; i++) {
        long seen = atomic_load_explicit(&c->value, memory_order_relaxed);
        widen_window(); /* another thread may store in here; its update is lost */
        atomic_store_explicit(&c->value, seen + 1, memory_order_relaxed);
    }
}
/* [/step] */

/* [step:counter_add@lock-step] */
void counter_add_lock_step(struct counter *c, long times, int threads) {
    for (long i = 0; i < times; i++) {
        long seen = atomic_load_explicit(&c->value, memory_order_relaxed);
        wait_for_everyone(c, threads); /* every other thread reads `seen` too */
        atomic_store_explicit(&c->value, seen + 1, memory_order_relaxed);
        wait_for_everyone(c, threads);
    }
}
/* [/step] */

/* [step:counter_add] */
void counter_add_locked(struct counter *c, long times) {
    for (long i = 0; i < times; i++) {
        pthread_mutex_lock(&c->lock);
        long seen = atomic_load_explicit(&c->value, memory_order_relaxed);
        widen_window();
        atomic_store_explicit(&c->value, seen + 1, memory_order_relaxed);
        pthread_mutex_unlock(&c->lock);
    }
}
/* [/step] */

/* [step:counter_add@atomic] */
void counter_add_atomic(struct counter *c, long times) {
    for (long i = 0; i < times; i++) {
        widen_window();
        atomic_fetch_add_explicit(&c->value, 1, memory_order_relaxed);
    }
}
/* [/step] */

long counter_value(struct counter *c) { return atomic_load(&c->value); }

/* [step:counter_free] */
void counter_free(struct counter *c) {
    pthread_mutex_destroy(&c->lock);
    free(c);
}
/* [/step] */
