#include "policies/common/yaml_documents.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

TEST(LoadYamlDocuments, TheDocumentsLoadAllGives) {
  auto docs = LoadYamlDocuments("a: 1\n---\nb: [2, 3]\n---\n- x\n");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["a"].as<int>(), 1);
  EXPECT_EQ(docs[1]["b"][1].as<int>(), 3);
  EXPECT_EQ(docs[1]["b"].Mark().line, 2);  // marks as LoadAll sets them
  EXPECT_EQ(docs[2][0].as<std::string>(), "x");
  EXPECT_TRUE(LoadYamlDocuments("").empty());
  EXPECT_EQ(LoadYamlDocuments("# only a comment\n").size(), 0u);
}

TEST(LoadYamlDocuments, ThrowsWhereLoadAllWouldLoopForever) {
  for (const std::string text : {",", "# x\n,u\n", "a: 1\n---\n,\n", "- a\n---\n, b\n"}) {
    try {
      LoadYamlDocuments(text);
      ADD_FAILURE() << "no exception for " << text;
    } catch (const YAML::ParserException& e) {
      EXPECT_NE(std::string(e.what()).find("no YAML node can start here"), std::string::npos);
    }
  }
}

TEST(LoadYamlDocuments, OtherSyntaxErrorsAreLoadAllsOwn) {
  EXPECT_THROW(LoadYamlDocuments("kind: [Timetable\n"), YAML::ParserException);
}

}  // namespace
}  // namespace prebell
