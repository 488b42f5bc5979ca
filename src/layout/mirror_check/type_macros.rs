//! The file's own `macro_rules!` macros, expanded where a type is written
//! with one: libz-sys writes `type z_size = if_zng!(usize, c_ulong);`, with
//! one definition of `if_zng!` under `#[cfg(zng)]` and one under
//! `#[cfg(not(zng))]`. Each definition a cfg may put in force gives the
//! invocation its own expansion, so the type is read per target as rustc
//! would read it.
//!
//! Rules are matched as rustc matches them, token by token, for the forms a
//! type macro is written with: literal tokens, delimited groups, and
//! fragments (`$a:tt`, `$a:ident`, `$t:ty`, `$p:path`, `$e:expr`…). A
//! rule with a repetition (`$(…)*`) is not read: an invocation only it
//! would match says so.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

use super::cfg::Cfg;

/// One definition of a macro: its name, the cfg it is under, its rules.
#[derive(Debug, Clone)]
pub struct TypeMacro {
    pub name: String,
    pub cfg: Option<Cfg>,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None` for a rule this does not read (a repetition).
    pattern: Option<Vec<Matcher>>,
    body: TokenStream,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// A token that must be there as written.
    Token(String),
    Group(Delimiter, Vec<Matcher>),
    Fragment {
        name: String,
        kind: String,
    },
}

impl TypeMacro {
    /// The definition `macro_rules! name { … }` whose rules are `rules`.
    pub fn new(name: String, cfg: Option<Cfg>, rules: TokenStream) -> TypeMacro {
        TypeMacro { name, cfg, rules: read_rules(rules) }
    }

    /// What the invocation with `input` expands to, or why it does not.
    pub fn expand(&self, input: &TokenStream) -> Result<TokenStream, String> {
        let input: Vec<TokenTree> = input.clone().into_iter().collect();
        let mut unread = false;
        for rule in &self.rules {
            let Some(pattern) = &rule.pattern else {
                unread = true;
                continue;
            };
            let mut bound = Vec::new();
            if matches(pattern, &input, &mut bound) {
                return Ok(substitute(rule.body.clone(), &bound));
            }
        }
        Err(if unread {
            format!("no rule of `{}!` this reads matches it (rules with a repetition are not read)", self.name)
        } else {
            format!("no rule of `{}!` matches it", self.name)
        })
    }
}

/// `(pattern) => { body };` …
fn read_rules(rules: TokenStream) -> Vec<Rule> {
    let tokens: Vec<TokenTree> = rules.into_iter().collect();
    let mut read = Vec::new();
    let mut at = 0;
    while let Some(TokenTree::Group(pattern)) = tokens.get(at) {
        let arrow = matches!((tokens.get(at + 1), tokens.get(at + 2)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == '=' && b.as_char() == '>');
        let Some(TokenTree::Group(body)) = tokens.get(at + 3).filter(|_| arrow) else { break };
        read.push(Rule { pattern: matchers(pattern.stream()), body: body.stream() });
        at += 4;
        if matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == ';') {
            at += 1;
        }
    }
    read
}

/// A pattern's matchers, or `None` if it has a repetition.
fn matchers(pattern: TokenStream) -> Option<Vec<Matcher>> {
    let tokens: Vec<TokenTree> = pattern.into_iter().collect();
    let mut read = Vec::new();
    let mut at = 0;
    while let Some(token) = tokens.get(at) {
        match token {
            TokenTree::Punct(dollar) if dollar.as_char() == '$' => {
                let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(colon)), Some(TokenTree::Ident(kind))) =
                    (tokens.get(at + 1), tokens.get(at + 2), tokens.get(at + 3))
                else {
                    return None; // `$(…)*`, or not a fragment
                };
                if colon.as_char() != ':' {
                    return None;
                }
                read.push(Matcher::Fragment { name: name.to_string(), kind: kind.to_string() });
                at += 4;
            }
            TokenTree::Group(group) => {
                read.push(Matcher::Group(group.delimiter(), matchers(group.stream())?));
                at += 1;
            }
            other => {
                read.push(Matcher::Token(other.to_string()));
                at += 1;
            }
        }
    }
    Some(read)
}

/// Whether `input` matches `pattern` whole, binding each fragment's tokens.
fn matches(pattern: &[Matcher], input: &[TokenTree], bound: &mut Vec<(String, TokenStream)>) -> bool {
    let mut at = 0;
    for (index, matcher) in pattern.iter().enumerate() {
        match matcher {
            Matcher::Token(text) => {
                if input.get(at).is_none_or(|token| token.to_string() != *text) {
                    return false;
                }
                at += 1;
            }
            Matcher::Group(delimiter, inner) => match input.get(at) {
                Some(TokenTree::Group(group)) if group.delimiter() == *delimiter => {
                    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
                    if !matches(inner, &tokens, bound) {
                        return false;
                    }
                    at += 1;
                }
                _ => return false,
            },
            Matcher::Fragment { name, kind } => {
                let Some(taken) = fragment(kind, &input[at..], pattern.get(index + 1)) else { return false };
                bound.push((name.clone(), input[at..at + taken].iter().cloned().collect()));
                at += taken;
            }
        }
    }
    at == input.len()
}

/// How many of `input`'s tokens a fragment of `kind` takes, or `None` if
/// it cannot start here. A fragment of many tokens runs to the token that
/// follows it in the pattern (rustc allows only a separator there) or to
/// the end, and must read as its kind.
fn fragment(kind: &str, input: &[TokenTree], next: Option<&Matcher>) -> Option<usize> {
    let first = input.first()?;
    match kind {
        "tt" => Some(1),
        "ident" => matches!(first, TokenTree::Ident(_)).then_some(1),
        "literal" => matches!(first, TokenTree::Literal(_)).then_some(1),
        "lifetime" => matches!((first, input.get(1)),
            (TokenTree::Punct(p), Some(TokenTree::Ident(_))) if p.as_char() == '\'' && p.spacing() == Spacing::Joint)
        .then_some(2),
        _ => {
            let stop = match next {
                Some(Matcher::Token(text)) => input.iter().position(|t| t.to_string() == *text),
                _ => None,
            };
            let taken = stop.unwrap_or(input.len());
            let tokens: TokenStream = input[..taken].iter().cloned().collect();
            let reads = match kind {
                "ty" => syn::parse2::<syn::Type>(tokens).is_ok(),
                "path" => syn::parse2::<syn::Path>(tokens).is_ok(),
                "expr" => syn::parse2::<syn::Expr>(tokens).is_ok(),
                _ => false, // `pat`, `stmt`, `block`, `item`, `vis`, `meta`: not in a type
            };
            (reads && taken > 0).then_some(taken)
        }
    }
}

/// `body` with each `$name` bound replaced by its tokens: a fragment of
/// many tokens as one invisible group, as rustc keeps it whole.
fn substitute(body: TokenStream, bound: &[(String, TokenStream)]) -> TokenStream {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while let Some(token) = tokens.get(at) {
        match token {
            TokenTree::Punct(dollar) if dollar.as_char() == '$' => {
                let value = match tokens.get(at + 1) {
                    Some(TokenTree::Ident(name)) => bound.iter().find(|(n, _)| *name == n.as_str()),
                    _ => None,
                };
                if let Some((_, value)) = value {
                    let mut value = value.clone().into_iter();
                    match (value.next(), value.next()) {
                        (Some(one), None) => out.push(one),
                        (first, second) => {
                            let whole: TokenStream = first.into_iter().chain(second).chain(value).collect();
                            out.push(TokenTree::Group(proc_macro2::Group::new(Delimiter::None, whole)));
                        }
                    }
                    at += 2;
                    continue;
                }
                out.push(token.clone());
            }
            TokenTree::Group(group) => {
                let mut inner = proc_macro2::Group::new(group.delimiter(), substitute(group.stream(), bound));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        at += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::TypeMacro;

    fn definition(rules: &str) -> TypeMacro {
        TypeMacro::new("m".into(), None, rules.parse().expect("tokens"))
    }

    fn expand(rules: &str, input: &str) -> Result<String, String> {
        definition(rules).expand(&input.parse().expect("tokens")).map(|t| t.to_string())
    }

    #[test]
    fn rules_are_tried_in_order_and_bind_their_fragments() {
        let pick_second = "($_a:tt, $b:tt) => { $b };";
        assert_eq!(expand(pick_second, "usize, c_ulong").as_deref(), Ok("c_ulong"));
        let two = "(wide) => { u64 }; ($t:ty) => { *mut $t };";
        assert_eq!(expand(two, "wide").as_deref(), Ok("u64"));
        assert_eq!(expand(two, "Option<u8>").as_deref(), Ok("* mut Option < u8 >"));
        let array = "($t:ty; $n:expr) => { [$t; $n] };";
        assert_eq!(expand(array, "u32; 2 * 4").as_deref(), Ok("[u32 ; 2 * 4]"));
        let grouped = "([$t:ident]) => { $t };";
        assert_eq!(expand(grouped, "[i16]").as_deref(), Ok("i16"));
    }

    #[test]
    fn what_no_rule_matches_says_why() {
        assert_eq!(expand("(a) => { u8 };", "b"), Err("no rule of `m!` matches it".to_owned()));
        assert_eq!(expand("($a:ident) => { u8 };", "1"), Err("no rule of `m!` matches it".to_owned()));
        let repeated = "($($t:ty),*) => { ($($t),*) };";
        let said = expand(repeated, "u8, u16").unwrap_err();
        assert!(said.contains("rules with a repetition are not read"), "{said}");
    }
}
