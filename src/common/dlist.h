/* dlist — the two operations of an intrusive doubly linked list, for any
 * struct with `prev` and `next` pointers to its own type and a head
 * pointer: push at the front, and unlink from anywhere (the node's links are
 * then NULL). Macros, so each list keeps its own element type. */
#ifndef CORRAL_DLIST_H
#define CORRAL_DLIST_H

#include <stddef.h>

#define DLIST_PUSH(head, node) \
	do { \
		(node)->prev = NULL; \
		(node)->next = (head); \
		if (head) \
			(head)->prev = (node); \
		(head) = (node); \
	} while (0)

#define DLIST_UNLINK(head, node) \
	do { \
		if ((node)->prev) \
			(node)->prev->next = (node)->next; \
		else \
			(head) = (node)->next; \
		if ((node)->next) \
			(node)->next->prev = (node)->prev; \
		(node)->prev = (node)->next = NULL; \
	} while (0)

#endif
