/* kho-describe: the describe stage as a program of its own (also `kho describe`). */
#include "kho/kho.h"

int main(int argc, char **argv)
{
	return kho_cmd_stage("describe", argc, argv);
}
