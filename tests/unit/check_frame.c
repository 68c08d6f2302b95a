/*
 * check_frame - the daemon's pure parts: frame decoding, the errno -> Status table, the
 * dispatch table against the generated code, the configuration file, and the limits and
 * visibility rules (who may connect, what a refused charge says, whose memcgs a uid sees),
 * the PSI triggers both pressure sockets and Subscribe EVENT_PSI use, and the fault thread's
 * adaptive busy-poll window.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>

#include "check-main.h"
#include "client-limits.h"
#include "config.h"
#include "dispatch.h"
#include "fault-poll.h"
#include "frame.h"
#include "psitrigger.h"
#include "rawpages.h"
#include "reclaim/memcg.h"
#include "registry.h"
#include "status.h"
#include "utf8.h"

/* A Hello request frame with ID; the caller frees *ret. */
static size_t hello_frame(uint64_t id, uint8_t **ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Hello hello = RECLAIM__V1__HELLO__INIT;
	size_t len;
	uint8_t *buf;

	hello.protocol_version = 1;
	hello.client_name = "check";
	req.id = id;
	req.msg_case = REQ(HELLO);
	req.hello = &hello;
	len = reclaim__v1__request__get_packed_size(&req);
	buf = malloc(FRAME_HEADER_BYTES + len);
	frame_put_header(buf, (uint32_t)len);
	reclaim__v1__request__pack(&req, buf + FRAME_HEADER_BYTES);
	*ret = buf;
	return FRAME_HEADER_BYTES + len;
}

START_TEST(test_frame_peek_sizes)
{
	uint8_t buf[8] = { 0, 0, 0, 4, 1, 2, 3, 4 };
	uint32_t len = 77;

	ck_assert_int_eq(frame_peek(buf, 0, 100, &len), FRAME_NEED_MORE);
	ck_assert_int_eq(frame_peek(buf, 3, 100, &len), FRAME_NEED_MORE);
	ck_assert_uint_eq(len, 77);		/* no header yet: untouched */
	ck_assert_int_eq(frame_peek(buf, 7, 100, &len), FRAME_NEED_MORE);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(frame_peek(buf, 8, 100, &len), FRAME_READY);
	ck_assert_int_eq(frame_peek(buf, 8, 4, &len), FRAME_READY);	/* exactly the limit */
	ck_assert_int_eq(frame_peek(buf, 8, 3, &len), -EMSGSIZE);
	buf[0] = 0xff;
	ck_assert_int_eq(frame_peek(buf, 4, 0x7fffffff, &len), -EMSGSIZE);
	memset(buf, 0, 4);
	ck_assert_int_eq(frame_peek(buf, 4, 100, &len), FRAME_READY);	/* empty body */
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_frame_header_round_trip)
{
	static const uint32_t sizes[] = { 0, 1, 255, 256, 65535, 65536, 16u << 20, UINT32_MAX };
	uint8_t h[4];
	uint32_t len;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		frame_put_header(h, sizes[i]);
		ck_assert_int_eq(frame_peek(h, 4, UINT32_MAX, &len), sizes[i] ? FRAME_NEED_MORE :
				 FRAME_READY);
		ck_assert_uint_eq(len, sizes[i]);
	}
}
END_TEST

/* Every prefix of a frame is NEED_MORE and leaves the buffer alone; the whole is READY. */
START_TEST(test_frame_pull_truncations)
{
	uint8_t *frame;
	size_t n = hello_frame(42, &frame), cut;

	for (cut = 0; cut < n; cut++) {
		struct evbuffer *in = evbuffer_new();
		Request *req = NULL;

		evbuffer_add(in, frame, cut);
		ck_assert_int_eq(frame_pull_request(in, 1024, &req, NULL, NULL), FRAME_NEED_MORE);
		ck_assert_uint_eq(evbuffer_get_length(in), cut);
		ck_assert_ptr_null(req);
		evbuffer_add(in, frame + cut, n - cut);
		ck_assert_int_eq(frame_pull_request(in, 1024, &req, NULL, NULL), FRAME_READY);
		ck_assert_uint_eq(req->id, 42);
		ck_assert_int_eq(req->msg_case, REQ(HELLO));
		ck_assert_str_eq(req->hello->client_name, "check");
		ck_assert_uint_eq(evbuffer_get_length(in), 0);
		frame_request_free(req);
		evbuffer_free(in);
	}
	free(frame);
}
END_TEST

/* Three frames in one buffer, then half a fourth: three requests in order, then NEED_MORE. */
START_TEST(test_frame_pull_back_to_back)
{
	struct evbuffer *in = evbuffer_new();
	Request *req;
	uint8_t *frame;
	size_t n = 0;
	uint64_t id;

	for (id = 1; id <= 4; id++) {
		n = hello_frame(id, &frame);
		evbuffer_add(in, frame, id == 4 ? n / 2 : n);
		free(frame);
	}
	for (id = 1; id <= 3; id++) {
		ck_assert_int_eq(frame_pull_request(in, 1024, &req, NULL, NULL), FRAME_READY);
		ck_assert_uint_eq(req->id, id);
		frame_request_free(req);
	}
	ck_assert_int_eq(frame_pull_request(in, 1024, &req, NULL, NULL), FRAME_NEED_MORE);
	ck_assert_uint_eq(evbuffer_get_length(in), n / 2);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_frame_pull_over_limit)
{
	struct evbuffer *in = evbuffer_new();
	uint8_t h[4];
	Request *req = NULL;
	uint32_t announced = 0;

	frame_put_header(h, 4097);
	evbuffer_add(in, h, 4);
	ck_assert_int_eq(frame_pull_request(in, 4096, &req, &announced, NULL), -EMSGSIZE);
	ck_assert_uint_eq(announced, 4097);
	ck_assert_uint_eq(evbuffer_get_length(in), 4);	/* untouched */
	ck_assert_ptr_null(req);
	evbuffer_free(in);
}
END_TEST

/* A FileRead frame of @n ranges, each empty (@empty) or a real offset and length. */
static size_t file_read_frame(size_t n, bool empty, uint8_t **ret)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRead fr = RECLAIM__V1__FILE_READ__INIT;
	Reclaim__V1__FileRange *ranges = calloc(n, sizeof(*ranges));
	Reclaim__V1__FileRange **ptrs = calloc(n, sizeof(*ptrs));
	size_t i, len;
	uint8_t *buf;

	ck_assert(ranges && ptrs);
	for (i = 0; i < n; i++) {
		reclaim__v1__file_range__init(&ranges[i]);
		if (!empty) {
			ranges[i].offset = i << 20;
			ranges[i].length = 4096;
		}
		ptrs[i] = &ranges[i];
	}
	fr.path = "f";
	fr.n_ranges = n;
	fr.ranges = ptrs;
	req.id = 1;
	req.msg_case = REQ(FILE_READ);
	req.file_read = &fr;
	len = reclaim__v1__request__get_packed_size(&req);
	buf = malloc(FRAME_HEADER_BYTES + len);
	ck_assert_ptr_nonnull(buf);
	frame_put_header(buf, (uint32_t)len);
	reclaim__v1__request__pack(&req, buf + FRAME_HEADER_BYTES);
	free(ranges);
	free(ptrs);
	*ret = buf;
	return FRAME_HEADER_BYTES + len;
}

/*
 * A frame whose decode would take far more memory than the frame (empty submessages: 2 bytes
 * each in the frame, some 50 on the heap) is refused as undecodable, and its bytes drained;
 * the largest request the daemon takes of that kind, 4096 real ranges, decodes.
 */
START_TEST(test_frame_pull_decode_budget)
{
	struct evbuffer *in = evbuffer_new();
	Request *req = NULL;
	uint8_t *buf;
	size_t len;

	len = file_read_frame(4096, false, &buf);
	evbuffer_add(in, buf, len);
	free(buf);
	ck_assert_int_eq(frame_pull_request(in, 16u << 20, &req, NULL, NULL), FRAME_READY);
	ck_assert_ptr_nonnull(req);
	ck_assert_uint_eq(req->file_read->n_ranges, 4096);
	ck_assert_uint_eq(req->file_read->ranges[4095]->offset, 4095ull << 20);
	frame_request_free(req);

	req = NULL;
	len = file_read_frame(1u << 20, true, &buf);	/* 2 MiB of frame, 50 MiB decoded */
	ck_assert_uint_lt(len, 3u << 20);
	evbuffer_add(in, buf, len);
	free(buf);
	evbuffer_add(in, "xyz", 3);
	ck_assert_int_eq(frame_pull_request(in, 16u << 20, &req, NULL, NULL), -EBADMSG);
	ck_assert_ptr_null(req);
	ck_assert_uint_eq(evbuffer_get_length(in), 3);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_utf8_valid)
{
	static const char *const good[] = {
		"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
		"\xed\x9f\xbf",			/* U+D7FF, just below the surrogates */
	};
	static const char *const bad[] = {
		"bad\xff\xfe.dat",		/* the attack's file name */
		"\x80",			/* a lone continuation byte */
		"\xc3",			/* cut short by the end */
		"\xc3(",			/* ... by a byte that does not continue it */
		"\xc0\xaf", "\xe0\x80\xaf",	/* overlong '/' */
		"\xed\xa0\x80",		/* U+D800, a surrogate */
		"\xf4\x90\x80\x80",		/* past U+10FFFF */
		"\xf5\x80\x80\x80",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(utf8_valid(good[i]), "good[%zu] refused", i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!utf8_valid(bad[i]), "bad[%zu] accepted", i);
	/* Bounded: as on the wire, where no NUL ends a string. */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert(utf8_valid_n(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert(!utf8_valid_n(bad[i], strlen(bad[i])));
	ck_assert(!utf8_valid_n("caf\xc3\xa9", 4));	/* cut short by the length */
	ck_assert(utf8_valid_n("caf\xc3\xa9", 3));
	ck_assert(utf8_valid_n("a\0b", 3));		/* NUL is text; frames refuse it apart */
}
END_TEST

/* Strings at any depth, in oneofs and repeated fields, are found and named. */
START_TEST(test_message_bad_string)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileRead fr = RECLAIM__V1__FILE_READ__INIT;
	Reclaim__V1__Subscribe sub = RECLAIM__V1__SUBSCRIBE__INIT;
	char *tps[] = { "mm_vmscan_kswapd_wake", "mm_\xff" };

	req.msg_case = REQ(FILE_READ);
	req.file_read = &fr;
	fr.path = "ok.dat";
	fr.memcg = "/caf\xc3\xa9";
	ck_assert_ptr_null(message_bad_string(&req.base));
	fr.memcg = "/\xc3";
	ck_assert_str_eq(message_bad_string(&req.base), "memcg");
	fr.memcg = "";
	fr.path = "bad\xff\xfe.dat";
	ck_assert_str_eq(message_bad_string(&req.base), "path");

	req.msg_case = REQ(SUBSCRIBE);
	req.subscribe = &sub;
	sub.n_tracepoints = 1;
	sub.tracepoints = tps;
	ck_assert_ptr_null(message_bad_string(&req.base));
	sub.n_tracepoints = 2;
	ck_assert_str_eq(message_bad_string(&req.base), "tracepoints");
}
END_TEST

START_TEST(test_frame_pull_garbage)
{
	static const uint8_t bodies[][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },	/* a varint that never ends */
		{ 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00 },	/* wire type 7 does not exist */
		{ 0x52, 0x7f, 0x00, 0x00, 0x00, 0x00 },	/* hello: 127 bytes announced, 4 there */
	};
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct evbuffer *in = evbuffer_new();
		Request *req = NULL;
		uint8_t h[4];

		frame_put_header(h, sizeof(bodies[i]));
		evbuffer_add(in, h, 4);
		evbuffer_add(in, bodies[i], sizeof(bodies[i]));
		evbuffer_add(in, "xyz", 3);	/* the next frame's bytes stay */
		ck_assert_int_eq(frame_pull_request(in, 1024, &req, NULL, NULL), -EBADMSG);
		ck_assert_ptr_null(req);
		ck_assert_uint_eq(evbuffer_get_length(in), 3);
		evbuffer_free(in);
	}
}
END_TEST

/*
 * The largest requests come back whole: 4096 ranges of a vectored Touch (several times the
 * wire size once unpacked) and a Write's 64 KiB of data, each field where it was.
 */
START_TEST(test_frame_pull_large_requests)
{
	static Reclaim__V1__PageRange ranges[4096];
	static Reclaim__V1__PageRange *rp[4096];
	static uint8_t data[64 << 10];
	Request req = RECLAIM__V1__REQUEST__INIT, *got = NULL;
	Reclaim__V1__Touch t = RECLAIM__V1__TOUCH__INIT;
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	struct evbuffer *in = evbuffer_new();
	size_t i, len;
	uint8_t *buf;

	for (i = 0; i < 4096; i++) {
		reclaim__v1__page_range__init(&ranges[i]);
		ranges[i].region_id = 7;
		ranges[i].first_page = 3 * i;
		ranges[i].nr_pages = 1 + i % 3;
		rp[i] = &ranges[i];
	}
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	t.ranges = rp;
	t.n_ranges = 4096;
	req.msg_case = REQ(TOUCH);
	req.touch = &t;
	for (i = 0; i < 2; i++) {
		if (i == 1) {
			w.region_id = 9;
			w.data.data = data;
			w.data.len = sizeof(data);
			req.msg_case = REQ(WRITE);
			req.write = &w;
		}
		req.id = 100 + i;
		len = reclaim__v1__request__get_packed_size(&req);
		buf = malloc(FRAME_HEADER_BYTES + len);
		ck_assert_ptr_nonnull(buf);
		frame_put_header(buf, (uint32_t)len);
		reclaim__v1__request__pack(&req, buf + FRAME_HEADER_BYTES);
		evbuffer_add(in, buf, FRAME_HEADER_BYTES + len);
		free(buf);
		ck_assert_int_eq(frame_pull_request(in, 1u << 20, &got, NULL, NULL), FRAME_READY);
		ck_assert_uint_eq(got->id, 100 + i);
		if (i == 0) {
			size_t k;

			ck_assert_uint_eq(got->touch->n_ranges, 4096);
			for (k = 0; k < 4096; k++) {
				ck_assert_uint_eq(got->touch->ranges[k]->region_id, 7);
				ck_assert_uint_eq(got->touch->ranges[k]->first_page, 3 * k);
				ck_assert_uint_eq(got->touch->ranges[k]->nr_pages, 1 + k % 3);
			}
		} else {
			ck_assert_uint_eq(got->write->region_id, 9);
			ck_assert_uint_eq(got->write->data.len, sizeof(data));
			ck_assert_mem_eq(got->write->data.data, data, sizeof(data));
		}
		frame_request_free(got);
	}
	evbuffer_free(in);
}
END_TEST

/*
 * A string whose bytes hold a NUL decodes cut short at it (protobuf-c gives C strings): the
 * frame says which field, at any depth, so that the request is refused. Bytes fields may hold
 * any byte. Frames encoded by hand: the packer stops at the NUL.
 */
static struct frame_strings pull_strings(const uint8_t *body, size_t len, Request **ret)
{
	struct frame_strings strings = { "unset", false };
	struct evbuffer *in = evbuffer_new();
	uint8_t h[4];

	frame_put_header(h, (uint32_t)len);
	evbuffer_add(in, h, 4);
	evbuffer_add(in, body, len);
	ck_assert_int_eq(frame_pull_request(in, 1024, ret, NULL, &strings), FRAME_READY);
	evbuffer_free(in);
	return strings;
}

static const char *pull_nul(const uint8_t *body, size_t len, Request **ret)
{
	return pull_strings(body, len, ret).nul_field;
}

START_TEST(test_frame_string_with_nul)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileWrite fw = RECLAIM__V1__FILE_WRITE__INIT;
	uint8_t body[256], zeros[8] = { 0 };
	Request *got = NULL;
	size_t len, at;
	const char *nul;

	/* FileWrite { path: "x\0y" } packed with "xzy", then the z made a NUL on the wire. */
	fw.path = "xzy";
	req.id = 5;
	req.msg_case = REQ(FILE_WRITE);
	req.file_write = &fw;
	len = reclaim__v1__request__pack(&req, body);
	for (at = 0; at + 2 < len && memcmp(body + at, "xzy", 3); at++)
		;
	ck_assert_uint_lt(at + 2, len);
	nul = pull_nul(body, len, &got);
	ck_assert_ptr_null(nul);			/* as it was: no NUL */
	ck_assert_str_eq(got->file_write->path, "xzy");
	frame_request_free(got);
	body[at + 1] = 0;
	nul = pull_nul(body, len, &got);
	ck_assert_ptr_nonnull(nul);
	ck_assert_str_eq(nul, "path");
	ck_assert_str_eq(got->file_write->path, "x");	/* what the handler would have seen */
	frame_request_free(got);

	/* Bytes may hold NULs: a FileWrite's data of zeros is no string. */
	fw.path = "p";
	fw.data.data = zeros;
	fw.data.len = sizeof(zeros);
	len = reclaim__v1__request__pack(&req, body);
	ck_assert_ptr_null(pull_nul(body, len, &got));
	frame_request_free(got);
}
END_TEST

/*
 * The frame says whether every string's bytes are UTF-8, at any depth: when it says so the
 * decoded request has no bad string (admission then skips its walk); when not, the walk
 * names the field.
 */
START_TEST(test_frame_strings_utf8)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__FileWrite fw = RECLAIM__V1__FILE_WRITE__INIT;
	struct frame_strings st;
	uint8_t body[256];
	Request *got = NULL;
	size_t len;

	req.id = 5;
	req.msg_case = REQ(FILE_WRITE);
	req.file_write = &fw;
	fw.path = "caf\xc3\xa9";
	len = reclaim__v1__request__pack(&req, body);
	st = pull_strings(body, len, &got);
	ck_assert_ptr_null(st.nul_field);
	ck_assert(st.all_utf8);
	ck_assert_ptr_null(message_bad_string(&got->base));
	frame_request_free(got);

	fw.path = "bad\xff\xfe.dat";
	len = reclaim__v1__request__pack(&req, body);
	st = pull_strings(body, len, &got);
	ck_assert_ptr_null(st.nul_field);
	ck_assert(!st.all_utf8);
	ck_assert_str_eq(message_bad_string(&got->base), "path");
	frame_request_free(got);
}
END_TEST

/* A valid frame whose message is a field this server does not know: decodes, case unset. */
START_TEST(test_frame_pull_unknown_field)
{
	static const uint8_t body[] = { 0x08, 0x07, 0xba, 0x06, 0x00 };	/* id 7, field 103 */
	struct evbuffer *in = evbuffer_new();
	Request *req = NULL;
	uint8_t h[4];

	frame_put_header(h, sizeof(body));
	evbuffer_add(in, h, 4);
	evbuffer_add(in, body, sizeof(body));
	ck_assert_int_eq(frame_pull_request(in, 1024, &req, NULL, NULL), FRAME_READY);
	ck_assert_uint_eq(req->id, 7);
	ck_assert_int_eq(req->msg_case, RECLAIM__V1__REQUEST__MSG__NOT_SET);
	ck_assert_uint_eq(req->base.n_unknown_fields, 1);
	ck_assert_uint_eq(req->base.unknown_fields[0].tag, 103);
	frame_request_free(req);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_frame_push_response)
{
	Response resp = RECLAIM__V1__RESPONSE__INIT;
	Status st = RECLAIM__V1__STATUS__INIT;
	struct evbuffer *out = evbuffer_new();
	uint8_t *p;
	uint32_t len;
	Response *back;

	st.code = CODE(NOT_FOUND);
	st.message = "no such thing";
	resp.id = 9;
	resp.status = &st;
	ck_assert_int_eq(frame_push_response(out, &resp), 0);
	p = evbuffer_pullup(out, -1);
	ck_assert_int_eq(frame_peek(p, evbuffer_get_length(out), 1024, &len), FRAME_READY);
	ck_assert_uint_eq(len + 4, evbuffer_get_length(out));
	back = reclaim__v1__response__unpack(NULL, len, p + 4);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(back->id, 9);
	ck_assert_int_eq(back->status->code, CODE(NOT_FOUND));
	ck_assert_str_eq(back->status->message, "no such thing");
	reclaim__v1__response__free_unpacked(back, NULL);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_status_table)
{
	Response *resp = malloc(sizeof(*resp));

	ck_assert_int_eq(status_code_from_errno(0), CODE(OK));
	ck_assert_int_eq(status_code_from_errno(-EINVAL), CODE(INVALID_ARGUMENT));
	ck_assert_int_eq(status_code_from_errno(EINVAL), CODE(INVALID_ARGUMENT));
	ck_assert_int_eq(status_code_from_errno(-ENOENT), CODE(NOT_FOUND));
	ck_assert_int_eq(status_code_from_errno(-EPERM), CODE(PERMISSION_DENIED));
	ck_assert_int_eq(status_code_from_errno(-EACCES), CODE(PERMISSION_DENIED));
	ck_assert_int_eq(status_code_from_errno(-ENOMEM), CODE(NO_MEMORY));
	ck_assert_int_eq(status_code_from_errno(-ENOSPC), CODE(NO_SPACE));
	ck_assert_int_eq(status_code_from_errno(-EDQUOT), CODE(NO_SPACE));
	ck_assert_int_eq(status_code_from_errno(-EIO), CODE(IO_ERROR));
	ck_assert_int_eq(status_code_from_errno(-EOPNOTSUPP), CODE(UNSUPPORTED));
	ck_assert_int_eq(status_code_from_errno(-ESHUTDOWN), CODE(UNAVAILABLE));
	ck_assert_int_eq(status_code_from_errno(-EPROTO), CODE(PROTOCOL_ERROR));
	ck_assert_int_eq(status_code_from_errno(-EAGAIN), CODE(BUSY));
	ck_assert_int_eq(status_code_from_errno(-EEXIST), CODE(ALREADY_EXISTS));
	ck_assert_int_eq(status_code_from_errno(-EXDEV), CODE(INTERNAL));	/* unmapped */
	ck_assert_str_eq(status_code_name(CODE(UNSUPPORTED)), "UNSUPPORTED");
	ck_assert_str_eq(status_code_name((Code)999), "UNKNOWN");

	reclaim__v1__response__init(resp);
	ck_assert_int_eq(status_set(resp, CODE(BUSY), "x %d", 1), 0);
	ck_assert_int_eq(status_set_errno(resp, -ENOENT, "region free"), 0);	/* replaces */
	ck_assert_int_eq(resp->status->code, CODE(NOT_FOUND));
	ck_assert_str_eq(resp->status->message, "region free: No such file or directory");
	reclaim__v1__response__free_unpacked(resp, NULL);
}
END_TEST

/* Every code of the enum in the .proto has a name in the table. */
START_TEST(test_status_names_cover_enum)
{
	const ProtobufCEnumDescriptor *d = &reclaim__v1__code__descriptor;
	unsigned int i;

	for (i = 0; i < d->n_values; i++)
		ck_assert_str_eq(status_code_name((Code)d->values[i].value), d->values[i].name);
}
END_TEST

/* The dispatch table has exactly one row per oneof case of Request, and no other rows. */
START_TEST(test_dispatch_table_complete)
{
	const ProtobufCMessageDescriptor *d = &reclaim__v1__request__descriptor;
	unsigned int i, cases = 0;
	size_t j;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		unsigned int rows = 0;

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		cases++;
		for (j = 0; j < dispatch_table_size; j++)
			rows += (unsigned int)dispatch_table[j].msg_case == f->id;
		ck_assert_msg(rows == 1, "Request.%s (case %u) has %u dispatch rows", f->name,
			      f->id, rows);
	}
	ck_assert_uint_eq(cases, dispatch_table_size);
	for (j = 0; j < dispatch_table_size; j++) {
		ck_assert_ptr_nonnull(dispatch_table[j].name);
		ck_assert_ptr_eq(dispatch_lookup(dispatch_table[j].msg_case), &dispatch_table[j]);
	}
	ck_assert_ptr_null(dispatch_lookup(RECLAIM__V1__REQUEST__MSG__NOT_SET));
	ck_assert_ptr_null(dispatch_lookup(9999));
}
END_TEST

/* The Response oneof has a reply for every request case, under the same number. */
START_TEST(test_dispatch_replies_match)
{
	const ProtobufCMessageDescriptor *d = &reclaim__v1__request__descriptor;
	unsigned int i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i], *r;

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		r = protobuf_c_message_descriptor_get_field(&reclaim__v1__response__descriptor,
							    f->id);
		ck_assert_msg(r != NULL, "no Response field %u for Request.%s", f->id, f->name);
		ck_assert_str_eq(r->name, f->name);
	}
}
END_TEST

/* A fast handler that built a reply (heap bytes a client must never see) and then failed
 * without a status, as a region freed under the loop's read makes it. */
static int fast_fails(struct req_ctx *ctx, const Request *req, Response *resp)
{
	Reclaim__V1__ReadReply *r = malloc(sizeof(*r));

	(void)ctx;
	reclaim__v1__read_reply__init(r);
	r->data.len = 64;
	r->data.data = malloc(64);
	resp->msg_case = RESP(READ);
	resp->read = r;
	return req->id == 1 ? -ENOENT : -ENOMEM;
}

static int fast_punts(struct req_ctx *ctx, const Request *req, Response *resp)
{
	(void)ctx;
	(void)req;
	(void)resp;
	return -EAGAIN;
}

/* An error on the loop's fast path is answered as a worker's: no reply, the error status. */
START_TEST(test_dispatch_fast_error_is_the_answer)
{
	struct dispatch_entry e = { .msg_case = REQ(READ), .name = "read", .fast = fast_fails };
	Request req = RECLAIM__V1__REQUEST__INIT;
	struct req_ctx ctx = { .uid = 1000 };
	Response *resp = malloc(sizeof(*resp));

	req.id = 1;
	reclaim__v1__response__init(resp);
	ck_assert(dispatch_run_fast(&e, &ctx, &req, resp));
	ck_assert_int_eq(resp->msg_case, RECLAIM__V1__RESPONSE__MSG__NOT_SET);
	ck_assert_ptr_nonnull(resp->status);
	ck_assert_int_eq(resp->status->code, CODE(NOT_FOUND));
	reclaim__v1__response__free_unpacked(resp, NULL);

	req.id = 2;
	resp = malloc(sizeof(*resp));
	reclaim__v1__response__init(resp);
	ck_assert(dispatch_run_fast(&e, &ctx, &req, resp));
	ck_assert_int_eq(resp->msg_case, RECLAIM__V1__RESPONSE__MSG__NOT_SET);
	ck_assert_int_eq(resp->status->code, CODE(NO_MEMORY));
	reclaim__v1__response__free_unpacked(resp, NULL);

	/* A punt leaves the response to the worker, untouched. */
	e.fast = fast_punts;
	resp = malloc(sizeof(*resp));
	reclaim__v1__response__init(resp);
	ck_assert(!dispatch_run_fast(&e, &ctx, &req, resp));
	ck_assert_ptr_null(resp->status);
	free(resp);
}
END_TEST

/* Admission: unknown, before Hello, not admin, unimplemented, stopping. */
START_TEST(test_dispatch_admit)
{
	Request req = RECLAIM__V1__REQUEST__INIT;
	struct req_ctx ctx = { .uid = 1000 };
	const struct dispatch_entry *e = NULL;
	Response *resp = malloc(sizeof(*resp));

	req.id = 1;

#define ADMIT(hello_done, stopping, want, text) do {					\
		reclaim__v1__response__init(resp);					\
		ck_assert(!dispatch_admit(&req, &ctx, false, hello_done, stopping, resp, &e)); \
		ck_assert_int_eq(resp->status->code, CODE(want));			\
		ck_assert_msg(strstr(resp->status->message, text), "%s",		\
			      resp->status->message);					\
		free(resp->status->message);						\
		free(resp->status);							\
	} while (0)

	ADMIT(true, false, UNSUPPORTED, "request carries no message");
	/* Id 0 is the server's (pushed events): refused, naming the field, before anything. */
	req.id = 0;
	req.msg_case = REQ(STAT);
	ADMIT(true, false, INVALID_ARGUMENT, "stat: id: 0 is reserved for the server's events");
	req.msg_case = REQ(HELLO);
	ADMIT(false, false, INVALID_ARGUMENT, "hello: id: 0 is reserved");
	req.id = 1;
	req.msg_case = REQ(STAT);
	ADMIT(false, false, PROTOCOL_ERROR, "stat: the first request must be hello");
	req.msg_case = REQ(SHUTDOWN);
	ADMIT(true, false, PERMISSION_DENIED, "shutdown: only root or the admin group");
	ADMIT(true, true, UNAVAILABLE, "shutdown: reclaimd is shutting down");
	req.msg_case = REQ(DROP_CACHES);
	ADMIT(true, false, PERMISSION_DENIED, "drop caches: only root or the admin group");
	req.msg_case = REQ(REGION_CREATE);
	ADMIT(true, true, UNAVAILABLE, "region create: reclaimd is shutting down");
	/* The engine serves every request now: no row is left without a handler. */
	for (size_t i = 0; i < dispatch_table_size; i++)
		ck_assert_msg(dispatch_table[i].handler, "%s has no handler", dispatch_table[i].name);
	reclaim__v1__response__init(resp);
	req.msg_case = REQ(STAT);
	ck_assert(dispatch_admit(&req, &ctx, false, true, false, resp, &e));
	ck_assert_str_eq(e->name, "stat");
	ctx.admin = true;
	req.msg_case = REQ(SHUTDOWN);
	ck_assert(dispatch_admit(&req, &ctx, false, true, false, resp, &e));
	ck_assert_ptr_null(resp->status);
	free(resp);
#undef ADMIT
}
END_TEST

static int parse_string(struct daemon_config *c, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	FILE *saved = stderr;
	int ret;

	stderr = fopen("/dev/null", "w");
	ret = config_parse_file(c, f, "test.conf");
	fclose(stderr);
	stderr = saved;
	fclose(f);
	return ret;
}

START_TEST(test_config_file)
{
	struct daemon_config c;

	config_init(&c);
	ck_assert_int_eq(parse_string(&c,
		"# reclaimd.conf\n"
		"\n"
		"arena = 64M\n"
		"  nodes=2   # two nodes\n"
		"state_dir = /tmp/state\n"
		"socket-mode = 0666\n"
		"max_client_bytes = 1G\n"
		"workers = 8\n"
		"thp = yes\n"
		"log-level = debug\n"
		"watermark_scale_factor = 200\n"), 0);
	ck_assert_uint_eq(c.engine.arena_bytes, 64ULL << 20);
	ck_assert_uint_eq(c.engine.nr_nodes, 2);
	ck_assert_str_eq(c.state_dir, "/tmp/state");
	ck_assert_uint_eq(c.socket_mode, 0666);
	ck_assert_uint_eq(c.max_client_bytes, 1ULL << 30);
	ck_assert_uint_eq(c.workers, 8);
	ck_assert(c.engine.thp);
	ck_assert_int_eq(c.log_level, 7);
	ck_assert_uint_eq(c.engine.watermark_scale_factor, 200);
	config_done(&c);
}
END_TEST

START_TEST(test_config_file_errors)
{
	static const char *const bad[] = {
		"arena 64M\n",			/* no '=' */
		"frobnicate = 1\n",		/* unknown key */
		"nodes = 9\n",			/* out of range */
		"arena = lots\n",
		"socket-mode = 0999\n",
		"thp = maybe\n",
		"log-level = loud\n",
		"state-dir =\n",		/* empty string */
		"max-frame = 100\n",		/* below FRAME_MIN_MAX */
		"workers = 0\n",
	};
	struct daemon_config c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_init(&c);
		ck_assert_msg(parse_string(&c, bad[i]) == -EINVAL, "accepted: %s", bad[i]);
		ck_assert_uint_eq(c.engine.nr_nodes, 1);	/* unchanged */
		ck_assert_uint_eq(c.engine.arena_bytes, 256ULL << 20);
		config_done(&c);
	}
}
END_TEST

/* -c FILE first, then the command line over it, wherever -c stands. */
START_TEST(test_config_cli_overrides_file)
{
	char path[] = "/tmp/check_frame.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct daemon_config c;
	char *argv[] = { "reclaimd", "--nodes", "3", "-c", path, "--socket", "/x.sock", NULL };

	fputs("nodes = 2\narena = 32M\nsocket = /file.sock\n", f);
	fclose(f);
	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 7, argv), 0);
	ck_assert_uint_eq(c.engine.nr_nodes, 3);
	ck_assert_uint_eq(c.engine.arena_bytes, 32ULL << 20);
	ck_assert_str_eq(c.socket_path, "/x.sock");
	ck_assert_str_eq(c.config_file, path);
	config_done(&c);
	unlink(path);
}
END_TEST

/* The defaults: every per-client limit has one, max-client-bytes the arena plus the swap. */
START_TEST(test_config_limit_defaults)
{
	char *argv[] = { "reclaimd", "--arena", "64M", "--swap", "128M", NULL };
	char *zero[] = { "reclaimd", "--max-client-bytes", "0", NULL };
	char *reserve_all[] = { "reclaimd", "--max-connections", "3", NULL };
	struct daemon_config c;

	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 5, argv), 0);
	ck_assert_uint_eq(c.max_connections, 256);
	ck_assert_uint_eq(c.reserved_connections, 3);
	ck_assert_uint_eq(c.max_client_connections, 64);
	ck_assert_uint_eq(c.max_client_regions, 4096);
	ck_assert_uint_eq(c.max_client_bytes, 192ULL << 20);
	config_done(&c);
	/* 0 still says "no limit" when asked for. */
	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 3, zero), 0);
	ck_assert_uint_eq(c.max_client_bytes, 0);
	config_done(&c);
	/* A reserve that leaves no connection to anybody else is refused. */
	config_init(&c);
	stderr = freopen("/dev/null", "w", stderr);
	ck_assert_int_eq(config_parse_args(&c, 3, reserve_all), -1);
	config_done(&c);
}
END_TEST

/* The last reserved-connections slots are root's and the admin group's only. */
START_TEST(test_admit_connection)
{
	struct daemon_config c;
	char why[192];

	config_init(&c);
	c.max_connections = 10;
	c.reserved_connections = 3;
	c.max_client_connections = 8;
	ck_assert(limits_admit_connection(&c, 6, 6, 65534, false, why, sizeof(why)));
	ck_assert(!limits_admit_connection(&c, 7, 7, 65534, false, why, sizeof(why)));
	ck_assert_msg(strstr(why, "7 open, the other 3 of max-connections 10 are reserved for "
			      "root and the admin group"), "%s", why);
	/* Another unprivileged uid is refused as well: the reserve is not per uid. */
	ck_assert(!limits_admit_connection(&c, 7, 0, 1000, false, why, sizeof(why)));
	/* Root and admins take the reserve, up to max-connections. */
	ck_assert(limits_admit_connection(&c, 7, 0, 0, true, why, sizeof(why)));
	ck_assert(limits_admit_connection(&c, 9, 2, 0, true, why, sizeof(why)));
	ck_assert(!limits_admit_connection(&c, 10, 3, 0, true, why, sizeof(why)));
	ck_assert_msg(strstr(why, "10 open, max-connections is 10"), "%s", why);
	/* Per uid, root included. */
	ck_assert(!limits_admit_connection(&c, 8, 8, 0, true, why, sizeof(why)));
	ck_assert_msg(strstr(why, "too many connections from uid 0: 8 open, "
			      "max-client-connections is 8"), "%s", why);
	c.reserved_connections = 0;
	ck_assert(limits_admit_connection(&c, 9, 7, 65534, false, why, sizeof(why)));
	config_done(&c);
}
END_TEST

static void charge_expect(struct daemon_config *c, struct rawpages *raw, uint64_t bytes,
			  const char *text)
{
	Response *resp = calloc(1, sizeof(*resp));

	reclaim__v1__response__init(resp);
	ck_assert_int_eq(limits_charge(c, raw, 65534, bytes, "region create", resp), -EDQUOT);
	ck_assert_int_eq(resp->status->code, CODE(NO_SPACE));
	ck_assert_msg(strstr(resp->status->message, text), "%s", resp->status->message);
	reclaim__v1__response__free_unpacked(resp, NULL);
}

/* Over a limit: NO_SPACE naming the limit and its value; nothing is charged. */
START_TEST(test_limits_charge)
{
	char *argv[] = { "reclaimd", "--arena", "16M", "--swap", "64M", NULL };
	struct daemon_config c;
	struct rawpages *raw;
	unsigned int i, count;
	uint64_t bytes;

	config_init(&c);
	ck_assert_int_eq(config_parse_args(&c, 5, argv), 0);
	ck_assert_int_eq(rawpages_new(&raw), 0);
	for (i = 0; i < 4096; i++)
		ck_assert_int_eq(limits_charge(&c, raw, 65534, 4096, "region create", NULL), 0);
	charge_expect(&c, raw, 4096, "region create: uid 65534 has 4096 regions and raw "
		      "allocations, the limit (max-client-regions 4096)");
	rawpages_usage(raw, 65534, &count, &bytes);
	ck_assert_uint_eq(count, 4096);
	ck_assert_uint_eq(bytes, 4096ULL * 4096);
	rawpages_uncharge(raw, 65534, 4096);
	charge_expect(&c, raw, (64ULL << 20) + 8192, "67117056 more bytes would take uid 65534 "
		      "to 83890176 bytes, over the limit (max-client-bytes 83886080)");
	rawpages_usage(raw, 65534, &count, &bytes);
	ck_assert_uint_eq(count, 4095);
	rawpages_free(raw);
	config_done(&c);
}
END_TEST

/* Whose memcgs a uid that is not an admin sees: the root, its own, and below its own. */
START_TEST(test_memcg_visible)
{
	struct registry *reg;

	ck_assert_int_eq(registry_new(&reg), 0);
	ck_assert_int_eq(registry_memcg_add(reg, 2, 0, "/secret", 0), 0);
	ck_assert_int_eq(registry_memcg_add(reg, 3, 65534, "/secret/theirs", 0), 0);
	ck_assert_int_eq(registry_memcg_add(reg, 4, 0, "/secret/theirs/sub", 0), 0);
	ck_assert_int_eq(registry_memcg_add(reg, 5, 0, "/secretive", 0), 0);
	ck_assert_int_eq(registry_memcg_add(reg, 6, 65534, "/secret/theirs2", 0), 0);
	ck_assert(registry_memcg_visible(reg, RCL_MEMCG_ROOT, 65534));
	ck_assert(!registry_memcg_visible(reg, 2, 65534));		/* root's */
	ck_assert(registry_memcg_visible(reg, 3, 65534));		/* its own */
	ck_assert(registry_memcg_visible(reg, 4, 65534));		/* below its own */
	ck_assert(!registry_memcg_visible(reg, 5, 65534));		/* a prefix, not a parent */
	ck_assert(registry_memcg_visible(reg, 6, 65534));
	ck_assert(!registry_memcg_visible(reg, 99, 65534));		/* unknown: root's */
	ck_assert(!registry_memcg_visible(reg, 3, 1000));		/* another uid's */
	registry_memcg_remove(reg, 3);
	ck_assert(!registry_memcg_visible(reg, 4, 65534));		/* its parent is gone */
	registry_free(reg);
}
END_TEST

/* ---- PSI triggers ---------------------------------------------------------------------- */

static const char *trigger_why(const char *text)
{
	struct psi_trigger t;
	const char *why = NULL;

	if (psi_trigger_parse(text, strlen(text), &t, &why) == 0)
		return NULL;
	ck_assert_ptr_nonnull(why);
	return why;
}

START_TEST(test_psi_trigger_parse)
{
	char long_text[PSI_TRIGGER_MAX + 8];
	struct psi_trigger t;
	const char *why;

	ck_assert_int_eq(psi_trigger_parse("full 150000 1000000\n", 20, &t, &why), 0);
	ck_assert_int_eq(t.kind, PSI_FULL);
	ck_assert_uint_eq(t.stall, 150000);
	ck_assert_uint_eq(t.window, 1000000);
	ck_assert_uint_eq(t.last_event, 0);
	/* A NUL ends it, as the kernel's write does; the bounds themselves are fine. */
	ck_assert_int_eq(psi_trigger_parse("some 1 500000\0junk", 18, &t, &why), 0);
	ck_assert_int_eq(t.kind, PSI_SOME);
	ck_assert_ptr_null(trigger_why("some 10000000 10000000"));

	ck_assert_str_eq(trigger_why(""), "want \"some|full STALL_USEC WINDOW_USEC\"");
	ck_assert_str_eq(trigger_why("some 1000 1000000 5"),
			 "want \"some|full STALL_USEC WINDOW_USEC\"");
	ck_assert_str_eq(trigger_why("some -1 1000000"),
			 "want \"some|full STALL_USEC WINDOW_USEC\"");
	ck_assert_str_eq(trigger_why("sum 1000 1000000"),
			 "the kind is neither \"some\" nor \"full\"");
	ck_assert_str_eq(trigger_why("some 1000 499999"),
			 "the window is not within 500000..10000000 usec");
	ck_assert_str_eq(trigger_why("full 1000 10000001"),
			 "the window is not within 500000..10000000 usec");
	ck_assert_str_eq(trigger_why("some 0 1000000"),
			 "the stall is not within 1..WINDOW_USEC usec");
	ck_assert_str_eq(trigger_why("some 1000001 1000000"),
			 "the stall is not within 1..WINDOW_USEC usec");
	memset(long_text, ' ', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	memcpy(long_text, "some 1 500000", 13);
	ck_assert_str_eq(trigger_why(long_text), "the trigger is too long");
}
END_TEST

/* Add a sample at T ms with some stall total SOME usec (full half of it). */
static void psi_sample(struct psi_history *h, uint64_t t_ms, uint64_t some)
{
	uint64_t total[2] = { some, some / 2 };

	psi_history_add(h, t_ms * 1000, total);
}

START_TEST(test_psi_trigger_crossing)
{
	struct psi_history h = { .nr = 0 };
	struct psi_trigger t;
	const char *why;
	uint64_t growth = 0, now, some = 5000;

	/* 10 ms of stall within 1 s; the 5 ms stalled before it was set do not count. */
	ck_assert_int_eq(psi_trigger_parse("some 10000 1000000", 18, &t, &why), 0);
	ck_assert(!psi_trigger_check(&t, &h, 0, &growth));	/* no sample yet */
	psi_sample(&h, 0, some);
	psi_trigger_arm(&t, psi_history_total(&h, PSI_SOME));
	psi_sample(&h, 200, some += 9000);
	ck_assert(!psi_trigger_check(&t, &h, 200 * 1000, &growth));
	psi_sample(&h, 400, some += 2000);
	ck_assert(psi_trigger_check(&t, &h, 400 * 1000, &growth));
	ck_assert_uint_eq(growth, 11000);
	/* Crossed again at once, but at most one event a window. */
	for (now = 600; now < 1400; now += 200) {
		psi_sample(&h, now, some += 20000);
		ck_assert_msg(!psi_trigger_check(&t, &h, now * 1000, NULL), "fired at %llu ms",
			      (unsigned long long)now);
	}
	psi_sample(&h, 1400, some += 20000);
	ck_assert(psi_trigger_check(&t, &h, 1400 * 1000, &growth));
	/* The window's growth: from the newest sample at or before 400 ms. */
	ck_assert_uint_eq(growth, 5 * 20000);

	/* Slow stall: 4 ms a second of full never makes 15 ms within a second, however long. */
	ck_assert_int_eq(psi_trigger_parse("full 15000 1000000", 18, &t, &why), 0);
	memset(&h, 0, sizeof(h));
	psi_sample(&h, 0, some = 0);
	psi_trigger_arm(&t, 0);
	for (now = 200; now <= 3000; now += 200) {
		psi_sample(&h, now, some += 1600);	/* full: 800 usec a sample */
		ck_assert(!psi_trigger_check(&t, &h, now * 1000, NULL));
	}
	ck_assert_uint_eq(psi_history_total(&h, PSI_FULL), 12000);
}
END_TEST

/* ---- the fault thread's busy-poll window (fault-poll.h) -------------------------------- */

#define US 1000ULL

/*
 * Faults coming close together (each sleep ended 5 us after the window closed, within the
 * 50 us maximum) open the window: 10, 20, 40, then capped at 50. Sleeps longer than the
 * maximum close it by halves: 25, 12.5, then below 10, so 0.
 */
START_TEST(test_fault_poll_window_adapts)
{
	static const uint64_t open[] = { 10 * US, 20 * US, 40 * US, 50 * US, 50 * US };
	struct fault_poll fp;
	size_t i;

	fault_poll_init(&fp, 50 * US);
	ck_assert_uint_eq(fp.window_ns, 0);		/* no polling before it pays */
	for (i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
		fault_poll_slept(&fp, 5 * US);
		ck_assert_uint_eq(fp.window_ns, open[i]);
	}
	fault_poll_slept(&fp, 50 * US);			/* at the maximum still pays */
	ck_assert_uint_eq(fp.window_ns, 50 * US);
	fault_poll_slept(&fp, 50 * US + 1);
	ck_assert_uint_eq(fp.window_ns, 25 * US);
	fault_poll_slept(&fp, 1000 * US);
	ck_assert_uint_eq(fp.window_ns, 12500);
	fault_poll_slept(&fp, 1000 * US);
	ck_assert_uint_eq(fp.window_ns, 0);		/* 6.25 us: below the start, off */
	fault_poll_slept(&fp, 1000 * US);
	ck_assert_uint_eq(fp.window_ns, 0);
	fault_poll_slept(&fp, 1 * US);			/* a burst again: it reopens */
	ck_assert_uint_eq(fp.window_ns, 10 * US);
}
END_TEST

/* A maximum of 0 (fault-poll-usecs = 0) never polls; one below the start polls up to it. */
START_TEST(test_fault_poll_off_and_small)
{
	struct fault_poll fp;

	fault_poll_init(&fp, 0);
	fault_poll_slept(&fp, 0);
	fault_poll_slept(&fp, 1);
	ck_assert_uint_eq(fp.window_ns, 0);
	fault_poll_init(&fp, 4 * US);
	fault_poll_slept(&fp, 1 * US);
	ck_assert_uint_eq(fp.window_ns, 4 * US);
	fault_poll_slept(&fp, 1 * US);
	ck_assert_uint_eq(fp.window_ns, 4 * US);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *frame = tcase_create("frame");
	TCase *status = tcase_create("status");
	TCase *dispatch = tcase_create("dispatch");
	TCase *config = tcase_create("config");
	TCase *psi = tcase_create("psitrigger");
	TCase *poll = tcase_create("faultpoll");

	tcase_add_test(frame, test_frame_peek_sizes);
	tcase_add_test(frame, test_frame_header_round_trip);
	tcase_add_test(frame, test_frame_pull_truncations);
	tcase_add_test(frame, test_frame_pull_back_to_back);
	tcase_add_test(frame, test_frame_pull_over_limit);
	tcase_add_test(frame, test_frame_pull_decode_budget);
	tcase_add_test(frame, test_utf8_valid);
	tcase_add_test(frame, test_message_bad_string);
	tcase_add_test(frame, test_frame_pull_large_requests);
	tcase_add_test(frame, test_frame_pull_garbage);
	tcase_add_test(frame, test_frame_pull_unknown_field);
	tcase_add_test(frame, test_frame_string_with_nul);
	tcase_add_test(frame, test_frame_strings_utf8);
	tcase_add_test(frame, test_frame_push_response);
	tcase_add_test(status, test_status_table);
	tcase_add_test(status, test_status_names_cover_enum);
	tcase_add_test(dispatch, test_dispatch_table_complete);
	tcase_add_test(dispatch, test_dispatch_replies_match);
	tcase_add_test(dispatch, test_dispatch_admit);
	tcase_add_test(dispatch, test_dispatch_fast_error_is_the_answer);
	tcase_add_test(config, test_config_file);
	tcase_add_test(config, test_config_file_errors);
	tcase_add_test(config, test_config_cli_overrides_file);
	tcase_add_test(config, test_config_limit_defaults);
	tcase_add_test(config, test_admit_connection);
	tcase_add_test(config, test_limits_charge);
	tcase_add_test(config, test_memcg_visible);
	tcase_add_test(psi, test_psi_trigger_parse);
	tcase_add_test(psi, test_psi_trigger_crossing);
	tcase_add_test(poll, test_fault_poll_window_adapts);
	tcase_add_test(poll, test_fault_poll_off_and_small);
	suite_add_tcase(s, frame);
	suite_add_tcase(s, status);
	suite_add_tcase(s, dispatch);
	suite_add_tcase(s, config);
	suite_add_tcase(s, psi);
	suite_add_tcase(s, poll);
	return s;
}
