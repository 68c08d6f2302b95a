/*
 * libreclaim-client.c - the client side of the reclaimd wire API: blocking frames over a Unix
 * stream socket, request ids, and a queue of events pushed while waiting for an answer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "reclaim-client.h"

#define FRAME_BYTES_ONLY
#include "frame.h"

struct push {
	struct push *next;
	Reclaim__V1__Response *resp;
};

struct rclc {
	int fd;
	uint64_t next_id;			/* ids start at 1: 0 is the server's */
	Reclaim__V1__Response *hello;		/* the Hello answer, kept for rclc_server */
	struct push *events, **events_tail;	/* pushed events not yet taken, oldest first */
	char error[256];			/* rclc_hello's refusal */
};

const char *rclc_socket_path(const char *path)
{
	const char *env = getenv("RECLAIMD_SOCKET");

	if (path && *path)
		return path;
	return env && *env ? env : RCLC_DEFAULT_SOCKET;
}

int rclc_connect(const char *path, struct rclc **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rclc *c;
	int err;

	path = rclc_socket_path(path);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->events_tail = &c->events;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		rclc_close(c);
		return err;
	}
	*ret = c;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly LEN bytes; -ECONNRESET on EOF. */
static int read_all(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rclc_send_raw(struct rclc *c, const void *bytes, size_t len)
{
	return write_all(c->fd, bytes, len);
}

static int send_request(struct rclc *c, const Reclaim__V1__Request *req)
{
	size_t len = reclaim__v1__request__get_packed_size(req);
	uint8_t *buf;
	int ret;

	if (len > UINT32_MAX - FRAME_HEADER_BYTES)
		return -EMSGSIZE;
	buf = malloc(FRAME_HEADER_BYTES + len);
	if (!buf)
		return -ENOMEM;
	frame_put_header(buf, (uint32_t)len);
	reclaim__v1__request__pack(req, buf + FRAME_HEADER_BYTES);
	ret = write_all(c->fd, buf, FRAME_HEADER_BYTES + len);
	free(buf);
	return ret;
}

static int recv_response(struct rclc *c, Reclaim__V1__Response **ret)
{
	uint8_t header[FRAME_HEADER_BYTES];
	uint32_t len = 0;
	uint8_t *body;
	int r;

	r = read_all(c->fd, header, sizeof(header));
	if (r < 0)
		return r;
	if (frame_peek(header, sizeof(header), RCLC_MAX_FRAME, &len) < 0)
		return -EPROTO;
	body = malloc(len ? len : 1);
	if (!body)
		return -ENOMEM;
	r = read_all(c->fd, body, len);
	if (r == 0) {
		*ret = reclaim__v1__response__unpack(NULL, len, body);
		if (!*ret)
			r = -EPROTO;
	}
	free(body);
	return r;
}

static int queue_event(struct rclc *c, Reclaim__V1__Response *resp)
{
	struct push *p = malloc(sizeof(*p));

	if (!p) {
		rclc_response_free(resp);
		return -ENOMEM;
	}
	p->next = NULL;
	p->resp = resp;
	*c->events_tail = p;
	c->events_tail = &p->next;
	return 0;
}

int rclc_call(struct rclc *c, Reclaim__V1__Request *req, Reclaim__V1__Response **ret_resp)
{
	Reclaim__V1__Response *resp;
	int r;

	req->id = ++c->next_id;
	r = send_request(c, req);
	if (r < 0) {
		/* A server that refused us (a limit, shutting down) wrote why before closing:
		 * that answer is worth more than our write's EPIPE. */
		if ((r == -EPIPE || r == -ECONNRESET) && recv_response(c, &resp) == 0) {
			if (resp->id == 0) {
				*ret_resp = resp;
				return 0;
			}
			rclc_response_free(resp);
		}
		return r;
	}
	for (;;) {
		r = recv_response(c, &resp);
		if (r < 0)
			return r;
		if (resp->msg_case == RECLAIM__V1__RESPONSE__MSG_EVENT) {
			r = queue_event(c, resp);
			if (r < 0)
				return r;
			continue;
		}
		/* id 0: the server's answer to a frame it could not read, just before it closes. */
		if (resp->id == req->id || resp->id == 0) {
			*ret_resp = resp;
			return 0;
		}
		rclc_response_free(resp);	/* an answer to nobody: ignore it */
	}
}

int rclc_next_event(struct rclc *c, int timeout_ms, Reclaim__V1__Response **ret_push)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	Reclaim__V1__Response *resp;
	int r;

	for (;;) {
		struct push *p = c->events;

		if (p) {
			c->events = p->next;
			if (!c->events)
				c->events_tail = &c->events;
			*ret_push = p->resp;
			free(p);
			return 0;
		}
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0)
			continue;
		r = recv_response(c, &resp);
		if (r < 0)
			return r;
		if (resp->msg_case != RECLAIM__V1__RESPONSE__MSG_EVENT) {
			rclc_response_free(resp);
			continue;
		}
		r = queue_event(c, resp);
		if (r < 0)
			return r;
	}
}

int rclc_hello_memcg(struct rclc *c, const char *client_name, const char *memcg)
{
	Reclaim__V1__Request req = RECLAIM__V1__REQUEST__INIT;
	Reclaim__V1__Hello hello = RECLAIM__V1__HELLO__INIT;
	Reclaim__V1__Response *resp;
	int r;

	hello.protocol_version = RCLC_PROTOCOL_VERSION;
	hello.client_name = (char *)(client_name ? client_name : "libreclaim-client");
	hello.memcg = (char *)(memcg ? memcg : "");
	req.msg_case = RECLAIM__V1__REQUEST__MSG_HELLO;
	req.hello = &hello;
	r = rclc_call(c, &req, &resp);
	if (r < 0)
		return r;
	if (rclc_status_errno(resp) < 0 || resp->msg_case != RECLAIM__V1__RESPONSE__MSG_HELLO) {
		snprintf(c->error, sizeof(c->error), "%s",
			 resp->status ? resp->status->message : "hello: no answer");
		rclc_response_free(resp);
		return -EPROTO;
	}
	rclc_response_free(c->hello);
	c->hello = resp;
	return 0;
}

int rclc_hello(struct rclc *c, const char *client_name)
{
	return rclc_hello_memcg(c, client_name, NULL);
}

int rclc_send(struct rclc *c, Reclaim__V1__Request *req, uint64_t *ret_id)
{
	req->id = ++c->next_id;
	*ret_id = req->id;
	return send_request(c, req);
}

int rclc_recv(struct rclc *c, Reclaim__V1__Response **ret_resp)
{
	Reclaim__V1__Response *resp;
	int r;

	for (;;) {
		r = recv_response(c, &resp);
		if (r < 0)
			return r;
		if (resp->msg_case != RECLAIM__V1__RESPONSE__MSG_EVENT) {
			*ret_resp = resp;
			return 0;
		}
		r = queue_event(c, resp);
		if (r < 0)
			return r;
	}
}

int rclc_open(const char *path, const char *client_name, struct rclc **ret)
{
	struct rclc *c;
	int r = rclc_connect(path, &c);

	if (r < 0)
		return r;
	r = rclc_hello(c, client_name);
	if (r < 0) {
		rclc_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

const Reclaim__V1__HelloReply *rclc_server(const struct rclc *c)
{
	return c->hello ? c->hello->hello : NULL;
}

int rclc_fd(const struct rclc *c)
{
	return c->fd;
}

const char *rclc_last_error(const struct rclc *c)
{
	return c->error;
}

int rclc_status_errno(const Reclaim__V1__Response *resp)
{
	static const int errnos[] = {
		[RECLAIM__V1__CODE__OK] = 0,
		[RECLAIM__V1__CODE__INVALID_ARGUMENT] = EINVAL,
		[RECLAIM__V1__CODE__NOT_FOUND] = ENOENT,
		[RECLAIM__V1__CODE__PERMISSION_DENIED] = EPERM,
		[RECLAIM__V1__CODE__NO_MEMORY] = ENOMEM,
		[RECLAIM__V1__CODE__NO_SPACE] = ENOSPC,
		[RECLAIM__V1__CODE__IO_ERROR] = EIO,
		[RECLAIM__V1__CODE__UNSUPPORTED] = EOPNOTSUPP,
		[RECLAIM__V1__CODE__UNAVAILABLE] = ESHUTDOWN,
		[RECLAIM__V1__CODE__PROTOCOL_ERROR] = EPROTO,
		[RECLAIM__V1__CODE__BUSY] = EBUSY,
		[RECLAIM__V1__CODE__INTERNAL] = EIO,
		[RECLAIM__V1__CODE__ALREADY_EXISTS] = EEXIST,
	};
	unsigned int code;

	if (!resp->status)
		return -EPROTO;		/* every answer carries a status */
	code = (unsigned int)resp->status->code;
	if (code >= sizeof(errnos) / sizeof(errnos[0]))
		return -EIO;
	return -errnos[code];
}

const char *rclc_code_name(Reclaim__V1__Code code)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&reclaim__v1__code__descriptor, (int)code);

	return v ? v->name : "UNKNOWN";
}

void rclc_response_free(Reclaim__V1__Response *resp)
{
	if (resp)
		reclaim__v1__response__free_unpacked(resp, NULL);
}

void rclc_close(struct rclc *c)
{
	if (!c)
		return;
	while (c->events) {
		struct push *p = c->events;

		c->events = p->next;
		rclc_response_free(p->resp);
		free(p);
	}
	rclc_response_free(c->hello);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
