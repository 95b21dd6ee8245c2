/* auth: password checks off the signalling thread.
 *
 * store_account_verify() runs scrypt (~0.1 s, 32 MiB): done on the lws thread it would stall
 * every connection for that long per sign-in. So one worker thread with its own store
 * connection takes requests from a list (mutex + condition), and hands each answer back
 * through an mqueue whose notify is the gateway's wake; the signalling thread drains it in
 * sig_poll() (auth_poll).
 *
 * Ownership: a request (mem object) is referenced by exactly one of: the worker's list, the
 * worker while it checks, the answer queue, the handler. The connection that asked points at
 * it weakly (sig_conn.login) and the request back at the connection (req->conn); both
 * pointers are touched only on the signalling thread, and auth_forget() cuts them when the
 * connection goes first. The worker reads only the username and password, which are wiped as
 * soon as it is done. At most AUTH_PENDING_MAX requests wait: more get EBUSY. */
#define LOG_MODULE "auth"
#include "signaling/internal.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/mqueue.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#define AUTH_PENDING_MAX 64

struct auth_req {
	struct auth_req *next;         /* the worker's list */
	struct sig_conn *conn;         /* sig thread only; NULL once the connection went */
	char username[PROTO_CRED_MAX + 1];
	char password[PROTO_CRED_MAX + 1];
	int err;                       /* the worker's answer */
	struct store_account *account;
};

struct auth {
	pthread_t thread;
	bool started;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct auth_req *head, *tail;  /* waiting, oldest first; each holds its reference */
	size_t pending;
	bool stop;
	struct store *store;           /* the worker's connection */
	struct mqueue *done;           /* answers to the signalling thread */
};

static void auth_req_destroy(void *data)
{
	struct auth_req *r = data;
	OPENSSL_cleanse(r->password, sizeof(r->password));
	mem_deref(r->account);
}

static struct auth_req *auth_next(struct auth *a)
{
	pthread_mutex_lock(&a->mtx);
	while (!a->stop && !a->head)
		pthread_cond_wait(&a->cond, &a->mtx);
	struct auth_req *r = a->stop ? NULL : a->head;
	if (r) {
		a->head = r->next;
		if (!a->head)
			a->tail = NULL;
		r->next = NULL;
		a->pending--;
	}
	pthread_mutex_unlock(&a->mtx);
	return r;
}

static void *auth_main(void *arg)
{
	struct auth *a = arg;
	struct auth_req *r;
	while ((r = auth_next(a))) {
		r->err = store_account_verify(a->store, r->username, r->password, &r->account);
		OPENSSL_cleanse(r->password, sizeof(r->password));
		if (r->err && r->err != EACCES && r->err != EPERM)
			log_error("password check for '%s' failed: %s", r->username,
				  store_errmsg(a->store));
		if (mqueue_push(a->done, r))  /* it dropped r: that sign-in never completes */
			log_error("no memory for the answer of a password check");
	}
	return NULL;
}

static void auth_destroy(void *data)
{
	struct auth *a = data;
	if (a->started) {
		pthread_mutex_lock(&a->mtx);
		a->stop = true;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->mtx);
		pthread_join(a->thread, NULL);
	}
	for (struct auth_req *r = a->head, *next; r; r = next) {
		next = r->next;
		mem_deref(r);
	}
	mem_deref(a->done);    /* drops answers nobody collected */
	mem_deref(a->store);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->mtx);
}

int auth_start(struct auth **ap, const char *data_dir, void (*wake)(void *), void *wake_arg)
{
	struct auth *a = mem_alloc(sizeof(*a), auth_destroy);
	if (!a)
		return ENOMEM;
	pthread_mutex_init(&a->mtx, NULL);
	pthread_cond_init(&a->cond, NULL);
	int err = store_sqlite_open(&a->store, data_dir);
	if (!err)
		err = mqueue_alloc_notify(&a->done, wake, wake_arg);
	if (!err)
		err = pthread_create(&a->thread, NULL, auth_main, a);
	a->started = !err;
	if (err)
		mem_deref(a);
	else
		*ap = a;
	return err;
}

int auth_submit(struct auth *a, struct sig_conn *c, const char *user, const char *pass)
{
	struct auth_req *r = mem_alloc(sizeof(*r), auth_req_destroy);
	if (!r)
		return ENOMEM;
	snprintf(r->username, sizeof(r->username), "%s", user);
	snprintf(r->password, sizeof(r->password), "%s", pass);
	r->conn = c;
	int err = 0;
	pthread_mutex_lock(&a->mtx);
	if (a->pending >= AUTH_PENDING_MAX) {
		err = EBUSY;
	} else {
		if (a->tail)
			a->tail->next = r;
		else
			a->head = r;
		a->tail = r;
		a->pending++;
		c->login = r;
		pthread_cond_signal(&a->cond);
	}
	pthread_mutex_unlock(&a->mtx);
	if (err)
		mem_deref(r);
	return err;
}

void auth_forget(struct sig_conn *c)
{
	if (c->login)
		c->login->conn = NULL;
	c->login = NULL;
}

struct auth_poll_ctx {
	auth_done_h *h;
	void *arg;
};

static void auth_answer(void *msg, void *arg)
{
	struct auth_req *r = msg;
	struct auth_poll_ctx *ctx = arg;
	struct auth_result res = {.err = r->err, .account = r->account, .conn = r->conn};
	if (r->conn)
		r->conn->login = NULL;
	r->conn = NULL;
	ctx->h(&res, ctx->arg);
	mem_deref(r);
}

void auth_poll(struct auth *a, auth_done_h *h, void *arg)
{
	struct auth_poll_ctx ctx = {h, arg};
	if (a)
		mqueue_drain(a->done, auth_answer, &ctx);
}
