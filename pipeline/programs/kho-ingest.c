/* kho-ingest: the ingest stage as a program of its own (also `kho ingest`). */
#include "kho/kho.h"

int main(int argc, char **argv)
{
	return kho_cmd_stage("ingest", argc, argv);
}
