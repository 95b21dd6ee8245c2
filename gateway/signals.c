#define LOG_MODULE "gateway"
#include "gateway/gw.h"
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

/* SIGINT and SIGTERM are blocked in every thread (workers inherit the mask) and taken by one
 * thread with sigwait(), which may then call lws_cancel_service() like any other thread. */
static pthread_t signals_thread;
static bool signals_running;
static sigset_t signals_set;
static struct gw *signals_gw;

static void *signals_main(void *arg)
{
	struct gw *gw = arg;
	int sig = 0;
	while (sigwait(&signals_set, &sig) == EINTR)
		;
	if (!atomic_load(&gw->stop_requested))
		log_info("%s: stopping", strsignal(sig));
	atomic_store(&gw->stop_requested, true);
	server_wake(gw);
	return NULL;
}

/* Call before any other thread starts. */
int signals_start(struct gw *gw)
{
	signal(SIGPIPE, SIG_IGN);
	signals_gw = gw;
	sigemptyset(&signals_set);
	sigaddset(&signals_set, SIGINT);
	sigaddset(&signals_set, SIGTERM);
	int err = pthread_sigmask(SIG_BLOCK, &signals_set, NULL);
	if (!err)
		err = pthread_create(&signals_thread, NULL, signals_main, gw);
	signals_running = err == 0;
	return err;
}

/* Ends the signal thread (waking it if no signal came) and waits for it. */
void signals_stop(void)
{
	if (!signals_running)
		return;
	atomic_store(&signals_gw->stop_requested, true);  /* so the wake-up is not logged */
	pthread_kill(signals_thread, SIGTERM);  /* blocked: sigwait() takes it, or it is pending */
	pthread_join(signals_thread, NULL);
	signals_running = false;
}
