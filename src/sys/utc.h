#pragma once

#include <cstdint>
#include <ctime>

/* Calendar fields of a UTC time, computed here: glibc's gmtime_r reads the
 * time zone (/etc/localtime) on its first call although UTC needs none, a
 * file opened and parsed on every create for a date. */
namespace bulkhead::utc {

struct Fields
{
	int64_t year;
	int month, day, hour, minute, second; /* month 1-12, day 1-31 */
};

/* The proleptic Gregorian date of day DAYS after 1970-01-01 (negative
 * before). Counted from 2000-03-01, the day after a leap day that ends a
 * 400-year cycle: each cycle is 146,097 days, then four centuries of 36,524
 * (the fourth may hold one more, its last day), then four-year spans of 1,461,
 * then years of 365 (the fourth may hold the leap day). A year counted from
 * March ends with February, so its leap day comes last. */
constexpr Fields fromDays(int64_t days) noexcept
{
	constexpr int64_t kMarch2000 = 11017; /* days from 1970-01-01 to 2000-03-01 */
	constexpr int kMonthDays[] = {31, 30, 31, 30, 31, 31,
	                              30, 31, 30, 31, 31, 29}; /* Mar..Feb */
	int64_t rest = days - kMarch2000;
	int64_t cycles = rest / 146097;
	rest %= 146097;
	if (rest < 0) {
		rest += 146097;
		cycles--;
	}
	int64_t year = 2000 + 400 * cycles;
	const int64_t centuries = rest / 36524 < 4 ? rest / 36524 : 3;
	rest -= centuries * 36524;
	const int64_t spans = rest / 1461;
	rest -= spans * 1461;
	const int64_t years = rest / 365 < 4 ? rest / 365 : 3;
	rest -= years * 365;
	year += 100 * centuries + 4 * spans + years;
	int month = 0; /* March */
	while (rest >= kMonthDays[month]) {
		rest -= kMonthDays[month];
		month++;
	}
	const int calendarMonth = month < 10 ? month + 3 : month - 9;
	return Fields{calendarMonth <= 2 ? year + 1 : year,
	              calendarMonth,
	              static_cast<int>(rest) + 1,
	              0,
	              0,
	              0};
}

constexpr Fields fields(std::time_t t) noexcept
{
	const int64_t s = static_cast<int64_t>(t);
	int64_t days = s / 86400, rest = s % 86400;
	if (rest < 0) {
		rest += 86400;
		days--;
	}
	Fields f = fromDays(days);
	f.hour = static_cast<int>(rest / 3600);
	f.minute = static_cast<int>(rest / 60 % 60);
	f.second = static_cast<int>(rest % 60);
	return f;
}

static_assert(fromDays(0).year == 1970 && fromDays(0).month == 1 && fromDays(0).day == 1);
static_assert(fromDays(59).month == 3 && fromDays(59).day == 1);        /* 1970 is no leap year */
static_assert(fromDays(11016).month == 2 && fromDays(11016).day == 29); /* 2000-02-29 */
static_assert(fields(-1).year == 1969 && fields(-1).second == 59);

} // namespace bulkhead::utc
