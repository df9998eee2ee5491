/* kho-compress: the compress stage as a program of its own (also `kho compress`). */
#include "kho/kho.h"

int main(int argc, char **argv)
{
	return kho_cmd_stage("compress", argc, argv);
}
