/* kho: the public API that the programs use. */
#ifndef KHO_KHO_H
#define KHO_KHO_H

#include "kho/commands.h"
#include "kho/error.h"

/* "0.1.0" */
const char *kho_version(void);

#endif
