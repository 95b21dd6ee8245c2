/* rapport-user: `rapportd user ...` as a stand-alone program, so the account CLI can be tested
 * as a real process before rapportd's main exists. Usage: rapport-user user add|list|remove ... */
#include "signaling/user_cli.h"

int main(int argc, char **argv)
{
	return user_cli_main(argc - 1, argv + 1);
}
