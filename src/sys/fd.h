/* The owned file descriptor lives with the public headers (the logger holds
 * one); src/ includes it under its old name. */
#pragma once

#include "bulkhead/fd.h"
