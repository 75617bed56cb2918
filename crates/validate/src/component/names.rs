//! Import and export names: kebab-case words, the `[constructor]`/`[method]`/`[static]` and
//! `[get]`/`[set]` annotations, interface names `ns:pkg/iface@version`, and the keys under
//! which two names count as the same (case- and dash-insensitive "strong uniqueness").

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Whether `s` is a kebab-case name: words of letters and digits joined by single dashes,
/// each word all-lowercase or all-uppercase, the first word starting with a letter.
pub fn is_kebab(s: &str) -> bool {
    let (mut lower, mut upper, mut first, mut digit) = (false, false, true, false);
    for c in s.chars() {
        match c {
            'a'..='z' if !lower && !upper => lower = true,
            'A'..='Z' if !lower && !upper => upper = true,
            '0'..='9' if !lower && !upper && !first => digit = true,
            'a'..='z' if lower => {}
            'A'..='Z' if upper => {}
            '0'..='9' if lower || upper => digit = true,
            '-' if lower || upper || digit => {
                lower = false;
                upper = false;
                first = false;
                digit = false;
            }
            _ => return false,
        }
    }
    !s.is_empty() && !s.ends_with('-')
}

/// The characters two kebab names are compared by: dashes dropped, letters lowercased.
pub fn kebab_key(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ResourceFunc {
    Constructor,
    Method,
    Static,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Accessor {
    Get,
    Set,
}

/// A parsed import or export name.
#[derive(Clone, Debug)]
pub enum ExternName<'a> {
    Plain(PlainName<'a>),
    Interface(&'a str),
}

/// A plain (non-interface) name with its annotations split off.
#[derive(Clone, Debug)]
pub struct PlainName<'a> {
    pub raw: &'a str,
    pub resource_func: Option<ResourceFunc>,
    pub accessor: Option<Accessor>,
    /// The name without its annotations (`res.name` for methods and statics).
    pub unannotated: &'a str,
}

impl<'a> PlainName<'a> {
    /// The resource a constructor, method or static function belongs to.
    pub fn resource(&self) -> Option<&'a str> {
        match self.resource_func? {
            ResourceFunc::Constructor => Some(self.unannotated),
            _ => self.unannotated.split('.').next(),
        }
    }

    pub fn is_bare(&self) -> bool {
        self.resource_func.is_none() && self.accessor.is_none()
    }

    /// The getter a `[set]` name needs before it.
    pub fn getter_for_setter(&self) -> String {
        let prefix = match self.resource_func {
            Some(ResourceFunc::Method) => "[method]",
            Some(ResourceFunc::Static) => "[static]",
            _ => "",
        };
        format!("{prefix}[get]{}", self.unannotated)
    }
}

/// The key under which names collide: two names with the same key are the same name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum NameKey {
    Plain(String),
    /// Namespace (0), projection (1) or version (2) parts.
    Interface(Vec<(u8, String)>),
}

impl ExternName<'_> {
    pub fn key(&self) -> NameKey {
        match self {
            ExternName::Plain(p) => {
                let lower = kebab_key(p.unannotated);
                if let Some(dot) = lower.find('.') {
                    if lower[..dot] == lower[dot + 1..] {
                        return NameKey::Plain(String::from(&lower[..dot]));
                    }
                }
                NameKey::Plain(if p.resource_func == Some(ResourceFunc::Constructor) {
                    format!("[constructor]{lower}")
                } else if p.accessor == Some(Accessor::Set) {
                    format!("[set]{lower}")
                } else {
                    lower
                })
            }
            ExternName::Interface(s) => {
                let mut parts = Vec::new();
                let mut next: &str = s;
                let mut prev = None;
                while !next.is_empty() {
                    match next.find([':', '/', '@']) {
                        Some(i) => {
                            let ch = next.as_bytes()[i];
                            let kind = if ch == b':' { 0 } else { 1 };
                            parts.push((kind, kebab_key(&next[..i])));
                            next = &next[i + 1..];
                            prev = Some(ch);
                        }
                        None => {
                            if prev == Some(b'@') {
                                parts.push((2, String::from(next)));
                            } else {
                                parts.push((1, kebab_key(next)));
                            }
                            next = "";
                        }
                    }
                }
                NameKey::Interface(parts)
            }
        }
    }
}

/// Parses a name: an error message when it is not a valid extern name.
pub fn parse(name: &str) -> Result<ExternName<'_>, String> {
    if name.contains(':') {
        parse_interface(name)?;
        return Ok(ExternName::Interface(name));
    }
    let mut rest = name;
    let resource_func = if let Some(r) = rest.strip_prefix("[constructor]") {
        rest = r;
        Some(ResourceFunc::Constructor)
    } else if let Some(r) = rest.strip_prefix("[method]") {
        rest = r;
        Some(ResourceFunc::Method)
    } else if let Some(r) = rest.strip_prefix("[static]") {
        rest = r;
        Some(ResourceFunc::Static)
    } else {
        None
    };
    let accessor = if let Some(r) = rest.strip_prefix("[get]") {
        rest = r;
        Some(Accessor::Get)
    } else if let Some(r) = rest.strip_prefix("[set]") {
        rest = r;
        Some(Accessor::Set)
    } else {
        None
    };
    let unannotated = rest;
    match resource_func {
        Some(ResourceFunc::Constructor) if accessor.is_some() => {
            return Err("names with [constructor] cannot contain [get] or [set]".into());
        }
        Some(ResourceFunc::Method | ResourceFunc::Static) => {
            let Some(dot) = rest.find('.') else {
                return Err("failed to find `.` character".into());
            };
            if !is_kebab(&rest[..dot]) {
                return Err(format!("`{}` is not in kebab case", &rest[..dot]));
            }
            rest = &rest[dot + 1..];
        }
        _ => {}
    }
    if !is_kebab(rest) {
        return Err(format!("`{rest}` is not in kebab case"));
    }
    Ok(ExternName::Plain(PlainName {
        raw: name,
        resource_func,
        accessor,
        unannotated,
    }))
}

/// Takes the longest prefix of kebab characters (letters, digits, dashes) and checks it is
/// kebab-case.
fn take_kebab<'a>(next: &mut &'a str, lowercase: bool) -> Result<&'a str, String> {
    let end = next
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(next.len());
    let (word, rest) = next.split_at(end);
    if !is_kebab(word) {
        return Err(format!("`{word}` is not in kebab case"));
    }
    if lowercase && word.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("character is not lowercase in package name/namespace".into());
    }
    *next = rest;
    Ok(word)
}

/// `ns(:ns)*:pkg/iface(/iface)*(@anything)` (nested names allowed, as with every feature).
fn parse_interface(name: &str) -> Result<(), String> {
    let mut next = name;
    take_kebab(&mut next, true)?;
    next = next
        .strip_prefix(':')
        .ok_or_else(|| format!("expected `:` at `{next}`"))?;
    take_kebab(&mut next, true)?;
    while let Some(r) = next.strip_prefix(':') {
        next = r;
        take_kebab(&mut next, true)?;
    }
    match next.strip_prefix('/') {
        Some(r) => next = r,
        None => return Err("expected `/` after package name".into()),
    }
    take_kebab(&mut next, false)?;
    while let Some(r) = next.strip_prefix('/') {
        next = r;
        take_kebab(&mut next, false)?;
    }
    if next.starts_with('@') {
        return Ok(());
    }
    if !next.is_empty() {
        return Err(format!("trailing characters found: `{next}`"));
    }
    Ok(())
}

/// The version part of an interface name (after `@`), if any.
pub fn version_prefix(name: &str) -> Option<&str> {
    name.find('@').map(|at| &name[at + 1..])
}

/// Checks an interface name's version, completed by a version suffix if any.
pub fn check_interface_version(name: &str, suffix: Option<&str>) -> Result<(), String> {
    match (version_prefix(name), suffix) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err("a version suffix requires the name to have a version".into()),
        (Some(prefix), None) => check_semver(prefix),
        (Some(prefix), Some(suffix)) => {
            let full = format!("{prefix}{suffix}");
            check_semver(&full)?;
            if split_canonical_version(&full) != Some((prefix, Some(suffix))) {
                return Err(format!(
                    "`{prefix}` is not the canonical version of `{full}`"
                ));
            }
            Ok(())
        }
    }
}

fn is_version_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A semantic version (`major.minor.patch[-pre][+build]`), as the `semver` crate parses it.
pub fn check_semver(v: &str) -> Result<(), String> {
    let bad = || Err(format!("invalid semver version `{v}`"));
    let (without_build, build) = match v.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    if let Some(b) = build {
        if !b.split('.').all(is_identifier) {
            return bad();
        }
    }
    let (core, pre) = match without_build.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (without_build, None),
    };
    if let Some(p) = pre {
        for id in p.split('.') {
            if !is_identifier(id) {
                return bad();
            }
            if id.bytes().all(|b| b.is_ascii_digit()) && id.len() > 1 && id.starts_with('0') {
                return bad();
            }
        }
    }
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3 || !parts.iter().all(|p| is_version_number(p)) {
        return bad();
    }
    for p in parts {
        if p.parse::<u64>().is_err() {
            return bad();
        }
    }
    Ok(())
}

/// The canonical (shortest meaningful) prefix of a version and the rest.
fn split_canonical_version(version: &str) -> Option<(&str, Option<&str>)> {
    let (without_build, build) = match version.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (version, None),
    };
    if build.is_some_and(|b| !b.split('.').all(is_identifier)) {
        return None;
    }
    let (core, pre) = match without_build.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (without_build, None),
    };
    if pre.is_some_and(|p| !p.split('.').all(is_identifier)) {
        return None;
    }
    let mut numbers = core.split('.');
    let (Some(major), Some(minor), Some(patch), None) = (
        numbers.next(),
        numbers.next(),
        numbers.next(),
        numbers.next(),
    ) else {
        return None;
    };
    if ![major, minor, patch].into_iter().all(is_version_number) {
        return None;
    }
    let split = if pre.is_none() && major != "0" {
        major.len()
    } else if pre.is_none() && minor != "0" {
        major.len() + 1 + minor.len()
    } else {
        without_build.len()
    };
    match version.split_at(split) {
        (canonical, "") => Some((canonical, None)),
        (canonical, suffix) => Some((canonical, Some(suffix))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab() {
        assert!(is_kebab("a"));
        assert!(is_kebab("a-B"));
        assert!(is_kebab("a0-000-3d4a-54FF"));
        assert!(!is_kebab(""));
        assert!(!is_kebab("aB"));
        assert!(!is_kebab("a-"));
        assert!(!is_kebab("0"));
        assert!(!is_kebab("0-a"));
        assert!(!is_kebab("a-b--c"));
        assert!(!is_kebab("a0-000-3d4A-54Ff"));
    }

    #[test]
    fn names_and_keys() {
        let key = |s: &str| parse(s).unwrap().key();
        assert!(parse("[method]a").is_err());
        assert!(parse("[method]a.b.c").is_err());
        assert!(parse("[constructor][get]a").is_err());
        assert!(parse("[static][set]a.b").is_ok());
        assert!(parse("a:b/c@1.0.0").is_ok());
        assert!(parse("A:b/c").is_err());
        assert!(parse("a:b").is_err());
        assert_eq!(key("foo"), key("FOO"));
        assert_eq!(key("foo-bar"), key("foobar"));
        assert_eq!(key("[method]foo.foo"), key("foo"));
        assert_eq!(key("[static]a.b"), key("[method]a.b"));
        assert_ne!(key("[constructor]a"), key("a"));
        assert_eq!(key("[get]prop"), key("prop"));
        assert_ne!(key("[set]prop"), key("prop"));
        assert!(check_interface_version("a:b/c@1.0.0", None).is_ok());
        assert!(check_interface_version("a:b/c@1.0", None).is_err());
        assert!(check_interface_version("a:b/c@01.0.0", None).is_err());
        assert!(check_interface_version("a:b/c@1", Some(".2.3")).is_ok());
        assert!(check_interface_version("a:b/c@1.2", Some(".3")).is_err());
    }
}
