#include "gateway/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Options that set a config key: one row each, the getopt table is built from it. */
static const struct cli_option {
	const char *name;
	const char *key;
	const char *arg;
	const char *help;
} cli_options[] = {
	{"bind", "bind", "ADDR", "address to listen on for HTTP and WebSocket (127.0.0.1)"},
	{"http-port", "http_port", "N", "HTTP port (8080; 0 = any free port)"},
	{"data-dir", "data_dir", "DIR", "where records are kept (<bindir>/../var)"},
	{"public-ip", "public_ip", "ADDR", "address put in media candidates (the bind address)"},
	{"rtp-ports", "rtp_ports", "LO-HI", "UDP ports of the media workers (40000-40100)"},
	{"web-root", "web_root", "DIR", "the browser pages (found next to the binary)"},
	{"log-level", "log_level", "L", "debug, info, warn or error (info)"},
};
#define CLI_NOPTS (sizeof(cli_options) / sizeof(cli_options[0]))

enum { CLI_OPT_CONFIG = 256, CLI_OPT_HELP, CLI_OPT_VERSION, CLI_OPT_KEY };

void cli_usage(FILE *out, const char *prog)
{
	fprintf(out, "usage: %s [--config FILE] [options]\n\n"
		"rapportd %s: WebRTC video-call gateway for call centres.\n\n"
		"  --config FILE        read settings from FILE (key = value; see docs/config.md)\n",
		prog, RAPPORT_VERSION);
	for (size_t i = 0; i < CLI_NOPTS; i++) {
		char left[32];
		snprintf(left, sizeof(left), "--%s %s", cli_options[i].name, cli_options[i].arg);
		fprintf(out, "  %-20s %s\n", left, cli_options[i].help);
	}
	fprintf(out, "  --help               show this and exit\n"
		"  --version            show the version and exit\n\n"
		"       %s user add|list|remove ...   manage staff accounts (%s user --help)\n\n"
		"Options override the same setting in the file. Exit status: 0 after a clean stop,\n"
		"1 when the server fails, 2 for a bad command line or configuration.\n", prog, prog);
}

void cli_parse(struct cli *cli, int argc, char **argv)
{
	struct option longopts[CLI_NOPTS + 4];
	memset(cli, 0, sizeof(*cli));
	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < CLI_NOPTS; i++)
		longopts[i] = (struct option){cli_options[i].name, required_argument, NULL, CLI_OPT_KEY + (int)i};
	longopts[CLI_NOPTS] = (struct option){"config", required_argument, NULL, CLI_OPT_CONFIG};
	longopts[CLI_NOPTS + 1] = (struct option){"help", no_argument, NULL, CLI_OPT_HELP};
	longopts[CLI_NOPTS + 2] = (struct option){"version", no_argument, NULL, CLI_OPT_VERSION};
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == CLI_OPT_HELP || c == CLI_OPT_VERSION) {
			cli->action = c == CLI_OPT_HELP ? CLI_HELP : CLI_VERSION;
			return;
		}
		if (c == CLI_OPT_CONFIG) {
			cli->config_path = optarg;
		} else if (c >= CLI_OPT_KEY && c < CLI_OPT_KEY + (int)CLI_NOPTS) {
			const struct cli_option *o = &cli_options[c - CLI_OPT_KEY];
			if (cli->noverrides == CLI_MAX_OVERRIDES) {
				snprintf(cli->error, sizeof(cli->error), "too many options");
				cli->action = CLI_USAGE_ERROR;
				return;
			}
			cli->overrides[cli->noverrides++] = (struct cli_override){o->name, o->key, optarg};
		} else {
			snprintf(cli->error, sizeof(cli->error), c == ':' ? "%s needs a value" : "unknown option %s",
				 argv[optind - 1]);
			cli->action = CLI_USAGE_ERROR;
			return;
		}
	}
	if (optind < argc) {
		snprintf(cli->error, sizeof(cli->error), "unexpected argument \"%s\"", argv[optind]);
		cli->action = CLI_USAGE_ERROR;
	}
}
