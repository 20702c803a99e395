#pragma once
// Version and commit of this build. They live in one generated source file
// (build_info.cpp.in) so a new commit recompiles that file alone.
namespace capsa {
extern const char* const kVersion;
extern const char* const kGitCommit;
}  // namespace capsa
