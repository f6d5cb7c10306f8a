// How errors cross the public surface (include/sluice/error.h): every public call runs its body
// through CallWithPublicErrors, which turns sluice's internal Error (its message and kind), a
// std::filesystem error (kIo) and anything else (kInternal) into sluice::api::Error, so a
// caller catches one type and never sees an internal header's.
//
// Thread safety: stateless.
#pragma once

#include <exception>
#include <utility>

namespace sluice::api {

// Throws the api::Error that stands for `error` (the exception being handled).
[[noreturn]] void RethrowAsPublicError(std::exception_ptr error);

template <typename Body>
auto CallWithPublicErrors(Body&& body) -> decltype(std::forward<Body>(body)()) {
  try {
    return std::forward<Body>(body)();
  } catch (...) {
    RethrowAsPublicError(std::current_exception());
  }
}

}  // namespace sluice::api
