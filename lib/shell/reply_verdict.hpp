// Did a Majordomo service answer with success or with a failure? zd-call's exit code says
// which, so a script can trust `zd-call svc x && ...`. MDP has no status of its own: these
// are the conventions of the replies our peers send (docs: README's zd-call section).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zd::shell {

struct reply_verdict_t {
    bool failed = false;
    std::string why; // for a failure: what in the reply says so, for the log
};

// Judges a reply of service:
// - a first frame "ERROR" or starting "ERROR " is a failure (lib/mdp's worker answers a
//   handler that threw that way; zd-worker a command that failed or exited non-zero);
// - mmi.*: a status code other than 200 as first frame (404 no such service, 501 not
//   implemented); mmi.services and mmi.stats answer JSON, which is success;
// - titanic.*: a status code other than 200 (300 not replied yet, 400 bad or unknown
//   request, 500 full), the 9/TSP status codes;
// - anything else is success.
reply_verdict_t judge_reply(std::string_view service, const std::vector<std::string>& reply);

} // namespace zd::shell
