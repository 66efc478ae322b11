/* scache — see scache.h. A list in recency order: with at most SCACHE_MAX
 * entries, a lookup's walk (a hash compare each) is cheaper than the parse
 * it saves by two orders of magnitude. */
#include "worker/scache.h"

#include "common/dlist.h"

#include <stdlib.h>
#include <string.h>

struct scache_entry {
	struct scache_entry *prev, *next;
	uint64_t hash;
	unsigned mode;
	bool tla;
	JSScriptRef script;
	size_t len;      /* of code */
	char *filename;
	char code[];     /* len bytes */
};

static uint64_t key_hash(const char *code, size_t len, const char *filename, unsigned mode)
{
	uint64_t h = 0xcbf29ce484222325ull ^ mode; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)code[i];
		h *= 0x100000001b3ull;
	}
	for (const char *p = filename; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void free_entry(struct scache *c, struct scache_entry *e)
{
	DLIST_UNLINK(c->head, e);
	c->n--;
	c->bytes -= e->len;
	JSScriptRelease(e->script);
	free(e->filename);
	free(e);
}

static struct scache_entry *find(struct scache *c, const char *code, size_t len,
				 const char *filename, unsigned mode, uint64_t h)
{
	for (struct scache_entry *e = c->head; e; e = e->next)
		if (e->hash == h && e->len == len && e->mode == mode &&
		    strcmp(e->filename, filename) == 0 && memcmp(e->code, code, len) == 0)
			return e;
	return NULL;
}

JSScriptRef scache_get(struct scache *c, const char *code, size_t len, const char *filename,
		       unsigned mode, bool *tla)
{
	if (len > SCACHE_CODE_MAX)
		return NULL;
	struct scache_entry *e = find(c, code, len, filename, mode, key_hash(code, len, filename, mode));
	if (!e) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	DLIST_UNLINK(c->head, e);
	DLIST_PUSH(c->head, e);
	*tla = e->tla;
	JSScriptRetain(e->script);
	return e->script;
}

void scache_put(struct scache *c, const char *code, size_t len, const char *filename,
		unsigned mode, JSScriptRef script, bool tla)
{
	if (len > SCACHE_CODE_MAX || !script)
		return;
	uint64_t h = key_hash(code, len, filename, mode);
	if (find(c, code, len, filename, mode, h))
		return;
	struct scache_entry *e = malloc(sizeof *e + len);
	char *fn = e ? strdup(filename) : NULL;
	if (!fn) {
		free(e);
		return;
	}
	/* Room: the least recently used go (the tail). */
	struct scache_entry *tail = c->head;
	while (tail && tail->next)
		tail = tail->next;
	while (tail && (c->n >= SCACHE_MAX || c->bytes + len > SCACHE_BYTES)) {
		struct scache_entry *prev = tail->prev;
		free_entry(c, tail);
		tail = prev;
	}
	memset(e, 0, sizeof *e);
	e->hash = h;
	e->mode = mode;
	e->tla = tla;
	e->script = script;
	JSScriptRetain(script);
	e->len = len;
	e->filename = fn;
	memcpy(e->code, code, len);
	DLIST_PUSH(c->head, e);
	c->n++;
	c->bytes += len;
}

void scache_release(struct scache *c)
{
	while (c->head)
		free_entry(c, c->head);
	memset(c, 0, sizeof *c);
}
