/* cli: rapportd's command line. Options that mirror config keys override the file. */
#ifndef GATEWAY_CLI_H
#define GATEWAY_CLI_H
#include <stddef.h>
#include <stdio.h>

#define RAPPORT_VERSION "0.1.0"
#define CLI_MAX_OVERRIDES 16

struct cli_override {
	const char *option;   /* as typed, for messages: "--http-port" */
	const char *key;      /* the config key it sets */
	const char *value;    /* points into argv */
};

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION, CLI_USAGE_ERROR };

struct cli {
	enum cli_action action;
	const char *config_path;     /* NULL: built-in defaults only */
	struct cli_override overrides[CLI_MAX_OVERRIDES];
	size_t noverrides;
	char error[256];             /* CLI_USAGE_ERROR: what was wrong */
};

void cli_parse(struct cli *cli, int argc, char **argv);
void cli_usage(FILE *out, const char *prog);

#endif
