/* evloop — the service's one event loop: epoll, a tick, and callbacks.
 *
 * Every fd the loop watches belongs to an object that starts with a
 * struct evsrc, whose cb is called with the epoll events. */
#ifndef CORRAL_EVLOOP_H
#define CORRAL_EVLOOP_H

#include <stdint.h>

struct evsrc {
	void (*cb)(struct evsrc *src, uint32_t events);
};

struct evloop {
	int epfd;
};

int evloop_init(struct evloop *l);
void evloop_release(struct evloop *l);
/* Watches fd for events (EPOLLIN …) on behalf of src. Returns 0 or -errno. */
int evloop_add(struct evloop *l, int fd, uint32_t events, struct evsrc *src);
void evloop_del(struct evloop *l, int fd);
/* Waits up to timeout_ms and dispatches. Returns events handled or -errno. */
int evloop_run_once(struct evloop *l, int timeout_ms);

#endif
