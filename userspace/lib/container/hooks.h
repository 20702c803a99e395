// Running config.json hooks (runtime-spec "POSIX-platform Hooks"): each hook
// gets the container's state JSON on stdin, its own args and env, and at most
// `timeout` seconds. Where and when each kind runs is the caller's business
// (lifecycle.cpp in the runtime, init_process.cpp in the container).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/spec.h"

namespace capsa::container {

// The hook kinds capsa runs, as config.json names them, in lifecycle order.
const std::vector<std::string>& hook_kinds();

// Runs the hooks in order; the first failure (exit status other than 0,
// death by signal, timeout) throws an Error naming "hooks.<kind>[i] <path>"
// with the reason and what the hook wrote to stderr. As under runc, a hook
// without args gets argv {path}, one without env the caller's environment.
void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind, const nlohmann::json& state);

// For poststart and poststop, whose failures the runtime-spec turns into
// warnings: every hook runs, each failure is logged.
void run_hooks_warning_only(const std::vector<spec::Hook>& hooks, const std::string& kind,
                            const nlohmann::json& state);

// The hooks `start` and `delete` run, kept in the container's state at create
// because the bundle may have changed or gone by then (as runc does).
nlohmann::json hooks_to_save(const spec::Hooks& hooks);
std::vector<spec::Hook> saved_hooks(const nlohmann::json& saved, const std::string& kind);

}  // namespace capsa::container
