#include "sluice/version.h"

namespace sluice::api {

std::string_view LibraryVersion() { return kVersion; }

}  // namespace sluice::api
