/*
 * fuzz-frame - the frame decoder under arbitrary bytes.
 *
 * With --enable-fuzzing this is a libFuzzer target (LLVMFuzzerTestOneInput). Otherwise main()
 * runs a short deterministic pass in make check: built-in seeds, the files of the corpus
 * directory given as argument (if any), and mutations of the seeds, each split into random
 * chunks as a socket would deliver them. It passes if nothing crashes, leaks or hangs and the
 * decoder's invariants hold.
 */
#include <assert.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#include "dispatch.h"
#include "frame.h"
#include "status.h"
#include "utf8.h"

#define FUZZ_MAX_FRAME	4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode everything decodable from DATA, delivered in chunks whose sizes come from SPLIT. */
static void decode_all(const uint8_t *data, size_t size, unsigned int split)
{
	struct evbuffer *in = evbuffer_new();
	size_t off = 0;

	while (off < size) {
		size_t chunk = split ? 1 + (split % 97) : size - off;

		if (chunk > size - off)
			chunk = size - off;
		evbuffer_add(in, data + off, chunk);
		off += chunk;
		split = split * 1103515245u + 12345u;
		for (;;) {
			size_t before = evbuffer_get_length(in);
			struct req_ctx ctx = { .uid = 1000 };
			const struct dispatch_entry *e;
			struct frame_strings strings;	/* the wire walk runs on every frame too */
			Request *req = NULL;
			Response *resp;
			int ret = frame_pull_request(in, FUZZ_MAX_FRAME, &req, NULL, &strings);

			if (ret == FRAME_NEED_MORE) {
				assert(evbuffer_get_length(in) == before);
				break;
			}
			if (ret < 0) {
				/* An error ends the connection: the rest is never read. */
				evbuffer_free(in);
				return;
			}
			assert(evbuffer_get_length(in) < before);
			resp = calloc(1, sizeof(*resp));
			reclaim__v1__response__init(resp);
			/* What admission relies on to skip its walk of the decoded strings. */
			assert(!strings.all_utf8 || !message_bad_string(&req->base));
			if (!dispatch_admit(req, &ctx, strings.all_utf8, true, false, resp, &e))
				assert(resp->status && resp->status->code != CODE(OK));
			reclaim__v1__response__free_unpacked(resp, NULL);
			frame_request_free(req);
		}
	}
	evbuffer_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_all(data, size, 0);
	decode_all(data, size, size ? data[0] : 1);
	return 0;
}

#ifndef FUZZING

static const uint8_t seed_hello[] = { 0, 0, 0, 13, 0x08, 0x01, 0x52, 0x09, 0x08, 0x01, 0x12,
				      0x05, 'f', 'u', 'z', 'z', '!' };
static const uint8_t seed_stat[] = { 0, 0, 0, 7, 0x08, 0x02, 0xe2, 0x03, 0x02, 0x08, 0x01 };
static const uint8_t seed_unknown[] = { 0, 0, 0, 5, 0x08, 0x07, 0xba, 0x06, 0x00 };
static const uint8_t seed_big[] = { 0, 0, 0x10, 0x01, 0x08, 0x01 };
static const uint8_t seed_garbage[] = { 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff };
static const uint8_t seed_http[] = "GET / HTTP/1.0\r\n\r\n";

static const struct { const uint8_t *p; size_t n; } seeds[] = {
	{ seed_hello, sizeof(seed_hello) }, { seed_stat, sizeof(seed_stat) },
	{ seed_unknown, sizeof(seed_unknown) }, { seed_big, sizeof(seed_big) },
	{ seed_garbage, sizeof(seed_garbage) }, { seed_http, sizeof(seed_http) - 1 },
};

#define NR_SEEDS (sizeof(seeds) / sizeof(seeds[0]))
#define MUTATIONS 20000

static unsigned int replay_dir(const char *dir)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[4096], buf[65536];
		FILE *f;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		n++;
	}
	closedir(d);
	return n;
}

/* Back-to-back seeds with a few bytes flipped, inserted or cut. */
static void mutate_pass(void)
{
	uint8_t buf[256];
	unsigned int rnd = 42, i;

	for (i = 0; i < MUTATIONS; i++) {
		size_t len = 0, k, edits;

		while (len < 128) {
			size_t s = (rnd = rnd * 1103515245u + 12345u) >> 16;

			s %= NR_SEEDS;
			memcpy(buf + len, seeds[s].p, seeds[s].n);
			len += seeds[s].n;
			if ((rnd >> 8) % 3 == 0)
				break;
		}
		edits = 1 + (rnd >> 20) % 4;
		for (k = 0; k < edits; k++) {
			rnd = rnd * 1103515245u + 12345u;
			switch ((rnd >> 16) % 3) {
			case 0: buf[(rnd >> 4) % len] ^= (uint8_t)(1u << ((rnd >> 12) % 8)); break;
			case 1: buf[(rnd >> 4) % len] = (uint8_t)(rnd >> 24); break;
			case 2: len -= (rnd >> 4) % (len / 2 + 1); break;
			}
			if (len == 0)
				len = 1;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
}

int main(int argc, char **argv)
{
	unsigned int i, files = 0;

	printf("1..3\n");
	for (i = 0; i < NR_SEEDS; i++)
		LLVMFuzzerTestOneInput(seeds[i].p, seeds[i].n);
	printf("ok 1 - %zu built-in seeds decode without fault\n", NR_SEEDS);
	for (i = 1; i < (unsigned int)argc; i++)
		files += replay_dir(argv[i]);
	printf("ok 2 - %u corpus files replayed\n", files);
	mutate_pass();
	printf("ok 3 - %u mutated streams decode without fault\n", MUTATIONS);
	return 0;
}

#endif
