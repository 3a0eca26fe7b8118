/*
 * The load generator of bench/events (see README.md): keep-alive HTTP/1.1
 * over C connections to the gateway, one epoll loop, one thread.
 *
 *   event_load submit HOST PORT BODY N C          > codes
 *   event_load events HOST PORT KEY CODES C OUT   > RESULT line
 *
 * submit: POSTs the dossier BODY N times to /dvc/v1/dossiers and prints the
 * code of every 201, one a line (the dossiers the events then move).
 *
 * events: moves every dossier of CODES through accept, process, resolve,
 * return with signed events (docs/events.md), each signed when it is sent,
 * so the timestamp is always fresh.  A dossier's next event leaves only once
 * its previous one was answered 200 (a legal transition every time, whatever
 * the concurrency); the dossiers ready for their next step wait in a FIFO.
 * A dossier whose event is answered anything else stops there.  OUT gets one
 * line per event sent: code, event id, HTTP status, latency in µs; stdout
 * the RESULT line (events/s over the first send to the last answer, p50 and
 * p99 latency, counts by status).
 *
 * Why not wrk: wrk runs for a duration, cannot keep a dossier's events in
 * order across connections, and cannot say which event got which answer;
 * the check that every 200 was applied exactly once needs that.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#define NSTEPS    4
#define REQ_MAX   4096
#define RESP_MAX  (64 * 1024)

static const char *const step_type[NSTEPS] = {
    "accept", "process", "resolve", "return"
};

/* what the one-stop desk would send: the acting unit, a note on resolve */
static const char *const step_body[NSTEPS] = {
    "{\"id\":\"b.1.accept\",\"type\":\"accept\","
    "\"actor\":\"Bộ phận Tiếp nhận và Trả kết quả UBND quận Hoàn Kiếm\"}",
    "{\"id\":\"b.2.process\",\"type\":\"process\","
    "\"actor\":\"Phòng Tư pháp\"}",
    "{\"id\":\"b.3.resolve\",\"type\":\"resolve\","
    "\"actor\":\"Phòng Tư pháp\",\"note\":\"Kết quả trả tại Bộ phận Một "
    "cửa hoặc qua bưu điện\"}",
    "{\"id\":\"b.4.return\",\"type\":\"return\","
    "\"actor\":\"Bộ phận Một cửa\"}"
};

typedef struct {
    char        code[64];
    int         step;                 /* the next event to send */
} task_t;

typedef struct {
    int         fd;
    int         task;                 /* -1: idle */
    int         step;
    size_t      out_len, out_sent;
    size_t      in_len;
    uint64_t    sent_at;
    char        out[REQ_MAX];
    char        in[RESP_MAX];
} conn_t;

typedef struct {
    int         task, step, status;
    uint32_t    us;
} record_t;

static int        mode_events;
static task_t    *tasks;
static int        ntasks;
static int       *ready, ready_head, ready_tail, ready_cap;
static record_t  *recs;
static size_t     nrecs, recs_cap;
static char       host[64];
static int        port;
static struct sockaddr_in  addr;
static unsigned char       key[1024];
static size_t              key_len;
static char      *submit_body;
static size_t     submit_len;
static int        epfd;


static void
die(const char *what)
{
    perror(what);
    exit(2);
}


static uint64_t
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static char *
read_file(const char *path, size_t *len)
{
    FILE    *f;
    char    *buf;
    long     n;

    f = fopen(path, "rb");
    if (f == NULL) {
        die(path);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        die(path);
    }
    buf[n] = '\0';
    fclose(f);
    *len = n;
    return buf;
}


static void
ready_push(int t)
{
    ready[ready_tail++ % ready_cap] = t;
}


static int
ready_pop(void)
{
    if (ready_head == ready_tail) {
        return -1;
    }
    return ready[ready_head++ % ready_cap];
}


static void
conn_open(conn_t *c)
{
    int  one = 1;

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        die("socket");
    }
    /* blocking connect to the local gateway, then non-blocking I/O */
    if (connect(c->fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
        die("connect");
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    c->task = -1;
    c->in_len = 0;
}


static void
conn_watch(conn_t *c, int op, uint32_t events)
{
    struct epoll_event  ev;

    ev.events = events;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, op, c->fd, &ev) < 0) {
        die("epoll_ctl");
    }
}


/* The request of task t's current step into c->out. */
static void
build(conn_t *c, int t)
{
    int            n, i;
    char           target[128], ts[24], msg[REQ_MAX];
    const char    *body;
    unsigned char  mac[32];
    unsigned int   mac_len;
    char           hex[65];
    size_t         blen;

    if (!mode_events) {
        n = snprintf(c->out, REQ_MAX, "POST /dvc/v1/dossiers HTTP/1.1\r\n"
                     "Host: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n", host, submit_len);
        if (n + submit_len > REQ_MAX) {
            fprintf(stderr, "event_load: body too large\n");
            exit(2);
        }
        memcpy(c->out + n, submit_body, submit_len);
        c->out_len = n + submit_len;
        return;
    }

    body = step_body[tasks[t].step];
    blen = strlen(body);
    snprintf(target, sizeof(target), "/dvc/v1/dossiers/%s/events",
             tasks[t].code);
    snprintf(ts, sizeof(ts), "%lld", (long long) time(NULL));

    /* ts "\n" POST "\n" target "\n" body, under the key as text */
    n = snprintf(msg, sizeof(msg), "%s\nPOST\n%s\n%s", ts, target, body);
    HMAC(EVP_sha256(), key, key_len, (unsigned char *) msg, n, mac, &mac_len);
    for (i = 0; i < 32; i++) {
        sprintf(hex + 2 * i, "%02x", mac[i]);
    }

    n = snprintf(c->out, REQ_MAX, "POST %s HTTP/1.1\r\nHost: %s\r\n"
                 "Content-Type: application/json\r\nX-DVC-Timestamp: %s\r\n"
                 "X-DVC-Signature: v1=%s\r\nContent-Length: %zu\r\n\r\n%s",
                 target, host, ts, hex, blen, body);
    c->out_len = n;
}


static void
conn_write(conn_t *c)
{
    ssize_t  n;

    while (c->out_sent < c->out_len) {
        n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
        if (n < 0) {
            if (errno == EAGAIN) {
                conn_watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
                return;
            }
            die("write");
        }
        c->out_sent += n;
    }
    conn_watch(c, EPOLL_CTL_MOD, EPOLLIN);
}


/* Give an idle connection the next ready task; 0 when none waits. */
static int
conn_start(conn_t *c)
{
    int  t;

    t = ready_pop();
    if (t < 0) {
        return 0;
    }

    c->task = t;
    c->step = tasks[t].step;
    build(c, t);
    c->out_sent = 0;
    c->in_len = 0;
    c->sent_at = now_us();
    conn_write(c);
    return 1;
}


static void
record(int t, int step, int status, uint64_t us)
{
    if (nrecs == recs_cap) {
        recs_cap = recs_cap ? 2 * recs_cap : 65536;
        recs = realloc(recs, recs_cap * sizeof(record_t));
        if (recs == NULL) {
            die("realloc");
        }
    }
    recs[nrecs].task = t;
    recs[nrecs].step = step;
    recs[nrecs].status = status;
    recs[nrecs].us = (uint32_t) us;
    nrecs++;
}


/* A complete answer in c->in? Then its status, and the bytes it spans. */
static int
parse(conn_t *c, int *status, size_t *total, char **body)
{
    char    *end, *p;
    long     clen = -1;

    c->in[c->in_len] = '\0';
    end = strstr(c->in, "\r\n\r\n");
    if (end == NULL) {
        return 0;
    }

    if (sscanf(c->in, "HTTP/1.%*d %d", status) != 1) {
        fprintf(stderr, "event_load: not an HTTP answer\n");
        exit(2);
    }

    for (p = strstr(c->in, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, "Content-Length:", 15) == 0) {
            clen = strtol(p + 17, NULL, 10);
        }
    }

    if (clen < 0) {
        fprintf(stderr, "event_load: an answer without Content-Length\n");
        exit(2);
    }

    *body = end + 4;
    *total = (end + 4 - c->in) + clen;
    return c->in_len >= *total;
}


static int
conn_read(conn_t *c)
{
    int       status;
    char     *body, *p;
    size_t    total;
    ssize_t   n;
    uint64_t  us;
    task_t   *t;

    for ( ;; ) {
        n = read(c->fd, c->in + c->in_len, RESP_MAX - 1 - c->in_len);
        if (n < 0 && errno == EAGAIN) {
            return 0;
        }
        if (n <= 0) {
            fprintf(stderr, "event_load: the gateway closed a connection\n");
            exit(2);
        }
        c->in_len += n;

        if (!parse(c, &status, &total, &body)) {
            if (c->in_len >= RESP_MAX - 1) {
                fprintf(stderr, "event_load: answer too large\n");
                exit(2);
            }
            continue;
        }
        break;
    }

    us = now_us() - c->sent_at;
    t = &tasks[c->task];
    record(c->task, c->step, status, us);

    if (!mode_events) {
        /* {"code":"000.00.10.H22-261122-0001",...} */
        p = strstr(body, "\"code\":\"");
        if (status == 201 && p) {
            p += 8;
            snprintf(t->code, sizeof(t->code), "%.*s",
                     (int) strcspn(p, "\""), p);
        }

    } else if (status == 200 && ++t->step < NSTEPS) {
        ready_push(c->task);
    }

    c->task = -1;
    c->in_len = 0;
    return 1;
}


static int
cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


int
main(int argc, char **argv)
{
    int                  i, k, nconns, busy, nev, status_n[6];
    char                *codes, *line, *save;
    size_t               len;
    FILE                *out;
    conn_t              *conns;
    uint32_t            *lat;
    uint64_t             t0, t1;
    struct epoll_event   evs[256];

    if (argc == 7 && strcmp(argv[1], "submit") == 0) {
        submit_body = read_file(argv[4], &submit_len);
        ntasks = atoi(argv[5]);
        nconns = atoi(argv[6]);
        tasks = calloc(ntasks, sizeof(task_t));

    } else if (argc == 8 && strcmp(argv[1], "events") == 0) {
        mode_events = 1;
        codes = read_file(argv[4], &len);
        /* the key is the file's text minus trailing whitespace */
        memcpy(key, codes, len < sizeof(key) ? len : sizeof(key));
        key_len = len < sizeof(key) ? len : sizeof(key);
        while (key_len && strchr(" \t\r\n", key[key_len - 1])) {
            key_len--;
        }
        free(codes);

        codes = read_file(argv[5], &len);
        for (i = 0; i < (int) len; i++) {
            ntasks += codes[i] == '\n';
        }
        tasks = calloc(ntasks + 1, sizeof(task_t));
        ntasks = 0;
        for (line = strtok_r(codes, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save))
        {
            snprintf(tasks[ntasks++].code, sizeof(tasks[0].code), "%s", line);
        }
        nconns = atoi(argv[6]);

    } else {
        fprintf(stderr, "usage: event_load submit HOST PORT BODY N C\n"
                        "       event_load events HOST PORT KEY CODES C OUT\n");
        return 2;
    }

    if (tasks == NULL || ntasks <= 0 || nconns <= 0) {
        fprintf(stderr, "event_load: nothing to do\n");
        return 2;
    }

    snprintf(host, sizeof(host), "%s", argv[2]);
    port = atoi(argv[3]);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "event_load: HOST must be an IPv4 address\n");
        return 2;
    }

    ready_cap = ntasks + 1;
    ready = malloc(ready_cap * sizeof(int));
    for (i = 0; i < ntasks; i++) {
        ready_push(i);
    }

    epfd = epoll_create1(0);
    conns = calloc(nconns, sizeof(conn_t));
    if (epfd < 0 || conns == NULL || ready == NULL) {
        die("setup");
    }

    for (i = 0; i < nconns; i++) {
        conn_open(&conns[i]);
        conn_watch(&conns[i], EPOLL_CTL_ADD, EPOLLIN);
    }

    t0 = now_us();
    busy = 0;
    for (i = 0; i < nconns; i++) {
        busy += conn_start(&conns[i]);
    }

    while (busy) {
        nev = epoll_wait(epfd, evs, 256, -1);
        if (nev < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait");
        }

        for (k = 0; k < nev; k++) {
            conn_t  *c = evs[k].data.ptr;

            if ((evs[k].events & EPOLLOUT) && c->out_sent < c->out_len) {
                conn_write(c);
            }
            if (c->task >= 0 && (evs[k].events & (EPOLLIN | EPOLLERR
                                                  | EPOLLHUP))
                && conn_read(c))
            {
                busy--;
            }
        }

        /* answered dossiers may have made others ready: fill idle ones */
        for (i = 0; i < nconns; i++) {
            if (conns[i].task < 0) {
                busy += conn_start(&conns[i]);
            }
        }
    }
    t1 = now_us();

    memset(status_n, 0, sizeof(status_n));
    lat = malloc((nrecs + 1) * sizeof(uint32_t));
    for (i = 0; i < (int) nrecs; i++) {
        lat[i] = recs[i].us;
        status_n[recs[i].status / 100 < 6 ? recs[i].status / 100 : 0]++;
    }
    qsort(lat, nrecs, sizeof(uint32_t), cmp_u32);

    if (!mode_events) {
        for (i = 0; i < ntasks; i++) {
            if (tasks[i].code[0]) {
                printf("%s\n", tasks[i].code);
            }
        }
        fprintf(stderr, "submitted %zu: %d 2xx in %.2f s\n", nrecs,
                status_n[2], (t1 - t0) / 1e6);
        return status_n[2] == ntasks ? 0 : 1;
    }

    out = fopen(argv[7], "w");
    if (out == NULL) {
        die(argv[7]);
    }
    for (i = 0; i < (int) nrecs; i++) {
        fprintf(out, "%s b.%d.%s %d %u\n", tasks[recs[i].task].code,
                recs[i].step + 1, step_type[recs[i].step], recs[i].status,
                recs[i].us);
    }
    fclose(out);

    printf("RESULT events=%zu ok=%d non2xx=%zu secs=%.3f eps=%.0f "
           "p50_us=%u p99_us=%u max_us=%u\n", nrecs, status_n[2],
           nrecs - status_n[2], (t1 - t0) / 1e6,
           nrecs / ((t1 - t0) / 1e6), lat[nrecs / 2],
           lat[(size_t) (nrecs * 0.99)], lat[nrecs - 1]);
    return 0;
}
