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
 * before), by 400-year eras of 146,097 days, each starting on March 1st so
 * that the leap day ends a year. */
constexpr Fields fromDays(int64_t days) noexcept
{
	const int64_t z = days + 719468; /* days since 0000-03-01 */
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;                                      /* [0, 146096] */
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	const int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
	const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
	return Fields{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day, 0, 0, 0};
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
