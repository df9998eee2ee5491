/* kho init ROOT: a new work root. */
#include "kho/commands.h"
#include "cli/options.h"

int kho_cmd_init(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, NULL, 0, &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho init", "ROOT",
			  "Makes a work root: kho.conf with every setting and "
			  "its default, an empty catalog,\nand the store, "
			  "warehouse, reports and log folders.",
			  NULL, 0);
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos != 1 && !a.root)
		rc = kho_error_set(&err, KHO_USAGE,
				   "give the folder to make: kho init ROOT");
	const char *root = a.n_pos == 1 ? a.pos[0] : a.root;
	if (rc == KHO_OK)
		rc = kho_root_create(root, &err);
	if (rc == KHO_OK)
		printf("kho init: made work root '%s'\n"
		       "  settings: %s/kho.conf (set inbox = FOLDER there, or "
		       "give --inbox)\n"
		       "  next: kho run --root %s --inbox FOLDER\n",
		       root, root, root);
	kho_args_release(&a);
	return rc ? kho_report_error("kho init", &err) : 0;
}
