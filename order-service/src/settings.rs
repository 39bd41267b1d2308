//! Reading a host's settings by name through a lookup, keeping every problem: a host that cannot
//! start names everything that is missing or invalid in one error, rather than one variable per
//! attempt to start it.
//!
//! The library never reads the environment itself: a host binary passes a lookup of its process
//! environment, a test a list. Values are trimmed, and an empty value counts as unset.
//!
//! ```
//! use std::time::Duration;
//! use order_service::settings::{SettingsReader, parse_duration};
//!
//! let env = [("BBWS_GRACE", "90s"), ("BBWS_LIMIT", "many")];
//! let lookup = |name: &str| env.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned());
//! let mut reader = SettingsReader::new(&lookup);
//! let grace = reader.parsed_or("BBWS_GRACE", Duration::from_secs(30), parse_duration);
//! let limit = reader.parsed_or("BBWS_LIMIT", 10_u32, |text| text.parse().map_err(|_| "not a number".to_owned()));
//! let name = reader.required("BBWS_NAME");
//! assert_eq!(grace, Some(Duration::from_secs(90)));
//! let error = reader.finish_with(grace.zip(limit).zip(name)).unwrap_err();
//! assert_eq!(error.to_string(), "BBWS_LIMIT: not a number; BBWS_NAME is not set");
//! ```

use std::fmt;
use std::time::Duration;

/// One setting a host cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingProblem {
    /// Required, and not set (or empty).
    Missing(String),
    /// Set to something unusable.
    Invalid {
        /// The setting's name (its variable).
        name: String,
        /// What is wrong with it (never the value of a secret).
        reason: String,
    },
}

impl SettingProblem {
    /// The setting's name (its variable).
    pub fn name(&self) -> &str {
        match self {
            Self::Missing(name) | Self::Invalid { name, .. } => name,
        }
    }
}

impl fmt::Display for SettingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(name) => write!(f, "{name} is not set"),
            Self::Invalid { name, reason } => write!(f, "{name}: {reason}"),
        }
    }
}

/// Every setting a host cannot use, in the order they were read; shown as one line naming each
/// (`BBWS_A is not set; BBWS_B: must be …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidSettings(Vec<SettingProblem>);

impl InvalidSettings {
    /// The problems, in the order they were found (never empty).
    pub fn problems(&self) -> &[SettingProblem] {
        &self.0
    }

    /// The names of the settings at fault.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(SettingProblem::name)
    }
}

impl fmt::Display for InvalidSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Reads settings by name through a lookup and keeps every problem it meets; [`finish_with`]
/// turns them into one [`InvalidSettings`].
///
/// Each reading method returns `None` when the value is unusable (the problem is kept), so a
/// caller assembles its settings from `Option`s and hands the result to `finish_with`, which
/// answers the settings only when no problem was found anywhere.
///
/// [`finish_with`]: SettingsReader::finish_with
pub struct SettingsReader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<SettingProblem>,
}

impl<'a> SettingsReader<'a> {
    /// A reader over `lookup` (a host binary passes the process environment, a test a list).
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { lookup, problems: Vec::new() }
    }

    /// The trimmed value of `name`; `None` when it is unset or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
    }

    /// The value of `name`, which must be set.
    pub fn required(&mut self, name: &str) -> Option<String> {
        let value = self.optional(name);
        if value.is_none() {
            self.problems.push(SettingProblem::Missing(name.to_owned()));
        }
        value
    }

    /// `name` parsed by `parse`, which must succeed; `None` (and a problem) when it is unset or
    /// `parse` refuses it with a reason.
    pub fn required_parsed<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.required(name)?;
        self.check(name, parse(&value))
    }

    /// `name` parsed by `parse`, or `default` when it is unset; `None` (and a problem) when
    /// `parse` refuses it.
    pub fn parsed_or<T>(&mut self, name: &str, default: T, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match self.optional(name) {
            None => Some(default),
            Some(value) => self.check(name, parse(&value)),
        }
    }

    /// `name` parsed by `parse` when it is set: `Some(None)` when unset, `None` (and a problem)
    /// when `parse` refuses it.
    pub fn optional_parsed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.optional(name) {
            None => Some(None),
            Some(value) => self.check(name, parse(&value)).map(Some),
        }
    }

    /// Records that `name` is unusable for `reason`.
    pub fn invalid(&mut self, name: &str, reason: impl Into<String>) {
        self.problems.push(SettingProblem::Invalid { name: name.to_owned(), reason: reason.into() });
    }

    /// Whether a problem was found so far.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// `settings` when no problem was found; else every problem.
    ///
    /// # Errors
    /// [`InvalidSettings`] naming each setting at fault.
    pub fn finish_with<T>(self, settings: Option<T>) -> Result<T, InvalidSettings> {
        match (settings, self.problems.is_empty()) {
            (Some(settings), true) => Ok(settings),
            (_, false) => Err(InvalidSettings(self.problems)),
            // A reading method returned `None` without a problem: a bug in the caller, still
            // reported as a refusal rather than a panic at start-up.
            (None, true) => Err(InvalidSettings(vec![SettingProblem::Invalid {
                name: "settings".to_owned(),
                reason: "incomplete (no setting was named; this is a bug)".to_owned(),
            }])),
        }
    }

    fn check<T>(&mut self, name: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|reason| self.invalid(name, reason)).ok()
    }
}

/// A duration written with its unit: a positive whole number followed by `ms`, `s`, `m`, `h` or
/// `d` (`1500ms`, `30s`, `90m`, `24h`, `7d`).
///
/// ```
/// # use std::time::Duration;
/// # use order_service::settings::parse_duration;
/// assert_eq!(parse_duration("90m"), Ok(Duration::from_mins(90)));
/// assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
/// assert!(parse_duration("24").is_err());
/// assert!(parse_duration("0s").is_err());
/// ```
///
/// # Errors
/// A reason for the host's start-up error: no unit, an unknown unit, not a whole number, zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "a positive whole number with a unit: ms, s, m, h or d (e.g. 30s, 24h)";
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not {EXPECTED}"))?;
    let seconds = |factor: u64| number.checked_mul(factor).map(Duration::from_secs);
    let duration = match unit.trim() {
        "ms" => Some(Duration::from_millis(number)),
        "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        _ => return Err(format!("{text:?} is not {EXPECTED}")),
    };
    match duration {
        Some(duration) if !duration.is_zero() => Ok(duration),
        Some(_) => Err(format!("{text:?} must be greater than zero")),
        None => Err(format!("{text:?} is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
    }

    #[test]
    fn blank_values_are_unset_and_values_are_trimmed() {
        let env = lookup(&[("A", "  "), ("B", " b \n")]);
        let mut reader = SettingsReader::new(&env);
        assert_eq!(reader.optional("A"), None);
        assert_eq!(reader.required("B").as_deref(), Some("b"));
        assert_eq!(reader.required("A"), None);
        assert_eq!(reader.finish_with(Some(())).unwrap_err().to_string(), "A is not set");
    }

    #[test]
    fn every_problem_is_kept_in_order() {
        let env = lookup(&[("N", "x"), ("D", "5 parsecs")]);
        let mut reader = SettingsReader::new(&env);
        let n = reader.required_parsed("N", |v| v.parse::<u8>().map_err(|_| "not a number".to_owned()));
        let missing = reader.required("M");
        let d = reader.parsed_or("D", Duration::ZERO, parse_duration);
        let unset = reader.optional_parsed("U", parse_duration);
        assert_eq!(unset, Some(None));
        let error = reader.finish_with(n.zip(missing).zip(d)).unwrap_err();
        assert_eq!(error.names().collect::<Vec<_>>(), ["N", "M", "D"]);
        assert!(error.to_string().starts_with("N: not a number; M is not set; D: \"5 parsecs\" is not"), "{error}");
    }

    #[test]
    fn durations_need_a_unit_and_a_positive_whole_number() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_hours(2)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_hours(7 * 24)));
        for bad in ["", "s", "1.5h", "-1h", "10", "10 years", "0ms", "99999999999999999999d", "18446744073709551615d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
