#include "controller/kube/token_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace prebell::kube {
namespace {

namespace fs = std::filesystem;

class TokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    path_ = (fs::temp_directory_path() / ("prebell-token-" + std::to_string(rd()))).string();
  }
  void TearDown() override { fs::remove(path_); }
  void WriteToken(const std::string& t) { std::ofstream(path_) << t; }

  std::string path_;
};

TEST_F(TokenSourceTest, ReReadsAfterTheRefreshPeriod) {
  auto clock = std::make_shared<FakeClock>();
  WriteToken("one\n");
  auto ts = TokenSource::FromFile(path_, clock, std::chrono::seconds(60));
  EXPECT_TRUE(ts->Rotates());
  EXPECT_EQ(*ts->Token(), "one");
  WriteToken("two");
  clock->Advance(std::chrono::seconds(59));
  EXPECT_EQ(*ts->Token(), "one");  // cached
  clock->Advance(std::chrono::seconds(1));
  EXPECT_EQ(*ts->Token(), "two");
}

TEST_F(TokenSourceTest, InvalidateForcesAReRead) {
  auto clock = std::make_shared<FakeClock>();
  WriteToken("one");
  auto ts = TokenSource::FromFile(path_, clock);
  EXPECT_EQ(*ts->Token(), "one");
  WriteToken("rotated");
  ts->Invalidate();  // what the transport does after a 401
  EXPECT_EQ(*ts->Token(), "rotated");
}

TEST_F(TokenSourceTest, KeepsTheLastGoodTokenWhenTheFileIsGone) {
  auto clock = std::make_shared<FakeClock>();
  WriteToken("good");
  auto ts = TokenSource::FromFile(path_, clock);
  EXPECT_EQ(*ts->Token(), "good");
  fs::remove(path_);
  ts->Invalidate();
  EXPECT_EQ(*ts->Token(), "good");
}

TEST_F(TokenSourceTest, MissingOrEmptyFileIsAnError) {
  auto clock = std::make_shared<FakeClock>();
  auto missing = TokenSource::FromFile(path_, clock);
  auto t = missing->Token();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find(path_), std::string::npos);
  WriteToken(" \n");
  auto empty = TokenSource::FromFile(path_, clock);
  EXPECT_EQ(empty->Token().status().code(), StatusCode::kInvalidArgument);
}

TEST(TokenSource, Static) {
  auto ts = TokenSource::Static(" abc ");
  EXPECT_FALSE(ts->Rotates());
  EXPECT_EQ(*ts->Token(), "abc");
}

}  // namespace
}  // namespace prebell::kube
