//! The file's own `macro_rules!` macros, expanded where a type is written
//! with one, or where one writes items: libz-sys writes `type z_size =
//! if_zng!(usize, c_ulong);`, with one definition of `if_zng!` under
//! `#[cfg(zng)]` and one under `#[cfg(not(zng))]`; bzip2-sys declares its
//! functions through `abi_compat! { pub fn …, pub fn …, }`. Each definition
//! a cfg may put in force gives the invocation its own expansion, so it is
//! read per target as rustc would read it.
//!
//! Rules are matched as rustc matches them, token by token: literal
//! tokens, delimited groups, fragments (`$a:tt`, `$a:ident`, `$t:ty`,
//! `$p:path`, `$e:expr`…) and repetitions (`$(…),*`, `+`, `?`), each taken
//! as many times as it matches, and the body's repetitions repeated once
//! for each.

use std::cell::Cell;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

use super::cfg::Cfg;

/// Tokens the expansions of one file may give at most: a bound on rules
/// that repeat what they match many times over, however often invoked.
pub const MAX_EXPANDED_TOKENS: usize = 1 << 22;

/// One definition of a macro: its name, the cfg it is under, its rules.
#[derive(Debug, Clone)]
pub struct TypeMacro {
    pub name: String,
    pub cfg: Option<Cfg>,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None` for a rule this does not read (a `$` it does not know).
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
    /// `$( … ) sep op`: `inner` as many times as `op` allows, `separator` between.
    Repeat {
        inner: Vec<Matcher>,
        separator: Option<String>,
        op: char,
    },
}

/// What a fragment matched: its tokens, or, inside a repetition, what it
/// matched each time round.
#[derive(Debug, Clone)]
enum Binding {
    One(TokenStream),
    Each(Vec<Binding>),
}

type Bindings = Vec<(String, Binding)>;

impl TypeMacro {
    /// The definition `macro_rules! name { … }` whose rules are `rules`.
    pub fn new(name: String, cfg: Option<Cfg>, rules: TokenStream) -> TypeMacro {
        TypeMacro { name, cfg, rules: read_rules(rules) }
    }

    /// What the invocation with `input` expands to, or why it does not;
    /// each token it gives is spent from `tokens`, what the file's
    /// expansions may still give.
    pub fn expand(&self, input: &TokenStream, tokens: &Cell<usize>) -> Result<TokenStream, String> {
        let input: Vec<TokenTree> = input.clone().into_iter().collect();
        let mut unread = false;
        for rule in &self.rules {
            let Some(pattern) = &rule.pattern else {
                unread = true;
                continue;
            };
            let mut bound = Vec::new();
            if match_prefix(pattern, &input, None, &mut bound) == Some(input.len()) {
                let mut budget = tokens.get();
                let expanded = substitute(rule.body.clone(), &bound, &mut budget);
                tokens.set(budget);
                return expanded.map_err(|why| format!("`{}!` cannot be expanded: {why}", self.name));
            }
        }
        Err(if unread {
            format!("no rule of `{}!` this reads matches it", self.name)
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

/// `*`, `+` or `?`: a repetition's operator.
fn repetition_op(token: Option<&TokenTree>) -> Option<char> {
    match token {
        Some(TokenTree::Punct(p)) if matches!(p.as_char(), '*' | '+' | '?') => Some(p.as_char()),
        _ => None,
    }
}

/// After a repetition's group at `at`: its separator, if any, its
/// operator, and how many tokens the two take.
fn separator_and_op(tokens: &[TokenTree], at: usize) -> Option<(Option<String>, char, usize)> {
    if let Some(op) = repetition_op(tokens.get(at)) {
        return Some((None, op, 1));
    }
    let separator = tokens.get(at)?;
    let op = repetition_op(tokens.get(at + 1))?;
    (!matches!(separator, TokenTree::Group(_))).then(|| (Some(separator.to_string()), op, 2))
}

/// A pattern's matchers, or `None` if it has a `$` this does not read.
fn matchers(pattern: TokenStream) -> Option<Vec<Matcher>> {
    let tokens: Vec<TokenTree> = pattern.into_iter().collect();
    let mut read = Vec::new();
    let mut at = 0;
    while let Some(token) = tokens.get(at) {
        match token {
            TokenTree::Punct(dollar) if dollar.as_char() == '$' => match tokens.get(at + 1) {
                Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => {
                    let (separator, op, taken) = separator_and_op(&tokens, at + 2)?;
                    read.push(Matcher::Repeat { inner: matchers(group.stream())?, separator, op });
                    at += 2 + taken;
                }
                Some(TokenTree::Ident(name)) => {
                    let (Some(TokenTree::Punct(colon)), Some(TokenTree::Ident(kind))) =
                        (tokens.get(at + 2), tokens.get(at + 3))
                    else {
                        return None;
                    };
                    if colon.as_char() != ':' {
                        return None;
                    }
                    read.push(Matcher::Fragment { name: name.to_string(), kind: kind.to_string() });
                    at += 4;
                }
                _ => return None,
            },
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

/// The token a fragment at `pattern[index]` must stop before: the one the
/// pattern writes next, a repetition's separator or first token, or, at the
/// pattern's end, `follow` (what comes after the repetition it is in).
fn stop_after<'p>(pattern: &'p [Matcher], index: usize, follow: Option<&'p str>) -> Option<&'p str> {
    match pattern.get(index + 1) {
        Some(Matcher::Token(text)) => Some(text),
        Some(Matcher::Repeat { inner, separator, .. }) => match inner.first() {
            Some(Matcher::Token(text)) => Some(text),
            _ => separator.as_deref(),
        },
        Some(_) => None,
        None => follow,
    }
}

/// How many tokens at the start of `input` match `pattern`, binding each
/// fragment's tokens; `follow` is the token that comes after the pattern
/// where it is a repetition's.
fn match_prefix(pattern: &[Matcher], input: &[TokenTree], follow: Option<&str>, bound: &mut Bindings) -> Option<usize> {
    let mut at = 0;
    for (index, matcher) in pattern.iter().enumerate() {
        match matcher {
            Matcher::Token(text) => {
                if input.get(at).is_none_or(|token| token.to_string() != *text) {
                    return None;
                }
                at += 1;
            }
            Matcher::Group(delimiter, inner) => match input.get(at) {
                Some(TokenTree::Group(group)) if group.delimiter() == *delimiter => {
                    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
                    if match_prefix(inner, &tokens, None, bound) != Some(tokens.len()) {
                        return None;
                    }
                    at += 1;
                }
                _ => return None,
            },
            Matcher::Fragment { name, kind } => {
                let stop = stop_after(pattern, index, follow);
                let taken = fragment(kind, &input[at..], stop)?;
                bound.push((name.clone(), Binding::One(input[at..at + taken].iter().cloned().collect())));
                at += taken;
            }
            Matcher::Repeat { inner, separator, op } => {
                let after = stop_after(pattern, index, follow);
                at += repeat(inner, (separator.as_deref(), *op), &input[at..], after, bound)?;
            }
        }
    }
    Some(at)
}

/// A repetition at the start of `input`: each time `inner` matches, after
/// the separator from the second on, as many times as it does (once at
/// most for `?`, at least once for `+`). Binds each of its fragments to
/// what it matched each time. Returns how many tokens it took.
fn repeat(
    inner: &[Matcher],
    (separator, op): (Option<&str>, char),
    input: &[TokenTree],
    after: Option<&str>,
    bound: &mut Bindings,
) -> Option<usize> {
    let mut at = 0;
    let mut each: Vec<Bindings> = Vec::new();
    while !(op == '?' && each.len() == 1) {
        let mut start = at;
        if let (Some(separator), false) = (separator, each.is_empty()) {
            if input.get(at).is_none_or(|t| t.to_string() != separator) {
                break;
            }
            start += 1;
        }
        let mut round = Vec::new();
        match match_prefix(inner, &input[start..], separator.or(after), &mut round) {
            // Each round takes a token at least, so the rounds are bounded by the input.
            Some(taken) if taken > 0 => {
                at = start + taken;
                each.push(round);
            }
            _ => break,
        }
    }
    if op == '+' && each.is_empty() {
        return None;
    }
    let mut names = Vec::new();
    fragment_names(inner, &mut names);
    for name in names {
        let matched = each
            .iter_mut()
            .filter_map(|round| round.iter().position(|(n, _)| *n == name).map(|i| round.swap_remove(i).1))
            .collect();
        bound.push((name, Binding::Each(matched)));
    }
    Some(at)
}

/// The names of the fragments in `pattern`, repetitions' too.
fn fragment_names(pattern: &[Matcher], names: &mut Vec<String>) {
    for matcher in pattern {
        match matcher {
            Matcher::Fragment { name, .. } => names.push(name.clone()),
            Matcher::Group(_, inner) | Matcher::Repeat { inner, .. } => fragment_names(inner, names),
            Matcher::Token(_) => {}
        }
    }
}

/// How many of `input`'s tokens a fragment of `kind` takes, or `None` if
/// it cannot start here. A fragment of many tokens runs to `stop`, the
/// token that follows it in the pattern (rustc allows only a separator
/// there), or to the end, and must read as its kind.
fn fragment(kind: &str, input: &[TokenTree], stop: Option<&str>) -> Option<usize> {
    let first = input.first()?;
    match kind {
        "tt" => Some(1),
        "ident" => matches!(first, TokenTree::Ident(_)).then_some(1),
        "literal" => matches!(first, TokenTree::Literal(_)).then_some(1),
        "lifetime" => matches!((first, input.get(1)),
            (TokenTree::Punct(p), Some(TokenTree::Ident(_))) if p.as_char() == '\'' && p.spacing() == Spacing::Joint)
        .then_some(2),
        _ => {
            let taken = stop.and_then(|stop| input.iter().position(|t| t.to_string() == stop)).unwrap_or(input.len());
            let tokens: TokenStream = input[..taken].iter().cloned().collect();
            let reads = match kind {
                "ty" => syn::parse2::<syn::Type>(tokens).is_ok(),
                "path" => syn::parse2::<syn::Path>(tokens).is_ok(),
                "expr" => syn::parse2::<syn::Expr>(tokens).is_ok(),
                "vis" => taken == 0 || syn::parse2::<syn::Visibility>(tokens).is_ok(),
                "item" => syn::parse2::<syn::Item>(tokens).is_ok(),
                "meta" => syn::parse2::<syn::Meta>(tokens).is_ok(),
                _ => false, // `pat`, `stmt`, `block`: not in a binding's declarations
            };
            (reads && (taken > 0 || kind == "vis")).then_some(taken)
        }
    }
}

/// `body` with each `$name` bound replaced by its tokens (a fragment of
/// many tokens as one invisible group, as rustc keeps it whole), and each
/// `$( … ) sep op` once for each time its fragments matched. Spends
/// `budget`, the tokens still allowed.
fn substitute(body: TokenStream, bound: &Bindings, budget: &mut usize) -> Result<TokenStream, String> {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while let Some(token) = tokens.get(at) {
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| format!("the file's macros expand past {MAX_EXPANDED_TOKENS} tokens"))?;
        match (token, tokens.get(at + 1)) {
            (TokenTree::Punct(dollar), Some(TokenTree::Ident(name))) if dollar.as_char() == '$' => {
                match bound.iter().rev().find(|(n, _)| *name == n.as_str()) {
                    Some((_, Binding::One(value))) => {
                        out.push(whole(value.clone()));
                        at += 2;
                        continue;
                    }
                    Some((_, Binding::Each(_))) => return Err(format!("`${name}` is still repeating here")),
                    // `$crate::other!`: the macro's own crate, whose macros are read with it.
                    None if name == "crate" => {
                        out.push(TokenTree::Ident(proc_macro2::Ident::new("crate", name.span())));
                        at += 2;
                        continue;
                    }
                    None => out.push(token.clone()),
                }
            }
            (TokenTree::Punct(dollar), Some(TokenTree::Group(group)))
                if dollar.as_char() == '$' && group.delimiter() == Delimiter::Parenthesis =>
            {
                let (separator, _, taken) =
                    separator_and_op(&tokens, at + 2).ok_or("a `$(…)` without `*`, `+` or `?`")?;
                let separator = separator.and_then(|_| tokens.get(at + 2));
                out.extend(repeated(&group.stream(), separator, bound, budget)?);
                at += 2 + taken;
                continue;
            }
            (TokenTree::Group(group), _) => {
                let mut inner = proc_macro2::Group::new(group.delimiter(), substitute(group.stream(), bound, budget)?);
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            (other, _) => out.push(other.clone()),
        }
        at += 1;
    }
    Ok(out.into_iter().collect())
}

/// A fragment's tokens as one: itself if one token, else an invisible group.
fn whole(value: TokenStream) -> TokenTree {
    let mut tokens = value.clone().into_iter();
    match (tokens.next(), tokens.next()) {
        (Some(one), None) => one,
        _ => TokenTree::Group(proc_macro2::Group::new(Delimiter::None, value)),
    }
}

/// A body's `$( inner )`: once for each time the repeating fragments it
/// names matched (they must agree), `separator` between.
fn repeated(
    inner: &TokenStream,
    separator: Option<&TokenTree>,
    bound: &Bindings,
    budget: &mut usize,
) -> Result<Vec<TokenTree>, String> {
    let mut used = Vec::new();
    names_used(inner.clone(), &mut used);
    used.sort_unstable();
    used.dedup();
    // Each name as bound here: a round of an outer repetition binds it anew, last.
    let repeating: Vec<(&String, &Vec<Binding>)> = used
        .iter()
        .filter_map(|name| bound.iter().rev().find(|(n, _)| n == name))
        .filter_map(|(name, binding)| match binding {
            Binding::Each(each) => Some((name, each)),
            Binding::One(_) => None,
        })
        .collect();
    let Some(times) = repeating.first().map(|(_, each)| each.len()) else {
        return Err("a repetition in the body repeats no fragment".to_owned());
    };
    if let Some((name, each)) = repeating.iter().find(|(_, each)| each.len() != times) {
        return Err(format!("`${name}` repeats {} times where another repeats {times}", each.len()));
    }
    let mut out = Vec::new();
    for time in 0..times {
        if time > 0
            && let Some(separator) = separator
        {
            out.push(separator.clone());
        }
        let mut round = bound.clone();
        round.extend(repeating.iter().map(|(name, each)| ((*name).clone(), each[time].clone())));
        out.extend(substitute(inner.clone(), &round, budget)?);
    }
    Ok(out)
}

/// The names `$name` writes in `body`, at any depth.
fn names_used(body: TokenStream, used: &mut Vec<String>) {
    let mut previous_was_dollar = false;
    for token in body {
        match &token {
            TokenTree::Ident(name) if previous_was_dollar => used.push(name.to_string()),
            TokenTree::Group(group) => names_used(group.stream(), used),
            _ => {}
        }
        previous_was_dollar = matches!(&token, TokenTree::Punct(p) if p.as_char() == '$');
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::{MAX_EXPANDED_TOKENS, TypeMacro};

    fn definition(rules: &str) -> TypeMacro {
        TypeMacro::new("m".into(), None, rules.parse().expect("tokens"))
    }

    fn expand(rules: &str, input: &str) -> Result<String, String> {
        let tokens = Cell::new(MAX_EXPANDED_TOKENS);
        definition(rules).expand(&input.parse().expect("tokens"), &tokens).map(|t| t.to_string())
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
        let unknown = "($ 1) => { u8 };";
        assert_eq!(expand(unknown, "$ 1"), Err("no rule of `m!` this reads matches it".to_owned()));
        let mixed = "($($a:ident),* ; $($b:ident),*) => { $(($a, $b)),* };";
        let said = expand(mixed, "x, y ; z").unwrap_err();
        assert!(said.contains("repeats 1 times where another repeats 2"), "{said}");
    }

    #[test]
    fn repetitions_match_as_often_as_they_can_and_repeat_the_body_as_often() {
        let tuple = "($($t:ty),*) => { ($($t),*) };";
        // A fragment of many tokens is one invisible group, written without a space before it.
        assert_eq!(expand(tuple, "u8, Option<u16>").as_deref(), Ok("(u8 ,Option < u16 >)"));
        assert_eq!(expand(tuple, "").as_deref(), Ok("()"));
        // bzip2-sys's `abi_compat!`: functions, each with its parameters, repeated into a block.
        let functions = "($(pub fn $name:ident($($arg:ident: $t:ty),*) -> $ret:ty,)*) => { \
                         extern \"C\" { $(pub fn $name($($arg: $t),*) -> $ret;)* } };";
        let expanded = expand(functions, "pub fn a(x: *mut S, n: c_int) -> c_int, pub fn b() -> u8,").expect("expands");
        assert_eq!(expanded, "extern \"C\" { pub fn a (x : * mut S ,n : c_int) -> c_int ; pub fn b () -> u8 ; }");
        let at_least_one = "($($a:ident)+) => { $($a)+ };";
        assert!(expand(at_least_one, "").is_err());
        assert_eq!(expand("($($a:ident)? ; $b:ident) => { $($a)? $b };", "; z").as_deref(), Ok("z"));
        // x11's `x11_link!`: repetitions between words, and `+` after a separator.
        let sections = "($($f:ident($($p:ident),+),)* variadic: $($v:ident,)*) => { $($f;)* $($v)* };";
        assert_eq!(expand(sections, "a(x), b(y, z), variadic: c, d,").as_deref(), Ok("a ; b ; c d"));
    }

    #[test]
    fn a_files_expansions_share_one_bound() {
        let tuple = definition("($($t:ident),*) => { ($($t),*) };");
        let input: proc_macro2::TokenStream = "a, b, c".parse().expect("tokens");
        let measure = Cell::new(MAX_EXPANDED_TOKENS);
        assert!(tuple.expand(&input, &measure).is_ok());
        let spent = MAX_EXPANDED_TOKENS - measure.get();
        let tokens = Cell::new(spent + spent / 2);
        assert!(tuple.expand(&input, &tokens).is_ok());
        let said = tuple.expand(&input, &tokens).unwrap_err();
        assert!(said.contains("expand past"), "the second expansion finds the bound spent: {said}");
    }
}
