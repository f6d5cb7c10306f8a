#include "sluice/base/memory_limit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "sluice/base/bytes.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr const char* kV1Mount =
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:5 - cgroup cgroup rw,memory\n";
constexpr const char* kV2Mount =
    "41 31 0:38 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kV1Unlimited = "9223372036854771712\n";

// A fake system root: proc/self/cgroup, proc/self/mountinfo, proc/meminfo and cgroup files.
class MemoryLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("sluice_memory_limit_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& path, const std::string& text) {
    const fs::path file = root_ / fs::path(path).relative_path();
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  void Physical(int64_t bytes) {
    Write("/proc/meminfo",
          "MemTotal:       " + std::to_string(bytes / 1024) + " kB\nMemFree:         1000 kB\n");
  }

  fs::path root_;
};

TEST_F(MemoryLimitTest, V1LimitOfTheProcesssCgroup) {
  Physical(16_GiB);
  Write("/proc/self/mountinfo", kV1Mount);
  Write("/proc/self/cgroup", "5:devices:/a/b\n4:memory:/a/b\n0::/\n");
  Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited);
  Write("/sys/fs/cgroup/memory/a/memory.limit_in_bytes", kV1Unlimited);
  Write("/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes", std::to_string(512_MiB) + "\n");
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 512_MiB);
  EXPECT_EQ(limit.physical_bytes, 16_GiB);
  EXPECT_EQ(limit.cgroup_bytes, 512_MiB);
  EXPECT_EQ(limit.cgroup, "/sys/fs/cgroup/memory/a/b");
  EXPECT_EQ(limit.Describe(), "the cgroup limit of /sys/fs/cgroup/memory/a/b (512.0 MiB)");
}

TEST_F(MemoryLimitTest, V1AncestorWithTheSmallerLimitWins) {
  Physical(16_GiB);
  Write("/proc/self/mountinfo", kV1Mount);
  Write("/proc/self/cgroup", "4:memory:/a/b/c\n");
  Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited);
  Write("/sys/fs/cgroup/memory/a/memory.limit_in_bytes", std::to_string(256_MiB));
  Write("/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes", std::to_string(1_GiB));
  Write("/sys/fs/cgroup/memory/a/b/c/memory.limit_in_bytes", kV1Unlimited);
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 256_MiB);
  EXPECT_EQ(limit.cgroup, "/sys/fs/cgroup/memory/a");
}

TEST_F(MemoryLimitTest, V1UnlimitedEverywhereMeansPhysicalMemory) {
  Physical(8_GiB);
  Write("/proc/self/mountinfo", kV1Mount);
  Write("/proc/self/cgroup", "4:memory:/a\n");
  Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited);
  Write("/sys/fs/cgroup/memory/a/memory.limit_in_bytes", kV1Unlimited);
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 8_GiB);
  EXPECT_EQ(limit.cgroup_bytes, 0);
  EXPECT_EQ(limit.cgroup, "");
  EXPECT_EQ(limit.Describe(), "physical memory (8.00 GiB)");
}

TEST_F(MemoryLimitTest, V1JoinedControllersAndAnEscapedMountPoint) {
  Physical(8_GiB);
  Write("/proc/self/mountinfo",
        "35 31 0:32 / /sys/fs/cgroup/cpu\\040memory rw - cgroup cgroup rw,cpu,memory\n");
  Write("/proc/self/cgroup", "3:cpu,memory:/job\n");
  Write("/sys/fs/cgroup/cpu memory/job/memory.limit_in_bytes", std::to_string(300_MiB));
  EXPECT_EQ(DetectMemoryLimit(root_).bytes, 300_MiB);
}

TEST_F(MemoryLimitTest, V1SubHierarchyMountedAsTheRootOfAContainer) {
  // Docker without a cgroup namespace: /proc/self/cgroup names the host's path, and mountinfo
  // says that path is what is mounted at /sys/fs/cgroup/memory.
  Physical(64_GiB);
  Write("/proc/self/mountinfo",
        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n");
  Write("/proc/self/cgroup", "4:memory:/docker/abc\n");
  Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", std::to_string(2_GiB));
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 2_GiB);
  EXPECT_EQ(limit.cgroup, "/sys/fs/cgroup/memory");

  // A child of the mounted cgroup.
  Write("/proc/self/cgroup", "4:memory:/docker/abc/task\n");
  Write("/sys/fs/cgroup/memory/task/memory.limit_in_bytes", std::to_string(1_GiB));
  EXPECT_EQ(DetectMemoryLimit(root_).bytes, 1_GiB);
}

TEST_F(MemoryLimitTest, V2MemoryMaxWalkingUpFromTheProcesssCgroup) {
  Physical(32_GiB);
  Write("/proc/self/mountinfo", kV2Mount);
  Write("/proc/self/cgroup", "0::/user.slice/job.scope\n");
  Write("/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
  Write("/sys/fs/cgroup/user.slice/memory.max", std::to_string(2_GiB) + "\n");
  Write("/sys/fs/cgroup/user.slice/job.scope/memory.max", "max\n");
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 2_GiB);
  EXPECT_EQ(limit.cgroup, "/sys/fs/cgroup/user.slice");
}

TEST_F(MemoryLimitTest, V2MaxEverywhereMeansPhysicalMemory) {
  Physical(32_GiB);
  Write("/proc/self/mountinfo", kV2Mount);
  Write("/proc/self/cgroup", "0::/user.slice/job.scope\n");
  Write("/sys/fs/cgroup/user.slice/memory.max", "max\n");
  Write("/sys/fs/cgroup/user.slice/job.scope/memory.max", "max\n");
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 32_GiB);
  EXPECT_EQ(limit.cgroup_bytes, 0);
}

TEST_F(MemoryLimitTest, V2InACgroupNamespaceIsTheMountItself) {
  Physical(32_GiB);
  Write("/proc/self/mountinfo", kV2Mount);
  Write("/proc/self/cgroup", "0::/\n");
  Write("/sys/fs/cgroup/memory.max", std::to_string(768_MiB));
  EXPECT_EQ(DetectMemoryLimit(root_).bytes, 768_MiB);
}

TEST_F(MemoryLimitTest, HybridSystemTakesTheV1MemoryLimit) {
  // systemd's hybrid layout: memory is a v1 controller, the unified hierarchy has no memory.max.
  Physical(16_GiB);
  Write("/proc/self/mountinfo",
        std::string(kV1Mount) +
            "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  Write("/proc/self/cgroup", "4:memory:/svc\n0::/svc\n");
  Write("/sys/fs/cgroup/memory/svc/memory.limit_in_bytes", std::to_string(3_GiB));
  Write("/sys/fs/cgroup/unified/svc/cgroup.procs", "1\n");
  EXPECT_EQ(DetectMemoryLimit(root_).bytes, 3_GiB);
}

TEST_F(MemoryLimitTest, ACgroupLimitAbovePhysicalMemoryIsPhysicalMemory) {
  Physical(4_GiB);
  Write("/proc/self/mountinfo", kV1Mount);
  Write("/proc/self/cgroup", "4:memory:/big\n");
  Write("/sys/fs/cgroup/memory/big/memory.limit_in_bytes", std::to_string(64_GiB));
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 4_GiB);
  EXPECT_EQ(limit.cgroup_bytes, 64_GiB);
  EXPECT_EQ(limit.Describe(), "physical memory (4.00 GiB)");
}

TEST_F(MemoryLimitTest, WithoutMountinfoTheConventionalV1Place) {
  Physical(16_GiB);
  Write("/proc/self/cgroup", "4:memory:/x\n");
  Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", kV1Unlimited);
  Write("/sys/fs/cgroup/memory/x/memory.limit_in_bytes", std::to_string(100_MiB));
  EXPECT_EQ(DetectMemoryLimit(root_).bytes, 100_MiB);
}

TEST_F(MemoryLimitTest, PathsThatLeaveTheHierarchyAreIgnored) {
  Physical(16_GiB);
  Write("/proc/self/mountinfo", kV1Mount);
  Write("/proc/self/cgroup", "4:memory:/../../../limits\n");
  Write("/sys/limits/memory.limit_in_bytes", std::to_string(1_MiB));
  EXPECT_EQ(DetectMemoryLimit(root_).bytes, 16_GiB);
}

TEST_F(MemoryLimitTest, NothingReadableAssumesOneGiB) {
  const MemoryLimit limit = DetectMemoryLimit(root_);
  EXPECT_EQ(limit.bytes, 1_GiB);
  EXPECT_EQ(limit.physical_bytes, 0);
  EXPECT_NE(limit.Describe().find("assumed 1.00 GiB"), std::string::npos) << limit.Describe();
}

TEST(MemoryLimitProcessTest, TheRunningSystemHasALimit) {
  const MemoryLimit& limit = ProcessMemoryLimit();
  EXPECT_GT(limit.bytes, 0);
  EXPECT_GT(limit.physical_bytes, 0);
  EXPECT_LE(limit.bytes, limit.physical_bytes);
}

TEST(DefaultMemoryBudgetTest, SixtyPercentOfWhatIsLeftAfterTheFixedAllowance) {
  EXPECT_EQ(DefaultMemoryBudget(16_GiB), (16_GiB - 64_MiB) / 100 * 60);
  EXPECT_EQ(DefaultMemoryBudget(1_GiB), (1_GiB - 64_MiB) / 100 * 60);
  // Tiny limits get a quarter.
  EXPECT_EQ(DefaultMemoryBudget(64_MiB), 16_MiB);
}

TEST(DefaultMemoryBudgetTest, TheRssAllowanceFitsTheLimit) {
  // 1.25 x budget + 64 MiB, the RSS a run may reach, stays inside the limit from 100 MiB up and
  // leaves at least a fifth of large limits to the page cache and other processes.
  for (int64_t limit :
       {100_MiB, 128_MiB, 144_MiB, 256_MiB, 384_MiB, 1_GiB, 4_GiB, 24_GiB, int64_t{512} << 30}) {
    const int64_t budget = DefaultMemoryBudget(limit);
    const int64_t allowance = budget + budget / 4 + 64_MiB;
    EXPECT_LE(allowance, limit) << FormatBytes(limit);
    if (limit >= 1_GiB) {
      EXPECT_LE(allowance, limit / 5 * 4) << FormatBytes(limit);
    }
    EXPECT_GE(budget, limit / 4) << FormatBytes(limit);
  }
}

}  // namespace
}  // namespace sluice
