#include "test_hooks.h"

namespace bulkhead::testhooks {

Hook hook = nullptr;

} // namespace bulkhead::testhooks
