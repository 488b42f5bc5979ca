//! `#[cfg(…)]` predicates, evaluated for each of the five targets as rustc
//! evaluates them: `target_arch`, `target_os`, `target_env`,
//! `target_pointer_width`, `target_family`, `unix`, `windows` and the rest of
//! what the libc crate writes its mirrors with.

use syn::Meta;
use syn::punctuated::Punctuated;

use crate::layout::lab::Target;

/// A parsed predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cfg {
    All(Vec<Cfg>),
    Any(Vec<Cfg>),
    Not(Box<Cfg>),
    /// `unix`, `windows`, `test`…
    Flag(String),
    /// `target_arch = "x86_64"`.
    Pair(String, String),
}

/// Deepest `all(any(not(…)))` nesting read.
const MAX_DEPTH: usize = 32;

impl Cfg {
    /// The predicate of `#[cfg(meta)]` (`meta` is what is inside the parentheses).
    pub fn parse(meta: &Meta) -> Result<Cfg, String> {
        Cfg::parse_at(meta, 0)
    }

    fn parse_at(meta: &Meta, depth: usize) -> Result<Cfg, String> {
        if depth > MAX_DEPTH {
            return Err(format!("a cfg nested deeper than {MAX_DEPTH}"));
        }
        let name = meta.path().get_ident().map(ToString::to_string).unwrap_or_default();
        match meta {
            Meta::Path(_) => Ok(Cfg::Flag(name)),
            Meta::NameValue(pair) => match &pair.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(value), .. }) => Ok(Cfg::Pair(name, value.value())),
                _ => Err(format!("`{name} = …` in a cfg takes a string")),
            },
            Meta::List(list) => {
                let inner = list
                    .parse_args_with(Punctuated::<Meta, syn::Token![,]>::parse_terminated)
                    .map_err(|e| format!("cannot read this cfg: {e}"))?;
                let parts = inner.iter().map(|m| Cfg::parse_at(m, depth + 1)).collect::<Result<Vec<_>, _>>()?;
                match name.as_str() {
                    "all" => Ok(Cfg::All(parts)),
                    "any" => Ok(Cfg::Any(parts)),
                    "not" => match <[Cfg; 1]>::try_from(parts) {
                        Ok([one]) => Ok(Cfg::Not(Box::new(one))),
                        Err(_) => Err("`not(…)` takes one predicate".to_owned()),
                    },
                    other => Err(format!("`{other}(…)` is not a cfg predicate")),
                }
            }
        }
    }

    /// A cfg set as rustc's `--cfg` takes it: `ossl300`, `osslconf="OPENSSL_NO_COMP"`.
    pub fn parse_set(spec: &str) -> Result<Cfg, String> {
        let meta: Meta = syn::parse_str(spec).map_err(|e| format!("`{spec}` is not a cfg: {e}"))?;
        match Cfg::parse(&meta)? {
            set @ (Cfg::Flag(_) | Cfg::Pair(..)) => Ok(set),
            _ => Err(format!("`{spec}` is a predicate: a cfg to set is a name or `name=\"value\"`")),
        }
    }

    /// The predicate with each cfg of `set` taken as set (as a build
    /// script's `cargo:rustc-cfg` sets them), whatever the target.
    #[must_use]
    pub fn with_set(self, set: &[Cfg]) -> Cfg {
        match self {
            leaf @ (Cfg::Flag(_) | Cfg::Pair(..)) if set.contains(&leaf) => Cfg::All(Vec::new()),
            Cfg::All(parts) => Cfg::All(parts.into_iter().map(|p| p.with_set(set)).collect()),
            Cfg::Any(parts) => Cfg::Any(parts.into_iter().map(|p| p.with_set(set)).collect()),
            Cfg::Not(part) => Cfg::Not(Box::new(part.with_set(set))),
            leaf => leaf,
        }
    }

    /// As a `#[cfg(…)]` writes it: `all(unix, not(ossl300))`.
    pub fn as_source(&self) -> String {
        let list = |parts: &[Cfg]| parts.iter().map(Cfg::as_source).collect::<Vec<_>>().join(", ");
        match self {
            Cfg::All(parts) => format!("all({})", list(parts)),
            Cfg::Any(parts) => format!("any({})", list(parts)),
            Cfg::Not(part) => format!("not({})", part.as_source()),
            Cfg::Flag(name) => name.clone(),
            Cfg::Pair(key, value) => format!("{key} = {value:?}"),
        }
    }

    /// As rustc's `--cfg` writes it.
    pub fn as_flag(&self) -> String {
        match self {
            Cfg::Pair(key, value) => format!("{key}=\"{value}\""),
            Cfg::Flag(name) => name.clone(),
            _ => String::new(),
        }
    }

    /// Whether the predicate holds when compiling for `target`. Anything
    /// not about the target (`feature = "…"`, `test`, `debug_assertions`)
    /// is taken as not set, as in a plain build, unless [`Cfg::with_set`] set it.
    pub fn holds(&self, target: Target) -> bool {
        match self {
            Cfg::All(parts) => parts.iter().all(|p| p.holds(target)),
            Cfg::Any(parts) => parts.iter().any(|p| p.holds(target)),
            Cfg::Not(part) => !part.holds(target),
            Cfg::Flag(flag) => match flag.as_str() {
                "unix" => target != Target::X86_64Windows,
                "windows" => target == Target::X86_64Windows,
                _ => false,
            },
            Cfg::Pair(key, value) => target_values(target, key).contains(&value.as_str()),
        }
    }
}

/// What `key` is on `target`, as `rustc --print cfg` says.
fn target_values(target: Target, key: &str) -> &'static [&'static str] {
    let windows = target == Target::X86_64Windows;
    match key {
        "target_arch" => match target {
            Target::X86_64Linux | Target::X86_64Windows => &["x86_64"],
            Target::I686Linux => &["x86"],
            Target::Aarch64Linux => &["aarch64"],
            Target::Armv7Linux => &["arm"],
        },
        "target_os" => {
            if windows {
                &["windows"]
            } else {
                &["linux"]
            }
        }
        "target_family" => {
            if windows {
                &["windows"]
            } else {
                &["unix"]
            }
        }
        "target_env" => {
            if windows {
                &["msvc"]
            } else {
                &["gnu"]
            }
        }
        "target_vendor" => {
            if windows {
                &["pc"]
            } else {
                &["unknown"]
            }
        }
        "target_abi" => {
            if target == Target::Armv7Linux {
                &["eabihf"]
            } else {
                &[""]
            }
        }
        "target_pointer_width" => match target {
            Target::I686Linux | Target::Armv7Linux => &["32"],
            _ => &["64"],
        },
        "target_endian" => &["little"],
        "target_has_atomic" => &["8", "16", "32", "64", "ptr"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::Cfg;
    use crate::layout::lab::Target;

    fn cfg(text: &str) -> Cfg {
        let meta: syn::Meta = syn::parse_str(text).expect("a cfg predicate");
        Cfg::parse(&meta).expect("readable")
    }

    #[test]
    fn predicates_hold_on_the_targets_rustc_says() {
        let holds = |text: &str| -> Vec<bool> { Target::ALL.iter().map(|&t| cfg(text).holds(t)).collect() };
        assert_eq!(holds(r#"target_arch = "x86_64""#), [true, false, false, false, true]);
        assert_eq!(holds(r#"target_pointer_width = "32""#), [false, true, false, true, false]);
        assert_eq!(holds("unix"), [true, true, true, true, false]);
        assert_eq!(
            holds(r#"all(target_os = "linux", not(target_arch = "aarch64"))"#),
            [true, true, false, true, false]
        );
        assert_eq!(holds(r#"any(target_env = "msvc", target_arch = "arm")"#), [false, false, false, true, true]);
        assert_eq!(holds(r#"feature = "extra""#), [false; 5]);
    }
}
