/* The result of the last computation whose inputs were equal. `policy check`
 * judges thousands of specs that share a seccomp profile and a host: a rule
 * keeps what it computed for the last inputs and reuses it for equal ones. A
 * process that computes once (a create) keeps no copy. ARGS must hold
 * everything the computation reads; it must be a pure function of them. */
#pragma once

#include <optional>
#include <tuple>
#include <utility>

namespace bulkhead::policy::util {

template <typename Result, typename... Args> class LastResult
{
public:
	/* COMPUTE() unless the last call had equal ARGS; an exception from it
	 * leaves nothing remembered */
	template <typename F> Result get(F &&compute, const Args &...args)
	{
		if (last_ && last_->first == std::tie(args...))
			return last_->second;
		Result r = compute();
		if (computedBefore_)
			last_.emplace(std::tuple<Args...>(args...), r);
		computedBefore_ = true;
		return r;
	}

private:
	std::optional<std::pair<std::tuple<Args...>, Result>> last_;
	bool computedBefore_ = false;
};

} // namespace bulkhead::policy::util
