/*
 * swapfill - a client that fills a persistent anonymous region with seeded data and reads
 * it back, for tests of what reclaimd does when memory and swap run out.
 *
 *   swapfill SOCKET fill SEED MIB STATE   create a region of MIB MiB, write it in 256 KiB
 *                                         chunks, keep the acknowledged ones in STATE
 *   swapfill SOCKET verify SEED STATE     read back every acknowledged chunk, in two passes
 *   swapfill SOCKET verify-all SEED STATE the same; a refusal now counts as a failure too
 *
 * Each command prints one line of key=value figures. A chunk that reads back with bytes it
 * was never given is "foreign"; a refusal other than NO_MEMORY or NO_SPACE is "bad". verify
 * exits 1 on any foreign or bad chunk, verify-all also on any refusal.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reclaim-client-pb.h"

#define CHUNK	(256u << 10)

struct state {
	uint64_t region_id;
	uint64_t nr_chunks;
	unsigned char *acked;
};

static void fill_pattern(unsigned char *p, size_t len, uint64_t seed, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(((seed ^ (pos + i)) * 0x9E3779B97F4A7C15ULL) >> 56);
}

static bool check_pattern(const unsigned char *p, size_t len, uint64_t seed, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(((seed ^ (pos + i)) * 0x9E3779B97F4A7C15ULL) >> 56))
			return false;
	return true;
}

static bool refusal(int code)
{
	return code == RECLAIM__V1__CODE__NO_MEMORY || code == RECLAIM__V1__CODE__NO_SPACE;
}

/* One request; the reply's code, or -1 when the connection failed. */
static int call(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__Response **ret)
{
	if (rclc_call(c, req, ret) < 0) {
		fprintf(stderr, "swapfill: %s\n", rclc_last_error(c));
		return -1;
	}
	return (int)(*ret)->status->code;
}

static int save_state(const char *path, const struct state *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%" PRIu64 " %" PRIu64 "\n", s->region_id, s->nr_chunks);
	fwrite(s->acked, 1, s->nr_chunks, f);
	return fclose(f);
}

static int load_state(const char *path, struct state *s)
{
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%" SCNu64 " %" SCNu64 "\n", &s->region_id, &s->nr_chunks) != 2 ||
	    !(s->acked = malloc(s->nr_chunks)) ||
	    fread(s->acked, 1, s->nr_chunks, f) != s->nr_chunks) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

static int cmd_fill(struct rclc *c, uint64_t seed, uint64_t mib, const char *path)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__RegionCreate rc = RECLAIM__V1__REGION_CREATE__INIT;
	Reclaim__V1__Write w = RECLAIM__V1__WRITE__INIT;
	Reclaim__V1__Response *resp;
	unsigned char *buf = malloc(CHUNK);
	uint64_t i, acked = 0, refused = 0;
	struct state s;
	int code, ret;

	rc.bytes = mib << 20;
	rc.persistent = true;
	req.msg_case = RECLAIM__V1__REQUEST__MSG_REGION_CREATE;
	req.region_create = &rc;
	if (!buf || call(c, &req, &resp) != RECLAIM__V1__CODE__OK)
		return 1;
	s.region_id = resp->region_create->region_id;
	rclc_response_free(resp);
	s.nr_chunks = (mib << 20) / CHUNK;
	s.acked = calloc(s.nr_chunks, 1);

	req.msg_case = RECLAIM__V1__REQUEST__MSG_WRITE;
	req.write = &w;
	w.region_id = s.region_id;
	for (i = 0; i < s.nr_chunks; i++) {
		fill_pattern(buf, CHUNK, seed, i * CHUNK);
		w.offset = i * CHUNK;
		w.data.data = buf;
		w.data.len = CHUNK;
		code = call(c, &req, &resp);
		if (code < 0)
			return 1;
		if (code == RECLAIM__V1__CODE__OK && resp->write->bytes == CHUNK) {
			s.acked[i] = 1;
			acked++;
		} else if (refusal(code)) {
			refused++;
		} else {
			fprintf(stderr, "swapfill: write of chunk %" PRIu64 ": %s: %s\n", i,
				rclc_code_name(resp->status->code), resp->status->message);
			return 1;
		}
		rclc_response_free(resp);
	}
	printf("region=%" PRIu64 " acked=%" PRIu64 " refused=%" PRIu64 "\n", s.region_id, acked,
	       refused);
	fflush(stdout);
	free(buf);
	ret = save_state(path, &s) ? 1 : 0;
	free(s.acked);
	return ret;
}

static int cmd_verify(struct rclc *c, uint64_t seed, const char *path, bool all)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Read r = RECLAIM__V1__READ__INIT;
	Reclaim__V1__Response *resp;
	uint64_t i, acked = 0, ok = 0, refused = 0, foreign = 0, bad = 0;
	unsigned char *left;
	struct state s;
	int pass, code;

	if (load_state(path, &s)) {
		fprintf(stderr, "swapfill: cannot load %s\n", path);
		return 1;
	}
	left = malloc(s.nr_chunks);
	memcpy(left, s.acked, s.nr_chunks);
	req.msg_case = RECLAIM__V1__REQUEST__MSG_READ;
	req.read = &r;
	r.region_id = s.region_id;
	r.length = CHUNK;
	/* The second pass retries the refusals of the first, backwards. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s.nr_chunks; i++) {
			uint64_t chunk = pass ? s.nr_chunks - 1 - i : i;

			if (!left[chunk])
				continue;
			acked += !pass;
			r.offset = chunk * CHUNK;
			code = call(c, &req, &resp);
			if (code < 0)
				return 1;
			if (code == RECLAIM__V1__CODE__OK) {
				left[chunk] = 0;
				if (resp->read->data.len == CHUNK &&
				    check_pattern(resp->read->data.data, CHUNK, seed, chunk * CHUNK)) {
					ok++;
				} else {
					foreign++;
					fprintf(stderr, "swapfill: region %" PRIu64 " chunk %" PRIu64
						" holds bytes it was never given\n", s.region_id, chunk);
				}
			} else if (!refusal(code)) {
				left[chunk] = 0;
				bad++;
				fprintf(stderr, "swapfill: read of chunk %" PRIu64 ": %s: %s\n", chunk,
					rclc_code_name(resp->status->code), resp->status->message);
			}
			rclc_response_free(resp);
		}
	}
	for (i = 0; i < s.nr_chunks; i++)
		refused += left[i];
	printf("region=%" PRIu64 " acked=%" PRIu64 " ok=%" PRIu64 " refused=%" PRIu64
	       " foreign=%" PRIu64 " bad=%" PRIu64 "\n", s.region_id, acked, ok, refused, foreign,
	       bad);
	free(left);
	free(s.acked);
	return foreign || bad || (all && refused) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct rclc *c;
	int ret;

	if (argc < 5 || (strcmp(argv[2], "fill") && strcmp(argv[2], "verify") &&
			 strcmp(argv[2], "verify-all")) ||
	    (!strcmp(argv[2], "fill") && argc != 6)) {
		fprintf(stderr, "usage: swapfill SOCKET fill SEED MIB STATE\n"
				"       swapfill SOCKET verify|verify-all SEED STATE\n");
		return 2;
	}
	if (rclc_open(argv[1], "swapfill", &c) < 0) {
		fprintf(stderr, "swapfill: cannot connect to %s\n", argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "fill"))
		ret = cmd_fill(c, strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0), argv[5]);
	else
		ret = cmd_verify(c, strtoull(argv[3], NULL, 0), argv[4],
				 !strcmp(argv[2], "verify-all"));
	rclc_close(c);
	return ret;
}
