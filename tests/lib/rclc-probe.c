/*
 * rclc-probe - a test client built on libreclaim-client: good requests, and bad input on
 * purpose, with one line of output per answer so shell tests can match it.
 *
 *   rclc-probe [--uid UID] [--hello-memcg PATH] SOCKET COMMAND [ARG]...
 *
 * --uid drops to UID (and its gid, no supplementary groups) before connecting; --hello-memcg
 * names PATH as the client's memcg in Hello. Commands:
 *   hello               Hello, print the server's figures
 *   stat VIEW           print a view (meminfo, vmstat, zoneinfo, buddyinfo)
 *   free PFN ORDER      FreePages
 *   pipeline N          N stat requests sent back to back, answers checked in order
 *   poll MS N           N stat requests, one every MS ms; print the slowest round trip
 *                       ("polls=N max_ms=X")
 *   region-close GIB    a region of GIB GiB that belongs to this connection, its first and
 *                       last pages written; then the connection closes, which frees it
 *   locked-close KIB    a region of KIB KiB created locked that belongs to this connection;
 *                       then the connection closes, which frees it
 *   oversize            a header one byte over the server's limit
 *   truncated           half a frame, then close
 *   garbage             a frame whose body is not a Request
 *   empty-ranges        a FileRead as long as the frame limit, of empty ranges only (2 bytes
 *                       each): a decode dozens of times the frame's size
 *   http                bytes that are not frames at all
 *   unknown             a valid frame of a message this server does not know, then a stat
 *   repl                one connection: a Stat for each line read on stdin, its status printed
 *   events KIND QLEN    subscribe (pressure|pressure:MEMCG|psi:MEMCG|trace; psi with the
 *                       trigger "some 1 500000", any stall) and keep reading events;
 *                       for each line on stdin print "events=N overflow=0|1"; exit at EOF
 *   idle KIND QLEN      subscribe, then read nothing until a line arrives on stdin; then read
 *                       what was pushed ("events=N overflow=0|1 dropped=D") and unsubscribe
 *   subs N QLEN         subscribe (pressure) N times on one connection, until one is
 *                       refused; "subscribed=K" after each call's status line
 *   id0                 a Stat whose request id is 0 (reserved for the server's events)
 *   read REGION LENGTH  one Read of LENGTH bytes at offset 0, however large
 *   memcg-events PATH   MemcgEvents
 *   vec-bad REGION      vectored requests on REGION (of 16 pages or more) that the library
 *                       would not send: both forms at once, 4097 ranges, data that does not
 *                       match the ranges; one answer line each
 *   regions N           create 4K regions until N exist or one is refused ("created=K")
 *   fread PATH LENGTH [hold]
 *                       one FileRead of [0, LENGTH) of PATH, discarded, naming no memcg;
 *                       with hold, the connection (and its open file) stays until stdin ends
 *   nul-path            a FileWrite whose path holds a NUL byte on the wire; prints its status
 *   noread REGION LENGTH N
 *                       N Reads of LENGTH bytes sent at once, no answer read until a line
 *                       arrives on stdin or it ends: "sent=N", then "answered=K"
 *   fwrite-many PREFIX N
 *                       one connection writes a byte to files PREFIX0..PREFIX<N-1>, each held
 *                       open by it, until one is refused; prints "opened=K" and the refusal
 *                       ("code=NAME message=TEXT"), then holds them until stdin ends
 *   fread-each PATH LENGTH
 *                       one connection: for each line read on stdin, a FileRead of
 *                       [0, LENGTH) of PATH; prints its bytes in hex, or the error
 *   fread-hits PATH LENGTH N
 *                       N FileReads of [0, LENGTH) of PATH on one connection, each compared
 *                       with the first ("reads=N same=1", or the first error)
 *   madvise-free REGION...
 *                       one vectored madvise FREE over the whole of each REGION; prints
 *                       "pages=N" or the refusal
 *   churn N             N more connections, one after the other: each sends a Hello and
 *                       closes at once, its answer unread; prints "churned=K failed=F"
 *   cycle-to ID GENS    create and free regions until the next region created anywhere gets
 *                       id ID (the engine's id: a 20-bit slot, a generation that wraps at
 *                       GENS, 4096 unless the daemon's test setting says less): a region in
 *                       a lower free slot is kept, the one in ID's slot freed; prints
 *                       "ready cycles=N" and holds them all until a line on stdin
 *   churn-psi N         the same on a memory-pressure socket (SOCKET is one of those): each
 *                       connection writes a trigger and closes at once
 * Answers print as "code=NAME message=TEXT"; a connection the server closed prints "closed".
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "reclaim-client-pb.h"

#include "wire-frame.h"

static void print_status(const Reclaim__V1__Response *resp)
{
	printf("code=%s message=%s\n", rclc_code_name(resp->status->code),
	       resp->status->message);
}

/* Read one Response frame straight from the socket (ids the library did not hand out).
 * Decoded here, not by the library: freed with free_unpacked, not rclc_response_free. */
static int read_frame(struct rclc *c, Reclaim__V1__Response **ret)
{
	uint8_t h[FRAME_HEADER_BYTES], *body;
	uint32_t len = 0;
	size_t got;

	for (got = 0; got < sizeof(h);) {
		ssize_t r = read(rclc_fd(c), h + got, sizeof(h) - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	if (frame_peek(h, sizeof(h), 1u << 26, &len) < 0)
		return -1;
	body = malloc(len + 1);
	for (got = 0; body && got < len;) {
		ssize_t r = read(rclc_fd(c), body + got, len - got);

		if (r <= 0) {
			free(body);
			return -1;
		}
		got += (size_t)r;
	}
	*ret = body ? reclaim__v1__response__unpack(NULL, len, body) : NULL;
	free(body);
	return *ret ? 0 : -1;
}

/* The server's answer to a bad frame (id 0), then the end of the connection. */
static int expect_error_then_close(struct rclc *c)
{
	Reclaim__V1__Response *resp;
	char byte;

	if (read_frame(c, &resp) == 0) {
		printf("id=%llu ", (unsigned long long)resp->id);
		print_status(resp);
		reclaim__v1__response__free_unpacked(resp, NULL);
	}
	if (read(rclc_fd(c), &byte, 1) <= 0)
		printf("closed\n");
	return 0;
}

static int cmd_hello(struct rclc *c)
{
	const Reclaim__V1__HelloReply *h = rclc_server(c);

	printf("server_version=%s page_size=%u arena_bytes=%llu nodes=%u max_frame=%u uid=%u "
	       "admin=%d\n", h->server_version, h->page_size, (unsigned long long)h->arena_bytes,
	       h->nr_nodes, h->max_frame_bytes, h->uid, h->admin);
	return 0;
}

static int call_print(struct rclc *c, Reclaim__V1__Request *req)
{
	Reclaim__V1__Response *resp;
	int r = rclc_call(c, req, &resp);

	if (r < 0) {
		printf("closed\n");
		return 1;
	}
	print_status(resp);
	if (resp->msg_case == RECLAIM__V1__RESPONSE__MSG_STAT)
		fputs(resp->stat->text, stdout);
	rclc_response_free(resp);
	return 0;
}

static int cmd_stat(struct rclc *c, const char *view)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat stat = RECLAIM__V1__STAT__INIT;
	const ProtobufCEnumValue *v;
	char upper[32];
	size_t i;

	for (i = 0; view[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(view[i] >= 'a' && view[i] <= 'z' ? view[i] - 32 : view[i]);
	upper[i] = '\0';
	v = protobuf_c_enum_descriptor_get_value_by_name(&reclaim__v1__stat_view__descriptor,
							 upper);
	stat.view = v ? (Reclaim__V1__StatView)v->value : (Reclaim__V1__StatView)99;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &stat;
	return call_print(c, &req);
}

static int cmd_free(struct rclc *c, const char *pfn, const char *order)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FreePages f = RECLAIM__V1__FREE_PAGES__INIT;

	f.pfn = (uint32_t)strtoul(pfn, NULL, 10);
	f.order = (uint32_t)strtoul(order, NULL, 10);
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FREE_PAGES;
	req.free_pages = &f;
	return call_print(c, &req);
}

static int cmd_repl(struct rclc *c)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat stat = RECLAIM__V1__STAT__INIT;
	Reclaim__V1__Response *resp;
	char line[256];

	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &stat;
	while (fgets(line, sizeof(line), stdin)) {
		if (rclc_call(c, &req, &resp) < 0) {
			printf("closed\n");
			return 1;
		}
		printf("code=%s\n", rclc_code_name(resp->status->code));
		fflush(stdout);
		rclc_response_free(resp);
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A client that only watches: how long did its slowest answer keep it waiting? */
static int cmd_poll(struct rclc *c, unsigned int interval_ms, unsigned int n)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat stat = RECLAIM__V1__STAT__INIT;
	Reclaim__V1__Response *resp;
	double max_ms = 0, t0, dt;
	unsigned int i;

	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &stat;
	for (i = 0; i < n; i++) {
		t0 = now_ms();
		if (rclc_call(c, &req, &resp) < 0) {
			printf("closed\n");
			return 1;
		}
		dt = now_ms() - t0;
		if (dt > max_ms)
			max_ms = dt;
		rclc_response_free(resp);
		/* The next poll is due interval_ms after this one started. */
		if (dt < interval_ms)
			poll(NULL, 0, (int)(interval_ms - dt));
	}
	printf("polls=%u max_ms=%.1f\n", n, max_ms);
	return 0;
}

static int touch_pages(struct rclc *c, uint64_t id, uint64_t first, uint64_t nr)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	Reclaim__V1__PageRange range = RECLAIM__V1__PAGE_RANGE__INIT;

	range.region_id = id;
	range.first_page = first;
	range.nr_pages = nr;
	t.range = &range;
	t.write = 1;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_TOUCH;
	req.touch = &t;
	return call_print(c, &req);
}

static int cmd_region_close(struct rclc *c, uint64_t gib)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__Response *resp;
	uint64_t id, pages;

	rc.bytes = gib << 30;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	if (rclc_call(c, &req, &resp) < 0)
		return 1;
	print_status(resp);
	if (resp->status->code != RECLAIM__V1__CODE__OK) {
		rclc_response_free(resp);
		return 1;
	}
	id = resp->region_create->region_id;
	pages = resp->region_create->pages;
	rclc_response_free(resp);
	return touch_pages(c, id, 0, 16) || touch_pages(c, id, pages - 16, 16);
}

static int cmd_locked_close(struct rclc *c, uint64_t kib)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__Response *resp;
	int ret;

	rc.bytes = kib << 10;
	rc.locked = true;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	if (rclc_call(c, &req, &resp) < 0)
		return 1;
	print_status(resp);
	ret = resp->status->code != RECLAIM__V1__CODE__OK;
	rclc_response_free(resp);
	return ret;
}

/* N requests written before any answer is read: the answers must come back in order. */
static int cmd_pipeline(struct rclc *c, unsigned int n)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat stat = RECLAIM__V1__STAT__INIT;
	unsigned int i;

	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &stat;
	for (i = 1; i <= n; i++) {
		size_t len;
		uint8_t *buf;

		req.id = 1000 + i;
		stat.view = (Reclaim__V1__StatView)(i % 4);
		len = reclaim__v1__request__get_packed_size(&req);
		buf = malloc(FRAME_HEADER_BYTES + len);
		frame_put_header(buf, (uint32_t)len);
		reclaim__v1__request__pack(&req, buf + FRAME_HEADER_BYTES);
		if (rclc_send_raw(c, buf, FRAME_HEADER_BYTES + len) < 0) {
			free(buf);
			return 1;
		}
		free(buf);
	}
	for (i = 1; i <= n; i++) {
		Reclaim__V1__Response *resp;

		if (read_frame(c, &resp) < 0)
			return 1;
		if (resp->id != 1000 + i || resp->status->code != 0) {
			printf("out of order or failed at %u\n", i);
			reclaim__v1__response__free_unpacked(resp, NULL);
			return 1;
		}
		reclaim__v1__response__free_unpacked(resp, NULL);
	}
	printf("in order: %u\n", n);
	return 0;
}

static int subscribe(struct rclc *c, const char *kind, const char *qlen, uint64_t *ret_id)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Subscribe sub = RECLAIM__V1__SUBSCRIBE__INIT;
	Reclaim__V1__Response *resp;

	sub.kind = !strcmp(kind, "trace") ? RECLAIM__V1__EVENT_KIND__EVENT_TRACE :
					    RECLAIM__V1__EVENT_KIND__EVENT_PRESSURE;
	if (!strncmp(kind, "pressure:", 9))
		sub.memcg = (char *)kind + 9;
	if (!strncmp(kind, "psi:", 4)) {
		sub.kind = RECLAIM__V1__EVENT_KIND__EVENT_PSI;
		sub.memcg = (char *)kind + 4;
		sub.trigger = "some 1 500000";	/* any stall */
	}
	sub.queue_len = (uint32_t)strtoul(qlen, NULL, 10);
	req.msg_case = RECLAIM__V1__REQUEST__MSG_SUBSCRIBE;
	req.subscribe = &sub;
	if (rclc_call(c, &req, &resp) < 0)
		return -1;
	print_status(resp);
	if (resp->msg_case != RECLAIM__V1__RESPONSE__MSG_SUBSCRIBE) {
		rclc_response_free(resp);
		return -1;
	}
	*ret_id = resp->subscribe->subscription_id;
	printf("subscribed id=%llu\n", (unsigned long long)*ret_id);
	fflush(stdout);
	rclc_response_free(resp);
	return 0;
}

/* Whether the stream ended: an Ended event came (the memcg watched was removed). */
static int ended;

/* Take every event already pushed (waiting at most TIMEOUT_MS for each). */
static void drain_events(struct rclc *c, int timeout_ms, uint64_t *n, int *overflow,
			 uint64_t *dropped)
{
	Reclaim__V1__Response *ev;

	while (!*overflow && !ended && rclc_next_push(c, timeout_ms, &ev) == 0) {
		if (ev->event->event_case == RECLAIM__V1__EVENT__EVENT_OVERFLOW) {
			*overflow = 1;
			*dropped = ev->event->overflow->events_dropped;
		} else if (ev->event->event_case == RECLAIM__V1__EVENT__EVENT_ENDED) {
			ended = 1;
			printf("ended: %s\n", ev->event->ended->reason);
			fflush(stdout);
		} else {
			(*n)++;
		}
		rclc_response_free(ev);
	}
}

static int cmd_events(struct rclc *c, const char *kind, const char *qlen)
{
	struct pollfd pfd[2] = { { .fd = rclc_fd(c), .events = POLLIN },
				 { .fd = 0, .events = POLLIN } };
	uint64_t id, n = 0, dropped = 0;
	int overflow = 0;
	char line[64];

	if (subscribe(c, kind, qlen, &id) < 0)
		return 1;
	for (;;) {
		/* Events the library already read wake no poll: take them first. */
		drain_events(c, 0, &n, &overflow, &dropped);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (pfd[0].revents)
			drain_events(c, 0, &n, &overflow, &dropped);
		if (pfd[1].revents) {
			drain_events(c, 0, &n, &overflow, &dropped);
			if (!fgets(line, sizeof(line), stdin))
				return 0;
			printf("events=%llu overflow=%d%s\n", (unsigned long long)n, overflow,
			       ended ? " ended=1" : "");
			fflush(stdout);
		}
	}
}

static int cmd_idle(struct rclc *c, const char *kind, const char *qlen)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Unsubscribe unsub = RECLAIM__V1__UNSUBSCRIBE__INIT;
	uint64_t id, n = 0, dropped = 0;
	int overflow = 0;
	char line[64];

	if (subscribe(c, kind, qlen, &id) < 0)
		return 1;
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	drain_events(c, 5000, &n, &overflow, &dropped);
	printf("events=%llu overflow=%d dropped=%llu\n", (unsigned long long)n, overflow,
	       (unsigned long long)dropped);
	unsub.subscription_id = id;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_UNSUBSCRIBE;
	req.unsubscribe = &unsub;
	return call_print(c, &req);
}

static int cmd_subs(struct rclc *c, unsigned int n, const char *qlen)
{
	unsigned int k;
	uint64_t id;

	for (k = 0; k < n && subscribe(c, "pressure", qlen, &id) == 0; k++)
		;
	printf("subscribed=%u\n", k);
	return 0;
}

static int send_body(struct rclc *c, const void *body, uint32_t len)
{
	uint8_t h[FRAME_HEADER_BYTES];

	frame_put_header(h, len);
	if (rclc_send_raw(c, h, sizeof(h)) < 0 || rclc_send_raw(c, body, len) < 0)
		return -1;
	return 0;
}

/* A FileRead (field 41) as long as the frame limit allows, of nothing but empty ranges
 * (field 3, length 0): two bytes each in the frame. */
static int empty_ranges(struct rclc *c)
{
	uint32_t n = (rclc_server(c)->max_frame_bytes - 16) / 2, len = 0, i;
	uint8_t *body = malloc(16 + 2 * (size_t)n);

	if (!body)
		return 1;
	body[len++] = 0xca;
	body[len++] = 0x02;
	for (i = 2 * n; i >= 0x80; i >>= 7)
		body[len++] = (uint8_t)(i | 0x80);
	body[len++] = (uint8_t)i;
	for (i = 0; i < n; i++) {
		body[len++] = 0x1a;
		body[len++] = 0x00;
	}
	send_body(c, body, len);
	free(body);
	printf("ranges=%u bytes=%u\n", n, len);
	return expect_error_then_close(c);
}

static int cmd_bad(struct rclc *c, const char *what)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t unknown[] = { 0x08, 0x07, 0xba, 0x06, 0x00 };
	uint8_t h[FRAME_HEADER_BYTES];

	if (!strcmp(what, "oversize")) {
		frame_put_header(h, rclc_server(c)->max_frame_bytes + 1);
		rclc_send_raw(c, h, sizeof(h));
		return expect_error_then_close(c);
	}
	if (!strcmp(what, "truncated")) {
		frame_put_header(h, 100);
		rclc_send_raw(c, h, sizeof(h));
		rclc_send_raw(c, garbage, 5);
		printf("sent\n");
		return 0;
	}
	if (!strcmp(what, "garbage")) {
		send_body(c, garbage, sizeof(garbage));
		return expect_error_then_close(c);
	}
	if (!strcmp(what, "empty-ranges"))
		return empty_ranges(c);
	if (!strcmp(what, "http")) {
		rclc_send_raw(c, "GET / HTTP/1.0\r\n\r\n", 18);
		return expect_error_then_close(c);
	}
	if (!strcmp(what, "unknown")) {
		Reclaim__V1__Response *resp;

		send_body(c, unknown, sizeof(unknown));
		if (read_frame(c, &resp) < 0)
			return 1;
		printf("id=%llu ", (unsigned long long)resp->id);
		print_status(resp);
		reclaim__v1__response__free_unpacked(resp, NULL);
		return cmd_stat(c, "buddyinfo");
	}
	fprintf(stderr, "rclc-probe: unknown command %s\n", what);
	return 2;
}

/* A Stat numbered 0 by hand: the library never hands that id out. */
static int cmd_id0(struct rclc *c)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Stat stat = RECLAIM__V1__STAT__INIT;
	Reclaim__V1__Response *resp;
	size_t len;
	uint8_t *buf;
	int r;

	req.msg_case = RECLAIM__V1__REQUEST__MSG_STAT;
	req.stat = &stat;
	len = reclaim__v1__request__get_packed_size(&req);
	buf = malloc(FRAME_HEADER_BYTES + len);
	if (!buf)
		return 1;
	frame_put_header(buf, (uint32_t)len);
	reclaim__v1__request__pack(&req, buf + FRAME_HEADER_BYTES);
	r = rclc_send_raw(c, buf, FRAME_HEADER_BYTES + len);
	free(buf);
	if (r < 0 || read_frame(c, &resp) < 0)
		return 1;
	printf("id=%llu ", (unsigned long long)resp->id);
	print_status(resp);
	reclaim__v1__response__free_unpacked(resp, NULL);
	return 0;
}

static int cmd_read(struct rclc *c, const char *region, const char *length)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Read rd = RECLAIM__V1__READ__INIT;

	rd.region_id = strtoull(region, NULL, 10);
	rd.length = strtoull(length, NULL, 10);
	req.msg_case = RECLAIM__V1__REQUEST__MSG_READ;
	req.read = &rd;
	return call_print(c, &req);
}

#define VEC_BAD_RANGES	4097

static int cmd_vec_bad(struct rclc *c, const char *region)
{
	static Reclaim__V1__PageRange pages[VEC_BAD_RANGES], *pp[VEC_BAD_RANGES];
	static Reclaim__V1__ByteRange bytes[2], *bp[2] = { &bytes[0], &bytes[1] };
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	Reclaim__V1__Read rd = RECLAIM__V1__READ__INIT;
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	uint64_t id = strtoull(region, NULL, 10);
	unsigned int i;
	int r = 0;

	for (i = 0; i < VEC_BAD_RANGES; i++) {
		reclaim__v1__page_range__init(&pages[i]);
		pages[i].region_id = id;
		pages[i].first_page = i % 16;	/* never acted on: refused first */
		pages[i].nr_pages = 1;
		pp[i] = &pages[i];
	}
	for (i = 0; i < 2; i++) {
		reclaim__v1__byte_range__init(&bytes[i]);
		bytes[i].offset = i * 8192;
		bytes[i].length = 2;
	}
	/* Touch with range and ranges, then 4097 ranges. */
	t.range = &pages[0];
	t.ranges = pp;
	t.n_ranges = 1;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_TOUCH;
	req.touch = &t;
	r |= call_print(c, &req);
	t.range = NULL;
	t.n_ranges = VEC_BAD_RANGES;
	r |= call_print(c, &req);
	/* Read with offset and length and ranges. */
	rd.region_id = id;
	rd.length = 4096;
	rd.ranges = bp;
	rd.n_ranges = 2;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_READ;
	req.read = &rd;
	r |= call_print(c, &req);
	/* Write: 3 bytes for ranges of 4; then an offset beside the ranges. */
	w.region_id = id;
	w.ranges = bp;
	w.n_ranges = 2;
	w.data.data = (uint8_t *)"abc";
	w.data.len = 3;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_WRITE;
	req.write = &w;
	r |= call_print(c, &req);
	w.data.data = (uint8_t *)"abcd";
	w.data.len = 4;
	w.offset = 4096;
	r |= call_print(c, &req);
	return r;
}

static int cmd_memcg_events(struct rclc *c, const char *path)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__MemcgEvents ev = RECLAIM__V1__MEMCG_EVENTS__INIT;

	ev.path = (char *)path;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_MEMCG_EVENTS;
	req.memcg_events = &ev;
	return call_print(c, &req);
}

/* Regions of one page each on this connection until N exist or the server refuses one. */
#define ID_SLOT(id)	((id) & 0xfffffu)
#define ID_GEN(id)	((id) >> 20)

static int cmd_cycle_to(struct rclc *c, const char *arg, const char *gens_arg)
{
	uint64_t target = strtoull(arg, NULL, 0), id, gens = strtoull(gens_arg, NULL, 0);
	unsigned int cycles = 0;
	char line[16];

	for (;;) {
		if (rclc_alloc(c, 4096, NULL, &id, NULL) < 0) {
			printf("alloc: %s\n", rclc_last_error(c));
			return 1;
		}
		if (ID_SLOT(id) != ID_SLOT(target))
			continue;	/* a lower free slot: keep it taken */
		if (rclc_free(c, id) < 0) {
			printf("free: %s\n", rclc_last_error(c));
			return 1;
		}
		if (++cycles > 8192)
			return 1;
		if (gens && ((ID_GEN(id) + 1) & 0xfffu) % gens == ID_GEN(target))
			break;
	}
	printf("ready cycles=%u\n", cycles);
	fflush(stdout);
	/* The regions kept go with the connection: hold them until told. */
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	return 0;
}

static int cmd_regions(struct rclc *c, unsigned int n)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__Response *resp;
	unsigned int i;

	rc.kind = RECLAIM__V1__REGION_KIND__REGION_ANON;
	rc.bytes = 4096;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	for (i = 0; i < n; i++) {
		if (rclc_call(c, &req, &resp) < 0) {
			printf("closed\n");
			return 1;
		}
		if (resp->status->code != RECLAIM__V1__CODE__OK) {
			printf("created=%u ", i);
			print_status(resp);
			rclc_response_free(resp);
			return 0;
		}
		rclc_response_free(resp);
	}
	printf("created=%u\n", i);
	return 0;
}

/* A buffered read that leaves the memcg to the connection's default. */
static int cmd_fread(struct rclc *c, const char *path, const char *length, bool hold)
{
	char line[64];
	int r;

	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRead rd = RECLAIM__V1__FILE_READ__INIT;
	Reclaim__V1__FileRange range = RECLAIM__V1__FILE_RANGE__INIT, *rp = &range;

	range.length = strtoull(length, NULL, 0);
	rd.path = (char *)path;
	rd.ranges = &rp;
	rd.n_ranges = 1;
	rd.discard = true;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_READ;
	req.file_read = &rd;
	r = call_print(c, &req);
	fflush(stdout);
	while (hold && fgets(line, sizeof(line), stdin))
		;
	return r;
}

static int cmd_fwrite_many(struct rclc *c, const char *prefix, const char *count)
{
	unsigned long n = strtoul(count, NULL, 10), i;
	char path[256], line[64];

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%lu", prefix, i);
		if (rclc_file_write(c, path, NULL, 0, "x", 1, -1) < 0)
			break;
	}
	printf("opened=%lu\n", i);
	if (i < n)
		printf("code=%s message=%s\n", rclc_code_str(rclc_last_code(c)),
		       rclc_last_error(c));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}

/*
 * N Reads of LENGTH bytes of REGION sent on one connection with a small receive buffer, and
 * no answer read until a line arrives on stdin or it ends; then every answer is read: "sent=N", then
 * "answered=K" (K of them OK).
 */
static int cmd_noread(struct rclc *c, const char *region, const char *length, const char *count)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Read rd = RECLAIM__V1__READ__INIT;
	Reclaim__V1__Response *resp;
	unsigned long n = strtoul(count, NULL, 10), i, ok = 0;
	int small = 4096;
	char line[64];
	uint64_t id;

	setsockopt(rclc_fd(c), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	rd.region_id = strtoull(region, NULL, 10);
	rd.length = strtoull(length, NULL, 0);
	req.msg_case = RECLAIM__V1__REQUEST__MSG_READ;
	req.read = &rd;
	for (i = 0; i < n; i++)
		if (rclc_send(c, &req, &id) < 0)
			break;
	printf("sent=%lu\n", i);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';		/* the end of stdin says go too */
	for (n = i, i = 0; i < n; i++) {
		if (rclc_recv(c, &resp) < 0)
			break;
		ok += rclc_status_errno(resp) == 0;
		rclc_response_free(resp);
	}
	printf("answered=%lu\n", ok);
	return 0;
}

/*
 * A FileWrite whose path holds a NUL on the wire ("x", NUL, "y"): protobuf-c packs C strings,
 * so "xzy" is packed and the z made a NUL. The answer's status is printed.
 */
static int cmd_nul_path(struct rclc *c)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileWrite fw = RECLAIM__V1__FILE_WRITE__INIT;
	Reclaim__V1__FileRange range = RECLAIM__V1__FILE_RANGE__INIT, *rp = &range;
	Reclaim__V1__Response *resp;
	uint8_t body[128];
	size_t len, at;

	fw.path = "xzy";
	range.length = 4;
	fw.ranges = &rp;
	fw.n_ranges = 1;
	fw.data.data = (uint8_t *)"data";
	fw.data.len = 4;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_FILE_WRITE;
	req.file_write = &fw;
	req.id = 4242;
	len = reclaim__v1__request__pack(&req, body);
	for (at = 0; at + 2 < len && memcmp(body + at, "xzy", 3); at++)
		;
	body[at + 1] = 0;
	if (send_body(c, body, (uint32_t)len) < 0 || rclc_recv(c, &resp) < 0)
		return 1;
	printf("code=%s message=%s\n", rclc_code_name(resp->status ? resp->status->code : 0),
	       resp->status ? resp->status->message : "");
	rclc_response_free(resp);
	return 0;
}

/* Reads of a file by its path on one connection, each when told: what does each see? */
static int cmd_fread_each(struct rclc *c, const char *path, const char *length)
{
	size_t len = strtoull(length, NULL, 0), got, i;
	unsigned char *buf = malloc(len ? len : 1);
	char line[64];
	int r;

	if (!buf)
		return 2;
	while (fgets(line, sizeof(line), stdin)) {
		r = rclc_file_read(c, path, NULL, 0, buf, len, &got);
		if (r < 0) {
			printf("error %s\n", rclc_last_error(c));
		} else {
			for (i = 0; i < got; i++)
				printf("%02x", buf[i]);
			printf("\n");
		}
		fflush(stdout);
	}
	free(buf);
	return 0;
}

/* One vectored madvise FREE over whole regions, as a client freeing many buffers at once. */
static int cmd_madvise_free(struct rclc *c, char **ids, int n)
{
	struct rclc_range *ranges = calloc((size_t)n, sizeof(*ranges));
	uint64_t pages = 0;
	int i, r;

	if (!ranges)
		return 2;
	for (i = 0; i < n; i++)
		ranges[i].region_id = strtoull(ids[i], NULL, 0);
	r = rclc_madvisev(c, ranges, (size_t)n, RCLC_MADV_FREE, &pages);
	if (r < 0)
		printf("refused: %s\n", rclc_last_error(c));
	else
		printf("pages=%llu\n", (unsigned long long)pages);
	free(ranges);
	return r < 0;
}

/* The same range read again and again on one connection, as a reader of a hot file does. */
static int cmd_fread_hits(struct rclc *c, const char *path, const char *length, const char *count)
{
	size_t len = strtoull(length, NULL, 0), got;
	unsigned int n = (unsigned int)atoi(count), i;
	char *first = malloc(len), *buf = malloc(len);
	bool same = true;
	int r = 0;

	if (!first || !buf || !len || !n) {
		printf("bad arguments\n");
		r = 2;
	}
	for (i = 0; i < n && !r; i++) {
		r = rclc_file_read(c, path, NULL, 0, i ? buf : first, len, &got);
		if (r < 0) {
			printf("read %u: %s\n", i, rclc_last_error(c));
			r = 1;
		} else if (got != len || (i && memcmp(buf, first, len))) {
			same = false;
		}
	}
	if (!r)
		printf("reads=%u same=%d\n", n, same);
	free(first);
	free(buf);
	return r ? r : same ? 0 : 1;
}

/*
 * COUNT FileReads of NRANGES one-page ranges of PATH scattered over every other page, each in
 * one request: "reads=COUNT same=1" when every read gave the bytes single-range reads give.
 */
static int cmd_freadv_hits(struct rclc *c, const char *path, const char *nranges,
			   const char *count)
{
	unsigned int n = (unsigned int)atoi(nranges), reads = (unsigned int)atoi(count), i, k;
	char *want = malloc((size_t)n * 4096), *buf = malloc((size_t)n * 4096);
	struct rclc_iovec *iov = calloc(n ? n : 1, sizeof(*iov));
	size_t got;
	int r = 0, same = 1;

	if (!want || !buf || !iov || !n || n > 32 || !reads) {
		printf("bad arguments\n");
		r = 2;
	}
	for (k = 0; k < n && !r; k++) {
		iov[k] = (struct rclc_iovec){ .offset = 2ull * k * 4096, .len = 4096,
					      .buf = buf + (size_t)k * 4096 };
		if (rclc_file_read(c, path, NULL, iov[k].offset, want + (size_t)k * 4096, 4096,
				   &got) < 0 || got != 4096) {
			printf("read of range %u: %s\n", k, rclc_last_error(c));
			r = 1;
		}
	}
	for (i = 0; i < reads && !r; i++) {
		memset(buf, 0, (size_t)n * 4096);
		if (rclc_file_readv(c, path, NULL, iov, n, NULL, NULL) < 0) {
			printf("read %u: %s\n", i, rclc_last_error(c));
			r = 1;
		} else if (memcmp(buf, want, (size_t)n * 4096)) {
			same = 0;
		}
	}
	if (!r)
		printf("reads=%u same=%d\n", reads, same);
	free(want);
	free(buf);
	free(iov);
	return r ? r : same ? 0 : 1;
}

/* One connection that says Hello and hangs up without reading: 0, or -1 if refused. */
static int churn_one(const char *path, const uint8_t *hello, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r = -1;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, hello, len) == (ssize_t)len)
		r = 0;
	if (fd >= 0)
		close(fd);
	return r;
}

static int cmd_churn(const char *path, unsigned int n)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Hello hello = RECLAIM__V1__HELLO__INIT;
	unsigned int i, failed = 0;
	uint8_t buf[128];
	size_t len;

	hello.protocol_version = RCLC_PROTOCOL_VERSION;
	hello.client_name = "churn";
	req.id = 1;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_HELLO;
	req.hello = &hello;
	len = reclaim__v1__request__get_packed_size(&req);
	if (FRAME_HEADER_BYTES + len > sizeof(buf))
		return 1;
	frame_put_header(buf, (uint32_t)len);
	reclaim__v1__request__pack(&req, buf + FRAME_HEADER_BYTES);
	for (i = 0; i < n; i++)
		failed += churn_one(path, buf, FRAME_HEADER_BYTES + len) < 0;
	printf("churned=%u failed=%u\n", n - failed, failed);
	return 0;
}

/* churn-psi N on a memory-pressure socket (psiwatch.h): connect, write a trigger, hang up. */
static int cmd_churn_psi(const char *path, unsigned int n)
{
	static const char trigger[] = "some 100000 1000000\n";
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++)
		failed += churn_one(path, (const uint8_t *)trigger, sizeof(trigger) - 1) < 0;
	printf("churned=%u failed=%u\n", n - failed, failed);
	return 0;
}

int main(int argc, char **argv)
{
	const char *hello_memcg = NULL;
	struct rclc *c;
	int argi = 1, r;

	if (argc > 3 && !strcmp(argv[1], "--uid")) {
		uid_t uid = (uid_t)atoi(argv[2]);

		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0) {
			perror("rclc-probe: dropping privileges");
			return 2;
		}
		argi = 3;
	}
	if (argc - argi > 2 && !strcmp(argv[argi], "--hello-memcg")) {
		hello_memcg = argv[argi + 1];
		argi += 2;
	}
	if (argc - argi < 2) {
		fprintf(stderr, "usage: rclc-probe [--uid UID] [--hello-memcg PATH] SOCKET COMMAND "
			"[ARG]...\n");
		return 2;
	}
	/* A pressure socket speaks no protobuf: no Hello there. */
	if (argc - argi == 3 && !strcmp(argv[argi + 1], "churn-psi"))
		return cmd_churn_psi(argv[argi], (unsigned int)atoi(argv[argi + 2]));
	r = rclc_connect(argv[argi], &c);
	if (r < 0) {
		fprintf(stderr, "rclc-probe: cannot connect to %s: %s\n", argv[argi],
			strerror(-r));
		return 3;
	}
	r = rclc_hello_memcg(c, "rclc-probe", hello_memcg);
	if (r < 0) {
		/* The server's refusal, as the tests match answers: "refused message=...". */
		printf("refused message=%s\n", r == -EPROTO ? rclc_last_error(c) : strerror(-r));
		rclc_close(c);
		return 3;
	}
	argi++;
	if (!strcmp(argv[argi], "hello"))
		r = cmd_hello(c);
	else if (!strcmp(argv[argi], "stat") && argc - argi == 2)
		r = cmd_stat(c, argv[argi + 1]);
	else if (!strcmp(argv[argi], "free") && argc - argi == 3)
		r = cmd_free(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "repl"))
		r = cmd_repl(c);
	else if (!strcmp(argv[argi], "events") && argc - argi == 3)
		r = cmd_events(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "idle") && argc - argi == 3)
		r = cmd_idle(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "subs") && argc - argi == 3)
		r = cmd_subs(c, (unsigned int)atoi(argv[argi + 1]), argv[argi + 2]);
	else if (!strcmp(argv[argi], "region-close") && argc - argi == 2)
		r = cmd_region_close(c, strtoull(argv[argi + 1], NULL, 10));
	else if (!strcmp(argv[argi], "locked-close") && argc - argi == 2)
		r = cmd_locked_close(c, strtoull(argv[argi + 1], NULL, 10));
	else if (!strcmp(argv[argi], "poll") && argc - argi == 3)
		r = cmd_poll(c, (unsigned int)atoi(argv[argi + 1]),
			     (unsigned int)atoi(argv[argi + 2]));
	else if (!strcmp(argv[argi], "pipeline") && argc - argi == 2)
		r = cmd_pipeline(c, (unsigned int)atoi(argv[argi + 1]));
	else if (!strcmp(argv[argi], "id0"))
		r = cmd_id0(c);
	else if (!strcmp(argv[argi], "read") && argc - argi == 3)
		r = cmd_read(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "vec-bad") && argc - argi == 2)
		r = cmd_vec_bad(c, argv[argi + 1]);
	else if (!strcmp(argv[argi], "memcg-events") && argc - argi == 2)
		r = cmd_memcg_events(c, argv[argi + 1]);
	else if (!strcmp(argv[argi], "regions") && argc - argi == 2)
		r = cmd_regions(c, (unsigned int)atoi(argv[argi + 1]));
	else if (!strcmp(argv[argi], "fread") && (argc - argi == 3 ||
		 (argc - argi == 4 && !strcmp(argv[argi + 3], "hold"))))
		r = cmd_fread(c, argv[argi + 1], argv[argi + 2], argc - argi == 4);
	else if (!strcmp(argv[argi], "nul-path") && argc - argi == 1)
		r = cmd_nul_path(c);
	else if (!strcmp(argv[argi], "noread") && argc - argi == 4)
		r = cmd_noread(c, argv[argi + 1], argv[argi + 2], argv[argi + 3]);
	else if (!strcmp(argv[argi], "fwrite-many") && argc - argi == 3)
		r = cmd_fwrite_many(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "fread-each") && argc - argi == 3)
		r = cmd_fread_each(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "freadv-hits") && argc - argi == 4)
		r = cmd_freadv_hits(c, argv[argi + 1], argv[argi + 2], argv[argi + 3]);
	else if (!strcmp(argv[argi], "madvise-free") && argc - argi >= 2)
		r = cmd_madvise_free(c, argv + argi + 1, argc - argi - 1);
	else if (!strcmp(argv[argi], "cycle-to") && argc - argi == 3)
		r = cmd_cycle_to(c, argv[argi + 1], argv[argi + 2]);
	else if (!strcmp(argv[argi], "churn") && argc - argi == 2)
		r = cmd_churn(argv[argi - 1], (unsigned int)atoi(argv[argi + 1]));
	else if (!strcmp(argv[argi], "fread-hits") && argc - argi == 4)
		r = cmd_fread_hits(c, argv[argi + 1], argv[argi + 2], argv[argi + 3]);
	else
		r = cmd_bad(c, argv[argi]);
	fflush(stdout);
	rclc_close(c);
	return r;
}
