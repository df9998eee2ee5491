/* kho-normalize: the normalize stage as a program of its own (also `kho normalize`). */
#include "kho/kho.h"

int main(int argc, char **argv)
{
	return kho_cmd_stage("normalize", argc, argv);
}
