//! Timestamps in the forms stores export them, parsed to UTC unix seconds.
//!
//! Accepted: unix seconds or milliseconds (numbers; milliseconds when above
//! 10^11), ISO 8601 (`2019-10-01T00:00:00Z`, `+02:00` offsets), `YYYY-MM-DD HH:MM[:SS]`
//! with an optional ` UTC` suffix, a bare `YYYY-MM-DD`, US `M/D/YYYY H:MM`,
//! `D-Mon-YY` (`31-Jul-18`) and Amazon's `MM D, YYYY`. Date-times without a zone
//! are taken as UTC.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2019-10-01T00:00:00Z` for unix seconds.
pub fn format_iso(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// `2019-10-01` for a day number.
pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds from a unix number: milliseconds when the magnitude says so.
pub fn unix_to_secs(value: i64) -> i64 {
    if value.abs() >= 100_000_000_000 {
        value.div_euclid(1000)
    } else {
        value
    }
}

fn valid_date(y: i64, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m) && (1800..=2200).contains(&y)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A small cursor over ASCII bytes.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s: s.trim().as_bytes(),
            i: 0,
        }
    }
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i < self.s.len() && self.i - start < max && self.s[self.i].is_ascii_digit() {
            v = v * 10 + u32::from(self.s[self.i] - b'0');
            self.i += 1;
        }
        (self.i - start >= min).then_some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn rest(&self) -> &'a [u8] {
        &self.s[self.i..]
    }
}

/// `HH:MM[:SS[.fff]]` after a date; returns seconds into the day.
fn time_of_day(c: &mut Cursor) -> Option<i64> {
    let h = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let m = c.digits(2, 2)?;
    let mut s = 0;
    if c.eat(b':') {
        s = c.digits(2, 2)?;
        if c.eat(b'.') || c.eat(b',') {
            c.digits(1, 9)?;
        }
    }
    // A 12-hour clock suffix.
    let mut h = h;
    let rest = c.rest();
    let trimmed = rest.strip_prefix(b" ").unwrap_or(rest);
    if trimmed.eq_ignore_ascii_case(b"AM") || trimmed.eq_ignore_ascii_case(b"PM") {
        if h == 12 {
            h = 0;
        }
        if trimmed.eq_ignore_ascii_case(b"PM") {
            h += 12;
        }
        c.i = c.s.len();
    }
    (h < 24 && m < 60 && s < 61).then_some(i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s))
}

/// Trailing zone: nothing, `Z`, ` UTC`, `+HH:MM`, `+HHMM`; returns offset seconds.
fn zone(c: &mut Cursor) -> Option<i64> {
    let rest = c.rest();
    if rest.is_empty() || rest == b"Z" || rest == b" UTC" || rest == b"UTC" || rest == b" GMT" {
        c.i = c.s.len();
        return Some(0);
    }
    let sign = match rest.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.i += 1;
    let h = c.digits(2, 2)?;
    c.eat(b':');
    let m = c.digits(2, 2)?;
    c.done()
        .then_some(sign * (i64::from(h) * 3600 + i64::from(m) * 60))
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone]`.
pub fn parse_iso(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    let y = c.digits(4, 4)?;
    if !c.eat(b'-') {
        return None;
    }
    let m = c.digits(1, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let d = c.digits(1, 2)?;
    if !valid_date(i64::from(y), m, d) {
        return None;
    }
    let day = days_from_civil(i64::from(y), m, d) * 86_400;
    if c.done() {
        return Some(day);
    }
    if !(c.eat(b'T') || c.eat(b' ')) {
        return None;
    }
    let tod = time_of_day(&mut c)?;
    let offset = zone(&mut c)?;
    Some(day + tod - offset)
}

/// US `M/D/YYYY[ H:MM[:SS]]`.
pub fn parse_us(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    let m = c.digits(1, 2)?;
    if !c.eat(b'/') {
        return None;
    }
    let d = c.digits(1, 2)?;
    if !c.eat(b'/') {
        return None;
    }
    let y = c.digits(4, 4)?;
    if !valid_date(i64::from(y), m, d) {
        return None;
    }
    let day = days_from_civil(i64::from(y), m, d) * 86_400;
    if c.done() {
        return Some(day);
    }
    if !c.eat(b' ') {
        return None;
    }
    let tod = time_of_day(&mut c)?;
    c.done().then_some(day + tod)
}

const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

fn month_from_name(name: &[u8]) -> Option<u32> {
    if name.len() < 3 {
        return None;
    }
    let lower = name[..3].to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower.as_slice())
        .map(|i| i as u32 + 1)
}

/// `D-Mon-YY` or `D-Mon-YYYY` (two-digit years are 20YY).
pub fn parse_day_month_name(s: &str) -> Option<i64> {
    let t = s.trim();
    let mut parts = t.split('-');
    let d: u32 = parts.next()?.parse().ok()?;
    let month = month_from_name(parts.next()?.as_bytes())?;
    let y_str = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let y: i64 = y_str.parse().ok()?;
    let y = if y_str.len() == 2 { 2000 + y } else { y };
    valid_date(y, month, d).then(|| days_from_civil(y, month, d) * 86_400)
}

/// Amazon's `MM D, YYYY` (also `Mon D, YYYY`).
pub fn parse_month_day_year(s: &str) -> Option<i64> {
    let t = s.trim();
    let (md, y) = t.split_once(", ")?;
    let (m, d) = md.split_once(' ')?;
    let month = m
        .parse::<u32>()
        .ok()
        .or_else(|| month_from_name(m.as_bytes()))?;
    let d: u32 = d.trim().parse().ok()?;
    let y: i64 = y.trim().parse().ok()?;
    valid_date(y, month, d).then(|| days_from_civil(y, month, d) * 86_400)
}

/// Digits only: unix seconds or milliseconds.
pub fn parse_unix_text(s: &str) -> Option<i64> {
    let t = s.trim();
    if t.is_empty() || t.len() > 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<i64>().ok().map(unix_to_secs)
}

pub type Parser = fn(&str) -> Option<i64>;

/// Every string parser, most specific first.
pub const PARSERS: [Parser; 5] = [
    parse_iso,
    parse_us,
    parse_day_month_name,
    parse_month_day_year,
    parse_unix_text,
];

/// Try every known form.
pub fn parse_any(s: &str) -> Option<i64> {
    PARSERS.iter().find_map(|p| p(s))
}

/// The parser that reads `s`, so a whole column can use it without trying all.
pub fn parser_for(s: &str) -> Option<Parser> {
    PARSERS.iter().copied().find(|p| p(s).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-1000, 0, 1, 10_000, 17_805, 20_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn parses_every_documented_form() {
        let t = 1_569_888_000; // 2019-10-01T00:00:00Z
        assert_eq!(parse_any("2019-10-01 00:00:00 UTC"), Some(t));
        assert_eq!(parse_any("2019-10-01T00:00:00Z"), Some(t));
        assert_eq!(parse_any("2019-10-01T02:00:00+02:00"), Some(t));
        assert_eq!(parse_any("2019-10-01 00:00"), Some(t));
        assert_eq!(parse_any("2019-10-01"), Some(t));
        assert_eq!(parse_any("10/1/2019 0:00"), Some(t));
        assert_eq!(parse_any("10/1/2019 12:00 AM"), Some(t));
        assert_eq!(parse_any("1-Oct-19"), Some(t));
        assert_eq!(parse_any("10 1, 2019"), Some(t));
        assert_eq!(parse_any("1569888000"), Some(t));
        assert_eq!(parse_any("1569888000123"), Some(t));
        assert_eq!(parse_any("2019-10-01 00:00:00.250"), Some(t));
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "",
            "yesterday",
            "2019-13-01",
            "2019-02-30",
            "12/31",
            "abc-Oct-19",
            "2019-10-01 25:00",
        ] {
            assert_eq!(parse_any(s), None, "{s}");
        }
    }

    #[test]
    fn iso_formatting() {
        assert_eq!(format_iso(1_569_888_000), "2019-10-01T00:00:00Z");
        assert_eq!(format_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_day(18_170), "2019-10-01");
    }
}
