#include "sluice/jobs/task_fault.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace sluice::jobs {
namespace {

const std::filesystem::path kAttemptDir = "/data/out/.sluice-attempts/p2-a1";

TaskFaultAction ActionFor(int error_number, const std::string& file, int64_t attempt = 1) {
  return TaskFaultActionFor(IoErrorFromErrno(error_number, "open", file), attempt, kAttemptDir);
}

TEST(TaskFaultTest, NoAccessToAnInputFailsThePartitionAtOnce) {
  EXPECT_EQ(ActionFor(EACCES, "/data/in/p=1/f0.parquet"), TaskFaultAction::kFailPermanently);
  EXPECT_EQ(ActionFor(EPERM, "/data/in/p=1/f0.parquet"), TaskFaultAction::kFailPermanently);
  // Beside the attempt's directory is not inside it.
  EXPECT_EQ(ActionFor(EACCES, "/data/out/.sluice-attempts/p2-a10/x"),
            TaskFaultAction::kFailPermanently);
}

TEST(TaskFaultTest, NoAccessToTheOutputStopsTheWorker) {
  EXPECT_EQ(ActionFor(EACCES, "/data/out/.sluice-attempts/p2-a1/.part-0.parquet.tmp-1"),
            TaskFaultAction::kStopWorker);
  EXPECT_EQ(ActionFor(EACCES, "/data/out/.sluice-attempts/p2-a1/../p2-a1/part-0.parquet"),
            TaskFaultAction::kStopWorker);
  EXPECT_EQ(
      TaskFaultActionFor(IoErrorFromErrno(EACCES, "open", "/data/out/.sluice-attempts/p2-a1/x"), 1,
                         "/data/out/.sluice-attempts/p2-a1/"),
      TaskFaultAction::kStopWorker);
  // An error that names no file cannot be told to be the partition's own.
  Error no_file = IoErrorFromErrno(EACCES, "open", "");
  EXPECT_EQ(TaskFaultActionFor(no_file, 1, kAttemptDir), TaskFaultAction::kStopWorker);
}

TEST(TaskFaultTest, AFullDiskOrReadOnlyFileSystemStopsTheWorkerWhereverItIs) {
  EXPECT_EQ(ActionFor(ENOSPC, "/data/in/p=1/f0.parquet"), TaskFaultAction::kStopWorker);
  EXPECT_EQ(ActionFor(EDQUOT, "/data/out/.sluice-attempts/p2-a1/x"), TaskFaultAction::kStopWorker);
  EXPECT_EQ(ActionFor(EROFS, "/data/in/spill/x"), TaskFaultAction::kStopWorker);
  EXPECT_TRUE(IsDiskFull(ResourceExhausted("write failed: No space left on device")));
  EXPECT_FALSE(IsDiskFull(ResourceExhausted("memory budget of 1 GiB exhausted")));
}

TEST(TaskFaultTest, ADeviceErrorIsRetriedOnceThenHandledByWhoseFileItIs) {
  EXPECT_EQ(ActionFor(EIO, "/data/in/p=1/f0.parquet", 1), TaskFaultAction::kRetry);
  EXPECT_EQ(ActionFor(EIO, "/data/in/p=1/f0.parquet", 2), TaskFaultAction::kFailPermanently);
  EXPECT_EQ(ActionFor(EIO, "/data/out/.sluice-attempts/p2-a1/x", 1), TaskFaultAction::kRetry);
  EXPECT_EQ(ActionFor(EIO, "/data/out/.sluice-attempts/p2-a1/x", 3), TaskFaultAction::kStopWorker);
}

TEST(TaskFaultTest, OtherErrorsAreRetried) {
  EXPECT_EQ(TaskFaultActionFor(InvalidData("bad row"), 1, kAttemptDir), TaskFaultAction::kRetry);
  EXPECT_EQ(ActionFor(ENOENT, "/data/in/p=1/f0.parquet"), TaskFaultAction::kRetry);
  // Words of a failed command's output are not a system failure.
  EXPECT_EQ(TaskFaultActionFor(IoError("exit status 1: open: Permission denied"), 2, kAttemptDir),
            TaskFaultAction::kRetry);
}

}  // namespace
}  // namespace sluice::jobs
