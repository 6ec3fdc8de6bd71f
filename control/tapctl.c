/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtapctl: the client side of the tapdisk control protocol (tapctl.h).
 *
 * One request, one reply, on an AF_UNIX stream socket. All socket I/O uses
 * MSG_DONTWAIT and waits in poll() against one deadline for the whole
 * call, so the caller's fd may be blocking or not, a slow or dead tapdisk
 * costs at most timeout_ms, and a peer that went away yields -ECONNRESET
 * instead of SIGPIPE (MSG_NOSIGNAL).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tapctl-int.h"

/* MESSAGE of the last failed reply of this thread's last tapctl_call. */
static _Thread_local char last_message[TD_MSG_MAX];

/* Sequence numbers: process-wide, so concurrent callers never collide. */
static uint32_t next_seq;

/* Bound of one-shot requests (tapctl_set_timeout). */
static int request_timeout_ms = TAPCTL_TIMEOUT_MS;

const char *tapctl_dir(const char *dir)
{
	const char *env;

	if (dir && *dir)
		return dir;
	env = getenv(TAPCTL_ENV_DIR);
	if (env && *env)
		return env;
	return TAPCTL_DEFAULT_DIR;
}

int tapctl_socket_path(const char *dir, pid_t pid, char *buf, size_t len)
{
	int n;

	if (!buf || pid <= 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s/ctl%ld", tapctl_dir(dir), (long)pid);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int tapctl_connect(const char *dir, pid_t pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	rc = tapctl_socket_path(dir, pid, sa.sun_path, sizeof(sa.sun_path));
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* An AF_UNIX connect interrupted while the listen queue is full leaves
	 * the socket unconnected: just try again. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EISCONN)
			break;
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- I/O with a deadline ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline (-1: none) passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int ms = -1, n;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		/* Ready, or POLLHUP / POLLERR: the next send/recv tells. */
		return 0;
	}
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc;

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				rc = wait_fd(fd, POLLOUT, deadline);
				if (rc < 0)
					return rc;
				continue;
			}
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t k = recv(fd, p, n, MSG_DONTWAIT);
		int rc;

		if (k == 0)
			return -ECONNRESET;	/* tapdisk closed mid-call */
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				rc = wait_fd(fd, POLLIN, deadline);
				if (rc < 0)
					return rc;
				continue;
			}
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* ---- calls ---- */

static int send_request(int fd, const struct td_msg *req, int64_t deadline)
{
	uint8_t *buf;
	int len, rc;

	len = td_msg_encode(req, NULL, 0);
	if (len < 0)
		return len;
	buf = malloc((size_t)len);
	if (!buf)
		return -ENOMEM;
	rc = td_msg_encode(req, buf, (size_t)len);
	if (rc >= 0)
		rc = send_all(fd, buf, (size_t)len, deadline);
	free(buf);
	return rc < 0 ? rc : 0;
}

static int recv_reply(int fd, struct td_msg *reply, int64_t deadline)
{
	uint8_t hdr[TD_PROTO_HDR_SIZE];
	uint8_t *buf;
	int len, rc;

	rc = recv_all(fd, hdr, sizeof(hdr), deadline);
	if (rc < 0)
		return rc;
	len = td_msg_frame_len(hdr, sizeof(hdr));
	if (len < 0)
		return len;
	buf = malloc((size_t)len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, sizeof(hdr));
	rc = recv_all(fd, buf + sizeof(hdr), (size_t)len - sizeof(hdr), deadline);
	if (rc == 0)
		rc = td_msg_decode(buf, (size_t)len, reply);
	free(buf);
	return rc;
}

int tapctl_call(int fd, struct td_msg *req, struct td_msg *reply, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int rc;

	last_message[0] = '\0';
	if (fd < 0 || !req || !reply || (req->type & TD_MSG_REPLY))
		return -EINVAL;
	req->seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_RELAXED);

	rc = send_request(fd, req, deadline);
	if (rc < 0)
		return rc;
	rc = recv_reply(fd, reply, deadline);
	if (rc < 0)
		return rc;
	if (reply->type != (req->type | TD_MSG_REPLY) ||
	    reply->seq != req->seq || !TD_HAS(reply, TD_A_STATUS))
		return -EBADMSG;
	if (reply->status < 0)
		snprintf(last_message, sizeof(last_message), "%s",
			 reply->message);
	return reply->status;
}

int tapctl_request(const char *dir, pid_t pid, struct td_msg *req,
		   struct td_msg *reply)
{
	struct td_msg *own = NULL;
	int fd, rc;

	if (!reply) {
		own = tapctl_msg_new();
		if (!own)
			return -ENOMEM;
		reply = own;
	}
	fd = tapctl_connect(dir, pid);
	if (fd < 0) {
		last_message[0] = '\0';
		rc = fd;
		goto out;
	}
	rc = tapctl_call(fd, req, reply,
			 __atomic_load_n(&request_timeout_ms, __ATOMIC_RELAXED));
	close(fd);
out:
	free(own);
	return rc;
}

const char *tapctl_last_message(void)
{
	return last_message;
}

void tapctl_set_message(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
}

void tapctl_set_timeout(int ms)
{
	__atomic_store_n(&request_timeout_ms, ms > 0 ? ms : TAPCTL_TIMEOUT_MS,
			 __ATOMIC_RELAXED);
}

void tapctl_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct td_msg *tapctl_msg_new(void)
{
	return calloc(1, sizeof(struct td_msg));
}

/* ---- one-shot wrappers ---- */

static struct td_msg *new_request(uint16_t type)
{
	struct td_msg *m = tapctl_msg_new();

	if (m)
		m->type = type;	/* calloc'ed: td_msg_init would only re-zero */
	return m;
}

/* Send req (and free it), discarding the reply but its status. */
static int request_and_free(const char *dir, pid_t pid, struct td_msg *req)
{
	int rc = tapctl_request(dir, pid, req, NULL);

	free(req);
	return rc;
}

int tapctl_vbd_open(const char *dir, pid_t pid, uint32_t minor,
		    const char *params, uint32_t flags)
{
	struct td_msg *req;
	int rc;

	if (!params)
		return -EINVAL;
	req = new_request(TD_MSG_VBD_OPEN);
	if (!req)
		return -ENOMEM;
	td_msg_set_u32(req, TD_A_MINOR, minor);
	td_msg_set_u32(req, TD_A_FLAGS, flags);
	rc = td_msg_set_str(req, TD_A_PARAMS, params);
	if (rc < 0) {
		free(req);
		return rc == -E2BIG ? -ENAMETOOLONG : rc;
	}
	return request_and_free(dir, pid, req);
}

int tapctl_vbd_close(const char *dir, pid_t pid, uint32_t minor, uint32_t flags)
{
	struct td_msg *req = new_request(TD_MSG_VBD_CLOSE);

	if (!req)
		return -ENOMEM;
	td_msg_set_u32(req, TD_A_MINOR, minor);
	td_msg_set_u32(req, TD_A_FLAGS, flags);
	return request_and_free(dir, pid, req);
}

int tapctl_ring_connect(const char *dir, pid_t pid, uint32_t minor,
			const struct tapctl_ring *r)
{
	struct td_msg *req;

	if (!r || r->ring_order > 4)
		return -EINVAL;
	req = new_request(TD_MSG_RING_CONNECT);
	if (!req)
		return -ENOMEM;
	td_msg_set_u32(req, TD_A_MINOR, minor);
	td_msg_set_u32(req, TD_A_DOMID, r->domid);
	td_msg_set_u32(req, TD_A_DEVID, r->devid);
	td_msg_set_u32(req, TD_A_QUEUE, r->queue);
	td_msg_set_u32(req, TD_A_RING_ORDER, r->ring_order);
	td_msg_set_ring_refs(req, r->ring_refs, 1u << r->ring_order);
	td_msg_set_u32(req, TD_A_EVTCHN, r->evtchn);
	td_msg_set_u32(req, TD_A_ABI, r->abi);
	td_msg_set_u32(req, TD_A_FLAGS, r->flags);
	return request_and_free(dir, pid, req);
}

int tapctl_ring_disconnect(const char *dir, pid_t pid, uint32_t minor,
			   int domid, int devid, int queue)
{
	struct td_msg *req = new_request(TD_MSG_RING_DISCONNECT);

	if (!req)
		return -ENOMEM;
	td_msg_set_u32(req, TD_A_MINOR, minor);
	if (domid >= 0) {
		td_msg_set_u32(req, TD_A_DOMID, (uint32_t)domid);
		td_msg_set_u32(req, TD_A_DEVID, (uint32_t)devid);
	}
	if (queue >= 0)
		td_msg_set_u32(req, TD_A_QUEUE, (uint32_t)queue);
	return request_and_free(dir, pid, req);
}

int tapctl_status(const char *dir, pid_t pid, int minor, struct td_msg *reply)
{
	struct td_msg *req;
	int rc;

	if (!reply)
		return -EINVAL;
	req = new_request(TD_MSG_STATUS);
	if (!req)
		return -ENOMEM;
	if (minor >= 0)
		td_msg_set_u32(req, TD_A_MINOR, (uint32_t)minor);
	rc = tapctl_request(dir, pid, req, reply);
	free(req);
	return rc;
}

/* ---- VBD lifecycle and media ---- */

/* A request of type for minor, with params (NULL: none) and flags (0:
 * none), sent and freed. */
static int minor_request(const char *dir, pid_t pid, uint16_t type,
			 uint32_t minor, const char *params, uint32_t flags,
			 struct td_msg *reply)
{
	struct td_msg *req = new_request(type);
	int rc;

	if (!req)
		return -ENOMEM;
	td_msg_set_u32(req, TD_A_MINOR, minor);
	if (flags)
		td_msg_set_u32(req, TD_A_FLAGS, flags);
	if (params) {
		rc = td_msg_set_str(req, TD_A_PARAMS, params);
		if (rc < 0) {
			free(req);
			return rc == -E2BIG ? -ENAMETOOLONG : rc;
		}
	}
	rc = tapctl_request(dir, pid, req, reply);
	free(req);
	return rc;
}

int tapctl_attach(const char *dir, pid_t pid, uint32_t minor)
{
	return minor_request(dir, pid, TD_MSG_ATTACH, minor, NULL, 0, NULL);
}

int tapctl_detach(const char *dir, pid_t pid, uint32_t minor)
{
	return minor_request(dir, pid, TD_MSG_DETACH, minor, NULL, 0, NULL);
}

int tapctl_pause(const char *dir, pid_t pid, uint32_t minor)
{
	return minor_request(dir, pid, TD_MSG_PAUSE, minor, NULL, 0, NULL);
}

int tapctl_unpause(const char *dir, pid_t pid, uint32_t minor,
		   const char *params)
{
	if (params && !*params)
		return -EINVAL;
	return minor_request(dir, pid, TD_MSG_UNPAUSE, minor, params, 0, NULL);
}

int tapctl_shutdown(const char *dir, pid_t pid)
{
	struct td_msg *req = new_request(TD_MSG_SHUTDOWN);

	if (!req)
		return -ENOMEM;
	return request_and_free(dir, pid, req);
}

int tapctl_media_eject(const char *dir, pid_t pid, uint32_t minor,
		       uint32_t flags)
{
	return minor_request(dir, pid, TD_MSG_MEDIA_EJECT, minor, NULL, flags,
			     NULL);
}

int tapctl_media_insert(const char *dir, pid_t pid, uint32_t minor,
			const char *params)
{
	if (!params || !*params)
		return -EINVAL;
	return minor_request(dir, pid, TD_MSG_MEDIA_INSERT, minor, params, 0,
			     NULL);
}

int tapctl_media_status(const char *dir, pid_t pid, uint32_t minor,
			struct td_vbd_status *st)
{
	struct td_msg *rep = tapctl_msg_new();
	int rc;

	if (!rep)
		return -ENOMEM;
	rc = minor_request(dir, pid, TD_MSG_MEDIA_STATUS, minor, NULL, 0, rep);
	if (rc == 0 && st) {
		if (rep->nr_vbds < 1) {
			rc = -EBADMSG;
			tapctl_set_message("tapdisk's reply holds no VBD");
		} else {
			*st = rep->vbds[0];
		}
	}
	free(rep);
	return rc;
}

static const char *const stat_names[TD_STAT__COUNT] = {
	[TD_STAT_REQ_READ] = "req_read",
	[TD_STAT_REQ_WRITE] = "req_write",
	[TD_STAT_REQ_BARRIER] = "req_barrier",
	[TD_STAT_REQ_FLUSH] = "req_flush",
	[TD_STAT_REQ_PACKET] = "req_packet",
	[TD_STAT_REQ_DISCARD] = "req_discard",
	[TD_STAT_REQ_INDIRECT] = "req_indirect",
	[TD_STAT_REQ_UNKNOWN] = "req_unknown",
	[TD_STAT_SECT_READ] = "sect_read",
	[TD_STAT_SECT_WRITE] = "sect_write",
	[TD_STAT_ERR_IO] = "err_io",
	[TD_STAT_ERR_GUEST] = "err_guest",
	[TD_STAT_ERR_GRANT] = "err_grant",
	[TD_STAT_INFLIGHT] = "inflight",
	[TD_STAT_NOTIFY_SENT] = "notify_sent",
	[TD_STAT_EVENTS] = "events",
	[TD_STAT_FLUSH_DONE] = "flush_done",
	[TD_STAT_DISCARD_DONE] = "discard_done",
	[TD_STAT_ZERO_COPY] = "zero_copy",
	[TD_STAT_MAP_CAPPED] = "map_capped",
};

const char *tapctl_stat_name(unsigned i)
{
	return i < TD_STAT__COUNT && stat_names[i] ? stat_names[i] : "unknown";
}
