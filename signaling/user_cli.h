/* user_cli: the `rapportd user ...` commands that manage staff accounts.
 *
 *   rapportd user add --data-dir DIR --role agent|interpreter|supervisor|admin --username U
 *                     (--password P | --password-file F) [--languages en,es] [--skills a,b]
 *   rapportd user list --data-dir DIR
 *   rapportd user remove --data-dir DIR --username U
 *
 * Safe while rapportd runs on the same data directory (SQLite WAL + busy timeout). Passwords
 * are never printed; --password-file reads the first line of a file (/dev/stdin works), which
 * keeps the password out of `ps`. Every change is written to the audit log (actor "cli"). */
#ifndef SIGNALING_USER_CLI_H
#define SIGNALING_USER_CLI_H

enum {
	USER_CLI_OK = 0,
	USER_CLI_FAILED = 1,    /* the command was understood but failed (duplicate, no such user,
				   database error, unreadable password file) */
	USER_CLI_USAGE = 2,     /* bad command line; usage printed */
};

/* argv[0] is "user"; prints results on stdout and errors on stderr; returns an exit code */
int user_cli_main(int argc, char **argv);

#endif
