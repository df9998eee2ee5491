/* kho-pack: the pack stage as a program of its own (also `kho pack`). */
#include "kho/kho.h"

int main(int argc, char **argv)
{
	return kho_cmd_stage("pack", argc, argv);
}
