//! Calendar arithmetic on timestamps the caller supplies. No clock is read here.

/// A civil date and time in the store's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day, 1 to 31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
}

impl LocalTime {
    /// Converts unix milliseconds to local time at a fixed UTC offset in minutes (+480 for China).
    pub fn from_unix_ms(ts_ms: i64, utc_offset_min: i32) -> LocalTime {
        let secs = ts_ms.div_euclid(1000) + i64::from(utc_offset_min) * 60;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        LocalTime { year, month, day, hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60 }
    }

    /// `2026-11-22`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `2026-11-22 09:05`.
    pub fn date_time(&self) -> String {
        format!("{} {:02}:{:02}", self.date(), self.hour, self.minute)
    }
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD` and returns unix milliseconds of its local midnight.
pub fn parse_date_ms(text: &str, utc_offset_min: i32) -> Option<i64> {
    let mut parts = text.trim().split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || day == 0 || !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some(days * 86_400_000 - i64::from(utc_offset_min) * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_dates() {
        // 2026-11-22 01:30 UTC is 09:30 in Shanghai.
        let t = LocalTime::from_unix_ms(1_795_311_000_000, 480);
        assert_eq!(t.date_time(), "2026-11-22 09:30");
        assert_eq!(parse_date_ms("2026-11-22", 480), Some(1_795_276_800_000));
        assert_eq!(LocalTime::from_unix_ms(parse_date_ms("2024-02-29", 480).unwrap(), 480).date(), "2024-02-29");
        assert_eq!(parse_date_ms("2023-02-29", 480), None);
        assert_eq!(parse_date_ms("2023-13-01", 0), None);
        assert_eq!(parse_date_ms("yesterday", 0), None);
        for days in [-1000, 0, 1, 59, 60, 10_000, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
