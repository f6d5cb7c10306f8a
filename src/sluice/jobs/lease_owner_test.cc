#include "sluice/jobs/lease_owner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sluice::jobs {
namespace {

TEST(LeaseOwnerTest, FormatsAndParsesHostAndPid) {
  const LeaseOwner owner{"node-7.example", 4242};
  EXPECT_EQ(owner.ToString(), "node-7.example:4242");
  EXPECT_EQ(LeaseOwner::Parse(owner.ToString()), owner);
  // A host name holding a colon keeps it: the pid follows the last one.
  EXPECT_EQ(LeaseOwner::Parse("fe80::1:17"), (LeaseOwner{"fe80::1", 17}));
  EXPECT_EQ(LeaseOwner::ThisProcess().pid, getpid());
  EXPECT_EQ(LeaseOwner::Parse(LeaseOwner::ThisProcess().ToString()), LeaseOwner::ThisProcess());
}

TEST(LeaseOwnerTest, OwnersNotInTheHostPidFormAreNotParsed) {
  for (const char* text : {"", "worker-3", "host:", "host:12x", "host: 12", "host:-", ":"}) {
    EXPECT_EQ(LeaseOwner::Parse(text), std::nullopt) << text;
  }
}

TEST(LeaseOwnerTest, OnlyExitedProcessesOfThisHostAreDead) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  LeaseOwner gone = LeaseOwner::ThisProcess();
  gone.pid = child;
  EXPECT_TRUE(gone.IsDeadLocalProcess());

  EXPECT_FALSE(LeaseOwner::ThisProcess().IsDeadLocalProcess());
  LeaseOwner parent = LeaseOwner::ThisProcess();
  parent.pid = getppid();
  EXPECT_FALSE(parent.IsDeadLocalProcess());
  gone.host += "-elsewhere";
  EXPECT_FALSE(gone.IsDeadLocalProcess());
}

}  // namespace
}  // namespace sluice::jobs
