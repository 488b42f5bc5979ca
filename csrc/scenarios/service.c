/*
 * service.c — the C library a small request loop depends on: a request-line
 * parser with the bug real parsers have had (a missing NULL check), a
 * callback entry point that hands the parts to the service, and a worker
 * process that runs the parser on the service's behalf, so that when the
 * parser crashes only the worker dies.
 *
 * The worker is forked, never exec'd: between fork and _exit it calls only
 * the parser and read/send/close, which take no locks the parent's other
 * threads could have held at the fork.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson_alloc.h"

struct worker {
    pid_t pid;     /* 0 once reaped */
    int channel;   /* the service's end of the socket pair; -1 once closed */
    int exit_signal;
    char reply[FS_REPLY_CAPACITY];
};

/* Copies at most capacity - 1 bytes of `text` (of `length`), terminated. */
static void copy_part(char *out, size_t capacity, const char *text, size_t length) {
    if (length >= capacity) {
        length = capacity - 1;
    }
    memcpy(out, text, length);
    out[length] = '\0';
}

/* [step:parse_request] */
/* Splits "METHOD /path" into its two parts. Fast, and it trusts its input:
 * a line without a space has no path, and strchr's NULL is read anyway. */
void parse_request(const char *line, struct fs_request *out) {
    const char *space = strchr(line, ' ');
    const char *path = space + 1;
    size_t path_length = strlen(path); /* [crash] */
    copy_part(out->path, sizeof out->path, path, path_length);
    copy_part(out->method, sizeof out->method, line, (size_t)(space - line));
}
/* [/step] */

/* [step:serve_request] */
/* Hands the method and path of `line` to the service's handler; a line with
 * no path hands over NULL for it. C copies the line to split it, and frees
 * the copy whatever the handler answers. */
int serve_request(const char *line, fs_request_handler handler, void *service) {
    size_t length = strlen(line);
    char *copy = malloc(length + 1);
    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, line, length + 1);
    char *space = strchr(copy, ' ');
    const char *path = NULL;
    if (space != NULL) {
        *space = '\0';
        path = space + 1;
    }
    int status = handler(service, copy, path);
    free(copy);
    return status;
}
/* [/step] */

/* Appends `text` at `*at`, keeping room for a terminator. */
static void append(char *out, size_t capacity, size_t *at, const char *text) {
    size_t length = strlen(text);
    if (*at + length >= capacity) {
        length = capacity - 1 - *at;
    }
    memcpy(out + *at, text, length);
    *at += length;
    out[*at] = '\0';
}

/* Reads one line (without its newline); -1 at the end of input. */
static ssize_t read_line(int channel, char *line, size_t capacity) {
    size_t got = 0;
    while (got + 1 < capacity) {
        ssize_t n = recv(channel, line + got, 1, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        if (line[got] == '\n') {
            break;
        }
        got++;
    }
    line[got] = '\0';
    return (ssize_t)got;
}

/* The worker process: one reply per request line, until the service
 * closes its end, or the parser crashes. */
_Noreturn static void worker_main(int channel) {
    char line[FS_REPLY_CAPACITY];
    char reply[FS_REPLY_CAPACITY];
    struct fs_request request;
    for (;;) {
        if (read_line(channel, line, sizeof line) < 0) {
            _exit(0);
        }
        parse_request(line, &request);
        size_t at = 0;
        append(reply, sizeof reply, &at, "200 ");
        append(reply, sizeof reply, &at, request.method);
        append(reply, sizeof reply, &at, " ");
        append(reply, sizeof reply, &at, request.path);
        append(reply, sizeof reply, &at, "\n");
        if (send(channel, reply, at, MSG_NOSIGNAL) < 0) {
            _exit(0);
        }
    }
}

/* [step:worker_start] */
/* Starts a worker process that parses the lines sent to it. The service
 * keeps one block per worker: its pid, its end of the channel and the
 * buffer its replies arrive in. */
struct worker *worker_start(void) {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        return NULL;
    }
    struct worker *w = malloc(sizeof *w);
    pid_t pid = w == NULL ? -1 : fork();
    if (pid == 0) {
        /* The worker needs nothing the service had open but its channel. */
        if (ends[1] > 3) {
            close_range(3, (unsigned)ends[1] - 1, 0);
        }
        close_range((unsigned)ends[1] + 1, ~0U, 0);
        worker_main(ends[1]);
    }
    close(ends[1]);
    if (pid < 0) {
        close(ends[0]);
        free(w);
        return NULL;
    }
    w->pid = pid;
    w->channel = ends[0];
    w->exit_signal = 0;
    w->reply[0] = '\0';
    return w;
}
/* [/step] */

/* Collects a worker that has gone, and how it went. */
static int worker_died(struct worker *w) {
    int status = 0;
    if (w->pid != 0 && waitpid(w->pid, &status, 0) == w->pid && WIFSIGNALED(status)) {
        w->exit_signal = WTERMSIG(status);
    }
    w->pid = 0;
    return -1;
}

/* [step:worker_ask] */
/* Sends one line to the worker and waits for its reply. -1 if the worker
 * died instead: its block still belongs to the service. */
int worker_ask(struct worker *w, const char *line, const char **reply) {
    if (w->pid == 0 || send(w->channel, line, strlen(line), MSG_NOSIGNAL) < 0
        || send(w->channel, "\n", 1, MSG_NOSIGNAL) < 0) {
        return worker_died(w);
    }
    if (read_line(w->channel, w->reply, sizeof w->reply) < 0) {
        return worker_died(w);
    }
    *reply = w->reply;
    return 0;
}
/* [/step] */

int worker_pid(const struct worker *w) { return (int)w->pid; }

int worker_exit_signal(const struct worker *w) { return w->exit_signal; }

/* Ends the worker process, if it still runs, and reaps it; the block stays. */
void worker_end(struct worker *w) {
    if (w->channel >= 0) {
        close(w->channel); /* a live worker reads the end of input and exits */
        w->channel = -1;
    }
    if (w->pid != 0) {
        worker_died(w);
    }
}

/* [step:worker_stop] */
/* Ends the worker (if it still runs), reaps it and releases its block. */
void worker_stop(struct worker *w) {
    worker_end(w);
    free(w);
}
/* [/step] */
