// What the retry loops of batched steps and finalize share (batched_step.h): the wait between
// attempts, and an attempt's error as text for the report.
//
// Thread safety: functions of their arguments.
#pragma once

#include <chrono>
#include <string>

#include "sluice/base/cancellation.h"

namespace sluice::batch {

// Waits `delay` or until cancel fires, whichever is first.
void WaitBackoff(std::chrono::milliseconds delay, const CancellationToken& cancel);

// The delay after `delay`: doubled, at most 8 x base.
std::chrono::milliseconds NextBackoff(std::chrono::milliseconds delay,
                                      std::chrono::milliseconds base);

// The message of the exception being handled (call inside a catch block).
std::string CurrentErrorText();

}  // namespace sluice::batch
