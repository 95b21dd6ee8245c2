/* rapportd: configuration, then the HTTP/WebSocket server, the media relay and the signalling
 * core wired together on one lws thread; SIGINT/SIGTERM stop it cleanly (exit 0).
 * `rapportd user ...` manages staff accounts instead (signaling/user_cli.h). */
#define LOG_MODULE "rapportd"
#include "base/log.h"
#include "base/mem.h"
#include "gateway/cli.h"
#include "gateway/config.h"
#include "gateway/gw.h"
#include "gateway/paths.h"
#include "media/media.h"
#include "signaling/sig.h"
#include "signaling/user_cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int main_configure(const struct cli *cli, struct config *cfg)
{
	char err[1024], bindir[PATH_MAX], cwd[PATH_MAX];
	config_defaults(cfg);
	if (cli->config_path && config_load(cfg, cli->config_path, err, sizeof(err))) {
		fprintf(stderr, "rapportd: %s\n", err);
		return -1;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	for (size_t i = 0; i < cli->noverrides; i++) {
		const struct cli_override *o = &cli->overrides[i];
		if (config_set(cfg, o->key, o->value, cwd, err, sizeof(err))) {
			fprintf(stderr, "rapportd: --%s: %s\n", o->option, err);
			return -1;
		}
	}
	int e = path_self_dir(bindir, sizeof(bindir));
	if (e) {
		fprintf(stderr, "rapportd: cannot find my own directory: %s\n", strerror(e));
		return -1;
	}
	if (config_finish(cfg, bindir, err, sizeof(err))) {
		fprintf(stderr, "rapportd: %s\n", err);
		return -1;
	}
	return 0;
}

static void main_announce(const struct config *cfg, const struct gw *gw)
{
	const char *host = config_addr_any(cfg->bind) ? cfg->public_ip : cfg->bind;
	const char *lb = strchr(host, ':') ? "[" : "", *rb = *lb ? "]" : "";
	const char *blb = strchr(cfg->bind, ':') ? "[" : "", *brb = *blb ? "]" : "";
	log_info("rapportd %s: %u media workers on %s ports %u-%u, candidates on %s",
		 RAPPORT_VERSION, media_worker_count(gw->media), cfg->media_bind, cfg->rtp_ports.lo,
		 cfg->rtp_ports.hi, cfg->public_ip);
	log_info("web root %s, data %s", cfg->web_root, cfg->data_dir);
	if (!cfg->repair)
		log_info("loss repair is off (repair = false): no NACKs, no retransmissions");
	log_info("customer: http://%s%s%s:%u/customer/", lb, host, rb, gw->port);
	log_info("agent: http://%s%s%s:%u/agent/", lb, host, rb, gw->port);
	log_info("listening on http://%s%s%s:%u", blb, cfg->bind, brb, gw->port);
}

static int main_start(struct config *cfg, struct gw *gw)
{
	if (server_start(gw))
		return -1;
	if (!cfg->set[CONFIG_ALLOWED_ORIGINS] && cfg->http_port != gw->port)
		config_default_origins(cfg, gw->port);  /* port 0: the kernel picked one */
	struct media_config mc = {
		.bind_ip = cfg->media_bind, .public_ip = cfg->public_ip,
		.port_min = cfg->rtp_ports.lo, .port_max = cfg->rtp_ports.hi,
		.workers = cfg->workers, .no_repair = !cfg->repair, .duck_db = cfg->duck_db,
		.batch_us = cfg->media_batch_us,
	};
	int err = media_start(&gw->media, &mc, server_wake, gw);
	if (err) {
		log_error("cannot start the media relay: %s", strerror(err));
		return -1;
	}
	struct sig_config sc = {
		.data_dir = cfg->data_dir, .languages = cfg->languages, .topics = cfg->topics,
		.wake = server_wake, .wake_arg = gw,
		.ring_timeout_ms = cfg->ring_timeout_s * 1000u,
		.return_window_ms = cfg->return_to_agent_s * 1000u,
		.default_handle_ms = cfg->default_handle_time_s * 1000u,
		.customer_token_ttl_ms = cfg->customer_token_ttl_s * 1000ull,
		.agent_token_ttl_ms = cfg->agent_token_ttl_s * 1000ull,
	};
	if ((err = sig_alloc(&gw->sig, &sc, gw->media, &ws_transport))) {
		log_error("cannot start signalling: %s", strerror(err));
		return -1;
	}
	if (admin_token_save(cfg))
		return -1;
	main_announce(cfg, gw);
	return 0;
}

static int main_run(struct config *cfg)
{
	static struct gw gw = {.wake_lock = PTHREAD_MUTEX_INITIALIZER};
	gw.cfg = cfg;
	int err = signals_start(&gw);
	if (err) {
		log_error("cannot set up signal handling: %s", strerror(err));
		return 1;
	}
	int rc = main_start(cfg, &gw) || server_run(&gw) ? 1 : 0;
	signals_stop();
	server_stop(&gw);           /* closes every connection: sessions detach */
	gw.sig = mem_deref(gw.sig); /* ends the calls left, media included */
	if (gw.media)
		media_stop(gw.media);   /* joins the workers */
	log_info("stopped");
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "user") == 0)
		return user_cli_main(argc - 1, argv + 1);
	struct cli cli;
	cli_parse(&cli, argc, argv);
	switch (cli.action) {
	case CLI_HELP:
		cli_usage(stdout, "rapportd");
		return 0;
	case CLI_VERSION:
		printf("rapportd %s\n", RAPPORT_VERSION);
		return 0;
	case CLI_USAGE_ERROR:
		fprintf(stderr, "rapportd: %s (see --help)\n", cli.error);
		return 2;
	case CLI_RUN:
		break;
	}
	static struct config cfg;
	if (main_configure(&cli, &cfg))
		return 2;
	log_set_level(cfg.log_level);
	return main_run(&cfg);
}
